#!/bin/sh
# minica dane: TLSA records for the deployed smtpd certificate, checked
# against the openssl command line; --json; --next stages one key (0600,
# encrypted with the CA passphrase) and prints its record; refusals.
. "$(dirname "$0")/lib.sh"
new_ca
spki() { openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1; }
mkdir "$T/w" && cd "$T/w"

# Nothing deployed yet: one clear line.
expect 1 mc dane
one_line "$T/err"
contains "$T/err" "no smtpd certificate is deployed"
contains "$T/err" "minica deploy smtpd"

expect 0 mc issue smtpd --cn mail.example.org --san mx2.example.org --deploy --root "$ROOT" \
	--no-reload --passphrase-file "$PASS"
crt=$ROOT/etc/ssl/certs/smtpd.crt
ta=$(spki "$MINICA_HOME/ca.crt")
ee=$(spki "$crt")
expect 0 mc dane
contains "$T/out" "_25._tcp.mail.example.org. IN TLSA 2 1 1 $ta"
contains "$T/out" "_25._tcp.mail.example.org. IN TLSA 3 1 1 $ee"
contains "$T/out" "_25._tcp.mx2.example.org. IN TLSA 2 1 1 $ta"
contains "$T/out" "_25._tcp.mx2.example.org. IN TLSA 3 1 1 $ee"
contains "$T/out" "stays valid across every renewal"
# Every line is a comment or a record a zone file takes.
if grep -v '^;' "$T/out" | grep -vqE '^_25\._tcp\.[a-z0-9.-]+\. IN TLSA [23] 1 1 [0-9a-f]{64}$'; then
	cat "$T/out"; fail "a line that is not a zone record"
fi
# The deployed file carries the intermediate, then the root last, as a
# 2 1 1 record needs (issue 17 with issue 15's two levels).
[ "$(spki "$crt")" = "$ee" ] || fail "leaf"
[ "$(grep -c 'BEGIN CERTIFICATE' "$crt")" -eq 3 ] || fail "the deployed file is not leaf + intermediate + root"
awk '/BEGIN/{n++} n==2' "$crt" >"$T/mid.pem"
[ "$(spki "$T/mid.pem")" = "$(spki "$MINICA_HOME/intermediate.crt")" ] || fail "the intermediate is not second"
awk '/BEGIN/{n++} n==3' "$crt" >"$T/last.pem"
[ "$(spki "$T/last.pem")" = "$ta" ] || fail "the deployed file does not end with the root"

expect 0 mc dane smtpd --port 2525 --json
python3 - "$T/out" "$ta" "$ee" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
assert len(v) == 4, v
for r in v:
    assert set(r) >= {"name", "port", "usage", "selector", "mtype", "data", "rr"}, r
    assert r["port"] == 2525 and r["selector"] == 1 and r["mtype"] == 1, r
    assert r["data"] == (sys.argv[2] if r["usage"] == 2 else sys.argv[3]), r
    assert r["rr"] == "_2525._tcp.%s. IN TLSA %d 1 1 %s" % (r["name"], r["usage"], r["data"]), r
assert {r["name"] for r in v} == {"mail.example.org", "mx2.example.org"}
PY

# --next: the CA passphrase, checked; a wrong one makes nothing.
printf 'wrong passphrase here\n' >"$T/wrong"
expect 1 mc dane --next --passphrase-file "$T/wrong"
one_line "$T/err"
[ ! -e "$MINICA_HOME/private/dane-next" ] || [ -z "$(ls -A "$MINICA_HOME/private/dane-next")" ] ||
	fail "a wrong passphrase staged a key"
expect 0 mc dane --next --passphrase-file "$PASS"
contains "$T/out" "the next key (made now)"
serial=$(sqlite3 "$MINICA_HOME/minica.db" "SELECT serial FROM certificates WHERE profile='smtpd'")
nk=$MINICA_HOME/private/dane-next/$serial.key
[ -f "$nk" ] || fail "no staged key at $nk"
[ "$(mode_of "$nk")" = 600 ] || fail "staged key mode $(mode_of "$nk")"
head -1 "$nk" | grep -q "ENCRYPTED PRIVATE KEY" || fail "staged key not encrypted"
next=$(openssl pkey -in "$nk" -passin file:"$PASS" -pubout -outform DER | sha256sum | cut -d' ' -f1)
[ "$next" != "$ee" ] || fail "the next key is the current one"
contains "$T/out" "_25._tcp.mail.example.org. IN TLSA 3 1 1 $next"
contains "$T/out" "_25._tcp.mx2.example.org. IN TLSA 3 1 1 $next"
# Again: the same key (it may be published already), without the passphrase.
expect 0 mc dane
contains "$T/out" "the next key (staged before)"
contains "$T/out" "_25._tcp.mail.example.org. IN TLSA 3 1 1 $next"
expect 0 mc dane --next --passphrase-file "$PASS"
contains "$T/out" "IN TLSA 3 1 1 $next"
[ "$(ls "$MINICA_HOME/private/dane-next" | wc -l)" -eq 2 ] || fail "a second key was staged"
mc log >"$T/log"
contains "$T/log" "dane-next"

# Refusals: a profile without DANE, an unknown profile, a bad port, a root
# with no deployment.
expect 1 mc dane nginx
one_line "$T/err"
contains "$T/err" "dane = yes"
expect 1 mc dane nosuch
contains "$T/err" "unknown profile"
expect 64 mc dane --port 70000
expect 64 mc dane smtpd extra
mkdir "$T/other"
expect 1 mc dane --root "$T/other"
contains "$T/err" "no smtpd certificate is deployed under $T/other"

# snippet postfix suggests outbound DANE, commented out.
expect 0 mc snippet postfix --root "$ROOT"
contains "$T/out" "#smtp_dns_support_level = dnssec"
contains "$T/out" "#smtp_tls_security_level = dane"
if grep -q '^smtp_' "$T/out"; then fail "snippet sets the outbound side instead of suggesting it"; fi

# check --dane with a trust anchor that does not exist: UNKNOWN, naming it.
printf '[minica]\ndnssec_trust_anchor = %s/none.key\n' "$T" >>"$MINICA_HOME/minica.conf"
expect 3 mc check --dane --root "$ROOT"
contains "$T/out" "cannot read the DNSSEC trust anchor '$T/none.key'"
# Bad [minica] values are refused with the key named.
cp "$MINICA_HOME/minica.conf" "$T/conf.bak"
printf 'resolver = mail.example.org\n' >>"$MINICA_HOME/minica.conf"
expect 1 mc dane
contains "$T/err" "resolver = mail.example.org"
contains "$T/err" "IP address"
cp "$T/conf.bak" "$MINICA_HOME/minica.conf"
printf '[profile.smtpd]\ndane_port = 0\n' >>"$MINICA_HOME/minica.conf"
expect 1 mc dane
contains "$T/err" "dane_port"
