#!/bin/sh
# minica issue client --p12: PKCS#12 kits read back by openssl and GnuTLS.
. "$(dirname "$0")/lib.sh"

new_ca
P12PASS="$T/p12pass"
printf 'another passphrase entirely\n' >"$P12PASS"
chmod 600 "$P12PASS"
# The kit carries the leaf's issuer, the intermediate (the root comes
# from the trust kit, minica bundle).
inter_fpr=$(openssl x509 -in "$MINICA_HOME/intermediate.crt" -noout -fingerprint -sha256)

# check P12 LEGACYFLAG: key, certificate and root, as openssl reads them.
check() {
	p=$1
	shift
	[ "$(mode_of "$p")" = 600 ] || fail "$p mode $(mode_of "$p")"
	openssl pkcs12 "$@" -in "$p" -passin "file:$P12PASS" -info -noout >"$T/info" 2>&1 ||
		{ cat "$T/info"; fail "openssl pkcs12 cannot read $p"; }
	openssl pkcs12 "$@" -in "$p" -passin "file:$P12PASS" -nodes -nocerts -out "$T/key.pem" 2>/dev/null
	openssl pkcs12 "$@" -in "$p" -passin "file:$P12PASS" -clcerts -nokeys -out "$T/leaf.pem" 2>/dev/null
	openssl pkcs12 "$@" -in "$p" -passin "file:$P12PASS" -cacerts -nokeys -out "$T/chain.pem" 2>/dev/null
	[ "$(openssl pkey -in "$T/key.pem" -pubout)" = "$(openssl x509 -in "$T/leaf.pem" -noout -pubkey)" ] ||
		fail "key does not match the certificate in $p"
	openssl x509 -in "$T/leaf.pem" -noout -subject | grep -q "CN = alice@example.org" || fail "leaf subject"
	[ "$(grep -c 'BEGIN CERTIFICATE' "$T/chain.pem")" -eq 1 ] || fail "chain is not just the intermediate"
	[ "$(openssl x509 -in "$T/chain.pem" -noout -fingerprint -sha256)" = "$inter_fpr" ] || fail "chain intermediate"
	openssl verify -x509_strict -CAfile "$MINICA_HOME/ca.crt" -untrusted "$T/chain.pem" "$T/leaf.pem" >/dev/null ||
		fail "leaf does not verify"
	openssl pkcs12 "$@" -in "$p" -passin "file:$P12PASS" -info -nokeys >"$T/bags" 2>&1
	contains "$T/bags" "friendlyName: alice@example.org"
	expect 1 openssl pkcs12 "$@" -in "$p" -passin pass:wrong -noout
	certtool --p12-info --inder --password "$(cat "$P12PASS")" --infile "$p" >"$T/gnutls" 2>&1 ||
		{ cat "$T/gnutls"; fail "GnuTLS cannot read $p"; }
}

# Modern: AES-256-CBC, PBKDF2-HMAC-SHA256, MAC SHA-256, 600000 rounds.
expect 0 mc issue client --cn alice@example.org --out "$T/o1" --p12 "$T/alice.p12" \
	--p12-passphrase-file "$P12PASS" --passphrase-file "$PASS"
check "$T/alice.p12"
contains "$T/info" "MAC: sha256, Iteration 600000"
contains "$T/info" "PBES2, PBKDF2, AES-256-CBC, Iteration 600000, PRF hmacWithSHA256"
lacks "$T/info" "TripleDES"
contains "$T/gnutls" "PBES2-AES256-CBC"

# Legacy: 3DES and SHA-1 for old Apple and Windows importers.
MINICA_P12_PASSPHRASE=$(cat "$P12PASS") expect 0 mc issue client --cn alice@example.org \
	--out "$T/o2" --p12 "$T/legacy.p12" --p12-legacy --force --passphrase-file "$PASS"
check "$T/legacy.p12" -legacy
contains "$T/info" "MAC: sha1, Iteration 2048"
contains "$T/info" "pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048"
contains "$T/gnutls" "PKCS12-3DES-SHA1"

# From a file descriptor; an existing file is never overwritten.
expect 0 mc issue client --cn alice@example.org --out "$T/o3" --p12 "$T/fd.p12" \
	--p12-passphrase-fd 3 --force --passphrase-file "$PASS" 3<"$P12PASS"
check "$T/fd.p12"
cp "$T/fd.p12" "$T/keep.p12"
expect 1 mc issue client --cn alice@example.org --out "$T/o4" --p12 "$T/fd.p12" \
	--p12-passphrase-file "$P12PASS" --force --passphrase-file "$PASS"
cmp -s "$T/fd.p12" "$T/keep.p12" || fail "existing PKCS#12 overwritten"

# Refusals before anything is signed: nothing recorded.
rows=$(db_count certificates)
: >"$T/empty"
expect 1 mc issue client --cn bob@example.org --out "$T/o5" --p12 "$T/bob.p12" \
	--p12-passphrase-file "$T/empty" --passphrase-file "$PASS"
contains "$T/err" "empty passphrase"
one_line "$T/err"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/c.key" -subj "/CN=carol@example.org" -out "$T/c.csr" 2>/dev/null
expect 1 mc issue client --csr "$T/c.csr" --p12 "$T/carol.p12" --p12-passphrase-file "$P12PASS" --passphrase-file "$PASS"
contains "$T/err" "--p12 needs the private key"
[ "$(db_count certificates)" = "$rows" ] || fail "a refused --p12 issue was recorded"
[ ! -e "$T/bob.p12" ] && [ ! -e "$T/carol.p12" ] && [ ! -e "$T/o5" ] || fail "files written by a refused --p12 issue"
