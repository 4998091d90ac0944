#!/bin/sh
# The two-level CA: init's intermediate, chains that five independent
# verifiers accept (and a forged leaf they refuse), the root key offline
# (issuing goes on, root operations fail with one line), back byte for
# byte, intermediate rotate, revoking an intermediate, the root's CRL.
. "$(dirname "$0")/lib.sh"

new_ca
H=$MINICA_HOME
[ -f "$H/intermediate.crt" ] && [ -f "$H/private/intermediate.key" ] || fail "init made no intermediate"
[ "$(mode_of "$H/private/intermediate.key")" = 600 ] || fail "intermediate key mode"
openssl x509 -in "$H/intermediate.crt" -noout -text > "$T/inter.txt"
contains "$T/inter.txt" "CA:TRUE, pathlen:0"
contains "$T/inter.txt" "X509v3 Name Constraints: critical"
contains "$T/inter.txt" "TLS Web Server Authentication, TLS Web Client Authentication"
contains "$T/inter.txt" "ASN1 OID: prime256v1"
openssl verify -x509_strict -CAfile "$H/ca.crt" "$H/intermediate.crt" >/dev/null || fail "intermediate vs root"
# The key is PKCS#8 + scrypt like the root's.
openssl asn1parse -in "$H/private/intermediate.key" > "$T/asn1"
contains "$T/asn1" ":scrypt"

# A leaf: both files hold the leaf then the intermediate.
expect 0 mc issue nginx --cn www.example.org --passphrase-file "$PASS" --out "$T/o"
[ "$(grep -c BEGIN "$T/o/www.example.org.crt")" = 2 ] || fail "NAME.crt is not leaf + intermediate"
[ "$(grep -c BEGIN "$T/o/www.example.org-fullchain.crt")" = 2 ] || fail "fullchain is not leaf + intermediate"
verify_chain "$H/ca.crt" "$T/o/www.example.org.crt"
verify_chain "$H/ca.crt" "$T/o/www.example.org-fullchain.crt"
expect 0 mc issue client --cn alice@example.org --passphrase-file "$PASS" --out "$T/o"
verify_chain "$H/ca.crt" "$T/o/alice@example.org.crt" --client

# A leaf forged with the intermediate's own key for a name outside the
# constraints: every verifier refuses it.
openssl pkey -in "$H/private/intermediate.key" -passin "file:$PASS" -out "$T/ikey.pem"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/evil.key" \
	-subj /CN=www.evil.com -out "$T/evil.csr" 2>/dev/null
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:www.evil.com\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > "$T/evil.ext"
openssl x509 -req -in "$T/evil.csr" -CA "$H/intermediate.crt" -CAkey "$T/ikey.pem" -set_serial 7 \
	-days 30 -extfile "$T/evil.ext" -out "$T/evil.crt" 2>/dev/null
cat "$T/evil.crt" "$H/intermediate.crt" > "$T/evil-chain.crt"
verify_chain "$H/ca.crt" "$T/evil-chain.crt" --bad
rm -f "$T/ikey.pem"

# The trust kit carries the root only.
expect 0 mc bundle --out "$T/kit"
[ "$(grep -c BEGIN "$T/kit/minica-ca.crt")" = 1 ] || fail "bundle holds more than the root"
cmp -s "$T/kit/minica-ca.crt" "$H/ca.crt" || [ "$(openssl x509 -in "$T/kit/minica-ca.crt" -noout -fingerprint -sha256)" = \
	"$(openssl x509 -in "$H/ca.crt" -noout -fingerprint -sha256)" ] || fail "bundle is not the root"

# Root offline: issue, renew, crl and batch go on.
mkdir "$T/usb"
cp "$H/private/ca.key" "$T/root.key.orig"
expect 0 mc root offline --to "$T/usb"
[ ! -e "$H/private/ca.key" ] || fail "root key still in the home"
KEY=$(ls "$T/usb"/minica-root-*.key)
cmp -s "$KEY" "$T/root.key.orig" || fail "offline copy differs"
expect 0 mc issue smtpd --cn mail.example.org --passphrase-file "$PASS" --out "$T/o"
verify_chain "$H/ca.crt" "$T/o/mail.example.org.crt"
expect 0 mc renew --force --passphrase-file "$PASS" --out "$T/o"
expect 0 mc crl --passphrase-file "$PASS"
openssl crl -in "$H/crl.pem" -noout -issuer > "$T/crlissuer"
contains "$T/crlissuer" "issuing"
printf 'nginx a.example.org\nnginx b.example.org\n' > "$T/batch"
expect 0 mc issue --batch "$T/batch" --passphrase-file "$PASS" --out "$T/b"
verify_chain "$H/ca.crt" "$T/b/a.example.org.crt"
expect 0 mc check
contains "$T/out" "info: root key offline"
# ... and root operations fail with one line naming the way back.
for op in "intermediate rotate" "crl --root"; do
	# shellcheck disable=SC2086 # op is two words
	expect 1 mc $op --passphrase-file "$PASS" --root-passphrase-file "$ROOTPASS"
	one_line "$T/err"
	contains "$T/err" "minica root online --from DIR"
