#!/bin/sh
# Every --json path of every command prints JSON on stdout and nothing
# else (human text goes to stderr), checked by a real parser; the same for
# single-valued options given twice and stdout failures (issue 12).
. "$(dirname "$0")/lib.sh"
new_ca
export MINICA_PASSPHRASE="correct horse battery staple"
cd "$T"

# json_ok WHAT: $T/out is one JSON document, or JSON documents one a line
# (renew), or empty where nothing is to be said; python3 parses it.
json_ok() {
	python3 - "$T/out" "$1" <<'PY' || { echo "--- stdout"; cat "$T/out"; fail "$2: stdout is not JSON"; }
import json, sys
text = open(sys.argv[1]).read()
try:
    json.loads(text)
except ValueError:
    lines = [l for l in text.split("\n") if l.strip()]
    if not lines:
        sys.exit(1 if sys.argv[2] == "doc" else 0)
    for l in lines:
        json.loads(l)
PY
}

expect 0 mc issue nginx --cn www.example.org --out "$T/o" --json
json_ok doc "issue --json"
serial=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["serial"])' "$T/out")
# Already current: the certificate as JSON, the prose on stderr.
expect 0 mc issue nginx --cn www.example.org --out "$T/o" --json
json_ok doc "issue --json (already current)"
contains "$T/err" "not due for renewal"
printf 'server a.example.org\nclient alice@example.org\n' > "$T/batch"
expect 0 mc issue --batch "$T/batch" --out "$T/b" --json
json_ok doc "issue --batch --json"
for args in "list" "list --all" "show ca" "show $serial" "show $serial --pem" "log" "check"; do
	# shellcheck disable=SC2086 # words on purpose
	expect 0 mc $args --json
	json_ok doc "$args --json"
done

# renew: nothing due, a dry run, a real renewal.
expect 0 mc renew --json
json_ok lines "renew --json (nothing due)"
contains "$T/err" "nothing due for renewal"
expect 0 mc renew --json --dry-run --force "$serial"
json_ok lines "renew --json --dry-run"
[ -s "$T/out" ] || fail "renew --json --dry-run printed no certificate"
contains "$T/err" "would renew nginx www.example.org"
lacks "$T/out" "would renew"
expect 0 mc renew --json --force "$serial" --out "$T/r"
json_ok lines "renew --json"
contains "$T/out" '"profile":"nginx"'

# A single-valued option given twice is refused, not silently the last.
expect 64 mc issue server --cn a.example.org --cn b.example.org --out "$T/twice"
contains "$T/err" "--cn given more than once"
one_line "$T/err"
expect 64 mc list --profile nginx --profile smtpd
contains "$T/err" "--profile given more than once"
# Repeatable options stay repeatable.
expect 0 mc issue server --cn c.example.org --san d.example.org --san e.example.org --out "$T/rep"
# Operands a command does not take are refused.
expect 64 mc profiles extra
contains "$T/err" "unexpected argument 'extra'"

# Output that cannot be written: check is a monitoring plugin (UNKNOWN),
# everything else an error.
if [ -w /dev/full ]; then
	set +e
	mc check > /dev/full 2>"$T/err"; rc=$?
	mc list > /dev/full 2>>"$T/err"; rc2=$?
	set -e
	[ "$rc" = 3 ] || fail "check > /dev/full exited $rc, not 3 (UNKNOWN)"
	[ "$rc2" = 1 ] || fail "list > /dev/full exited $rc2, not 1"
	contains "$T/err" "cannot write output"
fi

# run_cmd's closed CA handle must not be fd 0: stdin stays open and
# untouched (a read-write stdin was truncated, --passphrase-fd 0 failed).
printf 'keep me\n' > "$T/stdin"
expect 0 mc list <> "$T/stdin"
[ "$(cat "$T/stdin")" = "keep me" ] || fail "stdin was truncated"
expect 0 env -u MINICA_PASSPHRASE "$MINICA_BIN" issue server --cn fd0.example.org --out "$T/fd0" \
    --passphrase-fd 0 < "$PASS"
