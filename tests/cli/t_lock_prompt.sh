#!/bin/sh
# A minica waiting at its passphrase prompt does not hold the CA lock
# (issue 14 §7): another minica (the cron line, a second admin) runs
# meanwhile; the one at the prompt then takes the lock back, and refuses
# when the CA changed in between (what it checked may no longer hold),
# issuing nothing.  Without a change it goes on as usual.
. "$(dirname "$0")/lib.sh"
new_ca
unset MINICA_PASSPHRASE
# python3 atprompt.py OUT MEANWHILE PASSFILE CMD...: runs CMD on a terminal,
# waits for its passphrase prompt, runs the script MEANWHILE (its status
# to OUT.meanwhile), types the passphrase; CMD's terminal output goes to
# OUT, its exit status to OUT.status.
cat >"$T/atprompt.py" <<'PY'
import os, pty, subprocess, sys, time
out, meanwhile, passfile = sys.argv[1], sys.argv[2], sys.argv[3]
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[4], sys.argv[4:])
seen, deadline = b"", time.time() + 20
while b"passphrase" not in seen and time.time() < deadline:
    try:
        seen += os.read(fd, 1024)
    except OSError:
        break
rc = subprocess.call(["sh", meanwhile])
with open(out + ".meanwhile", "w") as f:
    f.write("%d\n" % rc)
os.write(fd, open(passfile, "rb").read().splitlines()[0] + b"\n")
while True:
    try:
        b = os.read(fd, 1024)
    except OSError:
        break
    if not b:
        break
    seen += b
_, status = os.waitpid(pid, 0)
open(out, "wb").write(seen)
with open(out + ".status", "w") as f:
    f.write("%d\n" % os.waitstatus_to_exitcode(status))
PY
# 1. Another issue while the first waits at the prompt: it gets the lock
# at once; the first then refuses, having issued nothing.
printf '%s\n' "MINICA_LOCK_TIMEOUT=0 '$MINICA_BIN' issue server --cn other.example.org --out '$T/o2' --passphrase-file '$PASS' >'$T/m.out' 2>'$T/m.err'" >"$T/meanwhile"
python3 "$T/atprompt.py" "$T/p1" "$T/meanwhile" "$PASS" "$MINICA_BIN" issue server --cn first.example.org --out "$T/o1"
[ "$(cat "$T/p1.meanwhile")" = 0 ] || fail "a minica at the passphrase prompt held the CA: $(cat "$T/m.err")"
[ "$(cat "$T/p1.status")" = 1 ] || fail "the first issue did not refuse after the CA changed: $(cat "$T/p1")"
grep -q "changed the CA while this one waited for the passphrase" "$T/p1" || fail "no reason given: $(cat "$T/p1")"
[ ! -e "$T/o1/first.example.org.key" ] || fail "the refused issue wrote files"
expect 0 mc list --json
lacks "$T/out" "first.example.org"
contains "$T/out" "other.example.org"
# 2. Nothing changes meanwhile (a reading command runs): it issues.
printf '%s\n' "MINICA_LOCK_TIMEOUT=0 '$MINICA_BIN' list >'$T/m.out' 2>'$T/m.err'" >"$T/meanwhile"
python3 "$T/atprompt.py" "$T/p2" "$T/meanwhile" "$PASS" "$MINICA_BIN" issue server --cn second.example.org --out "$T/o3"
[ "$(cat "$T/p2.status")" = 0 ] || fail "issue at the prompt failed: $(cat "$T/p2")"
[ -s "$T/o3/second.example.org.key" ] || fail "no key written"
expect 0 mc list --json
contains "$T/out" "second.example.org"
exit 0
