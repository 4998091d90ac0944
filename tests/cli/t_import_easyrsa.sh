#!/bin/sh
# import --easyrsa: Debian's easy-rsa in a temporary folder (build-ca with
# a passphrase, two servers and a client, one revoked, a CRL), adopted
# with index.txt's statuses, revocation times and reasons.
. "$(dirname "$0")/lib.sh"
unset MINICA_OLD_PASSPHRASE 2>/dev/null || true

EASYRSA=/usr/share/easy-rsa/easyrsa
[ -x "$EASYRSA" ] || fail "easy-rsa is not installed (apt-get install easy-rsa)"

E="$T/easyrsa"
mkdir "$E"
cd "$E"
OLD="$T/oldpass"
printf 'easy-rsa secret\n' > "$OLD"
chmod 600 "$OLD"
(
	export EASYRSA_BATCH=1 EASYRSA_PKI="$E/pki" EASYRSA_KEY_SIZE=2048 \
	    EASYRSA_PASSOUT="pass:easy-rsa secret" EASYRSA_PASSIN="pass:easy-rsa secret"
	"$EASYRSA" init-pki
	# The CA's name only here: build-*-full refuse an external CN.
	EASYRSA_REQ_CN="Example EasyRSA CA" "$EASYRSA" build-ca
	"$EASYRSA" build-server-full mail.example.org nopass
	"$EASYRSA" build-server-full www.example.org nopass
	"$EASYRSA" build-client-full alice nopass
	"$EASYRSA" revoke www.example.org keyCompromise
	"$EASYRSA" gen-crl
) > "$T/easyrsa.log" 2>&1 || { cat "$T/easyrsa.log"; fail "easy-rsa failed"; }
PKI="$E/pki"
grep -q '^R' "$PKI/index.txt" || fail "no revocation in index.txt"

idx_serial() { awk -F'\t' -v cn="/CN=$1" '$6 == cn { print tolower($4) }' "$PKI/index.txt"; }
MAIL=$(idx_serial mail.example.org)
WWW=$(idx_serial www.example.org)
ALICE=$(idx_serial alice)
[ -n "$MAIL" ] && [ -n "$WWW" ] && [ -n "$ALICE" ] || fail "serials not found in index.txt"
find "$PKI" -type f -exec sha256sum {} + > "$T/before"

# --ca-cert and --ca-key default to pki/ca.crt and pki/private/ca.key.
expect 0 mc import --easyrsa "$PKI" --old-passphrase-file "$OLD" --passphrase-file "$PASS"
contains "$T/out" "imported CA 'CN=Example EasyRSA CA'"
contains "$T/out" "certificates         3 (1 revoked)"
contains "$T/err" "minica: warning: no name constraints"
contains "$T/err" "minica: warning: RSA-2048 key"
sha256sum -c --quiet "$T/before" || fail "the pki changed"

expect 0 mc list
contains "$T/out" "$MAIL"
contains "$T/out" "$ALICE"
lacks "$T/out" "$WWW"
expect 0 mc list --all
contains "$T/out" "$WWW"

expect 0 mc show "$WWW"
contains "$T/out" "status               revoked"
contains "$T/out" "(keyCompromise)"
contains "$T/out" "imported             yes"
# The revocation time is index.txt's, to the second.
when=$(awk -F'\t' -v s="$(echo "$WWW" | tr a-f A-F)" 'toupper($4) == s { split($3, a, ","); print a[1] }' "$PKI/index.txt")
want=$(date -u -d "20${when%??????Z} $(echo "$when" | cut -c7-8):$(echo "$when" | cut -c9-10):$(echo "$when" | cut -c11-12)" +%s 2>/dev/null || true)
got=$(sqlite3 "$MINICA_HOME/minica.db" "SELECT revoked_at FROM certificates WHERE serial = '$WWW'")
[ -n "$want" ] && [ "$got" = "$want" ] || fail "revoked_at $got, index.txt says $when ($want)"

expect 0 mc show "$MAIL" --json
contains "$T/out" "\"profile\":\"server\",\"cn\":\"mail.example.org\""
contains "$T/out" "\"sans\":[\"mail.example.org\"]"
expect 0 mc show "$ALICE" --json
contains "$T/out" "\"profile\":\"client\",\"cn\":\"alice\""
contains "$T/out" "\"sans\":[]"

sqlite3 "$MINICA_HOME/minica.db" "SELECT details FROM audit WHERE action = 'import'" > "$T/audit"
contains "$T/audit" "certificates=3 revoked=1"

# The re-encrypted key opens with the new passphrase only, and signs.
openssl pkey -in "$MINICA_HOME/private/ca.key" -passin "file:$PASS" -noout || fail "new passphrase"
expect 0 mc issue server --cn host.example.org --force --out "$T/leaf" --passphrase-file "$PASS"
openssl verify -CAfile "$PKI/ca.crt" "$T/leaf/host.example.org.crt" > "$T/verify"
contains "$T/verify" "OK"

# The imported revocation reaches minica's CRL, signed by the old root.
expect 0 mc crl --out "$T/crl.pem" --passphrase-file "$PASS"
openssl crl -in "$T/crl.pem" -CAfile "$PKI/ca.crt" -noout -text > "$T/crl.txt" 2>&1 || { cat "$T/crl.txt"; fail "crl"; }
contains "$T/crl.txt" "$(echo "$WWW" | tr a-f A-F)"
contains "$T/crl.txt" "Key Compromise"
openssl crl -in "$T/crl.pem" -CAfile "$PKI/ca.crt" -noout 2>&1 | grep -q "verify OK" || fail "CRL does not verify against the old root"
