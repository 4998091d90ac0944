#!/bin/sh
# minica bundle: every kit file read back by a tool that is not minica.
. "$(dirname "$0")/lib.sh"
src=$(cd "$(dirname "$0")/../.." && pwd)

# Usage errors and no CA.
expect 64 mc bundle
contains "$T/err" "--out DIR is required"
expect 64 mc bundle --out "$T/kit" --name ../evil
contains "$T/err" "invalid bundle name"
expect 64 mc bundle --out "$T/kit" --name -rf
expect 64 mc bundle --out "$T/kit" extra
expect 1 mc bundle --out "$T/kit"
contains "$T/err" "minica init"
[ ! -e "$T/kit" ] || fail "kit written without a CA"

new_ca
crt="$MINICA_HOME/ca.crt"
fpr=$(openssl x509 -in "$crt" -noout -fingerprint -sha256 | sed 's/.*=//')
hex=$(printf '%s' "$fpr" | tr -d : | tr 'A-F' 'a-f')
[ ${#hex} -eq 64 ] || fail "cannot read the root's fingerprint"
# What people read: sixteen groups of four (t_cli_fingerprint).
grouped=$(printf '%s' "$hex" | tr 'a-f' 'A-F' | sed 's/..../& /g; s/ $//')

umask 077
expect 0 mc bundle --out "$T/kit"
umask 022
contains "$T/out" "$grouped"
contains "$T/out" "install-linux.sh"
k="$T/kit"
n=minica-ca
[ "$(mode_of "$k")" = 755 ] || fail "kit folder mode $(mode_of "$k")"
for f in $n.crt $n.cer $n.p7b $n.mobileconfig README.txt install-windows.ps1; do
	[ "$(mode_of "$k/$f")" = 644 ] || fail "$f mode $(mode_of "$k/$f")"
done
for f in install-linux.sh install-macos.sh install-java.sh; do
	[ "$(mode_of "$k/$f")" = 755 ] || fail "$f mode $(mode_of "$k/$f")"
	contains "$k/$f" "FPR='$hex'"
done
contains "$k/install-windows.ps1" "\$Expected = '$hex'"
contains "$k/README.txt" "$grouped"
contains "$k/README.txt" "Thunderbird"

# PEM, DER and PKCS#7 are the root, by openssl.
cmp -s "$k/$n.crt" "$crt" || fail "$n.crt differs from ca.crt"
openssl x509 -inform DER -in "$k/$n.cer" -out "$T/from-der.pem" || fail "DER unreadable"
cmp -s "$T/from-der.pem" "$crt" || fail "$n.cer is not the root"
openssl pkcs7 -inform DER -in "$k/$n.p7b" -print_certs -out "$T/p7.pem" || fail "P7B unreadable"
[ "$(grep -c 'BEGIN CERTIFICATE' "$T/p7.pem")" -eq 1 ] || fail "P7B holds more than the root"
[ "$(openssl x509 -in "$T/p7.pem" -noout -fingerprint -sha256 | sed 's/.*=//')" = "$fpr" ] ||
	fail "P7B certificate is not the root"

# The profile, by Python's plistlib; UUIDs recomputed with Python's uuid5.
python3 - "$k/$n.mobileconfig" "$k/$n.cer" "$hex" >"$T/py" 2>&1 <<'PY' || { cat "$T/py"; fail "mobileconfig"; }
import plistlib, sys, uuid
prof = plistlib.load(open(sys.argv[1], "rb"))
der = open(sys.argv[2], "rb").read()
ns = uuid.uuid5(uuid.NAMESPACE_URL, "urn:minica:bundle")
u = lambda label: str(uuid.uuid5(ns, label + ":" + sys.argv[3])).upper()
assert prof["PayloadType"] == "Configuration", prof["PayloadType"]
assert prof["PayloadVersion"] == 1
assert prof["PayloadUUID"] == u("profile")
assert prof["PayloadIdentifier"].endswith(u("profile"))
(root,) = prof["PayloadContent"]
assert root["PayloadType"] == "com.apple.security.root"
assert root["PayloadContent"] == der, "payload is not the DER root"
assert root["PayloadUUID"] == u("root")
assert root["PayloadIdentifier"].endswith(u("root"))
assert root["PayloadCertificateFileName"] == "minica-ca.cer"
PY

# Same root, same kit (profile UUIDs stable); another name, other files.
expect 0 mc bundle --out "$T/kit2" --name corp.root
cmp -s "$k/$n.cer" "$T/kit2/corp.root.cer" || fail "DER differs between runs"
grep -v -e corp.root -e minica-ca "$k/$n.mobileconfig" >"$T/m1"
grep -v -e corp.root -e minica-ca "$T/kit2/corp.root.mobileconfig" >"$T/m2"
cmp -s "$T/m1" "$T/m2" || fail "profile not stable for the same root"
contains "$T/kit2/install-linux.sh" "NAME='corp.root'"
expect 0 mc bundle --out "$T/kit"
cmp -s "$k/$n.mobileconfig" "$T/kit2/corp.root.mobileconfig" && fail "name not in the profile"

# The shell scripts are POSIX and clean under shellcheck.
shellcheck -s sh "$k/install-linux.sh" "$k/install-macos.sh" "$k/install-java.sh" ||
	fail "shellcheck"

# --out that is a file.
: >"$T/file"
expect 1 mc bundle --out "$T/file"
one_line "$T/err"

# The embedded templates match their sources.
if [ -f "$src/ca/bundle/embed.sh" ]; then
	sh "$src/ca/bundle/embed.sh" | cmp -s - "$src/ca/bundle_text.c" ||
		fail "ca/bundle_text.c is stale: sh ca/bundle/embed.sh > ca/bundle_text.c"
fi
