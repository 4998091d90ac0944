#!/bin/sh
# minica init: the root (and its issuing intermediate, which
# t_intermediate covers), checked with openssl rather than minica itself.
. "$(dirname "$0")/lib.sh"

expect 0 mc init --domain Example.ORG. --domain example.net --name "Example Private CA" --passphrase-file "$PASS" \
	--root-passphrase-file "$ROOTPASS"
contains "$T/out" "SHA-256 fingerprint"
crt="$MINICA_HOME/ca.crt"
key="$MINICA_HOME/private/ca.key"

# Files and modes.
[ "$(mode_of "$MINICA_HOME")" = 700 ] || fail "home mode $(mode_of "$MINICA_HOME")"
[ "$(mode_of "$MINICA_HOME/private")" = 700 ] || fail "private/ mode"
[ "$(mode_of "$key")" = 600 ] || fail "key mode $(mode_of "$key")"
[ "$(mode_of "$crt")" = 644 ] || fail "ca.crt mode $(mode_of "$crt")"
[ -f "$MINICA_HOME/minica.conf" ] || fail "no minica.conf"

# A self-signed CA that strict openssl accepts.
openssl verify -x509_strict -CAfile "$crt" "$crt" >"$T/v" 2>&1 || { cat "$T/v"; fail "openssl verify"; }
openssl x509 -in "$crt" -noout -text > "$T/text"
contains "$T/text" "Public-Key: (4096 bit)"
contains "$T/text" "Signature Algorithm: sha256WithRSAEncryption"
contains "$T/text" "Subject: O = Example Private CA, CN = Example Private CA"
grep -A1 "X509v3 Basic Constraints: critical" "$T/text" | grep -q "CA:TRUE, pathlen:2" || fail "basicConstraints"
grep -A1 "X509v3 Key Usage: critical" "$T/text" | grep -q "^ *Certificate Sign, CRL Sign$" || fail "keyUsage"
contains "$T/text" "X509v3 Subject Key Identifier"
contains "$T/text" "X509v3 Name Constraints: critical"
contains "$T/text" "DNS:example.org"
contains "$T/text" "DNS:example.net"
contains "$T/text" "email:.example.org"
contains "$T/text" "IP:0.0.0.0/0.0.0.0"
contains "$T/text" "IP:0:0:0:0:0:0:0:0/0:0:0:0:0:0:0:0"
# Normalised: the upper-case, trailing-dot form never reaches the cert.
lacks "$T/text" "Example.ORG"
# Serial: positive, at most 159 bits (40 hex digits, top one below 8).
serial=$(openssl x509 -in "$crt" -noout -serial | cut -d= -f2)
[ ${#serial} -le 40 ] || fail "serial too long: $serial"
[ ${#serial} -lt 40 ] || case $serial in [0-7]*) ;; *) fail "serial not 159-bit: $serial";; esac
# Validity: 3650 days.
end=$(date -d "$(openssl x509 -in "$crt" -noout -enddate | cut -d= -f2)" +%s)
days=$(( (end - $(date +%s)) / 86400 ))
[ "$days" -ge 3648 ] && [ "$days" -le 3650 ] || fail "root lifetime $days days"

# The key: encrypted PKCS#8 with scrypt and AES-256, readable by openssl
# with the passphrase and not without.
head -1 "$key" | grep -q "BEGIN ENCRYPTED PRIVATE KEY" || fail "key is not encrypted PKCS#8"
openssl asn1parse -in "$key" > "$T/asn1"
contains "$T/asn1" ":scrypt"
contains "$T/asn1" ":aes-256-cbc"
# scrypt N = 16384 (0x4000), r = 8, p = 5, in that order.
grep -A3 ":scrypt" "$T/asn1" | grep -q "INTEGER *:4000" || fail "scrypt N"
grep -A4 ":scrypt" "$T/asn1" | grep -q "INTEGER *:08" || fail "scrypt r"
grep -A5 ":scrypt" "$T/asn1" | grep -q "INTEGER *:05" || fail "scrypt p"
# The root key has the root's passphrase, not the intermediate's.
openssl pkey -in "$key" -passin "file:$ROOTPASS" -noout || fail "openssl pkey cannot read the key"
if openssl pkey -in "$key" -passin "file:$PASS" -noout 2>/dev/null; then fail "root key opens with the intermediate's passphrase"; fi
openssl pkey -in "$MINICA_HOME/private/intermediate.key" -passin "file:$PASS" -noout || fail "intermediate key"
if openssl pkey -in "$key" -passin pass:wrong -noout 2>/dev/null; then fail "wrong passphrase accepted"; fi
if openssl pkey -in "$key" -passin pass: -noout 2>/dev/null; then fail "empty passphrase accepted"; fi
openssl pkey -in "$key" -passin "file:$ROOTPASS" -pubout > "$T/pub1"
openssl x509 -in "$crt" -noout -pubkey > "$T/pub2"
cmp -s "$T/pub1" "$T/pub2" || fail "key does not match ca.crt"

# show ca, text and JSON, against openssl's fingerprint.
fpr=$(openssl x509 -in "$crt" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr 'A-F' 'a-f')
expect 0 mc show ca
contains "$T/out" "$(printf '%s' "$fpr" | tr 'a-f' 'A-F' | sed 's/..../& /g; s/ $//')"
contains "$T/out" "DNS:example.org"
expect 0 mc show ca --json --pem
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["fingerprint_sha256"] == sys.argv[2], d
assert d["key_type"] == "rsa4096"
assert "BEGIN CERTIFICATE" in d["pem"]
assert d["not_after"].endswith("Z")
assert d["root_key"] == "here"
assert d["intermediate"]["key_type"] == "ec256" and d["intermediate"]["days_left"] >= 1823, d["intermediate"]
' "$T/out" "$fpr" || fail "show ca --json"

# The store recorded it, with an audit event.
[ "$(db_count ca)" = 2 ] || fail "ca rows"
[ "$(sqlite3 "$MINICA_HOME/minica.db" "SELECT group_concat(action) FROM audit")" = init,intermediate-new ] || fail "audit"
[ "$(sqlite3 "$MINICA_HOME/minica.db" "PRAGMA journal_mode")" = wal ] || fail "not WAL"

# A second init is refused and changes nothing.
sum=$(cat "$crt" "$key" "$MINICA_HOME/minica.db" | sha256sum)
expect 1 mc init --domain example.org --passphrase-file "$PASS"
contains "$T/err" "a CA already exists"
one_line "$T/err"
[ "$(cat "$crt" "$key" "$MINICA_HOME/minica.db" | sha256sum)" = "$sum" ] || fail "second init changed files"

# --no-intermediate: root only, as before, one passphrase.
expect 0 mc --home "$T/solo" init --domain example.org --no-intermediate --passphrase-file "$PASS"
[ ! -e "$T/solo/intermediate.crt" ] && [ ! -e "$T/solo/private/intermediate.key" ] || fail "--no-intermediate made one"
openssl pkey -in "$T/solo/private/ca.key" -passin "file:$PASS" -noout || fail "root-only key passphrase"
[ "$(sqlite3 "$T/solo/minica.db" "SELECT count(*) FROM ca")" = 1 ] || fail "root-only ca rows"
expect 0 mc --home "$T/solo" issue nginx --cn www.example.org --passphrase-file "$PASS" --out "$T/solo-o"
[ "$(grep -c BEGIN "$T/solo-o/www.example.org.crt")" = 1 ] || fail "root-only NAME.crt is not the leaf alone"
verify_chain "$T/solo/ca.crt" "$T/solo-o/www.example.org-fullchain.crt"
expect 1 mc --home "$T/solo" root offline --to "$T"
contains "$T/err" "add an intermediate first"
# ... and later an intermediate (the root's passphrase is the old CA
# passphrase; the new one must differ): old leaves keep verifying.
printf 'the new intermediate passphrase\n' > "$T/ipass"
expect 1 mc --home "$T/solo" intermediate new --root-passphrase-file "$PASS" --passphrase-file "$PASS"
contains "$T/err" "must differ"
expect 0 mc --home "$T/solo" intermediate new --key ec384 --root-passphrase-file "$PASS" --passphrase-file "$T/ipass"
openssl x509 -in "$T/solo/intermediate.crt" -noout -text | grep -q "ASN1 OID: secp384r1" || fail "ec384 intermediate"
expect 1 mc --home "$T/solo" intermediate new --root-passphrase-file "$PASS" --passphrase-file "$T/ipass"
contains "$T/err" "intermediate rotate"
expect 0 mc --home "$T/solo" issue nginx --cn new.example.org --passphrase-file "$T/ipass" --out "$T/solo-o"
verify_chain "$T/solo/ca.crt" "$T/solo-o/new.example.org.crt"
verify_chain "$T/solo/ca.crt" "$T/solo-o/www.example.org-fullchain.crt"
