# shellcheck shell=sh
# tests/e2e/dns.sh — real DNSSEC for the DANE tests: an authoritative nsd
# serving a zone signed with ldns-signzone (and an unsigned one), and a
# validating unbound whose only trust anchor is that zone's key.
#
# Source it after lib.sh, from a test already inside its own mount and
# network namespaces (dns_enter_namespace does that):
#   - /etc/resolv.conf is bind-mounted over with one pointing at the
#     unbound, so libc's resolver (Postfix's posttls-finger) and
#     libunbound's resolv.conf mode both use it;
#   - resolv.conf cannot name a port, so unbound listens on 127.0.0.1:53,
#     which only the private network namespace makes safe; nsd listens on
#     a high port of the run's range;
#   - nothing outside $E2E_DIR is written; the namespace ends with the test.
#
#   dns_enter_namespace "$0" "$@"    # first thing in the test: re-runs it inside
#   dns_start DIR                    # keys, nsd, unbound, resolv.conf
#   dns_publish DIR SIGNED UNSIGNED [SED]  # zone lines for example.org (signed)
#                                    # and example.net (not), re-sign, reload
#   dns_dig NAME TYPE                # dig against the unbound (+dnssec)

DNS_ZONE=example.org
DNS_PLAIN_ZONE=example.net

# dns_enter_namespace SCRIPT ARGS...: re-executes SCRIPT with unshare -m -n
# unless already inside; inside, brings lo up.
dns_enter_namespace() {
	if [ -z "${MINICA_DNS_NS:-}" ]; then
		command -v unshare >/dev/null || e2e_fail "unshare (util-linux) is needed"
		MINICA_DNS_NS=1 exec unshare -m -n sh "$@"
	fi
	# The mount namespace's mounts must not propagate back to the host.
	mount --make-rprivate / 2>/dev/null || true
	ip link set lo up || e2e_fail "cannot bring lo up in the private network namespace"
}

e2e_nsd_pid() { e2e_read_pid "$1/nsd.pid.run"; }
e2e_unbound_pid() { e2e_read_pid "$1/unbound.pid.run"; }

# dns_keys DIR: one KSK and one ZSK (ECDSA P-256, algorithm 13).
dns_keys() {
	(cd "$1" && ldns-keygen -a ECDSAP256SHA256 -k "$DNS_ZONE" >ksk.name &&
		ldns-keygen -a ECDSAP256SHA256 "$DNS_ZONE" >zsk.name) ||
		e2e_fail "ldns-keygen failed"
	# The trust anchor unbound and minica get: the KSK's DS record.
	cp "$1/$(cat "$1/ksk.name").ds" "$1/ta.ds"
}

# dns_zone_files DIR SIGNED_LINES UNSIGNED_LINES: writes both zones and
# signs example.org.
dns_zone_files() {
	dns_serial=$(($(cat "$1/serial" 2>/dev/null || echo 0) + 1))
	echo "$dns_serial" >"$1/serial"
	for dns_z in "$DNS_ZONE" "$DNS_PLAIN_ZONE"; do
		cat >"$1/$dns_z.zone" <<EOF
\$ORIGIN $dns_z.
\$TTL 5
@ IN SOA ns1.$dns_z. hostmaster.$dns_z. $dns_serial 3600 600 86400 5
@ IN NS ns1.$dns_z.
ns1 IN A 127.0.0.1
mail IN A 127.0.0.1
mx2 IN A 127.0.0.1
@ IN MX 10 mail.$dns_z.
EOF
	done
	printf '%s\n' "$2" | sed 's/^ *//' | grep -v '^;' | grep -v '^$' >>"$1/$DNS_ZONE.zone" || true
	printf '%s\n' "$3" | sed 's/^ *//' | grep -v '^;' | grep -v '^$' >>"$1/$DNS_PLAIN_ZONE.zone" || true
	(cd "$1" && ldns-signzone -n -f "$DNS_ZONE.zone.signed" "$DNS_ZONE.zone" \
		"$(cat zsk.name)" "$(cat ksk.name)") >"$1/signzone.out" 2>&1 ||
		{ e2e_show_log "$1/signzone.out"; e2e_fail "ldns-signzone failed"; }
}

dns_nsd_conf() {
	cat >"$1/nsd.conf" <<EOF
server:
	ip-address: 127.0.0.1@$2
	port: $2
	do-ip6: no
	zonesdir: "$1"
	pidfile: "$1/nsd.pid"
	database: ""
	zonelistfile: "$1/zone.list"
	xfrdfile: "$1/xfrd.state"
	xfrdir: "$1"
	username: ""
	chroot: ""
	logfile: "$1/nsd.log"
	verbosity: 1
	server-count: 1
remote-control:
	control-enable: no
zone:
	name: $DNS_ZONE
	zonefile: "$DNS_ZONE.zone.signed"
zone:
	name: $DNS_PLAIN_ZONE
	zonefile: "$DNS_PLAIN_ZONE.zone"
EOF
}

