#!/bin/sh
# install-linux.sh from the kit, run for real against a temporary root
# folder (DESTROOT) and temporary NSS databases: installs, is idempotent,
# uninstalls exactly what it added, refuses a certificate that does not
# match its fingerprint.
. "$(dirname "$0")/lib.sh"
command -v certutil >/dev/null || fail "certutil missing (libnss3-tools)"

new_ca
expect 0 mc bundle --out "$T/kit"
k="$T/kit"
n=minica-ca
D="$T/dest"
nss="$T/nssdb"
export DESTROOT="$D" NSSDB_DIRS="$nss"
inst() { expect "$1" sh "$k/install-linux.sh" "$@"; }

# A Debian-like root with the folders the ca-certificates package makes.
mkdir -p "$D/etc/ssl/certs" "$D/usr/share/ca-certificates" "$D/etc/ca-certificates/update.d" \
	"$D/usr/local/share/ca-certificates"
printf 'ID=ubuntu\nID_LIKE=debian\n' >"$D/etc/os-release"
: >"$D/etc/ca-certificates.conf"
mkdir "$nss"
certutil -N -d "sql:$nss" --empty-password
# Something the user had before, which uninstall must leave alone.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/o.key" \
	-out "$T/other.crt" -subj "/CN=Other CA" -days 30 2>/dev/null
certutil -A -d "sql:$nss" -n other -t "C,," -i "$T/other.crt"

snap() { (cd "$D" && find . -exec ls -ld --time-style=+%s.%N {} + | sort -k7); }
snap >"$T/tree0"
certutil -L -d "sql:$nss" >"$T/nss0"

# Install.
expect 0 sh "$k/install-linux.sh"
contains "$T/out" "system: added $D/usr/local/share/ca-certificates/$n.crt"
contains "$T/out" "nss: added to $nss"
cmp -s "$D/usr/local/share/ca-certificates/$n.crt" "$k/$n.crt" || fail "installed file differs"
[ "$(mode_of "$D/usr/local/share/ca-certificates/$n.crt")" = 644 ] || fail "anchor mode"
certutil -L -d "sql:$nss" | grep -E "^$n +C,, *$" >/dev/null || { certutil -L -d "sql:$nss"; fail "not in NSS with C,,"; }
certutil -L -d "sql:$nss" -n "$n" -a | openssl x509 -noout -fingerprint -sha256 >"$T/f1"
openssl x509 -in "$MINICA_HOME/ca.crt" -noout -fingerprint -sha256 >"$T/f2"
cmp -s "$T/f1" "$T/f2" || fail "NSS holds another certificate"

# Debian's own update-ca-certificates, pointed at the test root, takes it
# into the bundle that OpenSSL, GnuTLS and friends read.
if [ -x /usr/sbin/update-ca-certificates ]; then
	/usr/sbin/update-ca-certificates --certsconf "$D/etc/ca-certificates.conf" \
		--certsdir "$D/usr/share/ca-certificates" --localcertsdir "$D/usr/local/share/ca-certificates" \
		--etccertsdir "$D/etc/ssl/certs" --hooksdir "$D/etc/ca-certificates/update.d" >/dev/null 2>&1 ||
		fail "update-ca-certificates rejected the tree"
	openssl verify -CAfile "$D/etc/ssl/certs/ca-certificates.crt" "$MINICA_HOME/ca.crt" >/dev/null ||
		fail "root not in the rebuilt bundle"
	# Back to the state before, so the tree snapshots below compare.
	rm -rf "$D/etc/ssl/certs" && mkdir "$D/etc/ssl/certs" && : >"$D/etc/ca-certificates.conf"
	touch -d @0 "$D/etc/ssl/certs" "$D/etc/ssl" "$D/etc/ca-certificates.conf"
fi

# Again: nothing changes, not even a timestamp.
snap >"$T/tree1"
certutil -L -d "sql:$nss" >"$T/nss1"
expect 0 sh "$k/install-linux.sh"
contains "$T/out" "system: already trusted"
contains "$T/out" "nss: already trusted in $nss"
snap | cmp -s - "$T/tree1" || fail "second install changed the tree"
certutil -L -d "sql:$nss" | cmp -s - "$T/nss1" || fail "second install changed NSS"

# Uninstall: back to exactly what there was, the other CA kept.
expect 0 sh "$k/install-linux.sh" --uninstall
contains "$T/out" "system: removed"
contains "$T/out" "nss: removed from $nss"
[ ! -e "$D/usr/local/share/ca-certificates/$n.crt" ] || fail "anchor left behind"
certutil -L -d "sql:$nss" | cmp -s - "$T/nss0" || fail "NSS not back to its first state"
(cd "$D" && find . | sort) >"$T/names2"
awk '{print $NF}' "$T/tree0" | sort | cmp -s - "$T/names2" || fail "tree not back to its first state"
expect 0 sh "$k/install-linux.sh" --uninstall
contains "$T/out" "system: not installed"
contains "$T/out" "nss: not installed in $nss"

