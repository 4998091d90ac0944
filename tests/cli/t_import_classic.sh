#!/bin/sh
# import: a CA made exactly the classic way (the VPS guide's commands:
# genpkey -des3, req -x509, gencert.sh's genrsa / req -new / x509 -req
# -CAcreateserial), adopted with its certificates.
. "$(dirname "$0")/lib.sh"
unset MINICA_OLD_PASSPHRASE 2>/dev/null || true

OLD="$T/oldpass"
printf 'old hand-made secret\n' > "$OLD"
chmod 600 "$OLD"
C="$T/classic"
mkdir "$C"
cd "$C"

# The root, as in the guide (with -pass/-passin/-subj so no terminal).
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out cakey.pem -des3 -pass "file:$OLD" 2>/dev/null
chmod 600 cakey.pem
openssl req -x509 -new -key cakey.pem -passin "file:$OLD" -days 3650 -out cacert.pem \
    -subj "/C=FR/O=Example Home/CN=Example Home Root CA"
grep -q "BEGIN ENCRYPTED PRIVATE KEY" cakey.pem || fail "genpkey -des3 did not write PKCS#8"

# gencert.sh: no extensions file, so a v1 leaf with the name in the CN only.
gencert() {
	key=$1 cert=$2 cn=$3
	shift 3
	touch "$key"
	chmod 600 "$key"
	openssl genrsa 2048 > "$key" 2>/dev/null
	openssl req -new -key "$key" -out temp.csr -subj "/CN=$cn"
	openssl x509 -req -in temp.csr -CA cacert.pem -CAkey cakey.pem -passin "file:$OLD" -CAcreateserial \
	    -out "$cert" -days 3650 "$@" 2>/dev/null
	rm temp.csr
}
gencert mail.key mail.pem mail.example.org
openssl x509 -in mail.pem -noout -text | grep -q "Version: 1 (0x0)" || fail "gencert leaf is not v1"
openssl x509 -in mail.pem -noout -text | grep -q "X509v3" && fail "gencert leaf has extensions"
# Two later ones made with an extensions file: SANs, and a client.
printf 'subjectAltName=DNS:www.example.org,DNS:example.org,IP:192.0.2.7\nextendedKeyUsage=serverAuth\n' > web.ext
gencert web.key web.pem www.example.org -extfile web.ext
printf 'extendedKeyUsage=clientAuth\n' > client.ext
gencert laptop.key laptop.pem laptop.example.org -extfile client.ext
[ -s cacert.srl ] || fail "no serial file"

sha256sum cakey.pem cacert.pem mail.pem web.pem laptop.pem > "$T/before"
serial_of() { openssl x509 -in "$1" -noout -serial | sed 's/serial=//' | tr 'A-F' 'a-f'; }
MAIL=$(serial_of mail.pem)
WEB=$(serial_of web.pem)
LAPTOP=$(serial_of laptop.pem)

# The whole folder: cakey.pem and mail.key are passed over, cacert.pem is the root.
expect 0 mc import --ca-cert cacert.pem --ca-key cakey.pem --certs-dir "$C" \
    --old-passphrase-file "$OLD" --passphrase-file "$PASS"
contains "$T/out" "imported CA 'CN=Example Home Root CA,O=Example Home,C=FR'"
contains "$T/out" "certificates         3 (0 revoked)"
contains "$T/out" "example.org (from the certificates"
contains "$T/err" "minica: warning: no keyUsage:"
contains "$T/err" "minica: warning: no name constraints:"
contains "$T/err" "cakey.pem' holds no certificate; skipped"
contains "$T/err" "minica: warning: 1 imported server certificate(s) name the host only in the CN"
contains "$T/err" "minica: warning: 2 imported server certificate(s) are valid for more than 825 days"
lacks "$T/err" "RSA-"			# 4096 bits: nothing to say
lacks "$T/err" "basicConstraints"	# req -x509 makes it critical
# One line per warning, each one prefixed.
[ "$(grep -vc '^minica: warning: ' "$T/err")" -eq 0 ] || fail "stderr has unprefixed lines"

# The old files are byte-identical.
sha256sum -c --quiet "$T/before" || fail "old files changed"

# The key: new passphrase, scrypt, modes.
KEY="$MINICA_HOME/private/ca.key"
[ "$(mode_of "$KEY")" = 600 ] || fail "key mode $(mode_of "$KEY")"
[ "$(mode_of "$MINICA_HOME/private")" = 700 ] || fail "private/ mode"
openssl pkey -in "$KEY" -passin "file:$PASS" -noout || fail "new passphrase does not open the key"
if openssl pkey -in "$KEY" -passin "file:$OLD" -noout 2>/dev/null; then fail "old passphrase opens the new key"; fi
openssl asn1parse -in "$KEY" > "$T/asn1"
contains "$T/asn1" ":scrypt"
contains "$T/asn1" "aes-256-cbc"
# Same key, same root certificate.
[ "$(openssl pkey -in "$KEY" -passin "file:$PASS" -pubout | sha256sum)" = \
  "$(openssl x509 -in cacert.pem -noout -pubkey | sha256sum)" ] || fail "key changed"
cmp -s "$MINICA_HOME/ca.crt" cacert.pem || fail "ca.crt is not the old root"

