#!/bin/sh
# minica root rotate: a new root, the cross-certificate (the new root
# issued by the old) and a new intermediate.  Leaves made before and after
# are checked by the five verifiers of tests/verify/chain.sh for a client
# that trusts only the old root and one that trusts only the new; the
# trust kit carries both roots; DANE files and deployed chains end with
# the cross-certificate; the old root key is kept; refusals change nothing.
. "$(dirname "$0")/lib.sh"

new_ca
H=$MINICA_HOME
cp "$H/ca.crt" "$T/old-root.pem"
expect 0 mc issue nginx --cn old.example.org --passphrase-file "$PASS" --out "$T/o"
expect 0 mc crl --passphrase-file "$PASS"
old_inter=$(openssl x509 -in "$H/intermediate.crt" -noout -serial | cut -d= -f2 | tr A-F a-f)
old_root=$(openssl x509 -in "$H/ca.crt" -noout -serial | cut -d= -f2 | tr A-F a-f)

# Refusals first: a wrong root passphrase, a wrong intermediate
# passphrase, a root-only home.  Nothing is left behind.
printf 'not the root passphrase\n' > "$T/wrong"
chmod 600 "$T/wrong"
cp -a "$H" "$T/before"
expect 1 mc root rotate --passphrase-file "$PASS" --root-passphrase-file "$T/wrong"
one_line "$T/err"
contains "$T/err" "wrong root passphrase"
expect 1 mc root rotate --passphrase-file "$T/wrong" --root-passphrase-file "$ROOTPASS"
one_line "$T/err"
[ ! -e "$H/private/ca.key.next" ] && [ ! -e "$H/private/intermediate.key.next" ] || fail "a .next key left"
cmp -s "$H/ca.crt" "$T/before/ca.crt" || fail "a refused rotation changed ca.crt"
expect 64 mc root rotate --to "$T" --passphrase-file "$PASS"
expect 0 mc --home "$T/flat" init --domain example.org --no-intermediate --passphrase-file "$PASS"
expect 1 mc --home "$T/flat" root rotate --passphrase-file "$PASS" --root-passphrase-file "$PASS"
one_line "$T/err"
contains "$T/err" "intermediate new"

# The rotation.
expect 0 mc root rotate --passphrase-file "$PASS" --root-passphrase-file "$ROOTPASS"
contains "$T/out" "rotated the root: new root"
contains "$T/out" "cross-certificate $H/cross.crt"
contains "$T/out" "wrote CRL number"
cp "$H/ca.crt" "$T/new-root.pem"
cmp -s "$T/old-root.pem" "$T/new-root.pem" && fail "ca.crt is still the old root"
[ "$(openssl x509 -in "$T/old-root.pem" -noout -subject)" = "$(openssl x509 -in "$T/new-root.pem" -noout -subject)" ] ||
	fail "the new root has another subject"
openssl x509 -in "$T/new-root.pem" -noout -text > "$T/nr.txt"
contains "$T/nr.txt" "CA:TRUE, pathlen:2"
contains "$T/nr.txt" "X509v3 Name Constraints: critical"
contains "$T/nr.txt" "Public-Key: (4096 bit)"
# The cross-certificate: the new root's key and name, issued by the old root.
openssl verify -x509_strict -CAfile "$T/old-root.pem" "$H/cross.crt" >/dev/null || fail "cross vs old root"
[ "$(openssl x509 -in "$H/cross.crt" -noout -pubkey)" = "$(openssl x509 -in "$T/new-root.pem" -noout -pubkey)" ] ||
	fail "the cross-certificate has another key"
# The old keys are kept; the new ones are encrypted with the same passphrases.
[ -f "$H/private/root-$old_root.key" ] || fail "old root key not kept"
[ -f "$H/private/intermediate-$old_inter.key" ] || fail "old intermediate key not kept"
[ "$(mode_of "$H/private/ca.key")" = 600 ] || fail "new root key mode"
openssl pkey -in "$H/private/ca.key" -passin "file:$ROOTPASS" -pubout > "$T/nk.pub" 2>/dev/null || fail "new root key / root passphrase"
[ "$(openssl x509 -in "$T/new-root.pem" -noout -pubkey)" = "$(cat "$T/nk.pub")" ] || fail "ca.key is not the new root's"
openssl pkey -in "$H/private/intermediate.key" -passin "file:$PASS" -noout 2>/dev/null || fail "new intermediate / passphrase"
expect 0 mc log
contains "$T/out" "root-rotate"

# A leaf after the rotation: leaf + intermediate + cross in both files.
expect 0 mc issue nginx --cn new.example.org --passphrase-file "$PASS" --out "$T/o"
[ "$(grep -c BEGIN "$T/o/new.example.org.crt")" = 3 ] || fail "NAME.crt is not leaf + intermediate + cross"
[ "$(grep -c BEGIN "$T/o/new.example.org-fullchain.crt")" = 3 ] || fail "fullchain is not leaf + intermediate + cross"
awk '/BEGIN/{n++} n==3' "$T/o/new.example.org.crt" | cmp -s - "$H/cross.crt" || fail "the chain does not end with the cross"
# A client that trusts only the old root, and one that trusts only the new.
verify_chain "$T/old-root.pem" "$T/o/new.example.org.crt"
verify_chain "$T/new-root.pem" "$T/o/new.example.org.crt"
# The leaf from before keeps verifying where it did; a client with only
# the new root needs the kit's previous root for it (or its renewal).
verify_chain "$T/old-root.pem" "$T/o/old.example.org.crt"
verify_chain "$T/new-root.pem" "$T/o/old.example.org.crt" --bad

