#!/bin/sh
# The CRL is watched: check warns within 7 days of nextUpdate and is
# CRITICAL past it; the cron line (check --quiet || renew) refreshes it.
# faketime moves the clock; openssl verify -crl_check is the verifier.
. "$(dirname "$0")/lib.sh"
command -v faketime >/dev/null || { echo "faketime not installed: skipped"; exit 0; }
new_ca
export MINICA_PASSPHRASE="correct horse battery staple"
ca="$MINICA_HOME/ca.crt"
mkdir "$T/pub"
cd "$T"

expect 0 mc issue nginx --cn www.example.org --out "$T/o"
# No CRL written yet: nothing to watch.
expect 0 mc check
lacks "$T/out" "crl"

# A relative --out is recorded absolute, so check finds it from anywhere.
(cd "$T/pub" && "$MINICA_BIN" crl --out ca.crl >/dev/null) || fail "crl --out ca.crl"
cd /
expect 0 mc check
lacks "$T/out" "crl"

# 25 days on (CRL of 30 days): WARNING, naming the file and the fix.
expect 1 faketime -f +25d "$MINICA_BIN" check
contains "$T/out" "WARNING: crl: the CRL at $T/pub/ca.crl expires at"
contains "$T/out" "run 'minica renew'"
# 31 days on: CRITICAL, and openssl agrees the CRL is no good.
expect 2 faketime -f +31d "$MINICA_BIN" check
contains "$T/out" "CRITICAL: crl: the CRL at $T/pub/ca.crl expired at"
if faketime -f +31d openssl verify -crl_check -CRLfile "$T/pub/ca.crl" -CAfile "$ca" -untrusted "$T/o/www.example.org.crt" "$T/o/www.example.org.crt" >"$T/v" 2>&1; then
	fail "openssl accepted an expired CRL"
fi
contains "$T/v" "CRL has expired"
expect 2 faketime -f +31d "$MINICA_BIN" check --json
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert any(p["what"] == "crl" and p["severity"] == "CRITICAL" for p in d["problems"]), d' "$T/out" ||
	fail "check --json lacks the CRL problem"

# The cron line: check fails, renew refreshes the CRL (nothing else due).
before=$(openssl crl -in "$T/pub/ca.crl" -noout -crlnumber)
expect 0 faketime -f +31d sh -c '"$MINICA_BIN" check --quiet >/dev/null || "$MINICA_BIN" renew'
contains "$T/out" "wrote CRL number"
contains "$T/out" "to $T/pub/ca.crl"
[ "$before" != "$(openssl crl -in "$T/pub/ca.crl" -noout -crlnumber)" ] || fail "CRL not refreshed"
faketime -f +31d openssl verify -crl_check -CRLfile "$T/pub/ca.crl" -CAfile "$ca" -untrusted "$T/o/www.example.org.crt" "$T/o/www.example.org.crt" >/dev/null ||
	fail "refreshed CRL not accepted"
expect 0 faketime -f +31d "$MINICA_BIN" check
lacks "$T/out" "crl"
# renew --dry-run says it would; a renew with nothing due leaves it.
expect 0 faketime -f +58d "$MINICA_BIN" renew --dry-run
contains "$T/out" "would refresh the CRL at $T/pub/ca.crl"
expect 0 mc renew
contains "$T/out" "nothing due"
lacks "$T/out" "CRL"

# A CRL file gone or replaced by someone else's is reported, not trusted.
rm "$T/pub/ca.crl"
expect 1 mc check
contains "$T/out" "WARNING: crl:"
contains "$T/out" "$T/pub/ca.crl"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/k" -subj /CN=other -out "$T/other.crt" 2>/dev/null
printf '[ca]\ndefault_ca=c\n[c]\ndatabase=%s/index\ndefault_md=sha256\ncrlnumber=%s/num\n' "$T" "$T" > "$T/o.cnf"
: > "$T/index"
echo 01 > "$T/num"
openssl ca -config "$T/o.cnf" -gencrl -keyfile "$T/k" -cert "$T/other.crt" -crldays 30 -out "$T/pub/ca.crl" 2>/dev/null ||
	fail "cannot make a foreign CRL"
expect 1 mc check
contains "$T/out" "is not a CRL signed by this CA (another key signed it)"

# [minica] crl_url: new certificates name where the CRL is published.
openssl x509 -in "$T/o/www.example.org.crt" -noout -text > "$T/text"
lacks "$T/text" "CRL Distribution Points"
printf '[minica]\ncrl_url = http://ca.example.org/minica.crl\n' >> "$MINICA_HOME/minica.conf"
expect 0 mc issue nginx --cn cdp.example.org --out "$T/o"
openssl x509 -in "$T/o/cdp.example.org.crt" -noout -text > "$T/text"
grep -A2 "X509v3 CRL Distribution Points" "$T/text" | grep -q "URI:http://ca.example.org/minica.crl" ||
	{ cat "$T/text"; fail "no CRL distribution point"; }
openssl verify -x509_strict -purpose sslserver -CAfile "$ca" -untrusted "$T/o/cdp.example.org.crt" "$T/o/cdp.example.org.crt" >/dev/null || fail "CDP leaf verify"
certtool --verify --load-ca-certificate "$ca" --infile "$T/o/cdp.example.org.crt" >/dev/null 2>&1 || fail "certtool CDP leaf"
printf 'crl_url = https://ca.example.org/minica.crl\n' >> "$MINICA_HOME/minica.conf"
expect 1 mc issue nginx --cn cdp2.example.org --out "$T/o"
contains "$T/err" "crl_url must be an http:// URL"
