#!/bin/sh
# 'minica renew' and 'minica check' with certificates an ACME client
# ordered (lego, http-01, EAB key id "lego"): minica does not hold their
# keys, so renew skips them with a line naming the account (dry run, real
# run, --force SERIAL), keeps them valid and writes no files for them
# (the same for the server's own certificate, which the server renews),
# while it renews a certificate of its own; check reports them as
# information while due (never "run 'minica renew'"), a WARNING once the
# client is late, CRITICAL once expired (libfaketime moves check's clock),
# and nothing for one its client renewed without RFC 9773 replaces.
# Names in a private /etc/hosts.
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ "${ACME_E2E_NS:-}" != 1 ]; then
	ACME_E2E_NS=1 exec unshare -m sh "$0" "$@"
fi
# shellcheck source=tests/e2e/lib.sh
. "$here/lib.sh"
# shellcheck source=tests/e2e/acme.sh
. "$here/acme.sh"

e2e_init
ft=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
[ -r "$ft" ] || e2e_fail "missing libfaketime (Debian's faketime package)"
command -v lego >/dev/null 2>&1 || e2e_fail "missing lego (see install.sh)"
acme_ca a.example.test b.example.test
port=$(e2e_port) && http=$(e2e_port) || e2e_fail "no free ports"

"$MINICA_BIN" acme eab new --name lego >"$E2E_DIR/eab" 2>/dev/null || e2e_fail "acme eab new"
kid=$(awk '$1 == "kid" { print $2 }' "$E2E_DIR/eab")
acme_serve "$acme" "$port" http01_port="$http"

# lego_do NAME run|renew ARGS...: NAME's certificate through lego; prints its serial.
lego_do() {
	n=$1
	shift
	LEGO_CA_CERTIFICATES="$root" timeout 120 lego --server "https://$acme:$port/acme/directory" \
		--email admin@example.test --accept-tos --eab --kid "$kid" --hmac "$(awk '$1 == "hmac" { print $2 }' "$E2E_DIR/eab")" \
		--path "$E2E_DIR/lego" --domains "$n" --http --http.port "127.0.0.1:$http" "$@" >>"$E2E_DIR/lego.log" 2>&1 ||
		{ e2e_show_log "$E2E_DIR/lego.log"; e2e_show_log "$E2E_DIR/acme/log"; e2e_fail "lego $1 $n"; }
	openssl x509 -in "$E2E_DIR/lego/certificates/$n.crt" -noout -serial | sed 's/serial=//' | tr 'A-F' 'a-f'
}
a=$(lego_do a.example.test run) && b1=$(lego_do b.example.test run) &&
	b2=$(lego_do b.example.test renew --days 100000 --no-random-sleep) || exit 1
[ "$b1" != "$b2" ] || e2e_fail "lego renew kept b.example.test's certificate"
e2e_stop_pid acme "$(cat "$E2E_DIR/acme/acme.pid")"
e2e_unregister acme "$E2E_DIR/acme"
# The server's own certificate (private/acme-tls.pem): the server renews it.
tls=$("$MINICA_BIN" list | awk -v h="$acme" '$3 == h { print $1 }')
[ -n "$tls" ] && [ -f "$MINICA_HOME/private/acme-tls.pem" ] || e2e_fail "no certificate of the server's own"
who="account [0-9]* (EAB lego, mailto:admin@example.test)"
e2e_log "lego got $a and $b1, renewed to $b2 (no replaces: $b1 stays valid)"

# ---- check, at several points of the certificates' lives
# mcheck FAKETIME ARGS...: 'minica check' with its clock moved; sets rc.
mcheck() {
	t=$1
	shift
	LD_PRELOAD=$ft FAKETIME=$t FAKETIME_DONT_FAKE_MONOTONIC=1 "$MINICA_BIN" check "$@" >"$E2E_DIR/check.out" 2>&1
	rc=$?
}
mcheck +0d
[ $rc -eq 0 ] || { e2e_show_log "$E2E_DIR/check.out"; e2e_fail "check now: exit $rc, not 0"; }
if grep -q 'ACME' "$E2E_DIR/check.out"; then e2e_fail "check now mentions a certificate not due: $(cat "$E2E_DIR/check.out")"; fi
# Past two thirds of 397 days: due by renew's rule, the client's business.
mcheck +300d
[ $rc -eq 0 ] || { e2e_show_log "$E2E_DIR/check.out"; e2e_fail "check at +300d: exit $rc, not 0 (information only)"; }
for s in "$a" "$b2"; do
	grep -q "^INFO: server [ab].example.test $s: expires in 9[67] days, on .*; its renewal is for the ACME client of $who, suggested by " \
		"$E2E_DIR/check.out" || { e2e_show_log "$E2E_DIR/check.out"; e2e_fail "check at +300d: no INFO line for $s"; }
done
grep -q "^INFO: server $acme $tls: expires in 9[67] days, on .*; the certificate of 'minica acme serve' (private/acme-tls.pem), which renews it while it runs" \
	"$E2E_DIR/check.out" || { e2e_show_log "$E2E_DIR/check.out"; e2e_fail "check at +300d: no INFO line for the server's $tls"; }
if grep -q "run 'minica renew'" "$E2E_DIR/check.out"; then e2e_fail "check tells the user to renew a client's certificate"; fi
if grep -q "$b1" "$E2E_DIR/check.out"; then e2e_fail "check reports $b1, which lego renewed as $b2"; fi
mcheck +300d --quiet
[ $rc -eq 0 ] && [ ! -s "$E2E_DIR/check.out" ] || e2e_fail "check --quiet at +300d printed: $(cat "$E2E_DIR/check.out")"
# Ten days left, past the renewal window: the client is late.
mcheck +386d
[ $rc -eq 1 ] || { e2e_show_log "$E2E_DIR/check.out"; e2e_fail "check at +386d: exit $rc, not 1"; }
grep -q "^WARNING: server a.example.test $a: expires in 1[01] days, .*the ACME client of $who has not renewed it" \
	"$E2E_DIR/check.out" || { e2e_show_log "$E2E_DIR/check.out"; e2e_fail "check at +386d: no WARNING for $a"; }
