#!/bin/sh
# 'minica acme serve' against hostile requests (acme_hostile.py): replayed
# and made-up nonces, url mismatch, unknown kid, a signature by another
# key, jwk where kid is due, a body over 64 KiB, garbage, names outside
# the CA's domains, finalize before validation, another account's order,
# a deactivated account, and 1,000 nonce requests.
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
acme_ca
port=$(e2e_port) || e2e_fail "no free port"

acme_serve "$acme" "$port" eab=no

REQUESTS_CA_BUNDLE="$MINICA_HOME/ca.crt" timeout 300 /usr/bin/python3 "$here/acme_hostile.py" "https://$acme:$port/acme/directory" "$MINICA_HOME/ca.crt" \
	>"$E2E_DIR/hostile.log" 2>&1 || { e2e_show_log "$E2E_DIR/hostile.log"; e2e_show_log "$E2E_DIR/acme/log"; e2e_fail "hostile requests"; }
e2e_log "$(grep -c '^ok' "$E2E_DIR/hostile.log") hostile cases answered as RFC 8555 says"
"$MINICA_BIN" acme accounts | grep -q deactivated || e2e_fail "the deactivated account is not listed as such"
# The running server does not hold the CA lock between requests.
MINICA_LOCK_TIMEOUT=2 "$MINICA_BIN" issue server --cn cli.example.test --out "$E2E_DIR/cli" >"$E2E_DIR/issue.log" 2>&1 ||
	{ e2e_show_log "$E2E_DIR/issue.log"; e2e_fail "minica issue while the ACME server runs"; }
# [acme] settings refused before the passphrase is asked, each in one line
# naming the key (a second home, so the running server is left alone).
export MINICA_HOME="$E2E_DIR/home2"
"$MINICA_BIN" init --domain example.test >"$E2E_DIR/init2.log" 2>&1 || { e2e_show_log "$E2E_DIR/init2.log"; e2e_fail "init 2"; }
conf_refused() { # WANT [key=value ...]: serve fails, the message has WANT
	want=$1
	shift
	acme_conf "$acme" 1 "$@"
	MINICA_PASSPHRASE='' "$MINICA_BIN" acme serve </dev/null >"$E2E_DIR/conf.log" 2>&1 && e2e_fail "acme serve started with $*"
	grep -qF -- "$want" "$E2E_DIR/conf.log" || { e2e_show_log "$E2E_DIR/conf.log"; e2e_fail "acme serve with $*: no '$want'"; }
	[ "$(wc -l <"$E2E_DIR/conf.log")" -eq 1 ] || { e2e_show_log "$E2E_DIR/conf.log"; e2e_fail "acme serve with $*: not one line"; }
}
conf_refused "[acme] profile = nosuch: unknown profile 'nosuch'" profile=nosuch
conf_refused "[acme] hostname = acme.example.net: 'acme.example.net' is outside" hostname=acme.example.net
conf_refused "[acme] tls = no listens on the loopback address only" tls=no listen=0.0.0.0:14000
conf_refused "[acme] listen = 127.0.0.1:: '127.0.0.1:' is not ADDR:PORT" listen=127.0.0.1:
conf_refused "[acme] eab = maybe: expected required or no" eab=maybe
conf_refused "[acme] http01_port = 0: expected a port number" http01_port=0
conf_refused "[acme] hostnme = x: unknown key (known keys: listen," hostnme=x
acme_conf "$acme" 1
sed -i '/^hostname = /d' "$MINICA_HOME/minica.conf"
"$MINICA_BIN" acme serve --listen 127.0.0.1:1 </dev/null >"$E2E_DIR/conf.log" 2>&1 && e2e_fail "acme serve started without a hostname"
grep -qF "[acme] hostname is not set" "$E2E_DIR/conf.log" || { e2e_show_log "$E2E_DIR/conf.log"; e2e_fail "no word of the missing hostname"; }
"$MINICA_BIN" acme serve --listen 127.0.0.1 </dev/null >"$E2E_DIR/conf.log" 2>&1 && e2e_fail "acme serve --listen without a port started"
grep -qF -- "--listen: '127.0.0.1' is not ADDR:PORT" "$E2E_DIR/conf.log" || { e2e_show_log "$E2E_DIR/conf.log"; e2e_fail "--listen without a port"; }
export MINICA_HOME="$E2E_DIR/home"
"$MINICA_BIN" acme deactivate nine >/dev/null 2>&1
[ $? -eq 64 ] || e2e_fail "acme deactivate with a non-number is not a usage error"
e2e_pid_alive "$(cat "$E2E_DIR/acme/acme.pid")" || e2e_fail "the server died"
