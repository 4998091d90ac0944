#!/bin/sh
# install-macos.sh - trust the "@NAME@" root certificate on this Mac.
#
# Written by minica.  Checks that @NAME@.cer (next to this script) has the
# SHA-256 fingerprint below, then adds it to the System keychain as a
# trusted root for every user.  Running it again changes nothing.
#
#   sudo sh install-macos.sh               install
#   sudo sh install-macos.sh --uninstall   remove
#
# Expected SHA-256 fingerprint: @FPR_GROUPED@
set -eu

NAME='@NAME@'
FPR='@FPR@'
SHA1='@SHA1@'
KEYCHAIN=/Library/Keychains/System.keychain
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
CER="$here/$NAME.cer"

die() { printf 'install-macos.sh: %s\n' "$*" >&2; exit 1; }

upper() { printf '%s\n' "$1" | tr '[:lower:]' '[:upper:]'; }

installed() {
	security find-certificate -a -Z "$KEYCHAIN" 2>/dev/null |
		grep -q "SHA-1 hash: $(upper "$SHA1")"
}

[ "$(id -u)" -eq 0 ] || die "the System keychain needs root: run 'sudo sh $0'"
echo "$NAME: SHA-256 $FPR"
case ${1:-} in
--uninstall)
	if ! installed; then
		echo "not installed"
		exit 0
	fi
	security remove-trusted-cert -d "$CER" 2>/dev/null || true
	security delete-certificate -Z "$(upper "$SHA1")" "$KEYCHAIN"
	echo "removed from $KEYCHAIN"
	exit 0
	;;
'') ;;
*) die "usage: sudo sh install-macos.sh [--uninstall]" ;;
esac

[ -f "$CER" ] || die "cannot find '$CER': keep this script next to it"
got=$(shasum -a 256 <"$CER" | cut -d' ' -f1)
[ "$got" = "$FPR" ] ||
	die "'$CER' is not the expected certificate (SHA-256 $FPR, found $got): refusing to install it"
if installed; then
	echo "already in $KEYCHAIN"
	exit 0
fi
security add-trusted-cert -d -r trustRoot -k "$KEYCHAIN" "$CER"
echo "added to $KEYCHAIN"
