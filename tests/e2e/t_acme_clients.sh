#!/bin/sh
# 'minica acme serve' against real ACME clients from Debian, each bound
# with its own EAB key id: certbot (http-01 standalone, update_account,
# renew, revoke; dns-01 through manual hooks), lego (http-01; dns-01
# through its exec provider, then renew) and dehydrated (http-01 through a
# webroot served by python3's http.server).  dns-01 TXT records live in
# pebble-challtestsrv, the server's resolver.  Names are
# mapped to 127.0.0.1 in a private mount namespace's /etc/hosts; every
# certificate is checked with openssl verify -x509_strict against the root
# alone and with 'minica show'.
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
for b in certbot lego dehydrated python3 unshare; do
	command -v "$b" >/dev/null 2>&1 || e2e_fail "missing $b (see install.sh)"
done
acme_ca www.example.test lego.example.test dh.example.test

port=$(e2e_port) && http=$(e2e_port) && dns=$(e2e_port) && mgmt=$(e2e_port) || e2e_fail "no free ports"

# pebble-challtestsrv: the DNS server dns-01 is validated against, fed TXT
# records by certbot's hook through its management API.
mkdir "$E2E_DIR/cts"
pebble-challtestsrv -dns01 "127.0.0.1:$dns" -management "127.0.0.1:$mgmt" -http01 "" -https01 "" -tlsalpn01 "" \
	>"$E2E_DIR/cts/log" 2>&1 &
echo $! >"$E2E_DIR/cts/cts.pid"
e2e_cts_pid() { e2e_read_pid "$1/cts.pid"; }
e2e_register cts "$E2E_DIR/cts"
e2e_wait_port pebble-challtestsrv "$mgmt" "$(cat "$E2E_DIR/cts/cts.pid")" "$E2E_DIR/cts/log"
printf '#!/bin/sh\nprintf %s "$CERTBOT_DOMAIN" "$CERTBOT_VALIDATION" | curl -sS --max-time 5 -d @- http://127.0.0.1:%s/set-txt\n' \
	"'{\"host\":\"_acme-challenge.%s.\",\"value\":\"%s\"}'" "$mgmt" >"$E2E_DIR/cts/hook"
chmod 755 "$E2E_DIR/cts/hook"
dir=https://$acme:$port/acme/directory

acme_serve "$acme" "$port" http01_port="$http" resolver="127.0.0.1:$dns"

# One External Account Binding key id per client (eab = required).
cb_kid=$(eab_kid certbot) && lego_kid=$(eab_kid lego) && dh_kid=$(eab_kid dehydrated) || e2e_fail "acme eab new"

# ---- the directory and the server's own certificate, from the CA
curl -sS --max-time 10 --cacert "$root" "$dir" >"$E2E_DIR/dir.json" || e2e_fail "directory over TLS with the root only"
grep -q '"renewalInfo"' "$E2E_DIR/dir.json" || e2e_fail "directory lacks renewalInfo"
nonce=$(curl -sS -I --max-time 10 --cacert "$root" "https://$acme:$port/acme/new-nonce" | tr -d '\r' |
	sed -n 's/^Replay-Nonce: //p')
[ -n "$nonce" ] || e2e_fail "new-nonce gave no Replay-Nonce"

