#!/bin/sh
# One CRL per CA that still has valid children.  A leaf revoked, the
# intermediate rotated, another old leaf and a new leaf revoked: each
# intermediate's CRL lists its own, signed by it (openssl crl -verify,
# certtool --verify-crl), and openssl verify -crl_check -x509_strict
# refuses each revoked leaf and accepts the good ones.  check watches
# every CRL file (faketime), renew refreshes the due ones.  After root
# rotate, revoking an old intermediate shows on the old root's CRL.
. "$(dirname "$0")/lib.sh"
command -v faketime >/dev/null || { echo "faketime not installed: skipped"; exit 0; }
new_ca
H=$MINICA_HOME
export MINICA_PASSPHRASE="correct horse battery staple"
cd "$T"

ski8() { openssl x509 -in "$1" -noout -ext subjectKeyIdentifier | sed -n 2p | tr -d ' :' | cut -c1-8 | tr A-F a-f; }
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
# refused ROOT INTER CRLFILE LEAF / accepted ...: OpenSSL's verdict with CRL checking.
refused() {
	if openssl verify -x509_strict -crl_check -CAfile "$1" -untrusted "$2" -CRLfile "$3" "$4" >"$T/v" 2>&1; then
		fail "$4 accepted with $3"
	fi
	grep -q "certificate revoked" "$T/v" || { cat "$T/v"; fail "$4 not refused as revoked"; }
}
accepted() {
	openssl verify -x509_strict -crl_check -CAfile "$1" -untrusted "$2" -CRLfile "$3" "$4" >"$T/v" 2>&1 ||
		{ cat "$T/v"; fail "$4 refused with $3"; }
}
lists() { openssl crl -in "$1" -noout -text | grep -q "Serial Number: $(serial_of "$2")" || fail "$1 lacks $2"; }
lacks_cert() { if openssl crl -in "$1" -noout -text | grep -q "Serial Number: $(serial_of "$2")"; then fail "$1 lists $2"; fi; }
number() { printf "%d" "$(openssl crl -in "$1" -noout -crlnumber | cut -d= -f2)"; }
# crl_ok CRL CA: signed by CA for OpenSSL and GnuTLS; AKI is CA's SKI.
crl_ok() {
	openssl crl -in "$1" -noout -verify -CAfile "$2" 2>&1 | grep -q "verify OK" || fail "$1 not signed by $2"
	certtool --verify-crl --load-ca-certificate "$2" --infile "$1" >/dev/null 2>&1 || fail "certtool --verify-crl $1"
	[ "$(openssl crl -in "$1" -noout -text | grep -A1 'Authority Key Identifier' | tail -1 | tr -d ' :' | tr A-F a-f | sed 's/^keyid//')" = \
		"$(openssl x509 -in "$2" -noout -ext subjectKeyIdentifier | sed -n 2p | tr -d ' :' | tr A-F a-f)" ] || fail "$1: AKI is not $2's SKI"
}

cp "$H/ca.crt" "$T/root1.pem"
cp "$H/intermediate.crt" "$T/i1.pem"
for n in a b c; do expect 0 mc issue nginx --cn "$n.example.org" --out "$T/o"; done
expect 0 mc revoke "$(serial_of "$T/o/a.example.org.crt")"
expect 0 mc crl
I1="$H/crl/intermediate-$(ski8 "$T/i1.pem").pem"
[ -f "$I1" ] && [ -f "${I1%.pem}.crl" ] || fail "no per-CA CRL files"
cmp -s "$I1" "$H/crl.pem" || fail "crl.pem is not the current intermediate's CRL"
openssl crl -inform DER -in "${I1%.pem}.crl" -noout -verify -CAfile "$T/i1.pem" 2>&1 | grep -q "verify OK" || fail "DER CRL"
lists "$I1" "$T/o/a.example.org.crt"
n1=$(number "$I1")