dns_unbound_conf() {
	cat >"$1/unbound.conf" <<EOF
server:
	interface: 127.0.0.1@53
	do-ip6: no
	do-daemonize: no
	username: ""
	chroot: ""
	directory: "$1"
	pidfile: "$1/unbound.pid"
	logfile: "$1/unbound.log"
	use-syslog: no
	verbosity: 1
	val-log-level: 2
	access-control: 127.0.0.0/8 allow
	do-not-query-localhost: no
	module-config: "validator iterator"
	trust-anchor-file: "$1/ta.ds"
	cache-max-ttl: 5
	cache-max-negative-ttl: 1
stub-zone:
	name: "$DNS_ZONE"
	stub-addr: 127.0.0.1@$2
stub-zone:
	name: "$DNS_PLAIN_ZONE"
	stub-addr: 127.0.0.1@$2
remote-control:
	control-enable: yes
	control-interface: "$1/unbound.ctl"
	control-use-cert: no
EOF
}

# dns_run NAME DIR PIDFILE CMD...: starts CMD in the background (it stays
# in the foreground itself), records its pid, registers it for cleanup.
dns_run() {
	dns_rname=$1 dns_rdir=$2 dns_rpid=$3
	shift 3
	"$@" >"$dns_rdir/$dns_rname.out" 2>&1 &
	echo $! >"$dns_rpid"
	e2e_register "$dns_rname" "$dns_rdir"
}

dns_start() {
	dns_d=$1
	mkdir -p "$dns_d" || e2e_fail "cannot make '$dir'"
	DNS_NSD_PORT=$(e2e_port) || e2e_fail "no free port for nsd"
	dns_keys "$dns_d"
	dns_zone_files "$dns_d" "" ""
	dns_nsd_conf "$dns_d" "$DNS_NSD_PORT"
	dns_unbound_conf "$dns_d" "$DNS_NSD_PORT"
	unbound-checkconf "$dns_d/unbound.conf" >"$dns_d/checkconf.out" 2>&1 ||
		{ e2e_show_log "$dns_d/checkconf.out"; e2e_fail "unbound-checkconf failed"; }
	dns_run nsd "$dns_d" "$dns_d/nsd.pid.run" nsd -d -c "$dns_d/nsd.conf"
	e2e_wait_port nsd "$DNS_NSD_PORT" "$(cat "$dns_d/nsd.pid.run")" "$dns_d/nsd.log"
	dns_run unbound "$dns_d" "$dns_d/unbound.pid.run" unbound -d -c "$dns_d/unbound.conf"
	e2e_wait_port unbound 53 "$(cat "$dns_d/unbound.pid.run")" "$dns_d/unbound.log"
	printf 'nameserver 127.0.0.1\noptions trust-ad edns0\n' >"$dns_d/resolv.conf"
	mount --bind "$dns_d/resolv.conf" /etc/resolv.conf || e2e_fail "cannot bind-mount resolv.conf"
	DNS_DIR=$dns_d
	e2e_log "nsd pid $(cat "$dns_d/nsd.pid.run") on :$DNS_NSD_PORT, unbound pid $(cat "$dns_d/unbound.pid.run") on :53"
}

# dns_publish DIR SIGNED_LINES UNSIGNED_LINES [SED]: new zone contents; nsd
# restarted (it re-reads its zone files), unbound's cache flushed.  SED,
# if given, edits the signed zone after signing (a forged answer whose
# signature no longer verifies: bogus).
dns_publish() {
	dns_d=$1
	dns_zone_files "$dns_d" "$2" "$3"
	if [ -n "${4:-}" ]; then
		sed -i "$4" "$dns_d/$DNS_ZONE.zone.signed" || e2e_fail "cannot edit the signed zone"
	fi
	dns_pid=$(e2e_nsd_pid "$dns_d") && e2e_stop_pid nsd "$dns_pid"
	e2e_unregister nsd "$dns_d"
	dns_run nsd "$dns_d" "$dns_d/nsd.pid.run" nsd -d -c "$dns_d/nsd.conf"
	e2e_wait_port nsd "$DNS_NSD_PORT" "$(cat "$dns_d/nsd.pid.run")" "$dns_d/nsd.log"
	unbound-control -c "$dns_d/unbound.conf" reload >"$dns_d/control.out" 2>&1 ||
		{ e2e_show_log "$dns_d/control.out"; e2e_fail "unbound-control reload failed"; }
	# reload restarts unbound's listeners: wait for them.
	e2e_wait_port unbound 53 "$(cat "$dns_d/unbound.pid.run")" "$dns_d/unbound.log"
}

dns_dig() {
	dig +dnssec +time=3 +tries=1 @127.0.0.1 "$1" "$2"
}
