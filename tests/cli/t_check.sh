#!/bin/sh
# minica check: every state and exit code, with time travel by faketime.
. "$(dirname "$0")/lib.sh"
new_ca
export MINICA_PASSPHRASE="correct horse battery staple"
cd "$T"

# No certificates yet: OK.
expect 0 mc check
contains "$T/out" "MINICA OK - 0 certificates"
expect 0 mc check --quiet
[ ! -s "$T/out" ] || fail "--quiet printed something when OK"

expect 0 mc issue nginx --cn www.example.org --out "$T/o"
expect 0 mc issue smtpd --cn mail.example.org --days 100 --out "$T/o"
expect 0 mc check
head -1 "$T/out" | grep -Eq "^MINICA OK - 2 certificates, next expiry in (99|100) days \(smtpd mail.example.org\)$" ||
	fail "OK summary: $(head -1 "$T/out")"
expect 0 mc check --quiet
[ ! -s "$T/out" ] || fail "--quiet printed something when OK"

# Within the warning window: WARNING, one line per problem.
expect 1 mc check --days 120
contains "$T/out" "MINICA WARNING - 2 certificates, 1 problem"
contains "$T/out" "WARNING: smtpd mail.example.org"
grep -Eq "expires in (99|100) days" "$T/out" || fail "days in the warning"
[ "$(grep -vc '^info:' "$T/out")" -eq 2 ] || fail "one line per problem"
# Where the root key is: information, not a problem.
contains "$T/out" "info: root key in the CA home"
expect 1 mc check --days 120 --quiet
contains "$T/out" "MINICA WARNING"
expect 1 faketime -f '+80d' "$MINICA_BIN" check
grep -Eq "expires in (19|20) days" "$T/out" || fail "days after 80"
# Past two thirds of its life with more than 30 days left: renew would
# renew it, so check warns (one rule for both, issue 12).
expect 1 faketime -f '+68d' "$MINICA_BIN" check
contains "$T/out" "WARNING: smtpd mail.example.org"
contains "$T/out" "due for renewal"
lacks "$T/out" "nginx"
expect 0 faketime -f '+68d' "$MINICA_BIN" renew --dry-run
contains "$T/out" "would renew smtpd mail.example.org"
lacks "$T/out" "nginx"

# Expired: CRITICAL.
expect 2 faketime -f '+120d' "$MINICA_BIN" check --json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "CRITICAL" and d["code"] == 2 and d["certificates"] == 2, d
p = {x["what"]: x for x in d["problems"]}
assert p["smtpd mail.example.org"]["severity"] == "CRITICAL" and "expired" in p["smtpd mail.example.org"]["message"]
assert d["summary"].startswith("MINICA CRITICAL - 2 certificates")
' "$T/out" || fail "check --json CRITICAL"

# The root within a year of its end: WARNING even with nothing else due,
# naming the command.
expect 0 mc --home "$T/h2" init --domain example.org --days 400 --passphrase-file "$PASS" \
	--root-passphrase-file "$ROOTPASS"
expect 0 mc --home "$T/h2" check
expect 1 faketime -f '+40d' "$MINICA_BIN" --home "$T/h2" check
contains "$T/out" "WARNING: root"
contains "$T/out" "the root expires in"
contains "$T/out" "run 'minica root rotate'"

# Revoked and superseded certificates are not current: not reported.
serial=$(openssl x509 -in "$T/o/mail.example.org.crt" -noout -serial | cut -d= -f2)
expect 0 mc revoke "$serial"
expect 0 faketime -f '+120d' "$MINICA_BIN" check --days 1
contains "$T/out" "MINICA OK - 1 certificate"

# UNKNOWN: an unreadable store.
head -c 8192 /dev/urandom > "$MINICA_HOME/minica.db"
rm -f "$MINICA_HOME/minica.db-wal" "$MINICA_HOME/minica.db-shm"
expect 3 mc check
contains "$T/out" "MINICA UNKNOWN"
expect 3 mc --home "$T/nothing" check --quiet
contains "$T/out" "MINICA UNKNOWN"
expect 64 mc check --bogus
