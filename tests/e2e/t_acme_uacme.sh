#!/bin/sh
# uacme (Debian's, libcurl-gnutls) against 'minica acme serve' with EAB
# required: an account bound with -e KID:HMAC, http-01 through uacme's own
# hook script and a webroot served by python3's http.server, then 'update'
# (contact), 'newkey' (keyChange, RFC 8555 §7.3.5), a certificate issued
# with the new key, and 'deactivate'.  uacme trusts only the system's
# /etc/ssl/certs: in the private mount namespace that folder is a copy
# holding the CA's root alone.  Every certificate verified with openssl
# verify -x509_strict against the root alone and found by 'minica show'.
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
for b in uacme python3 unshare; do
	command -v "$b" >/dev/null 2>&1 || e2e_fail "missing $b (see install.sh)"
done
name=uacme.example.test
acme_ca $name
mkdir "$E2E_DIR/certs"
cp "$root" "$E2E_DIR/certs/minica-root.pem" && cp "$root" "$E2E_DIR/certs/ca-certificates.crt" &&
	mount --bind "$E2E_DIR/certs" /etc/ssl/certs || e2e_fail "cannot bind-mount a private /etc/ssl/certs"
port=$(e2e_port) && http=$(e2e_port) || e2e_fail "no free ports"

acme_serve "$acme" "$port" eab=required http01_port="$http"
dir=https://$acme:$port/acme/directory

www=$E2E_DIR/www/.well-known/acme-challenge
mkdir -p "$www"
(cd "$E2E_DIR/www" && exec python3 -m http.server "$http" --bind 127.0.0.1) >"$E2E_DIR/http.log" 2>&1 &
echo $! >"$E2E_DIR/http.pid"
e2e_web_pid() { e2e_read_pid "$1/http.pid"; }
e2e_register web "$E2E_DIR"
e2e_wait_port "python3 http.server" "$http" "$(cat "$E2E_DIR/http.pid")" "$E2E_DIR/http.log"
export UACME_CHALLENGE_PATH="$www"

conf=$E2E_DIR/uacme
u() { timeout 120 uacme -v -a "$dir" -c "$conf" "$@" >>"$E2E_DIR/uacme.log" 2>&1; }
fail_u() { e2e_show_log "$E2E_DIR/uacme.log"; e2e_show_log "$E2E_DIR/acme/log"; e2e_fail "$1"; }

verify() { # the leaf in cert.pem (uacme writes leaf + intermediate) against the root alone
	openssl x509 -in "$1" -out "$E2E_DIR/leaf.pem" || e2e_fail "no certificate in $1"
	openssl verify -x509_strict -CAfile "$root" -untrusted "$1" "$E2E_DIR/leaf.pem" >/dev/null 2>&1 ||
		e2e_fail "$1 does not verify against the root"
	openssl x509 -in "$E2E_DIR/leaf.pem" -noout -ext subjectAltName | grep -q "DNS:$name" || e2e_fail "$1 does not name $name"
	s=$(openssl x509 -in "$E2E_DIR/leaf.pem" -noout -serial | sed 's/serial=//' | tr 'A-F' 'a-f')
	"$MINICA_BIN" show "$s" >"$E2E_DIR/show.out" 2>&1 || e2e_fail "minica show $s: $(cat "$E2E_DIR/show.out")"
	echo "$s"
}

# ---- without a binding the account is refused; with one it is made
u -y new admin@example.test && fail_u "uacme made an account without EAB"
# uacme reads meta.externalAccountRequired and stops before asking.
grep -q "requires external credentials" "$E2E_DIR/uacme.log" || fail_u "uacme did not see externalAccountRequired"
"$MINICA_BIN" acme eab new --name uacme-host --domain "$name" >"$E2E_DIR/eab.out" 2>/dev/null || e2e_fail "eab new"
kid=$(awk '$1 == "kid" { print $2 }' "$E2E_DIR/eab.out")
hmac=$(awk '$1 == "hmac" { print $2 }' "$E2E_DIR/eab.out")
u -y -e "$kid:$hmac" new admin@example.test || fail_u "uacme new with EAB"
"$MINICA_BIN" acme accounts >"$E2E_DIR/acc.out"
grep -q "eab=$kid uacme-host" "$E2E_DIR/acc.out" || { e2e_show_log "$E2E_DIR/acc.out"; e2e_fail "account not bound to $kid"; }
thumb1=$(awk '{ print $4 }' "$E2E_DIR/acc.out")

# ---- http-01 through uacme.sh
u -h /usr/share/uacme/uacme.sh issue "$name" || fail_u "uacme issue"
s1=$(verify "$conf/$name/cert.pem")
e2e_log "uacme issued $s1"
u -h /usr/share/uacme/uacme.sh issue other.example.test && fail_u "a name outside the key id's --domain was issued"
grep -q rejectedIdentifier "$E2E_DIR/uacme.log" || fail_u "no rejectedIdentifier for a name outside --domain"

# ---- update (contact) and newkey (keyChange), then a certificate with the new key
u update other@example.test || fail_u "uacme update"
"$MINICA_BIN" acme accounts | grep -q 'mailto:other@example.test' || e2e_fail "uacme update: contact not changed"
u newkey || fail_u "uacme newkey"
thumb2=$("$MINICA_BIN" acme accounts | awk '{ print $4 }')
[ -n "$thumb2" ] && [ "$thumb2" != "$thumb1" ] || e2e_fail "uacme newkey: the account key did not change"
u -f -h /usr/share/uacme/uacme.sh issue "$name" || fail_u "uacme issue after newkey"
s2=$(verify "$conf/$name/cert.pem")
[ "$s2" != "$s1" ] || e2e_fail "no new certificate after newkey"
e2e_log "uacme update, newkey (keyChange) and $s2 with the new key"

# ---- deactivate
u -y deactivate || fail_u "uacme deactivate"
"$MINICA_BIN" acme accounts | grep -q deactivated || e2e_fail "uacme deactivate: not deactivated"
u -f -h /usr/share/uacme/uacme.sh issue "$name" && fail_u "a deactivated account got a certificate"
e2e_pid_alive "$(cat "$E2E_DIR/acme/acme.pid")" || e2e_fail "the server died"
e2e_log "uacme done"