grep -q "^WARNING: server $acme $tls: .* 'minica acme serve' has not renewed its certificate" "$E2E_DIR/check.out" ||
	{ e2e_show_log "$E2E_DIR/check.out"; e2e_fail "check at +386d: no WARNING for the server's $tls"; }
if grep -q "run 'minica renew'" "$E2E_DIR/check.out"; then e2e_fail "check tells the user to renew a client's certificate"; fi
mcheck +386d --json
grep -q "\"severity\":\"WARNING\",\"serial\":\"$a\"" "$E2E_DIR/check.out" || e2e_fail "check --json: no WARNING for $a"
mcheck +400d
[ $rc -eq 2 ] || { e2e_show_log "$E2E_DIR/check.out"; e2e_fail "check at +400d: exit $rc, not 2"; }
grep -q "^CRITICAL: server a.example.test $a: expired on .*; issued over ACME to $who, whose client did not renew it" \
	"$E2E_DIR/check.out" || { e2e_show_log "$E2E_DIR/check.out"; e2e_fail "check at +400d: no CRITICAL for $a"; }
if grep -q "$b1" "$E2E_DIR/check.out"; then e2e_fail "check reports $b1, which lego renewed as $b2"; fi
e2e_log "check: information at +300d, WARNING at +386d, CRITICAL at +400d"

# ---- renew: a certificate of minica's own beside them
"$MINICA_BIN" issue server --cn www.example.test --out "$E2E_DIR/issued" >/dev/null 2>&1 || e2e_fail "issue www.example.test"
c=$("$MINICA_BIN" list | awk '$3 == "www.example.test" { print $1 }')
mkdir "$E2E_DIR/out"
# --days 400: every certificate is due.
"$MINICA_BIN" renew --dry-run --days 400 >"$E2E_DIR/dry.out" 2>&1 || { e2e_show_log "$E2E_DIR/dry.out"; e2e_fail "renew --dry-run"; }
for s in "$a" "$b2"; do
	grep -q "^not renewing server [ab].example.test ($s), expires in 39[67] days: issued over ACME to $who, whose client holds its key and renews it$" \
		"$E2E_DIR/dry.out" || { e2e_show_log "$E2E_DIR/dry.out"; e2e_fail "renew --dry-run does not skip $s"; }
done
grep -q "^not renewing server $acme ($tls), expires in 39[67] days: the certificate of 'minica acme serve' (private/acme-tls.pem), which renews it while it runs and replaces it at its next start$" \
	"$E2E_DIR/dry.out" || { e2e_show_log "$E2E_DIR/dry.out"; e2e_fail "renew --dry-run does not skip the server's $tls"; }
grep -q "^would renew server www.example.test ($c)" "$E2E_DIR/dry.out" || e2e_fail "renew --dry-run would not renew $c"
if grep -q "$b1" "$E2E_DIR/dry.out"; then e2e_fail "renew --dry-run names $b1, which lego renewed"; fi
"$MINICA_BIN" renew --days 400 --out "$E2E_DIR/out" >"$E2E_DIR/renew.out" 2>&1 ||
	{ e2e_show_log "$E2E_DIR/renew.out"; e2e_fail "renew: exit $?"; }
grep -q "^not renewing server a.example.test ($a)" "$E2E_DIR/renew.out" || e2e_fail "renew does not say it skips $a"
grep -q "^renewed server www.example.test: $c -> " "$E2E_DIR/renew.out" || { e2e_show_log "$E2E_DIR/renew.out"; e2e_fail "renew did not renew $c"; }
[ "$(ls "$E2E_DIR/out")" = "$(printf 'www.example.test-fullchain.crt\nwww.example.test.crt\nwww.example.test.key')" ] ||
	e2e_fail "renew wrote other files than www.example.test's: $(ls "$E2E_DIR/out")"
for s in "$a" "$b1" "$b2" "$tls"; do
	"$MINICA_BIN" show "$s" | grep -q '^status  *valid' || e2e_fail "renew changed $s: $("$MINICA_BIN" show "$s" | grep status)"
done
"$MINICA_BIN" show "$c" | grep -q '^status  *superseded' || e2e_fail "$c not superseded by its renewal"
# Named, and forced: still the client's.
"$MINICA_BIN" renew --force --json "$a" >"$E2E_DIR/force.out" 2>"$E2E_DIR/force.err" || e2e_fail "renew --force $a: exit $?"
[ ! -s "$E2E_DIR/force.out" ] || e2e_fail "renew --force --json $a printed a certificate: $(cat "$E2E_DIR/force.out")"
grep -q "^not renewing server a.example.test ($a)" "$E2E_DIR/force.err" || e2e_fail "renew --force $a: no line on standard error"
grep -q "^nothing else due for renewal" "$E2E_DIR/force.err" || e2e_fail "renew --force $a: $(cat "$E2E_DIR/force.err")"
"$MINICA_BIN" show "$a" | grep -q '^status  *valid' || e2e_fail "renew --force changed $a"
[ "$("$MINICA_BIN" list | awk '$3 == "a.example.test"' | wc -l)" -eq 1 ] || e2e_fail "a second certificate for a.example.test"
e2e_log "renew skipped $a and $b2 (and $b1, renewed by lego) and the server's $tls, renewed $c"