# verify_leaf FILE NAME: chains to the root alone (through the intermediate
# the server handed out: the client's chain.pem, or lego's bundle), names
# NAME, in the store.
verify_leaf() {
	chain=$(dirname "$1")/chain.pem
	[ -f "$chain" ] || chain=$1
	openssl verify -x509_strict -CAfile "$root" -untrusted "$chain" "$1" >/dev/null 2>&1 ||
		e2e_fail "$1 does not verify against the root"
	# Signed by the intermediate, not the root: the root alone does not
	# verify it, and the chain served is the intermediate only (no root).
	! openssl verify -x509_strict -CAfile "$root" "$1" >/dev/null 2>&1 || [ "$chain" = "$1" ] ||
		e2e_fail "$1 verifies against the root alone: not issued by the intermediate"
	[ "$chain" = "$1" ] || [ "$(grep -c 'BEGIN CERTIFICATE' "$chain")" -eq 1 ] ||
		e2e_fail "$chain is not the intermediate alone"
	openssl x509 -in "$1" -noout -ext subjectAltName | grep -q "DNS:$2" || e2e_fail "$1 does not name $2"
	s=$(openssl x509 -in "$1" -noout -serial | sed 's/serial=//' | tr 'A-F' 'a-f')
	"$MINICA_BIN" show "$s" >"$E2E_DIR/show.out" 2>&1 || e2e_fail "minica show $s: $(cat "$E2E_DIR/show.out")"
	echo "$s"
}

# ---- certbot: http-01 standalone, renew, revoke
cb="--config-dir $E2E_DIR/cb/conf --work-dir $E2E_DIR/cb/work --logs-dir $E2E_DIR/cb/logs"
export REQUESTS_CA_BUNDLE="$root"
# shellcheck disable=SC2086
timeout 120 certbot certonly $cb --standalone --non-interactive --agree-tos -m admin@example.test \
	--eab-kid "$cb_kid" --eab-hmac-key "$(eab_hmac certbot)" \
	--server "$dir" --http-01-port "$http" -d www.example.test >"$E2E_DIR/cb.log" 2>&1 ||
	{ e2e_show_log "$E2E_DIR/cb.log"; e2e_show_log "$E2E_DIR/acme/log"; e2e_fail "certbot certonly"; }
s1=$(verify_leaf "$E2E_DIR/cb/conf/live/www.example.test/cert.pem" www.example.test)
e2e_log "certbot issued $s1"
"$MINICA_BIN" acme accounts | grep -q "eab=$cb_kid certbot" || e2e_fail "certbot's account is not bound to its key id"
# shellcheck disable=SC2086
timeout 60 certbot update_account $cb --server "$dir" --non-interactive -m new-admin@example.test \
	>"$E2E_DIR/cb-update.log" 2>&1 || { e2e_show_log "$E2E_DIR/cb-update.log"; e2e_fail "certbot update_account"; }
"$MINICA_BIN" acme accounts | grep "eab=$cb_kid" | grep -q 'mailto:new-admin@example.test' ||
	e2e_fail "certbot update_account --email did not change the account's contact"
# shellcheck disable=SC2086
timeout 120 certbot renew $cb --force-renewal --no-random-sleep-on-renew --non-interactive >"$E2E_DIR/cb-renew.log" 2>&1 ||
	{ e2e_show_log "$E2E_DIR/cb-renew.log"; e2e_fail "certbot renew"; }
s2=$(verify_leaf "$E2E_DIR/cb/conf/live/www.example.test/cert.pem" www.example.test)
[ "$s2" != "$s1" ] || e2e_fail "certbot renew kept the old certificate"
# shellcheck disable=SC2086
timeout 120 certbot revoke $cb --server "$dir" --non-interactive --no-delete-after-revoke --reason keycompromise \
	--cert-path "$E2E_DIR/cb/conf/live/www.example.test/cert.pem" >"$E2E_DIR/cb-revoke.log" 2>&1 ||
	{ e2e_show_log "$E2E_DIR/cb-revoke.log"; e2e_fail "certbot revoke"; }
"$MINICA_BIN" show "$s2" | grep -q revoked || e2e_fail "certbot's revocation of $s2 not in the store"
e2e_log "certbot renewed to $s2 and revoked it"

# ---- certbot: dns-01 through manual hooks, for a wildcard
# shellcheck disable=SC2086
timeout 120 certbot certonly $cb --manual --preferred-challenges dns --manual-auth-hook "$E2E_DIR/cts/hook" \
	--non-interactive --agree-tos -m admin@example.test --server "$dir" -d '*.wild.example.test' \
	--cert-name wild >"$E2E_DIR/cb-dns.log" 2>&1 ||
	{ e2e_show_log "$E2E_DIR/cb-dns.log"; e2e_show_log "$E2E_DIR/acme/log"; e2e_fail "certbot dns-01"; }
