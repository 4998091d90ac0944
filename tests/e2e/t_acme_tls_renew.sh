#!/bin/sh
# The ACME server's own certificate: issued at the first start, kept in
# private/acme-tls.pem (0600) and reused at the next, renewed by the
# running server once due (libfaketime moves its clock 270 days on; the
# server profile's 397 days are due after 2/3) and swapped in for new
# handshakes while a connection opened before keeps working; the store
# shows the old one superseded; a revocation from the command line is
# replaced at the next look.  Names in a private /etc/hosts.
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
command -v python3 >/dev/null 2>&1 || e2e_fail "missing python3"
acme_ca
port=$(e2e_port) || e2e_fail "no free port"
mkdir "$E2E_DIR/acme"
# The server's clock: "+0d" now, "+270d" later (read at every call).
echo "+0d" >"$E2E_DIR/faketime"

# start_server: minica acme serve under libfaketime (the monotonic clock
# left alone, so libmicrohttpd's idle timeouts do not fire at the jump).
start_server() {
	acme_conf "$acme" "$port" eab=no
	LD_PRELOAD=$ft FAKETIME_TIMESTAMP_FILE=$E2E_DIR/faketime FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 \
		"$MINICA_BIN" acme serve >>"$E2E_DIR/acme/log" 2>&1 &
	echo $! >"$E2E_DIR/acme/acme.pid"
	e2e_register acme "$E2E_DIR/acme"
	e2e_wait_port "minica acme serve" "$port" "$(cat "$E2E_DIR/acme/acme.pid")" "$E2E_DIR/acme/log"
}
stop_server() {
	e2e_stop_pid acme "$(cat "$E2E_DIR/acme/acme.pid")"
	e2e_unregister acme "$E2E_DIR/acme"
}
# served_serial [FILE]: the serial of the leaf a new handshake gets (the
# chain it sent to FILE), lowercase as minica writes it.
served_serial() {
	echo | timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername "$acme" -showcerts \
		2>/dev/null >"$E2E_DIR/s_client.out"
	sed -n '/BEGIN CERT/,/END CERT/p' "$E2E_DIR/s_client.out" >"${1:-$E2E_DIR/chain.pem}"
	openssl x509 -in "${1:-$E2E_DIR/chain.pem}" -noout -serial 2>/dev/null | sed 's/serial=//' | tr 'A-F' 'a-f'
}
# wait_log TEXT: bounded wait for TEXT in the server's log.
wait_log() {
	i=0
	while ! grep -q "$1" "$E2E_DIR/acme/log"; do
		i=$((i + 1))
		[ $i -lt 100 ] || { e2e_show_log "$E2E_DIR/acme/log"; e2e_fail "no '$1' in the server's log"; }
		sleep 0.1
	done
}
# status_of SERIAL: its status in 'minica list --all --json' ("" if none).
status_of() {
	"$MINICA_BIN" list --all --json |
		python3 -c 'import json, sys; print("".join(c["status"] for c in json.load(sys.stdin) if c["serial"] == sys.argv[1]))' "$1"
}
count_certs() {
	"$MINICA_BIN" list --all --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'
}

# ---- first start: a new certificate, kept 0600 in private/
start_server
s1=$(served_serial "$E2E_DIR/chain1.pem")
[ -n "$s1" ] || e2e_fail "no certificate served"
grep -q "certificate: $s1 (new)" "$E2E_DIR/acme/log" || e2e_fail "first start did not say it issued $s1"
openssl verify -x509_strict -CAfile "$root" -untrusted "$E2E_DIR/chain1.pem" "$E2E_DIR/chain1.pem" >/dev/null 2>&1 ||
	e2e_fail "the served chain does not verify against the root"
kept=$MINICA_HOME/private/acme-tls.pem
[ "$(stat -c %a "$kept")" = 600 ] || e2e_fail "$kept is not 0600"
[ "$(openssl x509 -in "$kept" -noout -serial | sed 's/serial=//' | tr 'A-F' 'a-f')" = "$s1" ] ||
	e2e_fail "$kept does not hold $s1"
[ "$(status_of "$s1")" = valid ] || e2e_fail "$s1 is not a valid certificate in the store"

# ---- second start: the kept one, no new row
stop_server
n1=$(count_certs)
start_server
[ "$(served_serial)" = "$s1" ] || e2e_fail "the second start does not serve the kept $s1"
grep -q "certificate: $s1 (kept from the last start)" "$E2E_DIR/acme/log" || e2e_fail "second start did not keep $s1"
[ "$(count_certs)" = "$n1" ] || e2e_fail "the second start recorded a certificate"
e2e_log "kept $s1 across a restart"