# The store: real serials, tagged imported, names and profiles as renew needs.
expect 0 mc list
contains "$T/out" "$MAIL"
contains "$T/out" "$WEB"
contains "$T/out" "$LAPTOP"
expect 0 mc show "$MAIL" --json
contains "$T/out" "\"profile\":\"server\",\"cn\":\"mail.example.org\""
contains "$T/out" "\"sans\":[\"mail.example.org\"]"
contains "$T/out" "\"imported\":true"
contains "$T/out" "\"status\":\"valid\""
expect 0 mc show "$WEB"
contains "$T/out" "names                www.example.org, example.org, 192.0.2.7"
contains "$T/out" "imported             yes"
expect 0 mc show "$LAPTOP" --json
contains "$T/out" "\"profile\":\"client\""
[ "$(sqlite3 "$MINICA_HOME/minica.db" "SELECT not_after FROM certificates WHERE serial='$MAIL'")" = \
  "$(date -d "$(openssl x509 -in mail.pem -noout -enddate | sed 's/notAfter=//')" +%s)" ] || fail "not_after differs"
expect 0 mc show ca
contains "$T/out" "imported             yes"
[ "$(db_count "certificates WHERE imported = 1")" = 3 ] || fail "imported count"
sqlite3 "$MINICA_HOME/minica.db" "SELECT details FROM audit WHERE action = 'import'" > "$T/audit"
contains "$T/audit" "certificates=3 revoked=0"
contains "$MINICA_HOME/minica.conf" "# Domains this CA issues for: example.org"
grep -qx "domains = example.org" "$MINICA_HOME/minica.conf" || fail "no domains record in minica.conf"

# The root has no name constraints: issue keeps to the recorded domains, so
# a typo or someone else's name is refused unless --any-domain.
expect 1 mc issue server --cn www.google.com --out "$T/far" --passphrase-file "$PASS"
contains "$T/err" "'www.google.com' is outside the domains minica.conf records for this CA (example.org)"
contains "$T/err" "--any-domain"
one_line "$T/err"
expect 1 mc issue server --cn mail.example.ifno --out "$T/far" --passphrase-file "$PASS"
contains "$T/err" "'mail.example.ifno' is outside the domains"
expect 1 mc issue server --cn host.example.org --san www.exampel.org --out "$T/far" --passphrase-file "$PASS"
contains "$T/err" "'www.exampel.org' is outside the domains"
[ ! -e "$T/far" ] || fail "files written for a refused name"
expect 0 mc issue server --cn www.google.com --any-domain --out "$T/far" --passphrase-file "$PASS"
openssl verify -CAfile cacert.pem "$T/far/www.google.com.crt" >/dev/null || fail "--any-domain leaf"

# A minica leaf from the adopted root verifies against the unchanged old root.
expect 0 mc issue server --cn host.example.org --force --out "$T/out-leaf" --passphrase-file "$PASS"
openssl verify -CAfile cacert.pem "$T/out-leaf/host.example.org.crt" > "$T/verify"
contains "$T/verify" "OK"
openssl x509 -in "$T/out-leaf/host.example.org.crt" -noout -text > "$T/leaf"
contains "$T/leaf" "Version: 3"
contains "$T/leaf" "DNS:host.example.org"
contains "$T/leaf" "X509v3 Authority Key Identifier"
sha256sum -c --quiet "$T/before" || fail "old files changed after issue"

# A second import into the same home is refused and changes nothing.
cp "$MINICA_HOME/minica.db" "$T/db.before"
expect 1 mc import --ca-cert cacert.pem --ca-key cakey.pem --old-passphrase-file "$OLD" --passphrase-file "$PASS"
contains "$T/err" "a CA already exists"
one_line "$T/err"
cmp -s "$MINICA_HOME/minica.db" "$T/db.before" || fail "db changed by a refused import"

# renew reissues an imported certificate the minica way: v3, SAN, 825 days,
# from the same root; the imported row is superseded.
expect 0 mc renew "$MAIL" --force --out "$T/renewed" --passphrase-file "$PASS"
contains "$T/out" "renewed server mail.example.org: $MAIL ->"
openssl verify -CAfile cacert.pem "$T/renewed/mail.example.org.crt" > "$T/verify"
contains "$T/verify" "OK"
openssl x509 -in "$T/renewed/mail.example.org.crt" -noout -text > "$T/leaf"
contains "$T/leaf" "Version: 3"
contains "$T/leaf" "DNS:mail.example.org"
expect 0 mc show "$MAIL"
contains "$T/out" "status               superseded"
sha256sum -c --quiet "$T/before" || fail "old files changed after renew"

# check covers the imported certificates (ten-year leaves are not due), and
# deploy installs an imported certificate with the key gencert.sh made for
# it, into targets configured for the imported 'server' profile.
expect 0 mc check
contains "$T/out" "MINICA OK"
printf '[profile.server]\ncert_file = /etc/ssl/certs/www.pem\nkey_file = /etc/ssl/private/www.key\n' >> "$MINICA_HOME/minica.conf"
expect 0 mc deploy "$WEB" --key web.key --root "$ROOT" --no-reload --passphrase-file "$PASS"
openssl verify -CAfile cacert.pem "$ROOT/etc/ssl/certs/www.pem" >/dev/null || fail "deployed imported leaf does not verify against the old root"
[ "$(openssl x509 -in "$ROOT/etc/ssl/certs/www.pem" -noout -pubkey | sha256sum)" = "$(openssl pkey -in "$ROOT/etc/ssl/private/www.key" -pubout | sha256sum)" ] ||
	fail "deployed imported pair does not match"
expect 0 mc check --root "$ROOT"
contains "$T/out" "1 deployment"
expect 1 mc deploy "$WEB" --key mail.key --root "$ROOT" --no-reload
contains "$T/err" "is not the key of certificate"