s5=$(verify_leaf "$E2E_DIR/cb/conf/live/wild/cert.pem" '\*.wild.example.test')
e2e_log "certbot dns-01 issued $s5 for *.wild.example.test"

# ---- lego: http-01 with its own server
LEGO_CA_CERTIFICATES="$root" timeout 120 lego --server "$dir" --email admin@example.test --accept-tos \
	--eab --kid "$lego_kid" --hmac "$(eab_hmac lego)" \
	--path "$E2E_DIR/lego" --domains lego.example.test --http --http.port "127.0.0.1:$http" run \
	>"$E2E_DIR/lego.log" 2>&1 || { e2e_show_log "$E2E_DIR/lego.log"; e2e_fail "lego run"; }
s3=$(verify_leaf "$E2E_DIR/lego/certificates/lego.example.test.crt" lego.example.test)
e2e_log "lego issued $s3"

# ---- lego: dns-01 through its exec provider, then renew
# lego's exec provider runs EXEC_PATH present|cleanup FQDN VALUE; the
# script feeds challtestsrv's management API and logs each call, so the
# renewal is seen to solve dns-01 again (the server reuses no
# authorization).  --dns.disable-cp: lego only asks --dns.resolvers for
# the TXT, not the zone's authoritative servers (there are none).
cat >"$E2E_DIR/cts/lego-exec" <<EOF
#!/bin/sh
case \$1 in
present) body="{\"host\":\"\$2\",\"value\":\"\$3\"}" api=set-txt ;;
cleanup) body="{\"host\":\"\$2\"}" api=clear-txt ;;
*) exit 1 ;;
esac
echo "\$1 \$2" >>"$E2E_DIR/cts/lego-exec.log"
printf '%s' "\$body" | curl -sS --fail --max-time 5 -d @- "http://127.0.0.1:$mgmt/\$api"
EOF
chmod 755 "$E2E_DIR/cts/lego-exec"
# lego 4.9 refuses to start without --eab when the directory says
# externalAccountRequired, even with its account on disk; it does not
# register again (checked below: one account for the key id).
lego_dns() { # lego run|renew ARGS...: *.legodns.example.test by dns-01 with the http-01 account
	EXEC_PATH="$E2E_DIR/cts/lego-exec" EXEC_PROPAGATION_TIMEOUT=10 EXEC_POLLING_INTERVAL=1 \
		LEGO_CA_CERTIFICATES="$root" timeout 120 lego --server "$dir" --email admin@example.test --accept-tos \
		--eab --kid "$lego_kid" --hmac "$(eab_hmac lego)" --path "$E2E_DIR/lego" --domains '*.legodns.example.test' \
		--dns exec --dns.resolvers "127.0.0.1:$dns" --dns.disable-cp "$@" >>"$E2E_DIR/lego-dns.log" 2>&1 ||
		{ e2e_show_log "$E2E_DIR/lego-dns.log"; e2e_show_log "$E2E_DIR/acme/log"; e2e_fail "lego dns-01 $1"; }
}
lego_dns run
lcrt=$E2E_DIR/lego/certificates/_.legodns.example.test.crt
s6=$(verify_leaf "$lcrt" '\*.legodns.example.test')
grep -q '^validated  *\*\.legodns\.example\.test by dns-01 at ' "$E2E_DIR/show.out" ||
	{ e2e_show_log "$E2E_DIR/show.out"; e2e_fail "minica show $s6 does not name the dns-01 challenge"; }