done
ISERIAL=$(openssl x509 -in "$H/intermediate.crt" -noout -serial | cut -d= -f2)
expect 1 mc revoke "$ISERIAL" --root-passphrase-file "$ROOTPASS"
one_line "$T/err"
contains "$T/err" "root key is offline"

# Back, byte for byte; a different file is refused.
cp "$KEY" "$T/tampered.key"
echo >> "$T/tampered.key"
expect 1 mc root online --from "$T/tampered.key"
contains "$T/err" "is not the root key that went offline"
[ ! -e "$H/private/ca.key" ] || fail "a tampered key came back"
expect 0 mc root online --from "$T/usb"
cmp -s "$H/private/ca.key" "$T/root.key.orig" || fail "root key not restored byte for byte"
[ "$(mode_of "$H/private/ca.key")" = 600 ] || fail "restored root key mode"

# Rotate (the root key given as the offline copy works too): the old
# chain keeps verifying, new leaves come from the new intermediate.
cp "$T/o/www.example.org.crt" "$T/old-chain.crt"
expect 1 mc intermediate rotate --passphrase-file "$ROOTPASS" --root-passphrase-file "$ROOTPASS"
one_line "$T/err"
expect 0 mc intermediate rotate --passphrase-file "$PASS" --root-passphrase-file "$ROOTPASS"
contains "$T/out" "is retired"
NSERIAL=$(openssl x509 -in "$H/intermediate.crt" -noout -serial | cut -d= -f2)
[ "$NSERIAL" != "$ISERIAL" ] || fail "rotate kept the intermediate"
expect 0 mc issue nginx --cn new.example.org --passphrase-file "$PASS" --out "$T/o"
verify_chain "$H/ca.crt" "$T/o/new.example.org.crt"
verify_chain "$H/ca.crt" "$T/old-chain.crt"
# A leaf of the retired intermediate deployed now carries its own issuer.
WSERIAL=$(openssl x509 -in "$T/o/www.example.org.crt" -noout -serial | cut -d= -f2 | tr A-F a-f)
expect 0 mc deploy "$WSERIAL" --key "$T/o/www.example.org.key" --root "$ROOT" --no-reload
awk '/BEGIN/{n++} n==2' "$ROOT/etc/ssl/certs/nginx.crt" > "$T/dep2.pem"
[ "$(openssl x509 -in "$T/dep2.pem" -noout -serial | cut -d= -f2)" = "$ISERIAL" ] ||
	fail "the deployed old leaf is not followed by its own intermediate"
verify_chain "$H/ca.crt" "$ROOT/etc/ssl/certs/nginx.crt"
[ "$(sqlite3 "$H/minica.db" "SELECT status FROM ca WHERE role = 'intermediate' ORDER BY id")" = "retired
current" ] || fail "intermediate rows"

# Revoking the old intermediate is a root operation; the root's CRL
# lists it and the old chain fails CRL checking.
expect 0 mc revoke "$ISERIAL" --reason keyCompromise --root-passphrase-file "$ROOTPASS"
expect 0 mc crl --root --root-passphrase-file "$ROOTPASS"
openssl crl -in "$H/root-crl.pem" -noout -text > "$T/rootcrl"
contains "$T/rootcrl" "$(echo "$ISERIAL" | tr a-f A-F)"
openssl verify -crl_check -CAfile "$H/ca.crt" -CRLfile "$H/root-crl.pem" "$H/intermediate.crt" >/dev/null ||
	fail "the current intermediate fails the root's CRL"
old_inter="$T/oldinter.pem"
sed -n '/BEGIN/,$p' "$T/old-chain.crt" | awk 'n == 1 { print } /END CERTIFICATE/ { n++ }' > "$old_inter"
if openssl verify -crl_check -CAfile "$H/ca.crt" -CRLfile "$H/root-crl.pem" "$old_inter" >/dev/null 2>&1; then
	fail "the revoked intermediate passes the root's CRL"
fi
expect 0 mc check

# The same passphrase for root and intermediate is refused, nothing left.
expect 1 mc --home "$T/same" init --domain example.org --passphrase-file "$PASS" --root-passphrase-file "$PASS"
one_line "$T/err"
contains "$T/err" "different passphrases"
[ ! -e "$T/same/minica.db" ] || fail "a refused init left a database"
