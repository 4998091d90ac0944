#!/bin/sh
# install.sh: set up minica on Debian 12, as root.
#
# Installs the Debian packages minica needs to build, run and test, builds it
# with make, installs it with make install, and installs the daily cron check.
# Running it again changes nothing that is already in place, and says so.
# See ./install.sh --help.
set -eu

PREFIX=/usr/local
WANT_CRON=1
WANT_TEST=1

# What each step needs.  Only missing packages are installed; nothing that is
# present is upgraded or removed.
BUILD_PKGS="build-essential pkg-config clang libssl-dev libsqlite3-dev libpopt-dev libidn2-dev libpsl-dev
 libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev libunbound-dev"
# man-db to read minica(1); ca-certificates for `deploy --system-trust`;
# dns-root-data for DNSSEC validation (check --dane); bash-completion.
RUN_PKGS="man-db ca-certificates dns-root-data bash-completion"
# make test, make check-asan (libclang-rt-14-dev holds clang's sanitizer and
# libFuzzer runtimes; clang only recommends it), the e2e daemons, make bench.
TEST_PKGS="libcriterion-dev libclang-rt-14-dev openssl gnutls-bin faketime sqlite3 python3 shellcheck
 libnss3-tools curl valgrind easy-rsa postfix dovecot-imapd nginx hyperfine time mkcert golang-cfssl
 strace certbot lego dehydrated uacme caddy pebble python3-acme nsd unbound ldnsutils bind9-dnsutils golang-go"
# Installed for the end-to-end tests only, which run their own throw-away
# instances: a fresh install of these is neither started nor enabled.
DAEMON_PKGS="postfix dovecot-imapd nginx caddy nsd unbound"

POLICY=/usr/sbin/policy-rc.d
POLICY_SAVED=/usr/sbin/policy-rc.d.minica-saved
POLICY_MARK="written by minica install.sh"
CRON_DEST=/etc/cron.d/minica
UNIT_DIR=/etc/systemd/system

me=install.sh
top=$(cd "$(dirname "$0")" && pwd)

usage() {
	cat <<EOF
usage: ./install.sh [--prefix DIR] [--no-cron] [--no-test-deps] [--help]

Run as root on Debian 12.  Installs the Debian packages minica needs, builds
it with make and installs it with make install:

  PREFIX/bin/minica                  (PREFIX defaults to /usr/local)
  PREFIX/share/man/man1/minica.1
  PREFIX/share/bash-completion/completions/minica
  /etc/cron.d/minica                 daily 'minica check --quiet'
  /etc/systemd/system/minica-check.{service,timer}
  /etc/systemd/system/minica-acme.service
                                     only where systemd is the init; not enabled

Options:
  --prefix DIR     install under DIR instead of /usr/local
  --no-cron        do not install /etc/cron.d/minica
  --no-test-deps   install only what is needed to build and run minica, not
                   the packages 'make test' needs (no postfix, dovecot, nginx)
  -h, --help       print this and exit

Packages postfix, dovecot-imapd and nginx are installed for the end-to-end
tests, which start their own instances on 127.0.0.1 high ports.  When this
script installs them it neither starts nor enables them; where they are
already installed it leaves them as they are.

Run it again at any time: what is already in place is left alone.
EOF
}

say() { printf '%s: %s\n' "$me" "$*"; }
die() { printf '%s: %s\n' "$me" "$*" >&2; exit 1; }
usage_error() {
	printf '%s: %s\n' "$me" "$*" >&2
	printf "Try './install.sh --help'.\n" >&2
	exit 64
}

while [ $# -gt 0 ]; do
	case $1 in
	--prefix)
		[ $# -ge 2 ] || usage_error "--prefix needs a folder"
		PREFIX=$2
		shift 2
		;;
	--prefix=*)
		PREFIX=${1#--prefix=}
		shift
		;;
	--no-cron) WANT_CRON=0; shift ;;
	--no-test-deps) WANT_TEST=0; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage_error "unknown option '$1'" ;;
	esac
done

