#!/bin/sh
# An unwritable --out (here a read-only mount, which root cannot write
# either) is found before signing: nothing is recorded, one line says
# why.  The same for renew's --out and for the current folder that
# issue --deploy keeps a key in when the deploy fails.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

new_ca
command -v unshare >/dev/null || { echo "skip: no unshare"; exit 0; }
unshare -m true 2>/dev/null || { echo "skip: unshare -m not allowed"; exit 0; }
db() { sqlite3 "$MINICA_HOME/minica.db" "$1"; }
mkdir "$T/ro"
expect 0 mc issue smtpd --cn old.example.org --days 30 --out "$T/w" --passphrase-file "$PASS"
n=$(db "SELECT count(*) FROM certificates")
# in a private mount namespace, $T/ro read-only
ro() { unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"' sh "$T/ro" "$@"; }
expect 1 ro "$MINICA_BIN" issue smtpd --cn mail.example.org --out "$T/ro" --passphrase-file "$PASS"
one_line "$T/err"
contains "$T/err" "cannot write to --out '$T/ro'"
contains "$T/err" "nothing was issued"
expect 1 ro "$MINICA_BIN" issue smtpd --cn mail.example.org --out "$T/ro/new" --passphrase-file "$PASS"
contains "$T/err" "cannot write to --out '$T/ro/new'"
expect 1 ro sh -c 'cd "$1" && shift && exec "$@"' sh "$T/ro" "$MINICA_BIN" issue nginx --cn www.example.org --deploy --root "$ROOT" --passphrase-file "$PASS"
contains "$T/err" "keeps the key in the current folder if the deploy fails"
[ "$(db "SELECT count(*) FROM certificates")" = "$n" ] || fail "a certificate was recorded although --out is unwritable"
expect 1 ro "$MINICA_BIN" renew --force --out "$T/ro" --passphrase-file "$PASS"
contains "$T/err" "cannot write to --out '$T/ro'"
[ "$(db "SELECT count(*) FROM certificates")" = "$n" ] || fail "renew recorded a certificate although --out is unwritable"
[ -z "$(ls -A "$T/ro")" ] || fail "files left in '$T/ro': $(ls -A "$T/ro")"
