#!/bin/sh
# Eight issues and a renew at once against one home: each succeeds (or
# waits its turn), no duplicate serial, every success has its row.
. "$(dirname "$0")/lib.sh"
new_ca
export MINICA_PASSPHRASE="correct horse battery staple"
cd "$T"
expect 0 mc issue nginx --cn due.example.org --days 10 --out "$T/o0"

pids=""
for i in 1 2 3 4 5 6 7 8; do
	"$MINICA_BIN" issue server --cn "h$i.example.org" --key ec256 --out "$T/o$i" >"$T/out$i" 2>&1 &
	pids="$pids $!"
done
"$MINICA_BIN" renew --out "$T/r" >"$T/outr" 2>&1 &
pids="$pids $!"
n=0
for p in $pids; do
	n=$((n + 1))
	wait "$p" || { cat "$T"/out*; fail "concurrent run $n failed"; }
done
[ "$(db_count certificates)" = 10 ] || fail "expected 10 rows, got $(db_count certificates)"
[ "$(sqlite3 "$MINICA_HOME/minica.db" "SELECT count(DISTINCT serial) FROM certificates")" = 10 ] || fail "duplicate serial"
for i in 1 2 3 4 5 6 7 8; do
	s=$(openssl x509 -in "$T/o$i/h$i.example.org.crt" -noout -serial | cut -d= -f2 | tr A-F a-f)
	[ "$(sqlite3 "$MINICA_HOME/minica.db" "SELECT count(*) FROM certificates WHERE serial = '$s'")" = 1 ] ||
		fail "h$i has no row"
done
contains "$T/outr" "renewed nginx due.example.org"
[ "$(sqlite3 "$MINICA_HOME/minica.db" "PRAGMA integrity_check")" = ok ] || fail "integrity"

# The lock names its holder: a minica that holds it (here waiting for its
# passphrase on a FIFO) is named by pid and command in the refusal.
mkfifo "$T/passfifo"
mc issue server --cn holder.example.org --out "$T/holder" --passphrase-file "$T/passfifo" \
    >"$T/holder.out" 2>"$T/holder.err" &
holder=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do
	grep -q "minica issue" "$MINICA_HOME/lock" 2>/dev/null && break
	sleep 0.3
done
MINICA_LOCK_TIMEOUT=0 expect 1 mc issue server --cn busy2.example.org --out "$T/busy2"
contains "$T/err" "CA busy: held by pid $(sed -n 's/^pid \([0-9]*\) .*/\1/p' "$MINICA_HOME/lock") (minica issue)"
one_line "$T/err"
cat "$PASS" > "$T/passfifo"
wait "$holder" || fail "the holder failed: $(cat "$T/holder.err")"
[ -f "$T/holder/holder.example.org.crt" ] || fail "the holder issued nothing"

# Held lock: a bounded wait, then a clear "CA busy" and nothing changed.
rows=$(db_count certificates)
flock "$MINICA_HOME/lock" sleep 5 &
holder=$!
sleep 0.5
MINICA_LOCK_TIMEOUT=1 expect 1 mc issue server --cn busy.example.org --out "$T/busy"
contains "$T/err" "CA busy"
one_line "$T/err"
[ "$(db_count certificates)" = "$rows" ] || fail "a busy refusal changed the store"
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true
MINICA_LOCK_TIMEOUT=soon expect 1 mc issue server --cn busy.example.org --out "$T/busy"
contains "$T/err" "MINICA_LOCK_TIMEOUT"
