#!/bin/sh
# install-java.sh - trust the "@NAME@" root certificate in Java.
#
# Written by minica.  Checks that @NAME@.cer (next to this script) has the
# SHA-256 fingerprint below, then imports it into the cacerts of the Java
# found first on PATH (or $JAVA_HOME/bin).  The snippet it runs is
#
#   keytool -importcert -cacerts -noprompt -alias @NAME@ -file @NAME@.cer
#
# cacerts' password is read from $STOREPASS (default: Java's "changeit").
# Java 8 has no -cacerts: use -keystore "$JAVA_HOME/jre/lib/security/cacerts".
#
#   sudo sh install-java.sh               install
#   sudo sh install-java.sh --uninstall   remove
#
# Expected SHA-256 fingerprint: @FPR_GROUPED@
set -eu

NAME='@NAME@'
FPR='@FPR@'
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
CER="$here/$NAME.cer"
STOREPASS=${STOREPASS:-changeit}
export STOREPASS
KEYTOOL=keytool
[ -z "${JAVA_HOME:-}" ] || KEYTOOL="$JAVA_HOME/bin/keytool"

die() { printf 'install-java.sh: %s\n' "$*" >&2; exit 1; }

sha256() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum | cut -d' ' -f1
	else
		shasum -a 256 | cut -d' ' -f1
	fi
}

installed() {
	"$KEYTOOL" -list -cacerts -storepass:env STOREPASS -alias "$NAME" >/dev/null 2>&1
}

echo "$NAME: SHA-256 $FPR"
case ${1:-} in
--uninstall)
	if installed; then
		"$KEYTOOL" -delete -cacerts -storepass:env STOREPASS -alias "$NAME"
		echo "removed from Java cacerts"
	else
		echo "not installed"
	fi
	exit 0
	;;
'') ;;
*) die "usage: sh install-java.sh [--uninstall]" ;;
esac

[ -f "$CER" ] || die "cannot find '$CER': keep this script next to it"
got=$(sha256 <"$CER")
[ "$got" = "$FPR" ] ||
	die "'$CER' is not the expected certificate (SHA-256 $FPR, found $got): refusing to install it"
if installed; then
	echo "already in Java cacerts"
	exit 0
fi
"$KEYTOOL" -importcert -cacerts -noprompt -storepass:env STOREPASS -alias "$NAME" -file "$CER"
echo "added to Java cacerts"
