#!/bin/sh
# list fits 100 columns on a terminal (short serials; full with --wide,
# when piped and in --json); log: ISO dates, --serial, --action, details
# as a JSON object (issue 18).
. "$(dirname "$0")/lib.sh"
new_ca
here=$(cd "$(dirname "$0")" && pwd)
long="a-very-long-host-name-for-testing-column-widths.example.org"
mc issue server --cn "$long" --san "second-$long" --san "third-$long" --out "$T" --passphrase-file "$PASS" >/dev/null
mc issue nginx --cn www.example.org --out "$T" --passphrase-file "$PASS" >/dev/null
serial=$(sqlite3 "$MINICA_HOME/minica.db" "SELECT serial FROM certificates WHERE cn='www.example.org'")
short=$(printf '%s' "$serial" | cut -c1-12)

python3 "$here/ptyrun.py" --cols 100 "$MINICA_BIN" list > "$T/tty"
contains "$T/tty" "$short  nginx"
lacks "$T/tty" "$serial"
awk 'length($0) > 100 { print; bad = 1 } END { exit bad }' "$T/tty" || fail "list is wider than 100 columns"
contains "$T/tty" "..."
# The short serial names the certificate.
expect 0 mc show "$short"
contains "$T/out" "$serial"
python3 "$here/ptyrun.py" --cols 100 "$MINICA_BIN" list --wide > "$T/tty"
contains "$T/tty" "$serial"
contains "$T/tty" "third-$long"
expect 0 mc list
contains "$T/out" "$serial"
contains "$T/out" "third-$long"
expect 0 mc list --json
contains "$T/out" "\"$serial\""

# log: ISO dates, not epoch seconds; filters; details as an object.
expect 0 mc log
contains "$T/out" "not_after=20"
if grep -Eq 'not_after=[0-9]{9,}( |$)' "$T/out"; then fail "log prints epoch seconds"; fi
expect 0 mc log --serial "$short"
[ "$(wc -l < "$T/out")" -eq 1 ] || fail "--serial did not filter"
contains "$T/out" "$serial"
expect 0 mc log --action init
[ "$(wc -l < "$T/out")" -eq 1 ] || fail "--action did not filter"
contains "$T/out" "  init  "
expect 0 mc log --action issue --json
python3 - "$T/out" "$serial" <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))
assert len(ev) == 2, ev
assert all(e["action"] == "issue" for e in ev)
d = [e for e in ev if e["serial"] == sys.argv[2]][0]["details"]
assert isinstance(d, dict), d
assert d["profile"] == "nginx" and d["cn"] == "www.example.org", d
assert d["not_after"].endswith("Z") and d["not_after"][4] == "-", d
PY
expect 64 mc log --serial xyz
contains "$T/err" "--serial 'xyz' is not a serial"
