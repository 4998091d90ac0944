#!/bin/sh
# Crash safety of the CA's own keys (issue 15): 'intermediate rotate',
# 'root offline', 'root online' and 'root rotate' killed (SIGKILL, through
# tests/crash/fault.c) before each of their file operations.  After every
# kill, checked with tools other than minica (sqlite3, openssl):
#   - the store passes integrity_check;
#   - the root key is not lost: every root the store records has a whole
#     key file (the original root's digest taken before the campaign, a
#     new root's the digest of the key rotate wrote) in private/, its
#     .next, the kept private/root-SERIAL.key, or the offline folder;
#   - the home has a usable, recorded issuer: the next 'minica issue'
#     succeeds and its leaf verifies (openssl verify -x509_strict) against
#     ca.crt, and, after a root rotation, against the old root too;
#   - running the interrupted command again finishes the job.
#
#   crash_ca.sh quick|full [CAMPAIGN...]
#                            quick (make crash-quick): killed before each
#                            rename and link, each unlink of a key, each
#                            database sync and the first write of each key
#                            file; full: before and after every operation.
#                            Campaigns: inter-rotate root-offline root-online
#                            root-rotate; quick leaves out root-rotate (two
#                            RSA-4096 keys a trial: 'make crash' runs it, or
#                            name it).
# Environment: MINICA_BIN, FAULT_LIB; KEEP=1 keeps the work folder.
set -u
umask 077
: "${MINICA_BIN:?set MINICA_BIN to the built minica}"
: "${FAULT_LIB:?set FAULT_LIB to libfault.so}"
MODE=${1:-quick}
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS
tmp=${CRASH_TMPDIR:-${TMPDIR:-/tmp}}
[ -z "${CRASH_TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && tmp=/dev/shm
W=$(mktemp -d "$tmp/minica-crash-ca.XXXXXX")
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$W"' EXIT
unset MINICA_PASSPHRASE MINICA_ROOT_PASSPHRASE MINICA_HOME 2>/dev/null || true
PASS=$W/pass RPASS=$W/rootpass
printf 'crash intermediate passphrase\n' >"$PASS"
printf 'crash root passphrase\n' >"$RPASS"
"$MINICA_BIN" --home "$W/ca" init --domain example.org --passphrase-file "$PASS" --root-passphrase-file "$RPASS" \
    >/dev/null || { echo "crash_ca: cannot create the test CA" >&2; exit 1; }

mc() { MINICA_HOME=$C/home "$MINICA_BIN" "$@" --passphrase-file "$PASS"; }
db() { sqlite3 "$C/home/minica.db" "$1"; }
bad() { FAILS=$((FAILS + 1)); printf '%s: %s\n' "$TRIAL" "$*" >>"$C/failures"; }

# The command under test, from the state reset_trial leaves.
run_it() {
	case $KIND in
	inter-rotate) mc intermediate rotate --root-passphrase-file "$RPASS" ;;
	root-offline) mc root offline --to "$C/usb" ;;
	root-online) mc root online --from "$C/usb" ;;
	root-rotate) mc root rotate --root-passphrase-file "$RPASS" ;;
	esac
}

# Each trial starts from a copy of the campaign's home.
reset_trial() {
	rm -rf "$C/home" "$C/usb" "$C/out"
	cp -a "$C/start" "$C/home"
	mkdir -p "$C/usb" "$C/out"
	[ -d "$C/start-usb" ] && cp -a "$C/start-usb/." "$C/usb/"
	return 0
}

