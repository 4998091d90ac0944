#!/bin/sh
# tls-alpn-01 (RFC 8737) and IP identifiers (RFC 8738) against 'minica
# acme serve': lego's own tls-alpn-01 server for a DNS name; IP orders
# (127.0.0.1, and ::1 where the host has it) by python3-acme with a
# responder of its own (acme_ip.py: lego 4.9 and certbot 2.1 cannot
# order IPs) over tls-alpn-01 and http-01, under a root made with
# --permit-ip; the same IP refused by a root without it.  Every leaf is
# checked with openssl verify -x509_strict and certtool --verify against
# the root alone and with 'minica show'.
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
for b in lego certtool python3 unshare; do
	command -v "$b" >/dev/null 2>&1 || e2e_fail "missing $b (see install.sh)"
done
/usr/bin/python3 -c 'import acme, cryptography' 2>/dev/null ||
	e2e_fail "missing python3-acme (see install.sh)"
export MINICA_PASSPHRASE=alpn-e2e-pass MINICA_ROOT_PASSPHRASE=alpn-e2e-root-pass
acme=acme.example.test
v6=
python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null && v6=::1

cp /etc/hosts "$E2E_DIR/hosts"
echo "127.0.0.1 $acme alpn.example.test" >>"$E2E_DIR/hosts"
mount --bind "$E2E_DIR/hosts" /etc/hosts || e2e_fail "cannot bind-mount a private /etc/hosts"

# serve: 'minica acme serve' for the CA in $MINICA_HOME on a new port ($port);
# http-01 and tls-alpn-01 validated on $http and $tls.
http=$(e2e_port) && tls=$(e2e_port) || e2e_fail "no free ports"
serve() {
	port=$(e2e_port) || e2e_fail "no free ports"
	acme_serve "$acme" "$port" eab=no http01_port="$http" tlsalpn01_port="$tls"
}

export MINICA_HOME="$E2E_DIR/home"
root=$MINICA_HOME/ca.crt
ranges="--permit-ip 127.0.0.0/8"
[ -z "$v6" ] || ranges="$ranges --permit-ip ::1/128"
# shellcheck disable=SC2086
"$MINICA_BIN" init --domain example.test $ranges >"$E2E_DIR/init.log" 2>&1 ||
	{ e2e_show_log "$E2E_DIR/init.log"; e2e_fail "init --permit-ip"; }
serve
dir=https://$acme:$port/acme/directory

# verify_leaf FILE SAN: chains to the root alone through the served chain,
# names SAN (e.g. DNS:x or "IP Address:127.0.0.1") and nothing else, in the store.
verify_leaf() {
	openssl verify -x509_strict -CAfile "$root" -untrusted "$1" "$1" >"$E2E_DIR/verify.out" 2>&1 ||
		e2e_fail "$1 does not verify against the root: $(cat "$E2E_DIR/verify.out")"
	# GnuTLS too: it checks the root's name constraints (the IP ranges) itself.
	certtool --verify --load-ca-certificate "$root" --infile "$1" >"$E2E_DIR/verify.out" 2>&1 ||
		e2e_fail "certtool --verify $1: $(tail -3 "$E2E_DIR/verify.out")"
	sans=$(openssl x509 -in "$1" -noout -ext subjectAltName | sed -n '2,$p' | sed 's/^ *//')
	[ "$sans" = "$2" ] || e2e_fail "$1 names '$sans', not '$2'"
	s=$(openssl x509 -in "$1" -noout -serial | sed 's/serial=//' | tr 'A-F' 'a-f')
	"$MINICA_BIN" show "$s" >"$E2E_DIR/show.out" 2>&1 ||
		e2e_fail "minica show $s: $(cat "$E2E_DIR/show.out")"
	echo "$s"
}

# ---- lego: tls-alpn-01 with its own server, for a DNS name
LEGO_CA_CERTIFICATES="$root" timeout 120 lego --server "$dir" --email admin@example.test --accept-tos \
	--path "$E2E_DIR/lego" --domains alpn.example.test --tls --tls.port "127.0.0.1:$tls" run \
	>"$E2E_DIR/lego.log" 2>&1 || { e2e_show_log "$E2E_DIR/lego.log"; e2e_show_log "$E2E_DIR/acme/log"; e2e_fail "lego --tls"; }
grep -q 'tls-alpn-01' "$E2E_DIR/lego.log" || { e2e_show_log "$E2E_DIR/lego.log"; e2e_fail "lego did not use tls-alpn-01"; }
s=$(verify_leaf "$E2E_DIR/lego/certificates/alpn.example.test.crt" "DNS:alpn.example.test")
"$MINICA_BIN" log >"$E2E_DIR/audit.out" 2>&1
grep -q 'alpn.example.test tls-alpn-01 valid' "$E2E_DIR/audit.out" ||
	{ e2e_show_log "$E2E_DIR/audit.out"; e2e_fail "the audit log does not record the tls-alpn-01 validation"; }
e2e_log "lego tls-alpn-01 issued $s"

# lego 4.9 orders every name as "dns": an address that way is refused
# (it must be an "ip" identifier), and no certificate comes of it.
if LEGO_CA_CERTIFICATES="$root" timeout 60 lego --server "$dir" --email admin@example.test --accept-tos \
	--path "$E2E_DIR/lego" --domains 127.0.0.1 --tls --tls.port "127.0.0.1:$tls" run \
	>"$E2E_DIR/lego-ip.log" 2>&1; then
	e2e_fail "lego got a certificate for 127.0.0.1 as a DNS name"
