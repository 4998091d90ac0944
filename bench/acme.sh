#!/bin/bash
# make bench, ACME section: complete orders per second and order latency
# with N parallel clients (bench/acme_load.py, python3-acme), side by side
# in one run against 'minica acme serve', Pebble (Debian's pebble, all in
# memory) and Caddy's acme_server (Debian's caddy), all with http-01 on
# port 80 of the name and no EAB.  Prints a markdown report on stdout.
#
# The whole section runs in a private mount and network namespace
# (unshare -mn): its own loopback, so 127.0.0.1:80 (where Caddy's
# validator connects, and the others are told to) touches nothing real,
# and its own /etc/hosts (a bind-mounted temp file) naming every order.
#
#   MINICA_BIN              set by the Makefile (bench/run.sh)
#   BENCH_QUICK=1           a few orders per point, to check the script
#   BENCH_ACME_CLIENTS      the N to measure (default "1 4 16")
#   BENCH_ACME_ORDERS       orders per point (default 200)
#   BENCH_ACME_ROUNDS       rounds over all points (default 3; the median is reported)
#   BENCH_ACME_NICE         the load generator's nice value (default 10; see below)
#   BENCH_ACME_SERVERS      which of "minica pebble caddy" (default all three)
#   BENCH_ACME_BEFORE=BIN   also another minica build (its own CA home), as
#                           server "minica-before": a change's effect, side by side
#   BENCH_KEEP=1            keep the work folder (and the servers' logs)
#   BENCH_ACME_PERF=PREFIX  perf record -g minica's server during its points,
#                           into PREFIX.N.ROUND.data (perf report -i PREFIX.N.data)
set -euo pipefail
: "${MINICA_BIN:?set MINICA_BIN}"
PY=/usr/bin/python3	# Debian's, where python3-acme lives
for tool in pebble caddy openssl unshare ip curl "$PY"; do
	command -v "$tool" >/dev/null || { echo "bench acme: $tool is missing (install.sh --test installs it)" >&2; exit 1; }
done
"$PY" -c 'import acme.client, josepy' 2>/dev/null ||
	{ echo "bench acme: python3-acme is missing (Debian package python3-acme)" >&2; exit 1; }
