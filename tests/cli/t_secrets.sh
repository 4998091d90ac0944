#!/bin/sh
# Secrets: the passphrase is never on argv, in minica's own environment
# once read, in the store, the audit log or any file written; core dumps
# and ptrace are off (RLIMIT_CORE 0, not dumpable) while minica waits for
# the passphrase with nothing yet written - inspected from /proc.
. "$(dirname "$0")/lib.sh"
new_ca
pass=$(cat "$PASS")
envmark="env-marker-6f2a9c passphrase"
p12mark="p12-marker-41d7e0 passphrase"
printf '%s\n' "$p12mark" > "$T/p12pass"

# Never on argv: there is no such option, for any command.
for c in init issue list show bundle profiles; do
	expect 64 mc "$c" --passphrase "$pass"
	contains "$T/err" "unknown option"
done

# Issue from every source, then look for the passphrases everywhere.
expect 0 mc issue nginx --key ec256 --cn www.example.org --out "$T/o1" --passphrase-file "$PASS"
expect 0 mc issue client --key ec256 --cn alice@example.org --out "$T/o2" --passphrase-fd 3 \
    --p12 "$T/o2/alice.p12" --p12-passphrase-file "$T/p12pass" 3<"$PASS"
expect 0 env MINICA_PASSPHRASE="$pass" "$MINICA_BIN" issue smtpd --key ec256 --cn mail.example.org --out "$T/o3"
expect 1 env MINICA_PASSPHRASE="$envmark" "$MINICA_BIN" issue smtpd --cn smtp.example.org --out "$T/o4"
contains "$T/err" "wrong passphrase"
for m in "$pass" "$envmark" "$p12mark" "correct horse"; do
	if grep -rlaF -- "$m" "$MINICA_HOME" "$T/o1" "$T/o2" "$T/o3" 2>/dev/null; then
		fail "'$m' found in a file above"
	fi
	[ "$(strings "$MINICA_HOME/minica.db" | grep -cF -- "$m")" -eq 0 ] || fail "'$m' in minica.db"
	sqlite3 "$MINICA_HOME/minica.db" "SELECT * FROM audit" > "$T/audit"
	lacks "$T/audit" "$m"
done
[ -s "$T/audit" ] || fail "empty audit log: the check above proves nothing"

# /proc while minica waits for its passphrase on a FIFO.  As root, run it
# as nobody: only then does /proc/PID/environ's owner (root for a process
# that is not dumpable) tell the two apart.
case $(head -c 4 "$MINICA_BIN" | od -An -c | tr -d ' ') in
177ELF) ;;
*) echo "skip /proc checks: '$MINICA_BIN' is a wrapper" >&2; exit 0 ;;
esac
runas='' home="$MINICA_HOME" out="$T/o5" uid=$(id -u)
if [ "$uid" -eq 0 ] && command -v setpriv >/dev/null; then
	NB=$(mktemp -d "${TMPDIR:-/tmp}/minica-nobody.XXXXXX")
	trap 'rm -rf "$T" "$NB"' EXIT
	chmod 711 "$NB"
	cp -a "$MINICA_HOME" "$NB/home"
	mkdir -m 700 "$NB/out"
	chown -R 65534:65534 "$NB/home" "$NB/out"
	runas="setpriv --reuid=65534 --regid=65534 --clear-groups"
	home="$NB/home" out="$NB/out/o5" uid=65534
fi
mkfifo "$T/fifo"
# Give minica something to turn off: a core limit above 0 where allowed.
# shellcheck disable=SC3045 # dash and bash both have ulimit -H -c
ulimit -c "$(ulimit -H -c)" 2>/dev/null || true
# shellcheck disable=SC2086
MINICA_PASSPHRASE="$envmark" $runas "$MINICA_BIN" --home "$home" issue nginx --key ec256 --cn web.example.org \
    --out "$out" --passphrase-fd 3 3<"$T/fifo" >"$T/bg.out" 2>"$T/bg.err" &
pid=$!
exec 4>"$T/fifo"
# Wait until minica itself runs (not the shell or setpriv before it),
# then until it has turned core dumps off.
running() {
	[ "$(tr '\0' '\n' < "/proc/$pid/cmdline" | head -n 1)" = "$MINICA_BIN" ] &&
	    grep -q "^Max core file size *0 " "/proc/$pid/limits" &&
	    [ "$(stat -c %u "/proc/$pid/environ")" -eq 0 ]
}
i=0
until running 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -le 100 ] || { cat "/proc/$pid/limits"; stat "/proc/$pid/environ"; fail "core dumps not off or still dumpable"; }
	sleep 0.05
done
tr '\0' '\n' < "/proc/$pid/cmdline" > "$T/cmdline"
contains "$T/cmdline" "--passphrase-fd"
lacks "$T/cmdline" "$pass"
tr '\0' '\n' < "/proc/$pid/environ" > "$T/environ"
contains "$T/environ" "MINICA_HOME="
lacks "$T/environ" "$envmark"
lacks "$T/environ" "env-marker"
[ "$uid" -eq 0 ] || [ "$(stat -c %u "/proc/$pid/environ")" -eq 0 ] || fail "minica is dumpable"
printf '%s\n' "$pass" >&4
exec 4>&-
wait "$pid" || { cat "$T/bg.err"; fail "minica failed after the passphrase came"; }
contains "$T/bg.out" "issued nginx certificate"
