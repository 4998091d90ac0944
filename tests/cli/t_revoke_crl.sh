#!/bin/sh
# revoke + crl, checked with openssl crl -verify and verify -crl_check; log.
. "$(dirname "$0")/lib.sh"
new_ca
export MINICA_PASSPHRASE="correct horse battery staple"
ca="$MINICA_HOME/ca.crt"
# Leaves' CRLs are the issuing intermediate's.
inter="$MINICA_HOME/intermediate.crt"
cd "$T"

expect 0 mc issue nginx --cn bad.example.org --out "$T/o"
expect 0 mc issue nginx --cn good.example.org --out "$T/o"
bad=$(openssl x509 -in "$T/o/bad.example.org.crt" -noout -serial | cut -d= -f2)

# An empty CRL first: valid, number 1.
expect 0 mc crl --out "$T/crl0.pem"
openssl crl -in "$T/crl0.pem" -noout -CAfile "$inter" -verify >"$T/v" 2>&1 || { cat "$T/v"; fail "crl0 verify"; }
openssl crl -in "$T/crl0.pem" -noout -text > "$T/text"
contains "$T/text" "X509v3 CRL Number:"
grep -A1 "X509v3 CRL Number" "$T/text" | grep -q "^ *1$" || fail "CRL number 1"
contains "$T/text" "No Revoked Certificates"
contains "$T/text" "Version 2"

expect 64 mc revoke "$bad" --reason stolen
contains "$T/err" "unknown reason 'stolen'"
expect 1 mc revoke 0123
contains "$T/err" "no certificate"
expect 0 mc revoke "$(echo "$bad" | tr A-F a-f)" --reason keyCompromise
contains "$T/out" "revoked"
expect 1 mc revoke "$bad"
contains "$T/err" "already revoked"
one_line "$T/err"

expect 0 mc crl --out "$T/crl.pem" --days 7
openssl crl -in "$T/crl.pem" -noout -CAfile "$inter" -verify >"$T/v" 2>&1 || { cat "$T/v"; fail "crl verify"; }
openssl crl -in "$T/crl.pem" -noout -text > "$T/text"
grep -A1 "X509v3 CRL Number" "$T/text" | grep -q "^ *2$" || fail "CRL number 2"
contains "$T/text" "Serial Number: $bad"
contains "$T/text" "Key Compromise"
contains "$T/text" "X509v3 Authority Key Identifier"
# nextUpdate 7 days out.
next=$(date -d "$(openssl crl -in "$T/crl.pem" -noout -nextupdate | cut -d= -f2)" +%s)
[ $(( (next - $(date +%s)) / 86400 )) -eq 6 ] || [ $(( (next - $(date +%s)) / 86400 )) -eq 7 ] || fail "nextUpdate"
# The revoked leaf is rejected, the other accepted.
if openssl verify -crl_check -CRLfile "$T/crl.pem" -CAfile "$ca" -untrusted "$inter" "$T/o/bad.example.org.crt" >"$T/v" 2>&1; then
	fail "revoked certificate accepted"
fi
contains "$T/v" "certificate revoked"
openssl verify -crl_check -CRLfile "$T/crl.pem" -CAfile "$ca" -untrusted "$inter" "$T/o/good.example.org.crt" >/dev/null || fail "good cert rejected"
# GnuTLS agrees.
certtool --verify-crl --load-ca-certificate "$inter" --infile "$T/crl.pem" >/dev/null 2>&1 || fail "certtool --verify-crl"

# Default output in the home; the wrong passphrase writes nothing.
expect 0 mc crl
[ -f "$MINICA_HOME/crl.pem" ] || fail "default CRL path"
MINICA_PASSPHRASE=wrong expect 1 mc crl --out "$T/crl-wrong.pem"
contains "$T/err" "wrong passphrase"
[ ! -e "$T/crl-wrong.pem" ] || fail "CRL written with a wrong passphrase"
[ "$(sqlite3 "$MINICA_HOME/minica.db" "SELECT crl_number FROM ca WHERE role = 'intermediate'")" = 3 ] || fail "CRL number consumed by a failed run"

# list shows it revoked (with --all), show gives reason and time.
expect 0 mc list
lacks "$T/out" "bad.example.org"
expect 0 mc list --all --json
python3 -c '
import json, sys
d = {c["cn"]: c for c in json.load(open(sys.argv[1]))}
assert d["bad.example.org"]["status"] == "revoked" and d["bad.example.org"]["revocation_reason"] == "keyCompromise"
assert d["good.example.org"]["status"] == "valid"
' "$T/out" || fail "list --all after revoke"

# The audit trail, text and JSON, and --since.
expect 0 mc log
contains "$T/out" "revoke"
contains "$T/out" "crl"
contains "$T/out" "init"
expect 0 mc log --json
python3 -c '
import json, sys
ev = json.load(open(sys.argv[1]))
acts = [e["action"] for e in ev]
assert acts[0] == "init" and acts.count("issue") == 2 and "revoke" in acts and acts.count("crl") == 3, acts
assert all(e["time"].endswith("Z") and e["user"] for e in ev)
' "$T/out" || fail "log --json"
expect 0 mc log --since 2999-01-01 --json
[ "$(tr -d '[:space:]' < "$T/out")" = "[]" ] || fail "log --since future"
expect 64 mc log --since yesterday
contains "$T/err" "YYYY-MM-DD"
