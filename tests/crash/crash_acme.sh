#!/bin/sh
# Crash safety of the ACME server (issue 16): 'minica acme serve' is
# SIGKILLed while a client drives orders to finalize, at its Nth fsync,
# rename or unlink (tests/crash/fault.c) and at random moments; after
# every kill the store and the CA home are checked with sqlite3 and
# openssl, and the client's retried finalize or download must succeed.
# The work is crash_acme.py's (see there for the invariants).
#
#   crash_acme.sh quick    every fsync, rename and unlink of one order's life,
#                          killed before it (make crash-quick)
#   crash_acme.sh full     the same, killed after each fsync too, before each
#                          write, then random SIGKILLs (make crash-acme)
#   crash_acme.sh random   only the random SIGKILLs
# Environment: MINICA_BIN, FAULT_LIB; SEED (1), RANDOM_TRIALS (40); KEEP=1.
set -u
umask 077
: "${MINICA_BIN:?set MINICA_BIN to the built minica}"
: "${FAULT_LIB:?set FAULT_LIB to libfault.so}"
MODE=${1:-quick}
here=$(cd "$(dirname "$0")" && pwd)
# The names ordered resolve to 127.0.0.1 in a private /etc/hosts.
if [ "${CRASH_ACME_NS:-}" != 1 ]; then
	CRASH_ACME_NS=1 exec unshare -m sh "$0" "$@"
fi
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS
tmp=${CRASH_TMPDIR:-${TMPDIR:-/tmp}}
[ -z "${CRASH_TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && tmp=/dev/shm
W=$(mktemp -d "$tmp/minica-crash-acme.XXXXXX")
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$W"' EXIT
unset MINICA_HOME MINICA_ROOT_PASSPHRASE 2>/dev/null || true
export MINICA_PASSPHRASE='crash acme passphrase'
printf 'crash root passphrase\n' >"$W/rootpass"
"$MINICA_BIN" --home "$W/home" init --domain example.org --root-passphrase-file "$W/rootpass" >"$W/init.log" 2>&1 ||
	{ cat "$W/init.log"; echo "crash_acme: cannot create the test CA" >&2; exit 1; }
cp /etc/hosts "$W/hosts"
i=1
while [ $i -le 1000 ]; do
	printf '127.0.0.1 n%d.example.org\n' $i
	i=$((i + 1))
done >>"$W/hosts"
echo "127.0.0.1 acme.example.org" >>"$W/hosts"
mount --bind "$W/hosts" /etc/hosts || { echo "crash_acme: cannot bind-mount a private /etc/hosts" >&2; exit 1; }
/usr/bin/python3 "$here/crash_acme.py" "$MODE" "$W/home" "$MINICA_BIN" "$FAULT_LIB"
rc=$?
[ $rc -eq 0 ] || { echo "crash_acme: server log (last lines):"; tail -20 "$W/server.log"; }
exit $rc
