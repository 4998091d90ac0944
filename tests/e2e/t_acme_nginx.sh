#!/bin/sh
# 'minica acme serve' with tls = no behind a real nginx: nginx on a high
# port with a minica-issued certificate for the ACME hostname, the
# location block from 'minica snippet nginx-acme' in its server block,
# [acme] url the proxy's; the directory announces https://HOST:PORT (the
# proxy), never the loopback http:// address, and certbot and lego obtain
# certificates through it, verified against the root alone.  Refusals:
# tls = no on a non-loopback address, the snippet with tls = yes.  Names
# in a private /etc/hosts.
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
for b in certbot lego; do
	command -v "$b" >/dev/null 2>&1 || e2e_fail "missing $b (see install.sh)"
done
acme_ca www.example.test lego.example.test
backend=$(e2e_port) && https=$(e2e_port) && http=$(e2e_port) || e2e_fail "no free ports"

# ---- refusals first: one line each, non-zero, nothing started
acme_conf "$acme" "$backend" eab=no tls=yes
if "$MINICA_BIN" snippet nginx-acme >"$E2E_DIR/snip-bad.out" 2>"$E2E_DIR/snip-bad.err"; then
	e2e_fail "snippet nginx-acme printed a block for a server that speaks TLS itself"
fi
[ "$(wc -l <"$E2E_DIR/snip-bad.err")" -eq 1 ] && grep -q "set tls = no" "$E2E_DIR/snip-bad.err" ||
	e2e_fail "snippet nginx-acme with tls = yes: $(cat "$E2E_DIR/snip-bad.err")"
[ ! -s "$E2E_DIR/snip-bad.out" ] || e2e_fail "snippet nginx-acme printed something with tls = yes"
acme_conf "$acme" "$backend" eab=no tls=no
if timeout 10 "$MINICA_BIN" acme serve --listen "0.0.0.0:$backend" >"$E2E_DIR/open.out" 2>"$E2E_DIR/open.err"; then
	e2e_fail "tls = no served on 0.0.0.0"
fi
[ "$(wc -l <"$E2E_DIR/open.err")" -eq 1 ] && grep -q "loopback address only" "$E2E_DIR/open.err" ||
	e2e_fail "tls = no on 0.0.0.0: $(cat "$E2E_DIR/open.err")"
acme_conf "$acme" "$backend" eab=no tls=no url="https://other.example.test:$https"
if timeout 10 "$MINICA_BIN" acme serve >"$E2E_DIR/url.out" 2>"$E2E_DIR/url.err"; then
	e2e_fail "a url naming another host was served"
fi
grep -q "names another host" "$E2E_DIR/url.err" || e2e_fail "url of another host: $(cat "$E2E_DIR/url.err")"

# ---- tls = no on IPv6 loopback: listens there, the snippet brackets it
ACME_SERVE_ARGS="--listen [::1]:$backend"
acme_serve "$acme" "$backend" eab=no tls=no
ACME_SERVE_ARGS=
curl -sS -g --max-time 10 "http://[::1]:$backend/acme/directory" | grep -q "\"newNonce\": \"https://$acme/acme/new-nonce\"" ||
	{ e2e_show_log "$E2E_DIR/acme/log"; e2e_fail "tls = no on [::1]: no directory, or not https://$acme"; }
e2e_stop_pid acme "$(cat "$E2E_DIR/acme/acme.pid")"
e2e_unregister acme "$E2E_DIR/acme"
acme_conf "$acme" "$backend" eab=no tls=no listen="[::1]:$backend"
"$MINICA_BIN" snippet nginx-acme | grep -q "proxy_pass http://\[::1\]:$backend;" || e2e_fail "snippet for [::1]"

# ---- minica behind nginx
acme_serve "$acme" "$backend" eab=no tls=no http01_port="$http" url="https://$acme:$https"
grep -q "ACME directory at https://$acme:$https/acme/directory" "$E2E_DIR/acme/log" ||
	{ e2e_show_log "$E2E_DIR/acme/log"; e2e_fail "the server does not announce the proxy's URL"; }
[ ! -e "$MINICA_HOME/private/acme-tls.pem" ] || e2e_fail "tls = no issued a certificate for itself"
"$MINICA_BIN" snippet nginx-acme >"$E2E_DIR/location.conf" 2>"$E2E_DIR/snippet.err" ||
	{ e2e_show_log "$E2E_DIR/snippet.err"; e2e_fail "snippet nginx-acme"; }