if [ "${BENCH_ACME_NS:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "bench acme: needs root for unshare -mn (a private network namespace)" >&2; exit 1; }
	BENCH_ACME_NS=1 exec unshare -mn bash "$0" "$@"
fi
ip link set lo up

here=$(cd "$(dirname "$0")" && pwd)
QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	CLIENTS=${BENCH_ACME_CLIENTS:-"1 4"} ORDERS=${BENCH_ACME_ORDERS:-8} ROUNDS=${BENCH_ACME_ROUNDS:-1}
else
	CLIENTS=${BENCH_ACME_CLIENTS:-"1 4 16"} ORDERS=${BENCH_ACME_ORDERS:-200} ROUNDS=${BENCH_ACME_ROUNDS:-3}
fi
ORDER_TIMEOUT=20	# seconds for one order, every request of it included
# The load generator needs about twice the CPU of the server it drives
# (python-acme: a JWS per request, TLS, JSON); at nice 0 on a small machine
# it takes CPU from the server, and more from a server with one busy thread
# (minica's HTTP thread) than from one with many (Go's).  Clients are
# other machines in real life: the generator runs at nice BENCH_ACME_NICE.
NICE=${BENCH_ACME_NICE:-10}
# On disk like a real CA home (not tmpfs): minica's commits are fsyncs.
W=$(mktemp -d /var/tmp/minica-bench-acme.XXXXXX)
declare -A DIR CA PID	# by server: directory URL, what its TLS chain verifies against, process
cleanup() {
	local s
	for s in "${!PID[@]}"; do stop_server "$s"; done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench acme: kept $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT
umask 077
log() { printf '%s\n' "$*" >&2; }
die() { log "bench acme: $*"; exit 1; }

# ---- names: every order gets its own (o0.example.test ...), all on 127.0.0.1
MINICA_NAME=acme.example.test PEBBLE_NAME=pebble.example.test CADDY_NAME=caddy.example.test
{
	printf '127.0.0.1 localhost %s %s %s\n' "$MINICA_NAME" "$PEBBLE_NAME" "$CADDY_NAME"
	awk -v n="$ORDERS" 'BEGIN { for (i = 0; i < n; i++) printf "127.0.0.1 o%d.example.test\n", i }'
} >"$W/hosts"
chmod 644 "$W/hosts"
mount --bind "$W/hosts" /etc/hosts || die "cannot bind-mount a private /etc/hosts"

# wait_port NAME PORT PID LOG: bounded wait for a listener on 127.0.0.1:PORT.
wait_port() {
	local i
	for i in $(seq 1 150); do
		kill -0 "$3" 2>/dev/null || { tail -20 "$4" >&2; die "$1 exited while starting"; }
		if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then return 0; fi
		[ "$i" -lt 150 ] && sleep 0.2
	done
	tail -20 "$4" >&2
	die "$1 did not listen on port $2 within 30 s"
}

# ---- the three servers, each started by start_NAME (again after a point
# that failed: see below); PID[NAME] is its process.
stop_server() {
	[ -n "${PID[$1]:-}" ] || return 0
	kill "${PID[$1]}" 2>/dev/null || true
	wait "${PID[$1]}" 2>/dev/null || true
	PID[$1]=
}

# minica: a fresh CA home on disk, [acme] eab = no, http-01 on port 80
MINICA_PORT=14001
printf 'bench acme passphrase, not a secret\n' >"$W/pass"
printf 'bench acme root passphrase, not a secret\n' >"$W/rootpass"
export MINICA_HOME=$W/minica
"$MINICA_BIN" init --domain example.test --passphrase-file "$W/pass" --root-passphrase-file "$W/rootpass" \
	>"$W/minica-init.log" 2>&1 || { cat "$W/minica-init.log" >&2; die "minica init failed"; }
printf '\n[acme]\nhostname = %s\nlisten = 127.0.0.1:%s\neab = no\nhttp01_port = 80\n' "$MINICA_NAME" "$MINICA_PORT" \
	>>"$MINICA_HOME/minica.conf"
DIR[minica]=https://$MINICA_NAME:$MINICA_PORT/acme/directory CA[minica]=$MINICA_HOME/ca.crt
start_minica() {
	"$MINICA_BIN" acme serve --passphrase-file "$W/pass" >>"$W/minica.log" 2>&1 &
	PID[minica]=$!
	wait_port minica "$MINICA_PORT" "${PID[minica]}" "$W/minica.log"
}

# BENCH_ACME_BEFORE: the same set-up for another build, port 14003
BEFORE_PORT=14003
start_minica_before() {
	MINICA_HOME=$W/minica-before "$BENCH_ACME_BEFORE" acme serve --passphrase-file "$W/pass" \
		>>"$W/minica-before.log" 2>&1 &
	PID[minica-before]=$!
	wait_port minica-before "$BEFORE_PORT" "${PID[minica-before]}" "$W/minica-before.log"
}
if [ -n "${BENCH_ACME_BEFORE:-}" ]; then
	[ -x "$BENCH_ACME_BEFORE" ] || die "BENCH_ACME_BEFORE: '$BENCH_ACME_BEFORE' is not a program"
	MINICA_HOME=$W/minica-before "$BENCH_ACME_BEFORE" init --domain example.test --passphrase-file "$W/pass" \
		--root-passphrase-file "$W/rootpass" >"$W/minica-before-init.log" 2>&1 ||
		{ cat "$W/minica-before-init.log" >&2; die "minica init (BENCH_ACME_BEFORE) failed"; }
	printf '\n[acme]\nhostname = %s\nlisten = 127.0.0.1:%s\neab = no\nhttp01_port = 80\n' "$MINICA_NAME" \
		"$BEFORE_PORT" >>"$W/minica-before/minica.conf"
	DIR[minica-before]=https://$MINICA_NAME:$BEFORE_PORT/acme/directory CA[minica-before]=$W/minica-before/ca.crt
fi

# Pebble: its WFE's TLS certificate made here, VA on port 80
PEBBLE_PORT=14000
mkdir "$W/pebble"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=bench pebble" \
	-addext "subjectAltName=DNS:$PEBBLE_NAME" -keyout "$W/pebble/key.pem" -out "$W/pebble/cert.pem" 2>/dev/null ||
	die "cannot make Pebble's TLS certificate"
cat >"$W/pebble/config.json" <<EOF
{ "pebble": { "listenAddress": "127.0.0.1:$PEBBLE_PORT", "managementListenAddress": "127.0.0.1:15000",
  "certificate": "$W/pebble/cert.pem", "privateKey": "$W/pebble/key.pem",
  "httpPort": 80, "tlsPort": 5001, "ocspResponderURL": "", "externalAccountBindingRequired": false } }
EOF
DIR[pebble]=https://$PEBBLE_NAME:$PEBBLE_PORT/dir CA[pebble]=$W/pebble/cert.pem
start_pebble() {
	PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 pebble -config "$W/pebble/config.json" -strict=false \
		>>"$W/pebble.log" 2>&1 &
	PID[pebble]=$!
	wait_port pebble "$PEBBLE_PORT" "${PID[pebble]}" "$W/pebble.log"
}

# Caddy: acme_server on its own site, its internal CA in a temp data dir
CADDY_PORT=14002
mkdir -p "$W/caddy/data" "$W/caddy/home"
cat >"$W/caddy/Caddyfile" <<EOF
{
	admin off
	skip_install_trust
	storage file_system {
		root $W/caddy/data
	}
	http_port 14080
	https_port $CADDY_PORT
	auto_https disable_redirects
}
$CADDY_NAME {
	tls internal
	acme_server
}
EOF
CADDY_ROOT=$W/caddy/data/pki/authorities/local/root.crt
DIR[caddy]=https://$CADDY_NAME:$CADDY_PORT/acme/local/directory CA[caddy]=$CADDY_ROOT
start_caddy() {
	HOME=$W/caddy/home XDG_DATA_HOME=$W/caddy/data XDG_CONFIG_HOME=$W/caddy/home \
		caddy run --config "$W/caddy/Caddyfile" --adapter caddyfile >>"$W/caddy.log" 2>&1 &
	PID[caddy]=$!
	wait_port caddy "$CADDY_PORT" "${PID[caddy]}" "$W/caddy.log"
	for _ in $(seq 1 50); do [ -s "$CADDY_ROOT" ] && break; sleep 0.2; done
	[ -s "$CADDY_ROOT" ] || die "Caddy made no root at $CADDY_ROOT"
}

SERVERS=${BENCH_ACME_SERVERS:-minica pebble caddy}
[ -n "${BENCH_ACME_BEFORE:-}" ] && SERVERS="$SERVERS minica-before"
for s in $SERVERS; do
	case $s in minica | pebble | caddy | minica-before) ;;
	*) die "BENCH_ACME_SERVERS: '$s' is not minica, pebble or caddy" ;; esac
	"start_${s/-/_}"
	curl -fsS --max-time 10 --cacert "${CA[$s]}" "${DIR[$s]}" >/dev/null || die "$s: no directory at ${DIR[$s]}"
