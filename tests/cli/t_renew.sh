#!/bin/sh
# minica renew: what is due is re-issued (same names, profile, key type,
# new key), the old one superseded and linked; failures stay separate.
. "$(dirname "$0")/lib.sh"
new_ca
export MINICA_PASSPHRASE="correct horse battery staple"
cd "$T"
mkdir o

expect 0 mc issue nginx --cn www.example.org --san example.org --key ec256 --out o
expect 0 mc issue smtpd --cn mail.example.org --days 20 --out o
expect 0 mc issue server --cn "this-label-is-quite-long-on-purpose.and-so-is-this-one-too.example.org" --days 90 --out o
old_mail=$(openssl x509 -in o/mail.example.org.crt -noout -serial | cut -d= -f2 | tr A-F a-f)
old_key=$(sha256sum < o/mail.example.org.key)

# Nothing asked for a passphrase when nothing is due.
expect 0 env -u MINICA_PASSPHRASE "$MINICA_BIN" renew --days 10 --out o
contains "$T/out" "nothing due for renewal (3 current certificates"

expect 0 mc renew --dry-run --out o
contains "$T/out" "would renew smtpd mail.example.org"
lacks "$T/out" "www.example.org"
[ "$(db_count certificates)" = 3 ] || fail "dry run issued"

expect 0 mc renew --out o
contains "$T/out" "renewed smtpd mail.example.org: $old_mail ->"
new_mail=$(openssl x509 -in o/mail.example.org.crt -noout -serial | cut -d= -f2 | tr A-F a-f)
[ "$new_mail" != "$old_mail" ] || fail "certificate file not replaced"
[ "$(sha256sum < o/mail.example.org.key)" != "$old_key" ] || fail "no new key"
[ "$(mode_of o/mail.example.org.key)" = 600 ] || fail "renewed key mode"
[ "$(openssl pkey -in o/mail.example.org.key -pubout | sha256sum)" = "$(openssl x509 -in o/mail.example.org.crt -noout -pubkey | sha256sum)" ] ||
	fail "renewed key does not match"
openssl verify -x509_strict -purpose sslserver -verify_hostname mail.example.org -CAfile "$MINICA_HOME/ca.crt" -untrusted o/mail.example.org.crt o/mail.example.org.crt >/dev/null ||
	fail "renewed certificate does not verify"
# Same lifetime (20 days), same names.
expect 0 mc show "$new_mail" --json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["days_left"] in (19, 20) and d["sans"] == ["mail.example.org"] and d["key_type"] == "rsa2048", d
' "$T/out" || fail "renewed fields"
expect 0 mc show "$old_mail" --json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "superseded" and d["superseded_by"] == sys.argv[2], d
' "$T/out" "$new_mail" || fail "old not superseded"
[ "$(sqlite3 "$MINICA_HOME/minica.db" "SELECT count(*) FROM audit WHERE action = 'renew' AND details LIKE 'renews=$old_mail%'")" = 1 ] ||
	fail "renew audit event"
# A 20-day certificate is always within 30 days; with --days 10 it is not due.
expect 0 mc renew --days 10 --out o
contains "$T/out" "nothing due"

# Later: past two thirds of the lifetime counts as due.  The long name
# (no CN) and the EC key type carry over.
expect 0 faketime -f '+300d' "$MINICA_BIN" renew --out o --json
python3 -c '
import json, sys
new = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {c["profile"]: c for c in new}
assert set(by) == {"nginx", "server", "smtpd"}, by
assert by["nginx"]["key_type"] == "ec256" and by["nginx"]["sans"] == ["www.example.org", "example.org"]
assert by["server"]["cn"] == "" and len(by["server"]["sans"][0]) > 64
' "$T/out" || fail "renew --json after time travel"

# A named selection: only that profile.
expect 0 mc renew --force smtpd --out o
contains "$T/out" "renewed smtpd"
lacks "$T/out" "renewed nginx"
# A serial prefix with colons and in upper case, as openssl prints it.
w3=$(sqlite3 "$MINICA_HOME/minica.db" "SELECT serial FROM certificates WHERE cn = 'www.example.org' AND status = 'valid'")
colon=$(printf '%s' "$w3" | cut -c1-8 | tr a-f A-F | sed 's/../&:/g; s/:$//')
expect 0 mc renew --force "$colon" --out o
contains "$T/out" "renewed nginx www.example.org: $w3 ->"
expect 1 mc renew nosuchprofile
contains "$T/err" "neither a profile nor the serial"

# One failing renewal keeps the others: a profile removed from the
# configuration makes its certificate fail.
cat >> "$MINICA_HOME/minica.conf" <<'CONF'
[profile.web2]
eku = serverAuth
CONF
expect 0 mc issue web2 --cn w2.example.org --days 10 --out o
expect 0 mc issue nginx --cn w3.example.org --days 10 --out o
w2=$(openssl x509 -in o/w2.example.org.crt -noout -serial | cut -d= -f2 | tr A-F a-f)
sed -i '/\[profile.web2\]/,$d' "$MINICA_HOME/minica.conf"
expect 1 mc renew --out o
contains "$T/err" "cannot renew web2 w2.example.org"
contains "$T/err" "1 of 3 renewals failed"
contains "$T/out" "renewed nginx w3.example.org"
[ "$(sqlite3 "$MINICA_HOME/minica.db" "SELECT status FROM certificates WHERE serial = '$w2'")" = valid ] ||
	fail "the failed one was touched"
[ "$(sqlite3 "$MINICA_HOME/minica.db" "SELECT count(*) FROM certificates WHERE cn = 'w3.example.org' AND status = 'valid'")" = 1 ] ||
	fail "the good one was not kept"

# A wrong passphrase renews nothing.
expect 0 mc issue nginx --cn w4.example.org --days 10 --out o
rows=$(db_count certificates)
MINICA_PASSPHRASE=wrong expect 1 mc renew w4.example.org --out o
expect 1 mc renew 00zz
[ "$(db_count certificates)" = "$rows" ] || fail "rows changed"