# Every root row must have its key somewhere, whole (by digest: the
# first root's taken at the start, a rotated root's as the store recorded
# it when rotate wrote the file).
check_root_keys() {
	sha256sum "$C"/home/private/ca.key "$C"/home/private/ca.key.next "$C"/home/private/root-*.key \
	    "$C"/usb/*.key 2>/dev/null | cut -d' ' -f1 >"$C/have"
	for want in "$ROOT_SHA" $(db "SELECT key_sha256 FROM ca WHERE role = 'root' AND key_sha256 != ''"); do
		grep -qx "$want" "$C/have" || bad "a root key ($want) has no whole file left"
	done
}

# issue works, and what it signs chains to ca.crt (and to the old root).
check_issuer() {
	N=$((N + 1))
	if ! mc issue nginx --key ec256 --cn "n$N.example.org" --out "$C/out" >"$C/log.issue" 2>&1; then
		bad "issue after the kill failed: $(tr '\n' ' ' <"$C/log.issue")"
		return
	fi
	f=$C/out/n$N.example.org.crt
	openssl verify -x509_strict -CAfile "$C/home/ca.crt" -untrusted "$f" "$f" >/dev/null 2>&1 ||
		bad "the leaf issued after the kill does not verify against ca.crt"
	if [ "$KIND" = root-rotate ]; then
		openssl verify -x509_strict -CAfile "$C/old-root.pem" -untrusted "$f" "$f" >/dev/null 2>&1 ||
			bad "the leaf issued after the kill does not verify against the old root"
	fi
}

# The command again finishes the job; the end state is the campaign's.
# A rotation the store recorded before the kill is done: a second one
# would be another rotation, so it is not run again.
check_again() {
	if [ "$KIND" = root-rotate ] && [ "$(db "SELECT count(*) FROM ca WHERE role = 'root'")" != 1 ]; then
		check_done
		return
	fi
	run_it >"$C/log.again" 2>&1
	rc=$?
	case $KIND in
	root-offline)
		[ -f "$C/home/private/ca.key" ] && bad "the root key is still in the home after offline again"
		ls "$C"/usb/*.key >/dev/null 2>&1 || bad "no key in the offline folder after offline again" ;;
	root-online)
		[ $rc = 0 ] || bad "online again failed: $(tr '\n' ' ' <"$C/log.again")"
		cmp -s "$C/home/private/ca.key" "$(ls "$C"/usb/*.key)" || bad "online: not byte for byte" ;;
	*)
		[ $rc = 0 ] || bad "$KIND again failed: $(tr '\n' ' ' <"$C/log.again")"
		check_issuer ;;
	esac
	check_done
}

check_done() {
	[ "$(db "PRAGMA integrity_check")" = ok ] || bad "integrity_check after the command again"
	left=$(find "$C/home/private" -name '*.next' | tr '\n' ' ')
	[ -z "$left" ] || bad "left behind: $left"
}

trial() { # WHEN AT
	TRIAL="$KIND $1 #$2"
	TRIALS=$((TRIALS + 1))
	reset_trial
	(LD_PRELOAD=$FAULT_LIB FAULT_WHEN=$1 FAULT_AT=$2 FAULT_PATH=$C/ FAULT_TRACE=$C/trace run_it >"$C/log.run" 2>&1) 2>/dev/null
	rc=$?
	if [ $rc -ne 137 ]; then
		[ $rc -eq 0 ] || bad "exit $rc without being killed: $(tr '\n' ' ' <"$C/log.run")"
		NOTKILLED=$((NOTKILLED + 1))
		return
	fi
	TRIAL="$TRIAL ($(tail -n 1 "$C/trace" | cut -d' ' -f2-))"
	[ "$(db "PRAGMA integrity_check" 2>&1)" = ok ] || bad "integrity_check after the kill"
	check_root_keys
	check_issuer
	check_again
	check_root_keys
}

campaign() {
	KIND=$1 TRIALS=0 FAILS=0 NOTKILLED=0 N=0
	C=$W/$KIND
	mkdir -p "$C"
	: >"$C/failures"
	cp -a "$W/ca" "$C/home"
	cp "$C/home/ca.crt" "$C/old-root.pem"
	ROOT_SHA=$(sha256sum <"$C/home/private/ca.key" | cut -d' ' -f1)
	mkdir -p "$C/usb"
	# root-online starts offline.
	if [ "$KIND" = root-online ]; then
		mc root offline --to "$C/usb" >/dev/null 2>&1 || { echo "crash_ca: root offline" >&2; exit 1; }
		cp -a "$C/usb" "$C/start-usb"
	fi
	mv "$C/home" "$C/start"
	reset_trial
	rm -f "$C/clean"
	LD_PRELOAD=$FAULT_LIB FAULT_PATH=$C/ FAULT_TRACE=$C/clean run_it >"$C/log.clean" 2>&1 ||
		{ cat "$C/log.clean"; echo "crash_ca: clean $KIND failed" >&2; exit 1; }
	# full: every operation but the repeated page writes of one database
	# file; quick: what decides where a key is (renames, links, unlinks,
	# commits, each key file's first write).
	for i in $(awk -v quick="$([ "$MODE" = quick ] && echo 1)" '{ key[NR] = $2 " " $3; op[NR] = $2; p[NR] = $3; n = NR }
	    END { for (i = 1; i <= n; i++) {
	        if (quick) {
	            if (op[i] ~ /^(rename|link)/ || (op[i] ~ /^unlink/ && p[i] ~ /private|usb/) ||
	                (op[i] ~ /sync/ && p[i] ~ /minica\.db-wal/) ||
	                (op[i] ~ /write/ && p[i] ~ /\.(key|next)/ && !seen[p[i]]++)) print i
	        } else if (i == 1 || key[i] !~ /^pwrite/ || key[i] != key[i-1]) print i } }' "$C/clean"); do
		trial before "$i"
		[ "$MODE" = full ] && trial after "$i"
	done
	printf '%-13s %3d interrupted runs, %d failures, not killed %d\n' "$KIND" "$TRIALS" "$FAILS" "$NOTKILLED"
	[ "$FAILS" -gt 0 ] && sed 's/^/    /' "$C/failures" | head -n 20
	echo "$KIND $TRIALS $FAILS" >>"$W/totals"
}

: >"$W/totals"
start=$(date +%s)
case $MODE in
quick|full) ;;
*) echo "usage: crash_ca.sh quick|full [CAMPAIGN...]" >&2; exit 64 ;;
esac
shift
if [ $# -eq 0 ]; then
	set -- inter-rotate root-offline root-online
	[ "$MODE" = full ] && set -- "$@" root-rotate
fi
# Two side by side (2 CPUs), in the order given.
n=0
for k in "$@"; do
	case $k in inter-rotate|root-offline|root-online|root-rotate) ;; *) echo "crash_ca: unknown campaign $k" >&2; exit 64 ;; esac
	n=$((n + 1))
	campaign "$k" >"$W/report.$n" 2>&1 &
	[ $((n % 2)) = 0 ] && wait
done
wait
cat "$W"/report.*
awk -v s=$(($(date +%s) - start)) '{ t += $2; f += $3 } END { printf "crash_ca: %d interrupted runs, %d failures, %d s\n", t, f, s; exit f > 0 }' "$W/totals"