done

# cpu_ms PID: user + system CPU time of a process and its threads so far.
TICK=$(getconf CLK_TCK)
cpu_ms() { sed 's/.*) //' "/proc/$1/stat" | awk -v t="$TICK" '{ printf "%.0f\n", ($12 + $13) * 1000 / t }'; }

# ---- the points: ROUNDS rounds; in each, for each N, each server in turn
# (so machine noise spreads over all three), a fresh set of names each time.
# One JSON line per run into results.jsonl, the server's CPU time added.
CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "bench acme: $(nproc) processors; load $LOAD_START; $ORDERS orders per point, N in $CLIENTS, $ROUNDS rounds; work in $W"
log "bench acme: pids $(for s in $SERVERS; do printf '%s %s, ' "$s" "${PID[$s]}"; done)"
: >"$W/results.jsonl"
# run_point SERVER N ROUND: one run into results.jsonl; 1 if orders failed.
run_point() {
	local s=$1 n=$2 round=$3 perf_pid='' c0 c1 rc=0
	if [ "$s" = minica ] && [ -n "${BENCH_ACME_PERF:-}" ]; then
		perf record -q -F 499 --call-graph dwarf,16384 -p "${PID[$s]}" -o "$BENCH_ACME_PERF.$n.$round.data" \
			>"$W/perf.log" 2>&1 &
		perf_pid=$!
		sleep 1
	fi
	c0=$(cpu_ms "${PID[$s]}")
	nice -n "$NICE" "$PY" "$here/acme_load.py" --directory "${DIR[$s]}" --ca "${CA[$s]}" --clients "$n" --count "$ORDERS" \
		--timeout "$ORDER_TIMEOUT" --label "$s" >"$W/load.json" 2>"$W/load.err" || rc=1
	c1=$(cpu_ms "${PID[$s]}")
	if [ -n "$perf_pid" ]; then
		# perf record writes its file and exits 143 on SIGTERM (a
		# background job of a script ignores SIGINT).
		kill -TERM "$perf_pid"
		wait "$perf_pid" || [ $? = 143 ] || { cat "$W/perf.log" >&2; die "perf record failed"; }
	fi
	[ -s "$W/load.json" ] || { cat "$W/load.err" >&2; die "the load generator failed against $s"; }
	"$PY" -c 'import json, sys; j = json.load(open(sys.argv[1])); j.update(server_cpu_ms=int(sys.argv[2]), round=int(sys.argv[3])); print(json.dumps(j))' \
		"$W/load.json" "$((c1 - c0))" "$round" >>"$W/results.jsonl"
	log "    $(tail -1 "$W/results.jsonl")"
	return $rc
}

