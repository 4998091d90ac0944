#!/bin/sh
# import refusals: each one line, non-zero, nothing written (no home
# files left behind), the old files untouched.
. "$(dirname "$0")/lib.sh"
unset MINICA_OLD_PASSPHRASE 2>/dev/null || true

nothing_created() {
	[ ! -e "$MINICA_HOME" ] || { find "$MINICA_HOME"; fail "home was created: $1"; }
}

OLD="$T/oldpass"
printf 'old secret\n' > "$OLD"
WRONG="$T/wrongpass"
printf 'not it\n' > "$WRONG"
chmod 600 "$OLD" "$WRONG"
W="$T/w"
mkdir "$W"
cd "$W"

# A root (RSA-2048 for speed), a second unrelated root, a leaf of each.
mkroot() {
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key" -des3 -pass "file:$OLD" 2>/dev/null
	openssl req -x509 -new -key "$1.key" -passin "file:$OLD" -days 3650 -out "$1.crt" -subj "/CN=$2"
}
mkleaf() {	# ca name cn [x509 options]
	ca=$1 name=$2 cn=$3
	shift 3
	openssl req -new -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "/CN=$cn" 2>/dev/null
	openssl x509 -req -in "$name.csr" -CA "$ca.crt" -CAkey "$ca.key" -passin "file:$OLD" \
	    -CAcreateserial -days 365 -out "$name.crt" "$@" 2>/dev/null
}
mkroot root "Home Root"
mkroot other "Other Root"
mkleaf root good mail.example.org
mkleaf other stranger evil.example.com
printf 'extendedKeyUsage=emailProtection\n' > smime.ext
mkleaf root smime someone.example.org -extfile smime.ext
# An intermediate: a CA, but not self-signed.
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' > ca.ext
mkleaf root inter "Home Intermediate" -extfile ca.ext
sha256sum root.key root.crt other.key other.crt good.crt stranger.crt > "$T/before"

ok_args="--ca-cert root.crt --ca-key root.key --old-passphrase-file $OLD --passphrase-file $PASS"

# Usage.
expect 64 mc import --ca-cert root.crt --passphrase-file "$PASS"
contains "$T/err" "--ca-key"
one_line "$T/err"
expect 64 mc import $ok_args --old-passphrase-fd 3
contains "$T/err" "not both"
expect 64 mc import $ok_args --profile nosuch --cert good.crt
contains "$T/err" "unknown profile 'nosuch'"
one_line "$T/err"
expect 64 mc import $ok_args stray
contains "$T/err" "unexpected argument 'stray'"
expect 64 mc import $ok_args --old-passphrase secret
contains "$T/err" "unknown option"
nothing_created "usage errors"

# Wrong old passphrase.
expect 1 mc import --ca-cert root.crt --ca-key root.key --old-passphrase-file "$WRONG" --passphrase-file "$PASS"
contains "$T/err" "cannot read 'root.key': wrong old passphrase"
one_line "$T/err"
nothing_created "wrong old passphrase"

# No old passphrase and no terminal: say how to give one.
expect 1 setsid -w "$MINICA_BIN" import --ca-cert root.crt --ca-key root.key --passphrase-file "$PASS"
contains "$T/err" "--old-passphrase-file FILE, --old-passphrase-fd N or MINICA_OLD_PASSPHRASE"
one_line "$T/err"
nothing_created "no old passphrase"

# Empty old passphrase.
: > "$T/empty"
expect 1 mc import --ca-cert root.crt --ca-key root.key --old-passphrase-file "$T/empty" --passphrase-file "$PASS"
contains "$T/err" "empty passphrase"
one_line "$T/err"
nothing_created "empty old passphrase"

# A key that is not the certificate's.
expect 1 mc import --ca-cert root.crt --ca-key other.key --old-passphrase-file "$OLD" --passphrase-file "$PASS"
contains "$T/err" "'other.key' is not the key of 'root.crt'"
one_line "$T/err"
nothing_created "mismatched key"

