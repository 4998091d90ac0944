#!/bin/sh
# The CA lock cannot be held by a process that is gone (issue 14 §7):
# a minica killed while holding it, and a daemon a reload hook left
# running (it inherits only fds 0-2, the lock is O_CLOEXEC), block
# nobody; the next command takes the lock at once.
. "$(dirname "$0")/lib.sh"
new_ca
export MINICA_PASSPHRASE="correct horse battery staple"
# a "restart"-style hook: starts a long-lived child and returns
cat >"$T/hook" <<EOF
#!/bin/sh
sleep 30 </dev/null >/dev/null 2>&1 &
echo \$! >"$T/daemon.pid"
EOF
chmod 755 "$T/hook"
cat >>"$MINICA_HOME/minica.conf" <<EOF
[profile.nginx]
reload = $T/hook
running = none
EOF
expect 0 mc issue nginx --cn www.example.org --deploy --root "$ROOT"
daemon=$(cat "$T/daemon.pid")
kill -0 "$daemon" 2>/dev/null || fail "the hook's child is not running (the test proves nothing)"
[ -z "$(ls -l "/proc/$daemon/fd" 2>/dev/null | grep "$MINICA_HOME/lock")" ] || fail "the hook's child holds the CA lock file open"
MINICA_LOCK_TIMEOUT=0 expect 0 mc issue server --cn after-hook.example.org --out "$T/o1"
lacks "$T/err" "CA busy"
kill "$daemon" 2>/dev/null || true

# a minica killed while it holds the lock (waiting on a FIFO passphrase)
mkfifo "$T/fifo"
unset MINICA_PASSPHRASE
"$MINICA_BIN" issue server --cn killed.example.org --out "$T/o2" --passphrase-file "$T/fifo" >/dev/null 2>&1 &
holder=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do
	grep -q "minica issue" "$MINICA_HOME/lock" 2>/dev/null && break
	sleep 0.3
done
grep -q "pid $holder " "$MINICA_HOME/lock" || fail "the holder never took the lock"
kill -9 "$holder"
wait "$holder" 2>/dev/null || true
MINICA_LOCK_TIMEOUT=0 expect 0 mc issue server --cn after-kill.example.org --out "$T/o3" --passphrase-file "$PASS"
lacks "$T/err" "CA busy"
expect 0 mc check
exit 0