# A run where orders failed (a server that stopped answering: Pebble 2.4
# did, with 16 clients) is kept in the report, the server restarted and
# the point run once more.
for round in $(seq 1 "$ROUNDS"); do
	for n in $CLIENTS; do
		for s in $SERVERS; do
			log "  round $round: $s, $n clients"
			run_point "$s" "$n" "$round" && continue
			log "  $s: orders failed (above); restarting it and running the point again"
			tail -5 "$W/$s.log" >&2
			stop_server "$s"
			"start_${s/-/_}"
			run_point "$s" "$n" "$round" || log "  $s: orders failed again"
		done
	done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the floor: one intermediate P-256 signature and one durable commit
# per certificate.  minica's intermediate is P-256 (issue 15).
log "  floor: openssl speed ecdsap256, sqlite3 synchronous=FULL commits"
SIGN_RATE=$(openssl speed -elapsed -seconds 3 ecdsap256 2>/dev/null | awk '/^ *256 bits ecdsa/ { print $(NF-1) }')
[ -n "$SIGN_RATE" ] || die "cannot read openssl speed's ecdsap256 line"
COMMIT_MS=$("$PY" - "$W/floor.db" <<'EOF'
import os, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=FULL")
db.execute("CREATE TABLE c (id INTEGER PRIMARY KEY, pem BLOB)")
row = os.urandom(1500)
n = 200
t0 = time.monotonic()
for _ in range(n):
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO c (pem) VALUES (?)", (row,))
    db.execute("COMMIT")
print("%.3f" % ((time.monotonic() - t0) * 1000 / n))
EOF
)