# A file that is not a key.
expect 1 mc import --ca-cert root.crt --ca-key root.crt --old-passphrase-file "$OLD" --passphrase-file "$PASS"
contains "$T/err" "'root.crt' is not a PEM private key"
one_line "$T/err"
nothing_created "not a key"

# A leaf as the root.
expect 1 mc import --ca-cert good.crt --ca-key good.key --passphrase-file "$PASS"
contains "$T/err" "'CN=mail.example.org' is not a CA certificate"
one_line "$T/err"
nothing_created "leaf as root"

# An intermediate as the root.
expect 1 mc import --ca-cert inter.crt --ca-key inter.key --passphrase-file "$PASS"
contains "$T/err" "is not a self-signed root"
one_line "$T/err"
nothing_created "intermediate as root"

# A certificate from another CA, named; nothing imported.
expect 1 mc import $ok_args --cert good.crt --cert stranger.crt
contains "$T/err" "'stranger.crt': certificate 'CN=evil.example.com'"
contains "$T/err" "was issued by 'CN=Other Root', not by the imported root 'CN=Home Root'"
one_line "$T/err"
nothing_created "foreign certificate"
# In a folder, another issuer's certificate is passed over (one note), but
# one that names this root without its signature is refused all the same.
mkroot fake "Home Root"
mkleaf fake forged forged.example.org
mkdir "$T/f"
cp forged.crt stranger.crt good.crt "$T/f/"
expect 1 mc import $ok_args --certs-dir "$T/f"
contains "$T/err" "'$T/f/forged.crt': certificate 'CN=forged.example.org'"
contains "$T/err" "names the imported root 'CN=Home Root' as its issuer, but the root's key did not sign it"
one_line "$T/err"
nothing_created "forged certificate in a folder"

# A certificate for neither server nor client needs --profile.
expect 1 mc import $ok_args --cert smime.crt
contains "$T/err" "'smime.crt'"
contains "$T/err" "give --profile"
one_line "$T/err"
nothing_created "e-mail certificate"

# A --cert that holds no certificate.
expect 1 mc import $ok_args --cert good.key
contains "$T/err" "'good.key' holds no certificate"
one_line "$T/err"
nothing_created "key as --cert"

# A broken index.txt.
mkdir -p pki
cp root.crt pki/ca.crt
mkdir pki/private
cp root.key pki/private/ca.key
printf 'V\tgarbage\n' > pki/index.txt
expect 1 mc import --easyrsa pki --old-passphrase-file "$OLD" --passphrase-file "$PASS"
contains "$T/err" "index.txt' line 1: not an OpenSSL index line"
one_line "$T/err"
nothing_created "broken index.txt"

# With --profile the e-mail certificate is accepted (as client); this
# shows the refusals above were about the cases, not the set-up.
expect 0 mc import $ok_args --cert good.crt --cert smime.crt --profile client
contains "$T/out" "certificates         2 (0 revoked)"
expect 0 mc list
contains "$T/out" "client"

# A CA already there: refused, nothing changed.
cp "$MINICA_HOME/minica.db" "$T/db.before"
expect 1 mc import $ok_args
contains "$T/err" "a CA already exists"
one_line "$T/err"
cmp -s "$MINICA_HOME/minica.db" "$T/db.before" || fail "db changed"

# An existing empty home is kept, only its content removed on failure.
rm -rf "$MINICA_HOME"
mkdir -m 700 "$MINICA_HOME"
expect 1 mc import --ca-cert root.crt --ca-key root.key --old-passphrase-file "$WRONG" --passphrase-file "$PASS"
[ -z "$(find "$MINICA_HOME" -mindepth 1)" ] || { find "$MINICA_HOME"; fail "files left in the home"; }

sha256sum -c --quiet "$T/before" || fail "old files changed"
