#!/bin/sh
# minica issue client --p12: PKCS#12 kits read back by openssl and GnuTLS.
# Waits for the --p12 options in cmd/issue.c (see ca_p12_write): until
# then it only says so.
. "$(dirname "$0")/lib.sh"
if ! mc issue --help 2>&1 | grep -q -- '--p12'; then
	echo "skip: issue --p12 is not wired yet"
	exit 0
fi

new_ca
P12PASS="$T/p12pass"
printf 'another passphrase entirely\n' >"$P12PASS"
chmod 600 "$P12PASS"
root_fpr=$(openssl x509 -in "$MINICA_HOME/ca.crt" -noout -fingerprint -sha256)

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
	[ "$(grep -c 'BEGIN CERTIFICATE' "$T/chain.pem")" -eq 1 ] || fail "chain is not just the root"
	[ "$(openssl x509 -in "$T/chain.pem" -noout -fingerprint -sha256)" = "$root_fpr" ] || fail "chain root"
	openssl verify -CAfile "$T/chain.pem" "$T/leaf.pem" >/dev/null || fail "leaf does not verify"
	contains "$T/info" "friendlyName: alice@example.org"
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