# Tampered certificates are refused, and nothing is installed.
cp -R "$k" "$T/bad"
refused() {
	expect 1 sh "$T/bad/install-linux.sh"
	contains "$T/err" "is not the expected certificate"
	contains "$T/err" "refusing to install"
	[ ! -e "$D/usr/local/share/ca-certificates/$n.crt" ] || fail "tampered file installed"
	certutil -L -d "sql:$nss" | cmp -s - "$T/nss0" || fail "tampered file added to NSS"
}
# One base64 character changed in the middle.
awk 'NR == 10 { c = substr($0, 20, 1); $0 = substr($0, 1, 19) (c == "A" ? "B" : "A") substr($0, 21) } { print }' \
	"$k/$n.crt" >"$T/bad/$n.crt"
cmp -s "$k/$n.crt" "$T/bad/$n.crt" && fail "tampering did nothing"
refused
# Another certificate altogether.
cp "$T/other.crt" "$T/bad/$n.crt"
refused
# The right one with a second certificate after it.
cat "$k/$n.crt" "$T/other.crt" >"$T/bad/$n.crt"
refused
# The right one with text before it.
{ echo "hello"; cat "$k/$n.crt"; } >"$T/bad/$n.crt"
refused
# Missing.
rm "$T/bad/$n.crt"
expect 1 sh "$T/bad/install-linux.sh"
contains "$T/err" "cannot find"

# A different file already at the anchor path is neither replaced nor removed.
cp "$T/other.crt" "$D/usr/local/share/ca-certificates/$n.crt"
expect 1 sh "$k/install-linux.sh" --no-nss
contains "$T/err" "is another certificate"
cmp -s "$T/other.crt" "$D/usr/local/share/ca-certificates/$n.crt" || fail "foreign anchor replaced"
expect 1 sh "$k/install-linux.sh" --uninstall --no-nss
cmp -s "$T/other.crt" "$D/usr/local/share/ca-certificates/$n.crt" || fail "foreign anchor removed"
rm "$D/usr/local/share/ca-certificates/$n.crt"

# Each distribution family's anchor folder, from os-release.
for d in "fedora::/etc/pki/ca-trust/source/anchors" \
	"rocky:rhel centos fedora:/etc/pki/ca-trust/source/anchors" \
	"arch::/etc/ca-certificates/trust-source/anchors" \
	"alpine::/usr/local/share/ca-certificates" \
	"opensuse-leap:suse opensuse:/etc/pki/trust/anchors" \
	"debian::/usr/local/share/ca-certificates"; do
	id=${d%%:*} rest=${d#*:}
	like=${rest%%:*} dir=${rest#*:}
	R="$T/d-$id"
	mkdir -p "$R/etc" "$R$dir"
	printf 'ID=%s\nID_LIKE="%s"\n' "$id" "$like" >"$R/etc/os-release"
	DESTROOT="$R" expect 0 sh "$k/install-linux.sh" --no-nss
	cmp -s "$R$dir/$n.crt" "$k/$n.crt" || fail "$id: not in $dir"
	DESTROOT="$R" expect 0 sh "$k/install-linux.sh" --no-nss --uninstall
	[ ! -e "$R$dir/$n.crt" ] || fail "$id: not removed"
done
# DISTRO overrides os-release; an unknown one and a missing folder are refused.
mkdir -p "$T/d-x/etc/pki/trust/anchors"
DESTROOT="$T/d-x" DISTRO=suse expect 0 sh "$k/install-linux.sh" --no-nss
[ -f "$T/d-x/etc/pki/trust/anchors/$n.crt" ] || fail "DISTRO ignored"
DESTROOT="$T/d-x" DISTRO=plan9 expect 1 sh "$k/install-linux.sh" --no-nss
contains "$T/err" "unknown distribution"
DESTROOT="$T/d-x" DISTRO=fedora expect 1 sh "$k/install-linux.sh" --no-nss
contains "$T/err" "does not exist"

# Without NSSDB_DIRS the script finds Firefox and Thunderbird profiles and
# Chromium's database in the user's home.
H="$T/userhome"
for db in "$H/.mozilla/firefox/ab12.default-release" "$H/.thunderbird/cd34.default" "$H/.pki/nssdb"; do
	mkdir -p "$db"
	certutil -N -d "sql:$db" --empty-password
done
mkdir -p "$H/.mozilla/firefox/empty.profile"
unset NSSDB_DIRS
NSS_HOME="$H" expect 0 sh "$k/install-linux.sh" --no-system
[ "$(grep -c '^nss: added to' "$T/out")" -eq 3 ] || { cat "$T/out"; fail "not every database found"; }
for db in "$H/.mozilla/firefox/ab12.default-release" "$H/.thunderbird/cd34.default" "$H/.pki/nssdb"; do
	certutil -L -d "sql:$db" -n "$n" >/dev/null 2>&1 || fail "not added to $db"
done
[ ! -e "$H/.mozilla/firefox/empty.profile/cert9.db" ] || fail "created a database"
NSS_HOME="$H" expect 0 sh "$k/install-linux.sh" --no-system --uninstall
[ "$(grep -c '^nss: removed from' "$T/out")" -eq 3 ] || { cat "$T/out"; fail "not removed everywhere"; }