fi
grep -q 'rejectedIdentifier' "$E2E_DIR/lego-ip.log" || { e2e_show_log "$E2E_DIR/lego-ip.log"; e2e_fail "lego: no rejectedIdentifier"; }

# ---- IP identifiers: tls-alpn-01 (SNI the reverse name) and http-01
ip() {
	REQUESTS_CA_BUNDLE="$root" timeout 120 /usr/bin/python3 "$here/acme_ip.py" "$dir" "$root" "$E2E_DIR/ip" "$@" \
		>"$E2E_DIR/ip.log" 2>&1
}
mkdir "$E2E_DIR/ip"
ip tls-alpn-01 "$tls" 127.0.0.1 || { e2e_show_log "$E2E_DIR/ip.log"; e2e_show_log "$E2E_DIR/acme/log"; e2e_fail "tls-alpn-01 for 127.0.0.1"; }
s=$(verify_leaf "$E2E_DIR/ip/127.0.0.1.pem" "IP Address:127.0.0.1")
e2e_log "tls-alpn-01 for 127.0.0.1 issued $s"
if [ -n "$v6" ]; then
	ip tls-alpn-01 "$tls" ::1 || { e2e_show_log "$E2E_DIR/ip.log"; e2e_fail "tls-alpn-01 for ::1"; }
	s=$(verify_leaf "$E2E_DIR/ip/__1.pem" "IP Address:0:0:0:0:0:0:0:1")
	ip http-01 "$http" ::1 || { e2e_show_log "$E2E_DIR/ip.log"; e2e_fail "http-01 for ::1"; }
	s=$(verify_leaf "$E2E_DIR/ip/__1.pem" "IP Address:0:0:0:0:0:0:0:1")
	e2e_log "tls-alpn-01 and http-01 for ::1 issued"
fi
ip http-01 "$http" 127.0.0.2 || { e2e_show_log "$E2E_DIR/ip.log"; e2e_fail "http-01 for 127.0.0.2"; }
s=$(verify_leaf "$E2E_DIR/ip/127.0.0.2.pem" "IP Address:127.0.0.2")
e2e_log "http-01 for 127.0.0.2 issued $s"

ip noanswer 127.0.0.5 && grep -q "cannot connect to 127.0.0.5 port $tls: Connection refused" "$E2E_DIR/ip.log" ||
	{ e2e_show_log "$E2E_DIR/ip.log"; e2e_fail "an unanswered tls-alpn-01 was not a connection problem"; }

# finalize: the CSR's iPAddress SANs must be the order's IPs, and no IP in the CN.
ip badcsr "$http" 127.0.0.3 127.0.0.4 && grep -q "asks for the IP address '127.0.0.4'" "$E2E_DIR/ip.log" ||
	{ e2e_show_log "$E2E_DIR/ip.log"; e2e_fail "a CSR with an IP outside the order was not badCSR"; }
ip ipcn "$http" 127.0.0.3 && grep -q "CN is the IP address" "$E2E_DIR/ip.log" ||
	{ e2e_show_log "$E2E_DIR/ip.log"; e2e_fail "a CSR with an IP CN was not badCSR"; }

# ---- which challenges each kind of identifier gets
types() {
	ip types "$1" "$2" || { e2e_show_log "$E2E_DIR/ip.log"; e2e_fail "order for $1 $2"; }
	[ "$(cat "$E2E_DIR/ip.log")" = "$3" ] || e2e_fail "$1 $2: challenges '$(cat "$E2E_DIR/ip.log")', want '$3'"
}
types dns x.example.test "dns-01 http-01 tls-alpn-01"
types dns '*.w.example.test' "dns-01"
types ip 127.0.0.9 "http-01 tls-alpn-01"

# ---- IP refusals: outside the permitted range, not canonical, unknown type
refuse() {
	ip refuse "$@" || { e2e_show_log "$E2E_DIR/ip.log"; e2e_fail "refusal of $1 $2"; }
}
refuse ip 192.0.2.1 rejectedIdentifier
grep -q 'permitted: 127.0.0.0/8' "$E2E_DIR/ip.log" || { e2e_show_log "$E2E_DIR/ip.log"; e2e_fail "no permitted range named"; }
refuse ip 127.000.0.1 malformed
refuse ip 0:0:0:0:0:0:0:1 malformed
grep -q "send '::1'" "$E2E_DIR/ip.log" || { e2e_show_log "$E2E_DIR/ip.log"; e2e_fail "no canonical form named"; }
refuse ip alpn.example.test malformed
refuse dns 127.0.0.1 rejectedIdentifier

# ---- a root without --permit-ip: no IP at all
e2e_stop_pid acme "$(cat "$E2E_DIR/acme/acme.pid")"
e2e_unregister acme "$E2E_DIR/acme"
export MINICA_HOME="$E2E_DIR/home2"
root=$MINICA_HOME/ca.crt
"$MINICA_BIN" init --domain example.test >"$E2E_DIR/init2.log" 2>&1 ||
	{ e2e_show_log "$E2E_DIR/init2.log"; e2e_fail "init"; }
serve
dir=https://$acme:$port/acme/directory
refuse ip 127.0.0.1 rejectedIdentifier
grep -q "permit-ip" "$E2E_DIR/ip.log" || { e2e_show_log "$E2E_DIR/ip.log"; e2e_fail "the refusal does not say why"; }
e2e_log "IP identifiers refused where the root permits none"
