#!/bin/sh
# Debian's Caddy (2.6) as an ACME client of 'minica acme serve', three
# times, each Caddy with its own storage and site name:
#   1. eab = no, http-01 on a high http_port (global acme_ca, acme_ca_root);
#   2. eab = required, the key id from 'minica acme eab new' in the global
#      acme_eab { key_id mac_key } block, http-01;
#   3. eab = required, tls-alpn-01 only: the site's tls { issuer acme { eab
#      KID MAC; disable_http_challenge; alt_tlsalpn_port P } }, the server's
#      tlsalpn01_port = P and its http01_port a port nobody listens on.
# Each time Caddy serves its certificate on a high https_port, curl and
# gnutls-cli trusting the root alone fetch the site, and 'minica show'
# names the challenge the server validated.  Names in a private /etc/hosts.
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
acme_ca caddy.example.test caddy-eab.example.test caddy-alpn.example.test
port=$(e2e_port) && http=$(e2e_port) && https=$(e2e_port) && alpn=$(e2e_port) && closed=$(e2e_port) ||
	e2e_fail "no free ports"
dir=https://$acme:$port/acme/directory
e2e_caddy_pid() { e2e_read_pid "$1/caddy.pid"; }

# acme_restart KEY=VALUE...: the server again with another [acme] section.
acme_restart() {
	e2e_stop_pid acme "$(cat "$E2E_DIR/acme/acme.pid")" || e2e_fail "cannot stop minica acme serve"
	e2e_unregister acme "$E2E_DIR/acme"
	acme_serve "$acme" "$port" "$@"
}

# caddy_site NAME SITE CHALLENGE: Caddy with $E2E_DIR/NAME/Caddyfile gets
# a certificate for SITE; it must chain to the root, name SITE, and be in
# the store as validated by CHALLENGE.  Prints the serial.
caddy_site() {
	cd_=$E2E_DIR/$1
	HOME=$cd_/home XDG_DATA_HOME=$cd_/data XDG_CONFIG_HOME=$cd_/home \
		caddy run --config "$cd_/Caddyfile" --adapter caddyfile >"$cd_/log" 2>&1 &
	echo $! >"$cd_/caddy.pid"
	e2e_register caddy "$cd_"
	e2e_wait_port caddy "$https" "$(cat "$cd_/caddy.pid")" "$cd_/log"
	# Caddy obtains the certificate in the background: bounded wait for
	# the site to answer over TLS with a chain the root alone verifies.
	i=0
	until curl -sS --max-time 5 --cacert "$root" "https://$2:$https/" >"$cd_/site.out" 2>"$cd_/curl.err"; do
		i=$((i + 1))
		if [ $i -ge 60 ]; then
			e2e_show_log "$cd_/curl.err"
			e2e_show_log "$cd_/log"
			e2e_show_log "$E2E_DIR/acme/log"
			e2e_fail "$1: curl --cacert root to Caddy's site $2"
		fi
		sleep 1
	done
	grep -q "hello from $2" "$cd_/site.out" || e2e_fail "$1: Caddy's site answered something else"
	# The chain Caddy serves, checked with two independent tools.
	echo | timeout 10 openssl s_client -connect "127.0.0.1:$https" -servername "$2" -showcerts 2>/dev/null |
		sed -n '/BEGIN CERT/,/END CERT/p' >"$cd_/chain.pem"
	openssl verify -x509_strict -CAfile "$root" -untrusted "$cd_/chain.pem" "$cd_/chain.pem" >/dev/null 2>&1 ||
		e2e_fail "$1: the chain Caddy serves does not verify against the root (openssl)"
	timeout 10 gnutls-cli --x509cafile="$root" --port="$https" "$2" </dev/null >"$cd_/gnutls.out" 2>&1 ||
		{ e2e_show_log "$cd_/gnutls.out"; e2e_fail "$1: gnutls-cli does not verify Caddy's chain against the root"; }
	openssl x509 -in "$cd_/chain.pem" -noout -ext subjectAltName | grep -q "DNS:$2" ||
		e2e_fail "$1: Caddy's leaf does not name $2"
	s=$(openssl x509 -in "$cd_/chain.pem" -noout -serial | sed 's/serial=//' | tr 'A-F' 'a-f')
	"$MINICA_BIN" show "$s" >"$cd_/show.out" 2>&1 || e2e_fail "minica show $s: $(cat "$cd_/show.out")"
	grep -q "^validated  *$2 by $3 at " "$cd_/show.out" ||
		{ e2e_show_log "$cd_/show.out"; e2e_fail "$1: minica show $s does not say $2 was validated by $3"; }
	e2e_stop_pid caddy "$(cat "$cd_/caddy.pid")"
	e2e_unregister caddy "$cd_"
	echo "$s"
}

