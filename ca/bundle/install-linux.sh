#!/bin/sh
# install-linux.sh - trust the "@NAME@" root certificate on this machine.
#
# Written by minica.  Checks that @NAME@.crt (next to this script) has the
# SHA-256 fingerprint below, then adds it to the system trust store and to
# every NSS database (Firefox, Thunderbird, Chromium, Evolution) of the user
# who runs it (under sudo: the user who ran sudo).  Running it again changes
# nothing; --uninstall removes exactly what it added and nothing else.
#
#   sudo sh install-linux.sh               install
#   sudo sh install-linux.sh --uninstall   remove
#
# Options:     --no-system  only the NSS databases (no root needed)
#              --no-nss     only the system trust store
# Environment (tests, unusual layouts):
#   DESTROOT   prefix for every system path; the trust-store refresh command
#              (update-ca-certificates, ...) is then not run
#   DISTRO     debian, fedora, arch, alpine or suse instead of os-release
#   NSSDB_DIRS colon-separated NSS database folders instead of the search
#   NSS_HOME   home folder searched for NSS databases
#
# Expected SHA-256 fingerprint: @FPR_GROUPED@
set -eu

NAME='@NAME@'
FPR='@FPR@'
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
CRT="$here/$NAME.crt"
D=${DESTROOT:-}
status=0

say() { printf '%s\n' "$*"; }
err() { printf 'install-linux.sh: %s\n' "$*" >&2; status=1; }
die() { err "$@"; exit 1; }

usage() {
	say "usage: sh install-linux.sh [--uninstall] [--no-system] [--no-nss]"
	exit "$1"
}

sha256() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum | cut -d' ' -f1
	else
		openssl dgst -sha256 -r | cut -d' ' -f1
	fi
}

b64decode() {
	if command -v base64 >/dev/null 2>&1; then
		base64 -d
	else
		openssl base64 -d
	fi
}

# Prints the SHA-256 of the single PEM certificate read from stdin, or
# "bad" for anything else: a second certificate, text around it, bad base64.
pem_fpr() {
	b64=$(awk '
		{ sub(/\r$/, "") }
		NR == 1 { if ($0 != "-----BEGIN CERTIFICATE-----") bad = 1; next }
		done { if ($0 != "") bad = 1; next }
		$0 == "-----END CERTIFICATE-----" { done = 1; next }
		/^[A-Za-z0-9+\/=]+$/ { print; next }
		{ bad = 1 }
		END { if (bad || !done) exit 1 }') || { say bad; return 0; }
	printf '%s\n' "$b64" | b64decode 2>/dev/null | sha256
}

check_crt() {
	[ -f "$CRT" ] || die "cannot find '$CRT': keep this script next to it"
	got=$(pem_fpr <"$CRT")
	[ "$got" = "$FPR" ] ||
		die "'$CRT' is not the expected certificate (SHA-256 $FPR, found $got): refusing to install it"
}

distro_of() {
	for id in "$@"; do
		case $id in
		debian | ubuntu | linuxmint | pop | raspbian | devuan | kali) say debian; return ;;
		fedora | rhel | centos | rocky | almalinux | ol | amzn) say fedora; return ;;
		arch | archarm | manjaro | endeavouros) say arch; return ;;
		alpine) say alpine; return ;;
		opensuse* | suse | sles | sled) say suse; return ;;
		esac
	done
}

detect_distro() {
	if [ -n "${DISTRO:-}" ]; then
		say "$DISTRO"
		return
	fi
	f="$D/etc/os-release"
	[ -r "$f" ] || f="$D/usr/lib/os-release"
	[ -r "$f" ] || return 0
	# Read, never source: the file is data.
	ids=$(sed -n 's/^ID=//p; s/^ID_LIKE=//p' "$f" | tr -d "\"'")
	# shellcheck disable=SC2086 # split the ID words on purpose
	distro_of $ids
}

# Sets ANCHOR (the folder the distribution reads extra roots from) and
# REFRESH (the command that rebuilds its bundles).
select_store() {
	distro=$(detect_distro)
	case $distro in
	debian | alpine)
		ANCHOR=/usr/local/share/ca-certificates REFRESH=update-ca-certificates ;;
	fedora)
		ANCHOR=/etc/pki/ca-trust/source/anchors REFRESH="update-ca-trust extract" ;;
	arch)
		ANCHOR=/etc/ca-certificates/trust-source/anchors REFRESH="trust extract-compat" ;;
	suse)
		ANCHOR=/etc/pki/trust/anchors REFRESH=update-ca-certificates ;;
	*)
		die "unknown distribution '$distro': set DISTRO to debian, fedora, arch, alpine or suse" ;;
	esac
	DST="$D$ANCHOR/$NAME.crt"
}

refresh() {
	if [ -n "$D" ]; then
		say "system: DESTROOT set, not running '$REFRESH'"
		return 0
	fi
	# shellcheck disable=SC2086 # REFRESH is a command and its arguments
	$REFRESH >/dev/null || die "'$REFRESH' failed"
}

need_system_rights() {
	[ -n "$D" ] && return 0
	[ "$(id -u)" -eq 0 ] ||
		die "the system trust store needs root: run 'sudo sh $0', or add --no-system"
	cmd=${REFRESH%% *}
	command -v "$cmd" >/dev/null 2>&1 ||
		die "'$cmd' not found: install the ca-certificates package first"
}

