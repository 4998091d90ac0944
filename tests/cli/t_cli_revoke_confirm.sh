#!/bin/sh
# revoke of a deployed certificate names the deployment that will go
# CRITICAL and, on a terminal, asks first (--yes for scripts) (issue 18).
. "$(dirname "$0")/lib.sh"
new_ca
here=$(cd "$(dirname "$0")" && pwd)
mc issue smtpd --cn mail.example.org --deploy --root "$ROOT" --no-reload --passphrase-file "$PASS" >/dev/null
serial=$(sqlite3 "$MINICA_HOME/minica.db" "SELECT serial FROM certificates WHERE cn='mail.example.org'")
revoked() { sqlite3 "$MINICA_HOME/minica.db" "SELECT revoked_at IS NOT NULL FROM certificates WHERE serial='$serial'"; }
set +e
python3 "$here/ptyrun.py" --input n "$MINICA_BIN" revoke "$serial" > "$T/tty"
rc=$?
set -e
[ "$rc" -eq 1 ] || { cat "$T/tty"; fail "declined revoke exited $rc"; }
contains "$T/tty" "is deployed as smtpd under $ROOT"
contains "$T/tty" "CRITICAL"
contains "$T/tty" "revoke it anyway? [y/N]"
contains "$T/tty" "nothing revoked"
[ "$(revoked)" = 0 ] || fail "a declined revoke revoked"
python3 "$here/ptyrun.py" --input y "$MINICA_BIN" revoke "$serial" > "$T/tty"
contains "$T/tty" "revoked smtpd certificate $serial"
[ "$(revoked)" = 1 ] || fail "a confirmed revoke did not revoke"
expect 2 mc check --root "$ROOT"
contains "$T/out" "CRITICAL"
# Scripts (no terminal) and --yes are not asked; the warning still shows.
mc issue nginx --cn www.example.org --deploy --root "$ROOT" --no-reload --passphrase-file "$PASS" >/dev/null
s2=$(sqlite3 "$MINICA_HOME/minica.db" "SELECT serial FROM certificates WHERE cn='www.example.org'")
python3 "$here/ptyrun.py" "$MINICA_BIN" revoke "$s2" --yes > "$T/tty"
lacks "$T/tty" "[y/N]"
contains "$T/tty" "revoked nginx certificate"
mc issue server --cn s.example.org --out "$T" --passphrase-file "$PASS" >/dev/null
s3=$(sqlite3 "$MINICA_HOME/minica.db" "SELECT serial FROM certificates WHERE cn='s.example.org'")
expect 0 mc revoke "$s3"
lacks "$T/err" "deployed"