# Rotate: the old intermediate's CRL stays published, under its name.
expect 0 mc intermediate rotate --root-passphrase-file "$ROOTPASS"
contains "$T/out" "(retired intermediate $(serial_of "$T/i1.pem" | tr A-F a-f))"
cp "$H/intermediate.crt" "$T/i2.pem"
I2="$H/crl/intermediate-$(ski8 "$T/i2.pem").pem"
[ "$I1" != "$I2" ] || fail "two intermediates, one CRL file name"
for n in d e; do expect 0 mc issue nginx --cn "$n.example.org" --out "$T/o"; done
# Revoking an old leaf names its own issuer's CRL.
expect 0 mc revoke "$(serial_of "$T/o/c.example.org.crt")"
contains "$T/out" "the retired intermediate"
contains "$T/out" "crl/intermediate-$(ski8 "$T/i1.pem").pem"
expect 0 mc revoke "$(serial_of "$T/o/d.example.org.crt")"
expect 0 mc crl
crl_ok "$I1" "$T/i1.pem"
crl_ok "$I2" "$T/i2.pem"
crl_ok "$H/crl.pem" "$T/i2.pem"
[ "$(number "$I1")" -gt "$n1" ] || fail "the old intermediate's CRL number did not increase"
lists "$I1" "$T/o/a.example.org.crt"
lists "$I1" "$T/o/c.example.org.crt"
lacks_cert "$I1" "$T/o/d.example.org.crt"
lists "$I2" "$T/o/d.example.org.crt"
lacks_cert "$I2" "$T/o/c.example.org.crt"
for n in a c; do refused "$T/root1.pem" "$T/i1.pem" "$I1" "$T/o/$n.example.org.crt"; done
accepted "$T/root1.pem" "$T/i1.pem" "$I1" "$T/o/b.example.org.crt"
refused "$T/root1.pem" "$T/i2.pem" "$I2" "$T/o/d.example.org.crt"
accepted "$T/root1.pem" "$T/i2.pem" "$I2" "$T/o/e.example.org.crt"

# check watches both; 25 days on both warn, 31 days on both are critical.
expect 0 mc check
lacks "$T/out" "crl"
expect 1 faketime -f +25d "$MINICA_BIN" check
contains "$T/out" "WARNING: crl $(serial_of "$T/i1.pem" | tr A-F a-f): the CRL at $I1 expires at"
contains "$T/out" "WARNING: crl $(serial_of "$T/i2.pem" | tr A-F a-f): the CRL at $I2 expires at"
contains "$T/out" "run 'minica renew' or 'minica crl'"
expect 2 faketime -f +31d "$MINICA_BIN" check
contains "$T/out" "CRITICAL: crl $(serial_of "$T/i1.pem" | tr A-F a-f): the CRL at $I1 expired at"
# The cron line refreshes both (and crl.pem).
old1=$(number "$I1")
old2=$(number "$I2")
expect 0 faketime -f +25d "$MINICA_BIN" renew --dry-run
contains "$T/out" "would refresh the CRL at $I1"
contains "$T/out" "would refresh the CRL at $H/crl.pem"
expect 0 faketime -f +25d sh -c '"$MINICA_BIN" check --quiet >/dev/null || "$MINICA_BIN" renew'
[ "$(number "$I1")" -gt "$old1" ] && [ "$(number "$I2")" -gt "$old2" ] || fail "renew did not refresh both CRLs"
cmp -s "$I2" "$H/crl.pem" || fail "renew did not refresh crl.pem"
expect 0 faketime -f +25d "$MINICA_BIN" check
lacks "$T/out" "crl"
# A missing or foreign file is reported, naming it and the fix.
mv "$I1" "$T/i1crl.pem"
expect 1 mc check
contains "$T/out" "WARNING: crl $(serial_of "$T/i1.pem" | tr A-F a-f):"
contains "$T/out" "$I1"
cp "$I2" "$I1"
expect 1 mc check
contains "$T/out" "is not a CRL signed by this CA"
mv "$T/i1crl.pem" "$I1"
expect 0 mc check