# Not due with --days 1: lego keeps the certificate.  --days beyond its
# lifetime: due now, whatever the profile.
lego_dns renew --days 1 --no-random-sleep
[ "$(verify_leaf "$lcrt" '\*.legodns.example.test')" = "$s6" ] || e2e_fail "lego renew --days 1 replaced a certificate not due"
lego_dns renew --days 100000 --no-random-sleep
s7=$(verify_leaf "$lcrt" '\*.legodns.example.test')
[ "$s7" != "$s6" ] || e2e_fail "lego renew kept the old certificate"
for op in present cleanup; do
	[ "$(grep -c "^$op _acme-challenge.legodns.example.test.\$" "$E2E_DIR/cts/lego-exec.log")" -eq 2 ] ||
		{ e2e_show_log "$E2E_DIR/cts/lego-exec.log"; e2e_fail "lego did not $op a TXT record for both run and renew"; }
done
[ "$("$MINICA_BIN" acme accounts | grep -c "eab=$lego_kid ")" -eq 1 ] || e2e_fail "lego registered a second account"
e2e_log "lego dns-01 issued $s6, renewed to $s7"

# ---- dehydrated: http-01 through a webroot
mkdir -p "$E2E_DIR/dh/www/.well-known/acme-challenge"
cat >"$E2E_DIR/dh/config" <<EOF
CA="$dir"
CHALLENGETYPE="http-01"
BASEDIR="$E2E_DIR/dh"
WELLKNOWN="$E2E_DIR/dh/www/.well-known/acme-challenge"
CONTACT_EMAIL="admin@example.test"
EAB_KID="$dh_kid"
EAB_HMAC_KEY="$(eab_hmac dehydrated)"
EOF
(cd "$E2E_DIR/dh/www" && exec python3 -m http.server "$http" --bind 127.0.0.1) >"$E2E_DIR/dh/http.log" 2>&1 &
echo $! >"$E2E_DIR/dh/http.pid"
e2e_dh_pid() { e2e_read_pid "$1/http.pid"; }
e2e_register dh "$E2E_DIR/dh"
e2e_wait_port "python3 http.server" "$http" "$(cat "$E2E_DIR/dh/http.pid")" "$E2E_DIR/dh/http.log"
export CURL_CA_BUNDLE="$root"
timeout 60 dehydrated -f "$E2E_DIR/dh/config" --register --accept-terms >"$E2E_DIR/dh.log" 2>&1 &&
	timeout 120 dehydrated -f "$E2E_DIR/dh/config" -c -d dh.example.test >>"$E2E_DIR/dh.log" 2>&1 ||
	{ e2e_show_log "$E2E_DIR/dh.log"; e2e_fail "dehydrated"; }
s4=$(verify_leaf "$E2E_DIR/dh/certs/dh.example.test/cert.pem" dh.example.test)
e2e_log "dehydrated issued $s4"
e2e_stop_pid http.server "$(cat "$E2E_DIR/dh/http.pid")"
e2e_unregister dh "$E2E_DIR/dh"

# ---- refusals: a name outside the CA's domains is rejectedIdentifier
# shellcheck disable=SC2086
if timeout 60 certbot certonly $cb --standalone --non-interactive --agree-tos -m admin@example.test \
	--server "$dir" --http-01-port "$http" -d www.example.org >"$E2E_DIR/cb-bad.log" 2>&1; then
	e2e_fail "certbot got a certificate for a name outside example.test"
fi
# certbot 2.1 on Python 3.11 then trips over josepy ("can't set attribute")
# while printing any ACME error; its debug log holds the problem document.
grep -q 'error:rejectedIdentifier' "$E2E_DIR/cb/logs/letsencrypt.log" ||
	{ e2e_show_log "$E2E_DIR/cb-bad.log"; e2e_fail "no rejectedIdentifier"; }
"$MINICA_BIN" acme accounts | grep -c valid | grep -q '^[3-9]' || e2e_fail "minica acme accounts lists fewer than 3 accounts"
"$MINICA_BIN" acme eab list | grep -c ' bound ' | grep -q '^3$' || e2e_fail "not every client's key id is bound"
e2e_log "all clients done"