# The trust kit: both roots, the new one under the usual name.
expect 0 mc bundle --out "$T/kit"
cmp -s "$T/kit/minica-ca.crt" "$T/new-root.pem" || fail "the kit's root is not the new one"
cmp -s "$T/kit/minica-ca-previous.crt" "$T/old-root.pem" || fail "the kit lacks the previous root"
cat "$T/kit/minica-ca.crt" "$T/kit/minica-ca-previous.crt" > "$T/both.pem"
verify_chain "$T/both.pem" "$T/o/old.example.org.crt"
verify_chain "$T/both.pem" "$T/o/new.example.org.crt"

# Check: the new intermediate's CRL is where the old one was; nothing wrong.
expect 0 mc check
lacks "$T/out" "WARNING"
openssl crl -in "$H/crl.pem" -noout -issuer | grep -q "issuing" || fail "crl.pem is not an intermediate's"
openssl crl -in "$H/crl.pem" -noout -verify -CAfile "$H/intermediate.crt" 2>/dev/null ||
	fail "crl.pem is not the new intermediate's"
expect 0 mc show ca
contains "$T/out" "$(openssl x509 -in "$T/new-root.pem" -noout -serial | cut -d= -f2 | tr A-F a-f)"
contains "$T/out" "cross-certificate    $H/cross.crt"

# Deployed: smtpd (DANE) is leaf + intermediate + cross: 2 1 1 is the new
# root's key, which the cross-certificate carries (the self-signed new
# root beside it would send NSS clients of the old root astray).
expect 0 mc issue smtpd --cn mail.example.org --deploy --root "$ROOT" --no-reload --passphrase-file "$PASS"
crt=$ROOT/etc/ssl/certs/smtpd.crt
[ "$(grep -c BEGIN "$crt")" = 3 ] || fail "smtpd.crt is not leaf + intermediate + cross"
verify_chain "$T/old-root.pem" "$crt"
verify_chain "$T/new-root.pem" "$crt"
cmp -s "$ROOT/etc/ssl/certs/minica-ca.pem" "$T/new-root.pem" || fail "the ca_cert target is not the new root"
expect 0 mc dane
ta=$(openssl x509 -in "$T/new-root.pem" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
contains "$T/out" "IN TLSA 2 1 1 $ta"
# OpenSSL's DANE verifier, served the deployed file: the 2 1 1 record
# matches the cross-certificate's key.
awk '/BEGIN/{n++} n==1' "$crt" > "$T/leaf.pem"
awk '/BEGIN/{n++} n>1' "$crt" > "$T/rest.pem"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
openssl s_server -quiet -accept "127.0.0.1:$port" -cert "$T/leaf.pem" -key "$ROOT/etc/ssl/private/smtpd.key" \
	-cert_chain "$T/rest.pem" >"$T/server.log" 2>&1 &
spid=$!
i=0
until ss -Hltn "sport = :$port" | grep -q .; do
	i=$((i + 1))
	[ $i -lt 100 ] || { kill "$spid"; fail "s_server did not listen"; }
	sleep 0.1
done
echo Q | timeout 10 openssl s_client -brief -connect "127.0.0.1:$port" -dane_tlsa_domain mail.example.org \
	-dane_tlsa_rrdata "2 1 1 $ta" -verify_return_error >"$T/dane.out" 2>&1 || { kill "$spid"; cat "$T/dane.out"; fail "DANE 2 1 1"; }
kill "$spid"
contains "$T/dane.out" "DANE TLSA 2 1 1"
contains "$T/dane.out" "matched TA certificate at depth 2"

# A second rotation from the offline copy of the root key (--root-key):
# the first cross-certificate retires, the new one names the second root.
mkdir "$T/usb"
expect 0 mc root offline --to "$T/usb"
key=$(ls "$T/usb"/*.key)
expect 1 mc root rotate --passphrase-file "$PASS" --root-passphrase-file "$ROOTPASS"
contains "$T/err" "offline"
expect 0 mc root rotate --root-key "$key" --passphrase-file "$PASS" --root-passphrase-file "$ROOTPASS"
[ -f "$key" ] || fail "the offline copy of the old root key went"
[ "$(sqlite3 "$H/minica.db" "SELECT count(*) FROM ca WHERE role = 'root'")" = 3 ] || fail "three roots expected"
[ "$(sqlite3 "$H/minica.db" "SELECT count(*) FROM ca WHERE role = 'cross' AND status = 'current'")" = 1 ] ||
	fail "one current cross-certificate expected"
expect 0 mc issue nginx --cn third.example.org --passphrase-file "$PASS" --out "$T/o"
verify_chain "$T/new-root.pem" "$T/o/third.example.org.crt"
verify_chain "$H/ca.crt" "$T/o/third.example.org.crt"