system_install() {
	select_store
	need_system_rights
	[ -d "$D$ANCHOR" ] ||
		die "'$D$ANCHOR' does not exist: install the ca-certificates package first"
	if [ -e "$DST" ] || [ -L "$DST" ]; then
		if [ ! -L "$DST" ] && [ "$(pem_fpr <"$DST")" = "$FPR" ]; then
			say "system: already trusted ($DST)"
			return 0
		fi
		die "'$DST' exists and is another certificate: not touching it"
	fi
	tmp="$DST.tmp.$$"
	if ! { cp -- "$CRT" "$tmp" && chmod 0644 "$tmp" && mv -f -- "$tmp" "$DST"; }; then
		rm -f -- "$tmp"
		die "cannot write '$DST'"
	fi
	say "system: added $DST"
	refresh
}

system_uninstall() {
	select_store
	need_system_rights
	if [ ! -e "$DST" ] && [ ! -L "$DST" ]; then
		say "system: not installed ($DST)"
		return 0
	fi
	if [ -L "$DST" ] || [ "$(pem_fpr <"$DST")" != "$FPR" ]; then
		err "'$DST' is another certificate: left alone"
		return 0
	fi
	rm -f -- "$DST"
	say "system: removed $DST"
	refresh
}

user_home() {
	if [ -n "${NSS_HOME:-}" ]; then
		say "$NSS_HOME"
	elif [ "$(id -u)" -eq 0 ] && [ -n "${SUDO_USER:-}" ]; then
		getent passwd "$SUDO_USER" | cut -d: -f6
	else
		say "${HOME:-}"
	fi
}

# certutil as the user who ran sudo, so the databases keep their owner.
as_user() {
	if [ "$(id -u)" -eq 0 ] && [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ] &&
		command -v sudo >/dev/null 2>&1; then
		sudo -u "$SUDO_USER" -- "$@"
	else
		"$@"
	fi
}

# Adds to or removes from every NSS database folder (one with cert9.db).
each_nssdb() {
	if [ -n "${NSSDB_DIRS:-}" ]; then
		old_ifs=$IFS
		IFS=:
		set -f
		# shellcheck disable=SC2086 # split on ':' on purpose
		set -- $NSSDB_DIRS
		set +f
		IFS=$old_ifs
	else
		h=$(user_home)
		[ -n "$h" ] || return 0
		set -- "$h/.pki/nssdb" "$h"/.mozilla/firefox/*/ "$h"/.thunderbird/*/ \
			"$h"/.config/mozilla/firefox/*/ \
			"$h"/snap/firefox/common/.mozilla/firefox/*/ \
			"$h"/snap/thunderbird/common/.thunderbird/*/ \
			"$h"/.var/app/org.mozilla.firefox/.mozilla/firefox/*/ \
			"$h"/.var/app/org.mozilla.Thunderbird/.thunderbird/*/ \
			"$h"/.var/app/org.chromium.Chromium/.pki/nssdb
	fi
	found=0
	for db in "$@"; do
		db=${db%/}
		[ -f "$db/cert9.db" ] || continue
		found=1
		if [ "$mode" = install ]; then
			nss_add "$db"
		else
			nss_remove "$db"
		fi
	done
	[ "$found" -eq 1 ] || say "nss: no NSS databases found"
}

# Prints the fingerprint of the certificate called $NAME in database $1,
# nothing when there is none.
nss_fpr() {
	pem=$(certutil -L -d "sql:$1" -n "$NAME" -a 2>/dev/null) || return 0
	printf '%s\n' "$pem" | pem_fpr
}

nss_add() {
	have=$(nss_fpr "$1")
	if [ "$have" = "$FPR" ]; then
		say "nss: already trusted in $1"
	elif [ -n "$have" ]; then
		err "nss: $1 already holds another certificate called '$NAME': skipped"
	elif as_user certutil -A -d "sql:$1" -n "$NAME" -t "C,," -i "$CRT"; then
		say "nss: added to $1"
	else
		err "nss: cannot add to $1"
	fi
}

nss_remove() {
	have=$(nss_fpr "$1")
	if [ -z "$have" ]; then
		say "nss: not installed in $1"
	elif [ "$have" != "$FPR" ]; then
		err "nss: '$NAME' in $1 is another certificate: left alone"
	elif as_user certutil -D -d "sql:$1" -n "$NAME"; then
		say "nss: removed from $1"
	else
		err "nss: cannot remove from $1"
	fi
}

nss() {
	if ! command -v certutil >/dev/null 2>&1; then
		say "nss: certutil not found (package libnss3-tools, nss-tools or nss):" \
			"browsers and mail clients with their own store were not changed"
		return 0
	fi
	each_nssdb
}

main() {
	mode=install system=1 nssdb=1
	for arg in "$@"; do
		case $arg in
		--uninstall) mode=uninstall ;;
		--no-system) system=0 ;;
		--no-nss) nssdb=0 ;;
		-h | --help) usage 0 ;;
		*) usage 64 ;;
		esac
	done
	say "$NAME: SHA-256 $FPR"
	if [ "$mode" = install ]; then
		check_crt
		if [ "$system" -eq 1 ]; then system_install; fi
	elif [ "$system" -eq 1 ]; then
		system_uninstall
	fi
	if [ "$nssdb" -eq 1 ]; then nss; fi
	exit "$status"
}

main "$@"