# ---- the report
echo
echo "### ACME: complete orders (http-01), minica vs Pebble vs Caddy's acme_server"
echo
echo "Machine: $(nproc) processors, ${CPU_MODEL:-unknown CPU}, $(uname -r), pebble $(dpkg-query -W -f '${Version}' pebble 2>/dev/null || echo '?'), caddy $(caddy version | cut -d' ' -f1), python3-acme $(dpkg-query -W -f '${Version}' python3-acme 2>/dev/null || echo '?')."
echo "Load average at start $LOAD_START, at end $LOAD_END. $ORDERS orders per point, each for a new name; each client its own account; $ROUNDS rounds; the load generator at nice $NICE."
echo
"$PY" - "$W/results.jsonl" "$SIGN_RATE" "$COMMIT_MS" <<'EOF'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
sign_rate, commit_ms = float(sys.argv[2]), float(sys.argv[3])
servers = list(dict.fromkeys(r["label"] for r in runs))
clients = list(dict.fromkeys(r["clients"] for r in runs))
print("| server | clients | orders/s (median round) | all rounds | p50 | p99 | server CPU per order | load generator CPU per order |")
print("|---|---:|---:|---|---:|---:|---:|---:|")
median = {}
for n in clients:
    for s in servers:
        rs = sorted((r for r in runs if r["label"] == s and r["clients"] == n and r["errors"] == 0),
                    key=lambda r: r["orders_per_s"])
        if not rs:
            median[s, n] = 0.0
            print(f"| {s} | {n} | failed | | | | | |")
            continue
        m = rs[(len(rs) - 1) // 2]
        median[s, n] = m["orders_per_s"]
        print(f"| {s} | {n} | {m['orders_per_s']:.1f} | {', '.join('%.1f' % r['orders_per_s'] for r in rs)} |"
              f" {m['p50_ms']:.0f} ms | {m['p99_ms']:.0f} ms | {m['server_cpu_ms'] / m['orders']:.1f} ms |"
              f" {m['client_cpu_s'] * 1000 / m['orders']:.1f} ms |")
print()
print("Median time of each part of an order in those median runs (ms: newOrder with its authorization;"
      " challenge to a valid authorization, polls included; finalize to a valid order; download),"
      " polls per order, and the key that signed the leaves:")
print()
print("| server | clients | newOrder | validation | finalize | download | polls | issuer key |")
print("|---|---:|---:|---:|---:|---:|---:|---|")
for n in clients:
    for s in servers:
        rs = sorted((r for r in runs if r["label"] == s and r["clients"] == n and r["errors"] == 0),
                    key=lambda r: r["orders_per_s"])
        if rs:
            m = rs[(len(rs) - 1) // 2]
            ph = m.get("median_ms", {})
            print(f"| {s} | {n} | {ph.get('order', 0):.0f} | {ph.get('validate', 0):.0f} | {ph.get('finalize', 0):.0f} |"
                  f" {ph.get('download', 0):.0f} | {m.get('polls_per_order', 0):.2f} | {', '.join(m.get('issuer_key', []))} |")
failed = [r for r in runs if r["errors"]]
if failed:
    print()
    print("Runs where orders failed (left out of the medians; the server was restarted and the point run again):")
    print()
    for r in failed:
        print(f"- {r['label']}, {r['clients']} clients, round {r['round']}: {r['errors']} of"
              f" {r['errors'] + r['orders']} orders failed; first: `{(r['first_error'] or '')[:160]}`")
sig_ms = 1000 / sign_rate
print()
print(f"Floor per certificate: one P-256 signature by the intermediate ({sig_ms:.3f} ms: `openssl speed -elapsed"
      f" ecdsap256`, {sign_rate:.0f}/s on one core) + one `synchronous=FULL` WAL commit on the same disk"
      f" ({commit_ms:.3f} ms: 200 one-row transactions, python3 sqlite3) = {1000 / (sig_ms + commit_ms):.0f}"
      " certificates/s in sequence.")
if "minica" in servers and "pebble" in servers:
    print()
    print("| target | measured | |")
    print("|---|---|---|")
    bm = max(median["minica", n] for n in clients)
    bp = max(median["pebble", n] for n in clients)
    print(f"| minica's best orders/s >= Pebble's best (medians, same run) | {bm:.1f} vs {bp:.1f} |"
          f" {'met' if bm >= bp else '**not met**'} |")
    for n in clients:
        m, p = median["minica", n], median["pebble", n]
        print(f"| the same with {n} clients | {m:.1f} vs {p:.1f} | {'met' if m >= p else '**not met**'} |")
EOF
