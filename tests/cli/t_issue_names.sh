#!/bin/sh
# No two certificates write to the same files: smtpd and dovecot for one
# host in one folder get NAME.* and dovecot-NAME.*, renew of both keeps
# both keys; issue --force supersedes the previous current certificate of
# the same profile and names (listed as superseded, not revoked, not in
# the CRL).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

new_ca
db() { sqlite3 "$MINICA_HOME/minica.db" "$1"; }
pub() { openssl x509 -in "$1" -noout -pubkey | openssl sha256; }
kpub() { openssl pkey -in "$1" -pubout | openssl sha256; }
o=$T/o
expect 0 mc issue smtpd --cn bruant.example.org --out "$o" --passphrase-file "$PASS"
expect 0 mc issue dovecot --cn bruant.example.org --out "$o" --passphrase-file "$PASS"
contains "$T/out" "$o/dovecot-bruant.example.org.key"
[ "$(pub "$o/bruant.example.org.crt")" = "$(kpub "$o/bruant.example.org.key")" ] || fail "smtpd pair broken"
[ "$(pub "$o/dovecot-bruant.example.org.crt")" = "$(kpub "$o/dovecot-bruant.example.org.key")" ] || fail "dovecot pair broken"
# renew of both: each key stays with its certificate
expect 0 mc renew --force --out "$o" --passphrase-file "$PASS"
[ "$(grep -c '^renewed' "$T/out")" = 2 ] || fail "expected two renewals"
for n in bruant.example.org dovecot-bruant.example.org; do
	[ "$(pub "$o/$n.crt")" = "$(kpub "$o/$n.key")" ] || fail "renew left '$o/$n.key' apart from its certificate"
done
[ "$(pub "$o/bruant.example.org.crt")" != "$(pub "$o/dovecot-bruant.example.org.crt")" ] || fail "one key for both"
# deploy --from finds the dovecot files by their name
s=$(db "SELECT serial FROM certificates WHERE profile = 'dovecot' AND status = 'valid'")
cat >>"$MINICA_HOME/minica.conf" <<EOF
[profile.dovecot]
reload = /bin/true
EOF
expect 0 mc deploy "$s" --from "$o" --root "$ROOT"

# ---- --force supersedes the current certificate of the same profile and names
old=$(db "SELECT serial FROM certificates WHERE profile = 'smtpd' AND status = 'valid'")
expect 0 mc issue smtpd --cn bruant.example.org --force --out "$T/o2" --passphrase-file "$PASS"
new=$(sed -n 's/^issued smtpd certificate \([0-9a-f]*\),.*/\1/p' "$T/out")
[ "$(db "SELECT status FROM certificates WHERE serial = '$old'")" = superseded ] || fail "--force did not supersede"
[ "$(db "SELECT count(*) FROM certificates WHERE profile = 'smtpd' AND status = 'valid'")" = 1 ] || fail "two current smtpd certificates"
expect 0 mc show "$old"
contains "$T/out" "superseded"
[ "$(db "SELECT count(*) FROM audit WHERE action = 'supersede' AND serial = '$old'")" = 1 ] || fail "no supersede audit event"
expect 0 mc crl --out "$T/crl.pem" --passphrase-file "$PASS"
openssl crl -in "$T/crl.pem" -noout -text | grep -qi "$old" && fail "a superseded certificate is in the CRL"
[ -n "$new" ] || fail "no new serial"
