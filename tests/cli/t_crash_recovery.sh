#!/bin/sh
# Regressions from the crash campaign (tests/crash/, docs/reliability.md):
# minica really killed (SIGKILL by tests/crash/fault.c, preloaded) at the
# moments that once went wrong, then the next ordinary run checked.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

FAULT_LIB=${FAULT_LIB:-$(dirname "$MINICA_BIN")/tests/libfault.so}
[ -f "$FAULT_LIB" ] || fail "no $FAULT_LIB (make builds it)"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS
new_ca
cat >>"$MINICA_HOME/minica.conf" <<EOF
[profile.smtpd]
reload = /bin/true
EOF
db() { sqlite3 "$MINICA_HOME/minica.db" "$1"; }
crt=$ROOT/etc/ssl/certs/smtpd.crt
key=$ROOT/etc/ssl/private/smtpd.key
certs=$ROOT/etc/ssl/certs
out=$T/files
mkdir -p "$out"
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr A-F a-f | sed 's/^0*//'; }
status_of() { db "SELECT status FROM certificates WHERE ltrim(serial, '0') = '$(serial_of "$1")'"; }
pair_ok() { [ "$(openssl x509 -in "$crt" -noout -pubkey)" = "$(openssl pkey -in "$key" -pubout)" ]; }
# killed OP WHEN PATHTEXT CMD...: CMD killed at its first OP on a path
# containing PATHTEXT, before or after it runs.
killed() {
	op=$1 when=$2 path=$3
	shift 3
	set +e
	LD_PRELOAD=$FAULT_LIB FAULT_OP=$op FAULT_WHEN=$when FAULT_PATH=$path FAULT_AT=1 "$@" >"$T/out" 2>"$T/err"
	got=$?
	set -e
	[ $got -eq 137 ] || { cat "$T/out" "$T/err"; fail "expected a SIGKILL (137), got $got: $*"; }
}

# ---- a key in --out is whole or absent: killed at its first write, no
# half-written key under the final name; the next issue removes the temp.
killed write before .key mc issue smtpd --cn a.example.org --key ec256 --out "$out" --passphrase-file "$PASS"
[ ! -e "$out/a.example.org.key" ] || fail "a half-written key under the final name: $(wc -c <"$out/a.example.org.key") bytes"
ls -A "$out" | grep -q '^\.minica-tmp\.a\.example\.org\.key\.' || fail "expected the killed run's temp file: $(ls -A "$out")"
[ "$(db "SELECT count(*) FROM certificates WHERE cn = 'a.example.org'")" = 1 ] || fail "the certificate was not recorded before its key left"
expect 0 mc issue smtpd --cn a.example.org --key ec256 --force --out "$out" --passphrase-file "$PASS"
contains "$T/err" "left by an interrupted minica"
[ -z "$(ls -A "$out" | grep '^\.minica-')" ] || fail "temp files left in --out: $(ls -A "$out")"
openssl pkey -in "$out/a.example.org.key" -noout || fail "key does not parse"

# ---- renew killed after recording, before redeploying (at the root
# certificate's temp file): the next plain renew (not --force: the new
# certificate is not due) redeploys the lineage and removes the temp file.
expect 0 mc issue smtpd --cn mail.example.org --key ec256 --deploy --root "$ROOT" --passphrase-file "$PASS"
first=$(serial_of "$crt")
full=$(db "SELECT serial FROM certificates WHERE cn = 'mail.example.org' AND status = 'valid'")
killed rename before minica-ca.pem mc renew --force "$full" --root "$ROOT" --passphrase-file "$PASS"
[ "$(serial_of "$crt")" = "$first" ] && pair_ok || fail "the deployed pair changed"
[ "$(status_of "$crt")" = superseded ] || fail "renewal not recorded before the kill"
ls -A "$certs" | grep -q '^\.minica-tmp\.minica-ca\.pem\.' || fail "expected the killed run's temp file: $(ls -A "$certs")"
expect 0 mc renew --root "$ROOT" --passphrase-file "$PASS"
contains "$T/out" "redeployed"
contains "$T/out" "left by an interrupted minica"
[ "$(status_of "$crt")" = valid ] || fail "the deployed certificate is still $(status_of "$crt")"
pair_ok || fail "pair mismatched after the renew"
[ -z "$(ls -A "$certs" | grep '^\.minica-')" ] || fail "temp files left: $(ls -A "$certs")"
# Nothing stranded any more: a plain renew has nothing to do.
expect 0 mc renew --root "$ROOT" --passphrase-file "$PASS"
contains "$T/out" "nothing due for renewal"

# ---- killed between the two renames: the next command that opens the
# CA (check, what cron runs) rolls it forward, and check is then OK.
killed rename after smtpd.crt mc issue smtpd --cn mail.example.org --key ec256 --force --deploy --root "$ROOT" --passphrase-file "$PASS"
pair_ok && fail "expected the certificate renamed and the key not yet"
[ "$(db "SELECT count(*) FROM deployments WHERE state = 'pending'")" = 1 ] || fail "no pending row"
expect 0 mc check --root "$ROOT"
contains "$T/err" "completed it (rolled forward)"
pair_ok || fail "pair mismatched after the next run"
expect 0 mc check --root "$ROOT"
lacks "$T/err" "interrupted"
# ---- killed before the first rename (the usual case): the same
killed rename before smtpd.crt mc issue smtpd --cn mail.example.org --key ec256 --force --deploy --root "$ROOT" --passphrase-file "$PASS"
[ "$(db "SELECT count(*) FROM deployments WHERE state = 'pending'")" = 1 ] || fail "no pending row (before the renames)"
expect 0 mc check --root "$ROOT"
contains "$T/err" "completed it (rolled forward)"
pair_ok || fail "pair mismatched after check settled it"
[ "$(status_of "$crt")" = valid ] || fail "the deployed certificate is $(status_of "$crt") after the roll forward"
[ "$(db "SELECT count(*) FROM deployments WHERE state = 'pending'")" = 0 ] || fail "still pending"
[ "$(sqlite3 "$MINICA_HOME/minica.db" "PRAGMA integrity_check")" = ok ] || fail "integrity_check"