# caddy_conf NAME SITE [GLOBAL-LINES [TLS-BLOCK]]: a Caddyfile with its
# admin endpoint off (no fixed port), its storage and home in the test
# folder, never the system trust store.
caddy_conf() {
	mkdir -p "$E2E_DIR/$1/data" "$E2E_DIR/$1/home"
	cat >"$E2E_DIR/$1/Caddyfile" <<EOF
{
	admin off
	skip_install_trust
	storage file_system {
		root $E2E_DIR/$1/data
	}
	acme_ca $dir
	acme_ca_root $root
	email admin@example.test
	http_port $http
	https_port $https
${3:-}
}
$2 {
${4:-}
	respond "hello from $2"
}
EOF
}

# ---- 1. no EAB, http-01
acme_serve "$acme" "$port" eab=no http01_port="$http"
caddy_conf caddy caddy.example.test
s1=$(caddy_site caddy caddy.example.test http-01) || exit 1
e2e_log "caddy got $s1 for caddy.example.test (http-01, no EAB)"

# ---- 2. EAB in the global acme_eab block, http-01
acme_restart eab=required http01_port="$http"
kid2=$(eab_kid caddy-eab) && kid3=$(eab_kid caddy-alpn) || e2e_fail "acme eab new"
caddy_conf caddy-eab caddy-eab.example.test "$(printf '\tacme_eab {\n\t\tkey_id %s\n\t\tmac_key %s\n\t}' "$kid2" "$(eab_hmac caddy-eab)")"
s2=$(caddy_site caddy-eab caddy-eab.example.test http-01) || exit 1
"$MINICA_BIN" acme accounts | grep -q "valid .* eab=$kid2 caddy-eab" || e2e_fail "Caddy's account is not bound to $kid2"
e2e_log "caddy got $s2 for caddy-eab.example.test (http-01, EAB $kid2)"

# ---- 3. EAB in the issuer block, tls-alpn-01 only
# Caddy's TLS-ALPN solver listens on alt_tlsalpn_port for the challenge;
# http-01, were Caddy to answer it, would be validated on a closed port.
acme_restart eab=required http01_port="$closed" tlsalpn01_port="$alpn"
caddy_conf caddy-alpn caddy-alpn.example.test "" "$(printf '\ttls {\n\t\tissuer acme {\n\t\t\tdir %s\n\t\t\ttrusted_roots %s\n\t\t\temail admin@example.test\n\t\t\teab %s %s\n\t\t\tdisable_http_challenge\n\t\t\talt_tlsalpn_port %s\n\t\t}\n\t}' \
	"$dir" "$root" "$kid3" "$(eab_hmac caddy-alpn)" "$alpn")"
caddy adapt --config "$E2E_DIR/caddy-alpn/Caddyfile" --adapter caddyfile >"$E2E_DIR/caddy-alpn/adapted.json" 2>&1 ||
	{ e2e_show_log "$E2E_DIR/caddy-alpn/adapted.json"; e2e_fail "caddy adapt refuses the tls-alpn-01 Caddyfile"; }
grep -q "\"challenges\":{\"http\":{\"disabled\":true},\"tls-alpn\":{\"alternate_port\":$alpn}}" "$E2E_DIR/caddy-alpn/adapted.json" ||
	e2e_fail "caddy adapt: http-01 not disabled in $(cat "$E2E_DIR/caddy-alpn/adapted.json")"
s3=$(caddy_site caddy-alpn caddy-alpn.example.test tls-alpn-01) || exit 1
"$MINICA_BIN" acme accounts | grep -q "valid .* eab=$kid3 caddy-alpn" || e2e_fail "Caddy's account is not bound to $kid3"
"$MINICA_BIN" log >"$E2E_DIR/audit.out" 2>&1 || e2e_fail "minica log"
grep -q "acme-validate .* caddy-alpn.example.test tls-alpn-01 valid" "$E2E_DIR/audit.out" ||
	{ e2e_show_log "$E2E_DIR/audit.out"; e2e_fail "no valid tls-alpn-01 validation for caddy-alpn.example.test in the audit log"; }
if grep -q "acme-validate .* caddy-alpn.example.test http-01" "$E2E_DIR/audit.out"; then
	e2e_fail "Caddy answered http-01 for caddy-alpn.example.test, disable_http_challenge notwithstanding"
fi
e2e_log "caddy got $s3 for caddy-alpn.example.test (tls-alpn-01 on port $alpn, EAB $kid3)"
