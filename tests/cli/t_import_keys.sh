#!/bin/sh
# import: the key formats hand-made CAs come in, the ways to give the old
# passphrase, and a v1 root (no extensions, no SKI) that minica can still
# issue from.
. "$(dirname "$0")/lib.sh"
unset MINICA_OLD_PASSPHRASE 2>/dev/null || true

OLD="$T/oldpass"
printf 'old secret\n' > "$OLD"
chmod 600 "$OLD"
K="$T/k"
mkdir "$K"
cd "$K"

# One key in every form.
openssl genrsa -traditional -des3 -passout "file:$OLD" -out trad3des.key 2048 2>/dev/null
grep -q "DEK-Info: DES-EDE3-CBC" trad3des.key || fail "not a traditional 3DES key"
openssl rsa -in trad3des.key -passin "file:$OLD" -traditional -des -passout "pass:old secret" \
    -out traddes.key -provider legacy -provider default 2>/dev/null
grep -q "DEK-Info: DES-CBC" traddes.key || fail "not a traditional single-DES key"
openssl pkcs8 -topk8 -in trad3des.key -passin "file:$OLD" -v1 PBE-SHA1-3DES -passout "pass:old secret" -out pbe.key
openssl pkcs8 -topk8 -in trad3des.key -passin "file:$OLD" -v2 des3 -passout "pass:old secret" -out pbes2.key
openssl pkey -in trad3des.key -passin "file:$OLD" -out plain.key
openssl req -x509 -new -key trad3des.key -passin "file:$OLD" -days 3650 -out root.crt -subj "/CN=Keys Root"
sha256sum ./*.key root.crt > "$T/before"

fresh() { rm -rf "$MINICA_HOME"; }
opens() { openssl pkey -in "$MINICA_HOME/private/ca.key" -passin "file:$PASS" -noout || fail "$1: new key does not open"; }

for k in trad3des traddes pbe pbes2; do
	fresh
	expect 0 mc import --ca-cert root.crt --ca-key "$k.key" --old-passphrase-file "$OLD" --passphrase-file "$PASS"
	contains "$T/out" "imported CA 'CN=Keys Root'"
	opens "$k"
	# and the wrong passphrase is named as such for each form
	fresh
	printf 'nope\n' > "$T/wrong"
	expect 1 mc import --ca-cert root.crt --ca-key "$k.key" --old-passphrase-file "$T/wrong" --passphrase-file "$PASS"
	contains "$T/err" "wrong old passphrase"
	one_line "$T/err"
	[ ! -e "$MINICA_HOME" ] || fail "$k: home left after a wrong passphrase"
done

# An unencrypted key asks for no old passphrase at all (no terminal here).
fresh
expect 0 setsid -w "$MINICA_BIN" import --ca-cert root.crt --ca-key plain.key --passphrase-file "$PASS"
opens plain

# The old passphrase from the environment, and from a file descriptor.
fresh
expect 0 env MINICA_OLD_PASSPHRASE='old secret' "$MINICA_BIN" import --ca-cert root.crt --ca-key pbes2.key \
    --passphrase-file "$PASS"
opens env
fresh
expect 0 mc import --ca-cert root.crt --ca-key pbes2.key --old-passphrase-fd 3 --passphrase-file "$PASS" 3< "$OLD"
opens fd
# The new passphrase may be the old one.
fresh
expect 0 mc import --ca-cert root.crt --ca-key pbes2.key --old-passphrase-file "$OLD" --passphrase-file "$OLD"
openssl pkey -in "$MINICA_HOME/private/ca.key" -passin "file:$OLD" -noout || fail "same passphrase"
openssl asn1parse -in "$MINICA_HOME/private/ca.key" > "$T/asn1"
contains "$T/asn1" ":scrypt"

sha256sum -c --quiet "$T/before" || fail "old key files changed"

# A v1 root: no extensions, no SKI.  Imported with the warning, and a
# leaf from it verifies with OpenSSL and GnuTLS against the old root.
openssl req -new -key plain.key -subj "/CN=V1 Root" -out v1.csr
openssl x509 -req -in v1.csr -signkey plain.key -days 3650 -out v1.crt 2>/dev/null
openssl x509 -in v1.crt -noout -text | grep -q "Version: 1 (0x0)" || fail "not a v1 root"
fresh
expect 0 mc import --ca-cert v1.crt --ca-key plain.key --passphrase-file "$PASS"
contains "$T/err" "minica: warning: version 1 root"
contains "$T/err" "minica: warning: RSA-2048 key"
expect 0 mc show ca
contains "$T/out" "imported             yes"
# No certificates imported, so no domains recorded: issue says so.
expect 1 mc issue server --cn www.example.com --out "$T/leaf" --passphrase-file "$PASS"
contains "$T/err" "minica.conf records no domains for it"
one_line "$T/err"
expect 0 mc issue server --cn www.example.com --any-domain --out "$T/leaf" --passphrase-file "$PASS"
openssl verify -CAfile v1.crt "$T/leaf/www.example.com.crt" > "$T/verify"
contains "$T/verify" "OK"
certtool --verify --load-ca-certificate v1.crt --infile "$T/leaf/www.example.com.crt" > "$T/gnutls" 2>&1 ||
    { cat "$T/gnutls"; fail "GnuTLS refuses the leaf"; }
openssl x509 -in "$T/leaf/www.example.com.crt" -noout -ext authorityKeyIdentifier > "$T/akid"
# keyid = SHA-1 of the root's subjectPublicKey (RFC 5280 4.2.1.2 method 1)
want=$(openssl x509 -in v1.crt -noout -pubkey | openssl pkey -pubin -outform DER |
    openssl asn1parse -inform DER -strparse 19 -noout -out - 2>/dev/null | sha1sum | cut -c1-40)
got=$(tail -n +2 "$T/akid" | tr -d ' :\n' | tr 'A-F' 'a-f')
[ "$got" = "$want" ] || fail "authorityKeyIdentifier $got, want $want"
