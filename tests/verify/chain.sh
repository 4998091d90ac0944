#!/bin/sh
# Verifies a chain file the way clients do, with five independent
# verifiers: OpenSSL (verify -x509_strict, intermediates as -untrusted),
# GnuTLS (certtool --verify), NSS classic (vfychain) and NSS libpkix
# (vfychain -pp), the roots in a fresh NSS database, and Go's crypto/x509
# (goverify.go beside this script, built once per source change).
#
#   chain.sh [--bad] [--client] TRUST.pem CHAIN.pem
#
# TRUST.pem: the trusted root(s); CHAIN.pem: the leaf first, then the
# intermediates, as minica writes it.  Exit 0 when every verifier
# accepts (with --bad: when every verifier rejects); otherwise 1, naming
# the verifiers that disagreed.
set -u
want=good purpose=sslserver usage=1 goflag=""
while [ $# -gt 2 ]; do
	case $1 in
	--bad) want=bad ;;
	--client) purpose=sslclient usage=0 goflag=-client ;;
	*) echo "chain.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
[ $# -eq 2 ] || { echo "usage: chain.sh [--bad] [--client] TRUST.pem CHAIN.pem" >&2; exit 2; }
trust=$1 chain=$2
for t in openssl certtool vfychain certutil go; do
	command -v $t >/dev/null || { echo "chain.sh: $t not installed" >&2; exit 1; }
done
d=$(mktemp -d /tmp/minica-chain.XXXXXX) || exit 1
trap 'rm -rf "$d"' EXIT
# Split both files into one PEM per certificate: c1 c2 ... and r1 r2 ...
split_pem() {
	awk -v out="$d/$2" '/-----BEGIN CERTIFICATE-----/ { n++; f = out n ".pem" }
		f != "" { print > f } /-----END CERTIFICATE-----/ { close(f); f = "" }
		END { if (n == 0) exit 1 }' "$1" || { echo "chain.sh: no certificate in '$1'" >&2; exit 1; }
}
split_pem "$chain" c
split_pem "$trust" r
: > "$d/untrusted.pem"
for f in "$d"/c*.pem; do
	[ "$f" = "$d/c1.pem" ] || cat "$f" >> "$d/untrusted.pem"
done
certutil -N -d "sql:$d/nss" --empty-password 2>/dev/null || { mkdir "$d/nss" && certutil -N -d "sql:$d/nss" --empty-password; } || exit 1
i=0
for f in "$d"/r*.pem; do
	i=$((i + 1))
	certutil -A -d "sql:$d/nss" -n "root$i" -t "CT,C,C" -a -i "$f" || exit 1
done
nss_args=""
for f in "$d"/c*.pem; do
	nss_args="$nss_args -a $f"
done
here=$(cd "$(dirname "$0")" && pwd)
gobin=${TMPDIR:-/tmp}/minica-goverify-$(id -u)
if [ ! -x "$gobin" ] || [ "$here/goverify.go" -nt "$gobin" ]; then
	GOCACHE=${GOCACHE:-${TMPDIR:-/tmp}/minica-gocache-$(id -u)} GOFLAGS=-mod=mod GO111MODULE=off \
		go build -o "$d/goverify" "$here/goverify.go" && mv -f "$d/goverify" "$gobin" ||
		{ echo "chain.sh: cannot build $here/goverify.go" >&2; exit 1; }
fi
bad=""
check() {
	name=$1
	shift
	if "$@" > "$d/out" 2>&1; then got=good; else got=bad; fi
	if [ "$got" != "$want" ]; then
		bad="$bad $name"
		echo "chain.sh: $name says $got, expected $want:" >&2
		sed 's/^/    /' "$d/out" | tail -8 >&2
	fi
}
if [ -s "$d/untrusted.pem" ]; then
	check "openssl verify" openssl verify -x509_strict -purpose $purpose -CAfile "$trust" \
		-untrusted "$d/untrusted.pem" "$d/c1.pem"
else
	check "openssl verify" openssl verify -x509_strict -purpose $purpose -CAfile "$trust" "$d/c1.pem"
fi
check "certtool --verify" certtool --verify --load-ca-certificate "$trust" --infile "$chain"
# shellcheck disable=SC2086 # word splitting of the file list is wanted
check "vfychain" vfychain -d "sql:$d/nss" -u $usage $nss_args
# shellcheck disable=SC2086
check "vfychain -pp" vfychain -d "sql:$d/nss" -pp -u $usage $nss_args
# shellcheck disable=SC2086 # goflag is empty or one word
check "go crypto/x509" "$gobin" $goflag "$trust" "$chain"
[ -z "$bad" ]