# A retired key that the cron passphrase cannot open: that CRL fails,
# named; the others are written.
cp "$H/private/intermediate-$(serial_of "$T/i1.pem" | tr A-F a-f).key" "$T/i1.key"
openssl pkey -in "$T/i1.key" -passin env:MINICA_PASSPHRASE -aes256 -passout pass:another-passphrase \
	-out "$H/private/intermediate-$(serial_of "$T/i1.pem" | tr A-F a-f).key" 2>/dev/null
old2=$(number "$I2")
expect 1 mc crl
contains "$T/err" "does not open with this intermediate passphrase"
[ "$(number "$I2")" -gt "$old2" ] || fail "the current CRL was not written beside the failure"
# At a terminal it is asked for, and that CRL is written too.
old1=$(number "$I1")
expect 0 env -u MINICA_PASSPHRASE python3 "$(dirname "$0")/ptyrun.py" \
	--input "correct horse battery staple
another-passphrase" "$MINICA_BIN" crl
contains "$T/out" "passphrase of the retired intermediate $(serial_of "$T/i1.pem" | tr A-F a-f)"
[ "$(number "$I1")" -gt "$old1" ] || fail "the retired CRL was not written with the passphrase asked for"
crl_ok "$I1" "$T/i1.pem"
cp "$T/i1.key" "$H/private/intermediate-$(serial_of "$T/i1.pem" | tr A-F a-f).key"

# crl_url ending in '/': each leaf names its issuer's own file.
printf '[minica]\ncrl_url = http://ca.example.org/crl/\n' >> "$H/minica.conf"
expect 0 mc issue nginx --cn f.example.org --out "$T/o"
openssl x509 -in "$T/o/f.example.org.crt" -noout -ext crlDistributionPoints > "$T/cdp"
contains "$T/cdp" "URI:http://ca.example.org/crl/intermediate-$(ski8 "$T/i2.pem").crl"
[ -f "$H/crl/intermediate-$(ski8 "$T/i2.pem").crl" ] || fail "the CDP names no file minica writes"
openssl verify -x509_strict -CAfile "$T/root1.pem" -untrusted "$T/i2.pem" "$T/o/f.example.org.crt" >/dev/null || fail "CDP leaf"

# The roots: a CRL first, then the rotation writes the old root's and the new one's.
expect 0 mc crl --root --root-passphrase-file "$ROOTPASS"
R1="$H/crl/root-$(ski8 "$T/root1.pem").pem"
crl_ok "$R1" "$T/root1.pem"
cmp -s "$R1" "$H/root-crl.pem" || fail "root-crl.pem is not the root's CRL"
expect 0 mc root rotate --root-passphrase-file "$ROOTPASS"
cp "$H/ca.crt" "$T/root2.pem"
R2="$H/crl/root-$(ski8 "$T/root2.pem").pem"
contains "$T/out" "(retired root "
crl_ok "$R1" "$T/root1.pem"
crl_ok "$R2" "$T/root2.pem"
crl_ok "$H/root-crl.pem" "$T/root2.pem"
# Revoking the second intermediate (retired, under the old root) puts it
# on the old root's CRL only.
expect 0 mc revoke "$(serial_of "$T/i2.pem")" --root-passphrase-file "$ROOTPASS"
expect 0 mc crl --root --root-passphrase-file "$ROOTPASS"
lists "$R1" "$T/i2.pem"
lacks_cert "$R2" "$T/i2.pem"
crl_ok "$R1" "$T/root1.pem"
if openssl verify -x509_strict -crl_check -CAfile "$T/root1.pem" -CRLfile "$R1" "$T/i2.pem" >"$T/v" 2>&1; then
	fail "the revoked intermediate passes the old root's CRL"
fi
contains "$T/v" "certificate revoked"
openssl verify -x509_strict -crl_check -CAfile "$T/root1.pem" -CRLfile "$R1" "$T/i1.pem" >/dev/null ||
	fail "the other old intermediate fails the old root's CRL"