case $PREFIX in
/*) ;;
*) usage_error "--prefix must be an absolute path, not '$PREFIX'" ;;
esac
PREFIX=${PREFIX%/}
[ -n "$PREFIX" ] || usage_error "--prefix / is not supported; use /usr/local or /opt/minica"

if [ "$(id -u)" -ne 0 ]; then
	die "must run as root: it installs Debian packages and writes to $PREFIX and /etc. Try: sudo ./install.sh"
fi
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
	die "apt-get and dpkg-query not found: this script is for Debian 12. Elsewhere install the equivalents of: $BUILD_PKGS, then run 'make' and 'make install'."
fi
if [ -r /etc/os-release ]; then
	# shellcheck disable=SC1091
	os_id=$(. /etc/os-release && printf '%s %s' "${ID:-}" "${VERSION_ID:-}")
	[ "$os_id" = "debian 12" ] || say "note: written for Debian 12, this is '$os_id'; carrying on"
fi

cd "$top"
changed=0

# ---------------------------------------------------------------------------
# Packages

installed() {
	[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" = "ii " ]
}

# An earlier run that was killed may have left its policy-rc.d in place.
restore_policy() {
	if [ -f "$POLICY" ] && grep -q "$POLICY_MARK" "$POLICY" 2>/dev/null; then
		if [ -e "$POLICY_SAVED" ]; then
			mv -f "$POLICY_SAVED" "$POLICY"
		else
			rm -f "$POLICY"
		fi
	fi
}
restore_policy

# While packages are installed, keep maintainer scripts from starting the
# test daemons; every other service is left to the policy that was there.
block_daemon_starts() {
	if [ -e "$POLICY" ]; then
		mv -f "$POLICY" "$POLICY_SAVED"
	fi
	trap restore_policy EXIT
	trap 'restore_policy; exit 130' INT TERM
	cat >"$POLICY" <<EOF
#!/bin/sh
# $POLICY_MARK while it installs test daemons; removed when it ends.
case "\$1" in
postfix | postfix.service | postfix@* | dovecot | dovecot.* | nginx | nginx.service | caddy | caddy.* | nsd | nsd.service | unbound | unbound.* ) exit 101 ;;
esac
if [ -x $POLICY_SAVED ]; then
	exec $POLICY_SAVED "\$@"
fi
exit 0
EOF
	chmod 0755 "$POLICY"
}

# Debian's packages enable their units on install; a daemon installed only
# for the tests should not come up at the next boot.
disable_units() {
	for unit in "$@"; do
		if command -v systemctl >/dev/null 2>&1; then
			# Also disables the SysV links (systemd-sysv-install).
			systemctl is-enabled --quiet "$unit" 2>/dev/null || continue
			systemctl disable --quiet "$unit" 2>/dev/null && continue
		else
			# No systemd here (sysvinit, a container, a chroot), yet the
			# packages left enable links for systemd and rc?.d links.
			ok=1
			if [ -d /etc/systemd/system ]; then
				find /etc/systemd/system -path "*.wants/$unit" -type l -exec rm -f {} + || ok=0
			fi
			name=${unit%.service}
			if [ "$name" != "$unit" ] && [ -x "/etc/init.d/$name" ]; then
				update-rc.d "$name" disable >/dev/null 2>&1 || ok=0
			fi
			[ "$ok" -eq 1 ] && continue
		fi
		say "warning: could not disable $unit; run: systemctl disable $unit"
	done
}

wanted="$BUILD_PKGS $RUN_PKGS"
[ "$WANT_TEST" -eq 1 ] && wanted="$wanted $TEST_PKGS"

missing=""
present=0
for p in $wanted; do
	if installed "$p"; then
		present=$((present + 1))
	else
		missing="$missing $p"
	fi
done
missing=${missing# }

new_daemons=""
for p in $missing; do
	case " $DAEMON_PKGS " in
	*" $p "*) new_daemons="$new_daemons $p" ;;
	esac
done
new_daemons=${new_daemons# }

if [ -n "$missing" ]; then
	say "installing Debian packages: $missing"
	export DEBIAN_FRONTEND=noninteractive
	case " $missing " in
	*" postfix "*)
		mailname=$(hostname --fqdn 2>/dev/null || hostname)
		printf '%s\n' \
			"postfix postfix/main_mailer_type select No configuration" \
			"postfix postfix/mailname string $mailname" |
			debconf-set-selections
		;;
	esac
	apt-get update -q || die "apt-get update failed (see above); check the network and /etc/apt/sources.list, then run ./install.sh again"
	[ -n "$new_daemons" ] && block_daemon_starts
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		$missing || die "apt-get install failed (see above); nothing was built"
	restore_policy
	trap - EXIT INT TERM
	units=""
	for p in $new_daemons; do
		case $p in
		postfix) units="$units postfix.service" ;;
		dovecot-imapd) units="$units dovecot.service dovecot.socket" ;;
		nginx) units="$units nginx.service" ;;
		caddy) units="$units caddy.service caddy-api.service" ;;
		nsd) units="$units nsd.service" ;;
		unbound) units="$units unbound.service unbound-resolvconf.service" ;;
		esac
	done
	# shellcheck disable=SC2086
	[ -n "$units" ] && disable_units $units
	changed=1
fi

# ---------------------------------------------------------------------------
# Build and install

if make -q all >/dev/null 2>&1; then
	build_note="up to date"
else
	say "building with make"
	if ! make; then
		die "the build failed: 'make' exited non-zero (its output is above). The packages are installed; fix the build and run ./install.sh again."
	fi
	build_note="built"
fi

bin_dest=$PREFIX/bin/minica
man_dest=$PREFIX/share/man/man1/minica.1
# bash-completion looks in PREFIX/share (XDG_DATA_DIRS) for completions.
comp_dest=$PREFIX/share/bash-completion/completions/minica
if cmp -s build/minica "$bin_dest" && cmp -s docs/minica.1 "$man_dest" && cmp -s contrib/minica.bash "$comp_dest"; then
	install_note="unchanged"
else
	say "installing with make install PREFIX=$PREFIX"
	make install PREFIX="$PREFIX" || die "'make install PREFIX=$PREFIX' failed (see above)"
	install_note="installed"
	changed=1
fi

# install_file SRC DEST: SRC with /usr/local/bin/minica pointing at this
# PREFIX, root-owned 0644; sets file_note to installed or unchanged.
install_file() {
	tmp=$(mktemp)
	sed "s|/usr/local/bin/minica|$PREFIX/bin/minica|g" "$1" >"$tmp"
	if cmp -s "$tmp" "$2" && [ "$(stat -c '%a %U %G' "$2")" = "644 root root" ]; then
		file_note="unchanged"
		rm -f "$tmp"
	else
		install -o root -g root -m 0644 "$tmp" "$2"
		rm -f "$tmp"
		file_note="installed"
		changed=1
	fi
}

cron_note="skipped: --no-cron"
if [ "$WANT_CRON" -eq 1 ]; then
	install -d -m 0755 /etc/cron.d
	install_file contrib/minica.cron "$CRON_DEST"
	cron_note=$file_note
	if ! command -v cron >/dev/null 2>&1; then
		cron_note="$cron_note; cron itself is not installed, so it will not run: apt-get install cron, or use the systemd timer"
	fi
fi

units_note="skipped: systemd is not the init here"
if [ -d /run/systemd/system ]; then
	install_file contrib/minica-check.service "$UNIT_DIR/minica-check.service"
	svc=$file_note
	install_file contrib/minica-check.timer "$UNIT_DIR/minica-check.timer"
	tmr=$file_note
	# The ACME server's unit: installed, never enabled (it needs a hostname
	# and an encrypted passphrase credential first; see the unit's header).
	install_file contrib/minica-acme.service "$UNIT_DIR/minica-acme.service"
	if [ "$svc" = installed ] || [ "$tmr" = installed ] || [ "$file_note" = installed ]; then
		systemctl daemon-reload || say "warning: systemctl daemon-reload failed"
		units_note="installed, not enabled"
	else
		units_note="unchanged, not enabled"
		if systemctl is-enabled --quiet minica-check.timer 2>/dev/null; then
			units_note="unchanged, timer enabled"
		fi
	fi
fi

# ---------------------------------------------------------------------------
# Summary

echo
echo "minica install summary"
if [ -n "$missing" ]; then
	echo "  packages:  installed $missing; $present already present"
else
	echo "  packages:  all $present already present"
fi
[ "$WANT_TEST" -eq 1 ] || echo "             (--no-test-deps: 'make test' needs the others; run ./install.sh without it)"
if [ -n "$new_daemons" ]; then
	echo "  daemons:   $new_daemons installed for the tests only: not started, not enabled"
fi
echo "  build:     $top/build/minica ($build_note)"
echo "  binary:    $bin_dest ($install_note)"
echo "  man page:  $man_dest ($install_note)"
echo "  cron:      $CRON_DEST ($cron_note)"
echo "  systemd:   $UNIT_DIR/minica-check.{service,timer} ($units_note)"
case $units_note in
*"not enabled"*)
	echo "             to use the timer instead of cron: systemctl enable --now minica-check.timer"
	echo "             (and rm $CRON_DEST, or install with --no-cron)"
	;;
esac

found=$(command -v minica 2>/dev/null || true)
if [ -z "$found" ]; then
	echo "  note:      $PREFIX/bin is not on this PATH: add it, or call $bin_dest"
elif [ "$found" != "$bin_dest" ]; then
	echo "  note:      'minica' on this PATH is $found, not $bin_dest."
	if [ "$found" = /usr/bin/minica ]; then
		echo "             That is Debian's unrelated 'minica' package (apt-get remove minica)."
	fi
	echo "             Put $PREFIX/bin first on PATH, or call $bin_dest."
fi
echo
if [ "$changed" -eq 0 ]; then
	echo "Nothing changed: everything was already in place."
else
	echo "Done. Next: make test, then see README.md (minica init --domain example.org)."
fi