grep -q "proxy_pass http://127.0.0.1:$backend;" "$E2E_DIR/location.conf" || e2e_fail "the snippet does not proxy to $backend"
mkdir "$E2E_DIR/web"
"$MINICA_BIN" issue nginx --cn "$acme" --out "$E2E_DIR/web" >"$E2E_DIR/issue.log" 2>&1 ||
	{ e2e_show_log "$E2E_DIR/issue.log"; e2e_fail "issue nginx for $acme"; }
{
	e2e_nginx_tls_lines "$E2E_DIR/web/$acme-fullchain.crt" "$E2E_DIR/web/$acme.key"
	cat "$E2E_DIR/location.conf"
} >"$E2E_DIR/server.conf"
[ -f "$E2E_DIR/web/$acme-fullchain.crt" ] || { ls "$E2E_DIR/web" >&2; e2e_fail "no fullchain file from issue"; }
e2e_nginx_start "$E2E_DIR/nginx" "$https" "$acme" "$E2E_DIR/server.conf"
dir=https://$acme:$https/acme/directory

curl -sS --max-time 10 --cacert "$root" "$dir" >"$E2E_DIR/dir.json" ||
	{ e2e_show_log "$E2E_DIR/nginx/logs/error.log"; e2e_fail "the directory through nginx"; }
grep -q "\"newOrder\": \"https://$acme:$https/acme/new-order\"" "$E2E_DIR/dir.json" ||
	{ cat "$E2E_DIR/dir.json" >&2; e2e_fail "the directory does not name the proxy's URLs"; }
! grep -q "http://\|:$backend" "$E2E_DIR/dir.json" || e2e_fail "the directory names the loopback server"
curl -sS -I --max-time 10 --cacert "$root" "https://$acme:$https/acme/new-nonce" | tr -d '\r' |
	grep -q '^Replay-Nonce: ' || e2e_fail "no Replay-Nonce through nginx"

# verify_leaf FILE NAME: chains to the root alone, names NAME, in the store.
verify_leaf() {
	chain=$(dirname "$1")/chain.pem
	[ -f "$chain" ] || chain=$1
	openssl verify -x509_strict -CAfile "$root" -untrusted "$chain" "$1" >/dev/null 2>&1 ||
		e2e_fail "$1 does not verify against the root"
	openssl x509 -in "$1" -noout -ext subjectAltName | grep -q "DNS:$2" || e2e_fail "$1 does not name $2"
	s=$(openssl x509 -in "$1" -noout -serial | sed 's/serial=//' | tr 'A-F' 'a-f')
	"$MINICA_BIN" show "$s" >"$E2E_DIR/show.out" 2>&1 || e2e_fail "minica show $s: $(cat "$E2E_DIR/show.out")"
	echo "$s"
}

cb="--config-dir $E2E_DIR/cb/conf --work-dir $E2E_DIR/cb/work --logs-dir $E2E_DIR/cb/logs"
# shellcheck disable=SC2086
REQUESTS_CA_BUNDLE="$root" timeout 120 certbot certonly $cb --standalone --non-interactive --agree-tos \
	-m admin@example.test --server "$dir" --http-01-port "$http" -d www.example.test >"$E2E_DIR/cb.log" 2>&1 ||
	{ e2e_show_log "$E2E_DIR/cb.log"; e2e_show_log "$E2E_DIR/acme/log"; e2e_fail "certbot through nginx"; }
s1=$(verify_leaf "$E2E_DIR/cb/conf/live/www.example.test/cert.pem" www.example.test)
e2e_log "certbot through nginx: $s1"

LEGO_CA_CERTIFICATES="$root" timeout 120 lego --server "$dir" --email admin@example.test --accept-tos \
	--path "$E2E_DIR/lego" --domains lego.example.test --http --http.port "127.0.0.1:$http" run \
	>"$E2E_DIR/lego.log" 2>&1 || { e2e_show_log "$E2E_DIR/lego.log"; e2e_fail "lego through nginx"; }
s2=$(verify_leaf "$E2E_DIR/lego/certificates/lego.example.test.crt" lego.example.test)
e2e_log "lego through nginx: $s2"
grep -q "/acme/finalize/" "$E2E_DIR/nginx/logs/access.log" || e2e_fail "nginx's log shows no finalize: not proxied?"
e2e_nginx_stop "$E2E_DIR/nginx"
