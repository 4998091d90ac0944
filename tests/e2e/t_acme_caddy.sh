#!/bin/sh
# Debian's Caddy (2.6) as an ACME client of 'minica acme serve': it gets a
# certificate for its own site (acme_ca the minica directory, acme_ca_root
# the minica root, http-01 on a high http_port), serves it on a high
# https_port, and curl trusting the root alone fetches the site, the
# chain verifying.  Names in a private /etc/hosts.
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
command -v caddy >/dev/null 2>&1 || e2e_fail "missing caddy (see install.sh)"
export MINICA_HOME="$E2E_DIR/home" MINICA_PASSPHRASE=acme-e2e-pass MINICA_ROOT_PASSPHRASE=acme-e2e-root-pass
root=$MINICA_HOME/ca.crt
acme=acme.example.test
site=caddy.example.test
"$MINICA_BIN" init --domain example.test >"$E2E_DIR/init.log" 2>&1 || { e2e_show_log "$E2E_DIR/init.log"; e2e_fail "init"; }
cp /etc/hosts "$E2E_DIR/hosts"
echo "127.0.0.1 $acme $site" >>"$E2E_DIR/hosts"
mount --bind "$E2E_DIR/hosts" /etc/hosts || e2e_fail "cannot bind-mount a private /etc/hosts"
port=$(e2e_port) && http=$(e2e_port) && https=$(e2e_port) || e2e_fail "no free ports"

acme_serve "$acme" "$port" eab=no http01_port="$http"

# Caddy: its admin endpoint off (no fixed port), its storage and home in
# the test folder, never the system trust store.
mkdir -p "$E2E_DIR/caddy/data" "$E2E_DIR/caddy/home"
cat >"$E2E_DIR/caddy/Caddyfile" <<EOF
{
	admin off
	skip_install_trust
	storage file_system {
		root $E2E_DIR/caddy/data
	}
	acme_ca https://$acme:$port/acme/directory
	acme_ca_root $root
	email admin@example.test
	http_port $http
	https_port $https
}
$site {
	respond "hello from caddy"
}
EOF
e2e_caddy_pid() { e2e_read_pid "$1/caddy.pid"; }
HOME=$E2E_DIR/caddy/home XDG_DATA_HOME=$E2E_DIR/caddy/data XDG_CONFIG_HOME=$E2E_DIR/caddy/home \
	caddy run --config "$E2E_DIR/caddy/Caddyfile" --adapter caddyfile >"$E2E_DIR/caddy/log" 2>&1 &
echo $! >"$E2E_DIR/caddy/caddy.pid"
e2e_register caddy "$E2E_DIR/caddy"
e2e_wait_port caddy "$https" "$(cat "$E2E_DIR/caddy/caddy.pid")" "$E2E_DIR/caddy/log"

# Caddy obtains the certificate in the background: bounded wait for the
# site to answer over TLS with a chain the root alone verifies.
i=0
until curl -sS --max-time 5 --cacert "$root" "https://$site:$https/" >"$E2E_DIR/site.out" 2>"$E2E_DIR/curl.err"; do
	i=$((i + 1))
	if [ $i -ge 60 ]; then
		e2e_show_log "$E2E_DIR/curl.err"
		e2e_show_log "$E2E_DIR/caddy/log"
		e2e_show_log "$E2E_DIR/acme/log"
		e2e_fail "curl --cacert root to Caddy's site"
	fi
	sleep 1
done
grep -q "hello from caddy" "$E2E_DIR/site.out" || e2e_fail "Caddy's site answered something else"
# The chain Caddy serves, checked with two independent tools.
echo | timeout 10 openssl s_client -connect "127.0.0.1:$https" -servername "$site" -showcerts 2>/dev/null |
	sed -n '/BEGIN CERT/,/END CERT/p' >"$E2E_DIR/chain.pem"
openssl verify -x509_strict -CAfile "$root" -untrusted "$E2E_DIR/chain.pem" "$E2E_DIR/chain.pem" >/dev/null 2>&1 ||
	e2e_fail "the chain Caddy serves does not verify against the root (openssl)"
timeout 10 gnutls-cli --x509cafile="$root" --port="$https" "$site" </dev/null >"$E2E_DIR/gnutls.out" 2>&1 ||
	{ e2e_show_log "$E2E_DIR/gnutls.out"; e2e_fail "gnutls-cli does not verify Caddy's chain against the root"; }
openssl x509 -in "$E2E_DIR/chain.pem" -noout -ext subjectAltName | grep -q "DNS:$site" || e2e_fail "Caddy's leaf does not name $site"
s=$(openssl x509 -in "$E2E_DIR/chain.pem" -noout -serial | sed 's/serial=//' | tr 'A-F' 'a-f')
"$MINICA_BIN" show "$s" >"$E2E_DIR/show.out" 2>&1 || e2e_fail "minica show $s: $(cat "$E2E_DIR/show.out")"
grep -q "$site" "$E2E_DIR/show.out" || e2e_fail "minica show $s does not name $site"
e2e_log "caddy got $s for $site"
e2e_stop_pid caddy "$(cat "$E2E_DIR/caddy/caddy.pid")"
e2e_unregister caddy "$E2E_DIR/caddy"