# ---- renewal while running: a connection opened before keeps working
# on the old certificate, a new handshake gets the new one.
cat >"$E2E_DIR/keepalive.py" <<'EOF'
import http.client, os, signal, ssl, sys, time
host, port, root, pid, clock, log = sys.argv[1:]
ctx = ssl.create_default_context(cafile=root)
c = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=10)
c.request("GET", "/acme/directory")
r = c.getresponse(); r.read()
assert r.status == 200, r.status
before = c.sock.getpeercert()["serialNumber"].lower()
with open(clock, "w") as f:
    f.write("+270d\n")
os.kill(int(pid), signal.SIGHUP)
for _ in range(100):
    if "is renewed" in open(log).read():
        break
    time.sleep(0.1)
else:
    sys.exit("the server did not renew")
c.request("GET", "/acme/directory")
r = c.getresponse(); r.read()
assert r.status == 200, r.status
after = c.sock.getpeercert()["serialNumber"].lower()
assert before == after, (before, after)
print(before)
EOF
old=$(timeout 30 python3 "$E2E_DIR/keepalive.py" "$acme" "$port" "$root" "$(cat "$E2E_DIR/acme/acme.pid")" \
	"$E2E_DIR/faketime" "$E2E_DIR/acme/log" 2>"$E2E_DIR/keepalive.err") ||
	{ e2e_show_log "$E2E_DIR/keepalive.err"; e2e_show_log "$E2E_DIR/acme/log"; e2e_fail "keep-alive across the renewal"; }
[ "$(echo "$old" | sed 's/^0*//')" = "$(echo "$s1" | sed 's/^0*//')" ] || e2e_fail "the open connection saw $old, not $s1"
s2=$(served_serial "$E2E_DIR/chain2.pem")
[ -n "$s2" ] && [ "$s2" != "$s1" ] || e2e_fail "a new handshake after the renewal still gets $s1"
grep -q "certificate $s1 is renewed: $s2" "$E2E_DIR/acme/log" || e2e_fail "the log does not name $s1 -> $s2"
# The new one starts 270 days on: verified at that time, by two tools.
at=$(($(date +%s) + 271 * 86400))
openssl verify -x509_strict -attime "$at" -CAfile "$root" -untrusted "$E2E_DIR/chain2.pem" "$E2E_DIR/chain2.pem" \
	>/dev/null 2>&1 || e2e_fail "the renewed chain does not verify against the root"
openssl x509 -in "$E2E_DIR/chain2.pem" -noout -ext subjectAltName | grep -q "DNS:$acme" || e2e_fail "$s2 does not name $acme"
[ "$(status_of "$s1")" = superseded ] || e2e_fail "$s1 is not superseded in the store"
[ "$(status_of "$s2")" = valid ] || e2e_fail "$s2 is not valid in the store"
"$MINICA_BIN" show "$s1" | grep -q "$s2" || e2e_fail "minica show $s1 does not name its successor $s2"
"$MINICA_BIN" log --serial "$s2" | grep -q renew || e2e_fail "no renew event for $s2"
[ "$(openssl x509 -in "$kept" -noout -serial | sed 's/serial=//' | tr 'A-F' 'a-f')" = "$s2" ] ||
	e2e_fail "$kept does not hold $s2"
e2e_log "renewed $s1 -> $s2 while running"

# ---- not due: another look changes nothing
kill -HUP "$(cat "$E2E_DIR/acme/acme.pid")"
sleep 1
[ "$(served_serial)" = "$s2" ] || e2e_fail "a look at a current certificate replaced it"

# ---- revoked from the command line: replaced at the next look
"$MINICA_BIN" revoke "$s2" --reason keyCompromise >"$E2E_DIR/revoke.log" 2>&1 ||
	{ e2e_show_log "$E2E_DIR/revoke.log"; e2e_fail "minica revoke $s2"; }
kill -HUP "$(cat "$E2E_DIR/acme/acme.pid")"
wait_log "certificate $s2 is renewed"
s3=$(served_serial)
[ -n "$s3" ] && [ "$s3" != "$s2" ] || e2e_fail "the revoked $s2 is still served"
[ "$(status_of "$s2")" = revoked ] || e2e_fail "$s2 is not revoked in the store"
e2e_log "revoked $s2 replaced by $s3"

# ---- another hostname in the kept file: not served, a new lineage
stop_server
acme=other.example.test
echo "127.0.0.1 $acme" >>"$E2E_DIR/hosts"
start_server
s4=$(served_serial)
[ -n "$s4" ] && [ "$s4" != "$s3" ] || e2e_fail "the certificate for acme.example.test served as $acme"
[ "$(status_of "$s3")" = valid ] || e2e_fail "$s3 (another name) was superseded by $s4"
stop_server
e2e_log "done"