# The whole chain at once (-crl_check_all): the old intermediate's leaf
# is good, the revoked intermediate's leaf is refused.
cat "$R1" "$I1" > "$T/all.pem"
openssl verify -x509_strict -crl_check_all -CAfile "$T/root1.pem" -untrusted "$T/i1.pem" -CRLfile "$T/all.pem" \
	"$T/o/b.example.org.crt" >/dev/null || fail "crl_check_all refused a good leaf"
cat "$R1" "$I2" > "$T/all2.pem"
if openssl verify -x509_strict -crl_check_all -CAfile "$T/root1.pem" -untrusted "$T/i2.pem" -CRLfile "$T/all2.pem" \
	"$T/o/e.example.org.crt" >/dev/null 2>&1; then
	fail "a leaf of a revoked intermediate passed crl_check_all"
fi
# check watches the roots' CRLs as root operations.
expect 1 faketime -f +25d "$MINICA_BIN" check
contains "$T/out" "WARNING: root-crl $(serial_of "$T/root1.pem" | tr A-F a-f): the CRL at $R1 expires at"
contains "$T/out" "run 'minica crl --root' (a root operation)"

# The old root's key offline: named by --root-key's folder, as 'root offline' names it.
mkdir "$T/usb"
expect 0 mc root offline --to "$T/usb"
key=$(ls "$T/usb"/*.key)
oldkey="$H/private/root-$(serial_of "$T/root1.pem" | tr A-F a-f).key"
mv "$oldkey" "$T/oldroot.key"
expect 1 mc crl --root --root-key "$key" --root-passphrase-file "$ROOTPASS"
contains "$T/err" "the key of the old root"
contains "$T/err" "--root-key"
cmp -s "$R2" "$H/root-crl.pem" || fail "the current root's CRL was not written beside the failure"
fp=$(openssl x509 -in "$T/root1.pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f | cut -c1-16)
mv "$T/oldroot.key" "$T/usb/minica-root-$fp.key"
old=$(number "$R1")
expect 0 mc crl --root --root-key "$key" --root-passphrase-file "$ROOTPASS"
[ "$(number "$R1")" -gt "$old" ] || fail "the old root's CRL was not written from the offline folder"
expect 0 mc check
lacks "$T/out" "crl"

# A home whose root signed leaves itself gets an intermediate: the root's
# revoked leaves move to the root's CRL, written at once and watched.
F="$T/flat"
unset MINICA_PASSPHRASE
expect 0 mc --home "$F" init --domain example.org --no-intermediate --passphrase-file "$PASS"
expect 0 mc --home "$F" issue nginx --cn z.example.org --out "$T/z" --passphrase-file "$PASS"
expect 0 mc --home "$F" revoke "$(serial_of "$T/z/z.example.org.crt")"
expect 0 mc --home "$F" crl --passphrase-file "$PASS"
FR="$F/crl/root-$(ski8 "$F/ca.crt").pem"
lists "$FR" "$T/z/z.example.org.crt"
printf 'the new intermediate passphrase\n' > "$T/ipass"
chmod 600 "$T/ipass"
expect 0 mc --home "$F" intermediate new --passphrase-file "$T/ipass" --root-passphrase-file "$PASS"
contains "$T/out" "to $F/root-crl.pem and $FR"
lists "$F/root-crl.pem" "$T/z/z.example.org.crt"
crl_ok "$F/crl.pem" "$F/intermediate.crt"
lacks_cert "$F/crl.pem" "$T/z/z.example.org.crt"
refused "$F/ca.crt" "$F/ca.crt" "$FR" "$T/z/z.example.org.crt"
expect 0 mc --home "$F" check
lacks "$T/out" "crl"
expect 1 faketime -f +25d "$MINICA_BIN" --home "$F" check
contains "$T/out" "WARNING: root-crl: the CRL at $F/root-crl.pem expires at"
