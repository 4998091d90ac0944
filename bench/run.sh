#!/bin/bash
# make bench: minica against OpenSSL's floor and the tools users would pick
# instead, all measured in this run on this machine.  Prints a markdown
# report on stdout (docs/performance.md keeps one).  Not part of make test.
#
#   MINICA_BIN, PARTS_BIN   set by the Makefile
#   BENCH_QUICK=1           tiny counts, to check the script itself (~1 min)
#   BENCH_COMP_N=N          leaves per competitor run (default 200)
#   BENCH_KEEP=1            keep the work folder
#   BENCH_ONLY=stores       only list/show/check on big stores (~3 min)
#   BENCH_ONLY=batch        only the EC P-256 batch against its floor, with
#                           the time per stage (issue --batch --stats; ~1 min)
#   BENCH_ONLY=acme         only the ACME section, bench/acme.sh (~10 min; its
#                           BENCH_ACME_* settings are described there)
set -euo pipefail
: "${MINICA_BIN:?set MINICA_BIN}" "${PARTS_BIN:?set PARTS_BIN}"
if [ "${BENCH_ONLY:-}" = acme ]; then
	exec bash "$(dirname "$0")/acme.sh"
fi
for tool in hyperfine openssl sqlite3 python3; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is missing (install.sh --test installs it)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (Debian package time)" >&2; exit 1; }

QUICK=${BENCH_QUICK:-0}
ONLY=${BENCH_ONLY:-all}
case $ONLY in all | stores | batch) ;; *) echo "bench: BENCH_ONLY is 'stores', 'batch', 'acme' or unset" >&2; exit 1 ;; esac
JOBS=$(nproc)
if [ "$QUICK" = 1 ]; then
	INIT_RUNS=2 ISSUE_RUNS=3 PARTS_RUNS=3 RSA_N=10 EC_N=100 EC_RUNS=1 STORES="1000 10000" LIST_RUNS=2
	COMP_N=${BENCH_COMP_N:-5}
else
	INIT_RUNS=10 ISSUE_RUNS=15 PARTS_RUNS=9 RSA_N=200 EC_N=2000 EC_RUNS=3 STORES="10000 100000" LIST_RUNS=7
	COMP_N=${BENCH_COMP_N:-200}
fi
# On disk like a real CA home (not tmpfs): fsync costs are part of the story.
W=$(mktemp -d /var/tmp/minica-bench.XXXXXX)
[ "${BENCH_KEEP:-0}" = 1 ] || trap 'rm -rf "$W"' EXIT
umask 077
PASS="$W/pass"
printf 'bench passphrase, not a secret\n' > "$PASS"
ROOTPASS="$W/rootpass"
printf 'bench root passphrase, not a secret\n' > "$ROOTPASS"
EASYRSA=${EASYRSA:-/usr/share/easy-rsa/easyrsa}
declare -A R		# name -> median ms (or a rate)
declare -A CPU		# name -> mean user+sys ms
log() { printf '%s\n' "$*" >&2; }

# hf NAME RUNS [hyperfine options...] -- CMD: median wall ms into R[NAME].
hf() {
	local name=$1 runs=$2
	shift 2
	local opts=()
	while [ "$1" != "--" ]; do opts+=("$1"); shift; done
	shift
	log "  $name ($runs runs)"
	hyperfine --style none --runs "$runs" --export-json "$W/hf.json" "${opts[@]}" "$@" >/dev/null 2>"$W/hf.err" ||
		{ cat "$W/hf.err" >&2; exit 1; }
	read -r R[$name] CPU[$name] < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("%.3f %.3f" % (r["median"] * 1e3, (r["user"] + r["system"]) * 1e3))' "$W/hf.json")
}

# once NAME CMD...: one timed run (the batch tiers are aggregates already);
# wall ms into R[NAME], user+sys ms into CPU[NAME].
once() {
	local name=$1
	shift
	log "  $name"
	/usr/bin/time -f "%e %U %S" -o "$W/time.out" "$@" >"$W/once.out" 2>&1 ||
		{ cat "$W/once.out" >&2; echo "bench: '$name' failed" >&2; exit 1; }
	read -r R[$name] CPU[$name] < <(awk '{ printf "%.0f %.0f\n", $1 * 1000, ($2 + $3) * 1000 }' "$W/time.out")
}

calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }
fmt_ms() { # ms -> "123 ms" or "4.56 s"
	awk -v v="$1" 'BEGIN { if (v >= 1000) printf "%.2f s", v / 1000; else if (v >= 10) printf "%.0f ms", v; else printf "%.2f ms", v }'
}
verdict() { [ "$(awk "BEGIN { print ($1) ? 1 : 0 }")" = 1 ] && echo "met" || echo "**not met**"; }

# ---- the machine ----
CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "bench: $JOBS processors, $CPU_MODEL; load $LOAD_START; work in $W"

if [ "$ONLY" = all ]; then
# ---- 1. init: RSA-4096 root, key encrypted at rest ----
log "1. init"
hf init "$INIT_RUNS" -N --prepare "rm -rf $W/init" -- \
	"$MINICA_BIN --home $W/init init --domain example.org --passphrase-file $PASS --root-passphrase-file $ROOTPASS"
cat > "$W/openssl-init.sh" <<EOF
set -e
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -aes-256-cbc -pass file:$PASS -out $W/oinit/ca.key 2>/dev/null
openssl req -x509 -new -key $W/oinit/ca.key -passin file:$PASS -subj /CN=Bench -days 3650 -out $W/oinit/ca.crt
EOF
hf openssl_init "$INIT_RUNS" --prepare "rm -rf $W/oinit && mkdir $W/oinit" -- "sh $W/openssl-init.sh"

fi

# The CA every later step uses.
"$MINICA_BIN" --home "$W/ca" init --domain example.org --passphrase-file "$PASS" --root-passphrase-file "$ROOTPASS" >/dev/null
# Leaves come from the issuing intermediate (EC P-256); clients trust the root.
ROOT_CRT="$W/ca/ca.crt" CA_CRT="$W/ca/intermediate.crt" CA_KEY="$W/ca/private/intermediate.key"

if [ "$ONLY" = all ]; then

# ---- 2. one issue ----
log "2. one issue"
for kt in rsa2048 ec256; do
	hf "issue_$kt" "$ISSUE_RUNS" -N --warmup 1 --prepare "rm -rf $W/one" -- \
		"$MINICA_BIN --home $W/ca issue server --cn one-$kt.example.org --key $kt --force --out $W/one --passphrase-file $PASS"
done
# The classic flow, with the same scrypt-encrypted root key.
printf 'subjectAltName = DNS:$ENV::HOST\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature, keyEncipherment\nextendedKeyUsage = serverAuth\n' > "$W/ext.cnf"
cat > "$W/classic.sh" <<EOF
# classic.sh KEYTYPE N DIR: N leaves the way a careful human would.
set -e
mkdir -p "\$3"
i=0
while [ \$i -lt \$2 ]; do
	i=\$((i + 1))
	HOST=c\$i.example.org; export HOST
	if [ "\$1" = rsa2048 ]; then
		openssl genrsa -out "\$3/\$HOST.key" 2048 2>/dev/null
	else
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "\$3/\$HOST.key"
	fi
	openssl req -new -key "\$3/\$HOST.key" -subj "/CN=\$HOST" -out "\$3/\$HOST.csr"
	openssl x509 -req -in "\$3/\$HOST.csr" -CA $CA_CRT -CAkey $CA_KEY -passin file:$PASS -set_serial 0x\$(openssl rand -hex 19) \
		-days 397 -sha256 -extfile $W/ext.cnf -out "\$3/\$HOST.crt" 2>/dev/null
done
EOF
for kt in rsa2048 ec256; do
	hf "classic_$kt" "$ISSUE_RUNS" --warmup 1 --prepare "rm -rf $W/cone" -- "sh $W/classic.sh $kt 1 $W/cone"
done
openssl verify -x509_strict -CAfile "$ROOT_CRT" -untrusted "$CA_CRT" "$W/cone/c1.example.org.crt" >/dev/null
fi

if [ "$ONLY" != stores ]; then
log "  parts ($PARTS_RUNS runs each)"
while read -r k v; do R[$k]=$v; done < <("$PARTS_BIN" "$W/ca" "$PASS" "$PARTS_RUNS")
# One signature of the issuing intermediate (EC P-256): CPU time (openssl
# speed's default), like parts.
R[issuer_sign]=$(openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/nistp256/ && /ecdsa/ { printf "%.3f", 1000 / $7 }')

# ---- 3. many leaves ----
log "3. many leaves"
if [ "$ONLY" = all ]; then
	for i in $(seq 1 "$RSA_N"); do echo "server r$i.example.org key=rsa2048"; done > "$W/rsa.txt"
	once batch_rsa "$MINICA_BIN" --home "$W/ca" issue --batch "$W/rsa.txt" --jobs "$JOBS" --out "$W/brsa" --passphrase-file "$PASS"
	keys=("$W"/brsa/*.key)
	[ "${#keys[@]}" -eq "$RSA_N" ] || { echo "bench: batch_rsa wrote ${#keys[@]} keys, not $RSA_N" >&2; exit 1; }
	openssl verify -x509_strict -CAfile "$ROOT_CRT" -untrusted "$CA_CRT" "$W/brsa/r1.example.org.crt" >/dev/null
fi
# --stats where this minica has it: the time per stage of each run.
STATS=()
"$MINICA_BIN" issue --help 2>/dev/null | grep -q -- --stats && STATS=(--stats)
for run in $(seq 1 "$EC_RUNS"); do
	for i in $(seq 1 "$EC_N"); do echo "server e$run-$i.example.org key=ec256"; done > "$W/ec.txt"
	once "batch_ec_$run" "$MINICA_BIN" --home "$W/ca" issue --batch "$W/ec.txt" --jobs "$JOBS" --out "$W/bec$run" \
	    --passphrase-file "$PASS" "${STATS[@]}"
	cp "$W/once.out" "$W/stats.$run"
	keys=("$W"/bec"$run"/*.key)
	[ "${#keys[@]}" -eq "$EC_N" ] || { echo "bench: batch_ec_$run wrote ${#keys[@]} keys, not $EC_N" >&2; exit 1; }
done
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
R[batch_ec]=$(for run in $(seq 1 "$EC_RUNS"); do echo "${R[batch_ec_$run]}"; done | median)
CPU[batch_ec]=$(for run in $(seq 1 "$EC_RUNS"); do echo "${CPU[batch_ec_$run]}"; done | median)
# stage NAME COLUMN: the median over the runs of a --stats row's column.
stage() { for run in $(seq 1 "$EC_RUNS"); do awk -v n="$1" -v c="$2" '$1 == n && $2 ~ /^[0-9.]+$/ { print $c }' "$W/stats.$run"; done | median; }
openssl verify -x509_strict -CAfile "$ROOT_CRT" -untrusted "$CA_CRT" "$W/bec1/e1-1.example.org.crt" >/dev/null

# The floor: JOBS parallel `openssl speed` processes, their sign rates summed.
log "  openssl speed x $JOBS"
for i in $(seq 1 "$JOBS"); do
	openssl speed -elapsed -seconds 5 rsa4096 ecdsap256 2>/dev/null > "$W/speed.$i" &
done
wait
R[floor_rsa4096]=$(cat "$W"/speed.* | awk '/^rsa 4096 bits/ { s += $6 } END { printf "%.1f", s }')
R[floor_ecdsap256]=$(cat "$W"/speed.* | awk '/nistp256/ && /ecdsa/ { s += $7 } END { printf "%.1f", s }')
R[floor_ecdsap256_verify]=$(cat "$W"/speed.* | awk '/nistp256/ && /ecdsa/ { s += $8 } END { printf "%.1f", s }')

fi
if [ "$ONLY" = all ]; then
once classic_many_rsa2048 sh "$W/classic.sh" rsa2048 "$COMP_N" "$W/crsa"
once classic_many_ec256 sh "$W/classic.sh" ec256 "$COMP_N" "$W/cec"

COMPETITORS=""
if command -v mkcert >/dev/null; then
	# mkcert with an RSA-4096 root like minica's (its own default is 3072).
	mkdir -p "$W/mkcert"
	openssl req -x509 -newkey rsa:4096 -nodes -keyout "$W/mkcert/rootCA-key.pem" -out "$W/mkcert/rootCA.pem" \
		-subj /CN=Bench -days 3650 -addext basicConstraints=critical,CA:TRUE,pathlen:0 \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
	cat > "$W/mkcert.sh" <<EOF
set -e
export CAROOT=$W/mkcert
mkdir -p $W/mk; cd $W/mk
for i in \$(seq 1 \$1); do mkcert -cert-file m\$i.crt -key-file m\$i.key m\$i.example.org >/dev/null 2>&1; done
EOF
	once mkcert sh "$W/mkcert.sh" "$COMP_N"
	openssl verify -CAfile "$W/mkcert/rootCA.pem" "$W/mk/m1.crt" >/dev/null
	COMPETITORS="$COMPETITORS mkcert"
fi
if command -v cfssl >/dev/null && command -v cfssljson >/dev/null; then
	mkdir -p "$W/cf"
	echo '{"CN":"Bench","key":{"algo":"rsa","size":4096}}' > "$W/cf/ca.json"
	echo '{"signing":{"profiles":{"server":{"expiry":"9528h","usages":["digital signature","key encipherment","server auth"]}}}}' > "$W/cf/cfg.json"
	(cd "$W/cf" && cfssl gencert -initca ca.json 2>/dev/null | cfssljson -bare ca)
	cat > "$W/cfssl.sh" <<EOF
set -e
cd $W/cf
for i in \$(seq 1 \$1); do
	echo "{\"CN\":\"f\$i.example.org\",\"hosts\":[\"f\$i.example.org\"],\"key\":{\"algo\":\"rsa\",\"size\":2048}}" > leaf.json
	cfssl gencert -ca ca.pem -ca-key ca-key.pem -config cfg.json -profile server leaf.json 2>/dev/null | cfssljson -bare f\$i
done
EOF
	once cfssl sh "$W/cfssl.sh" "$COMP_N"
	openssl verify -CAfile "$W/cf/ca.pem" "$W/cf/f1.pem" >/dev/null
	COMPETITORS="$COMPETITORS cfssl"
fi
if [ -x "$EASYRSA" ]; then
	export EASYRSA_PKI="$W/pki" EASYRSA_BATCH=1
	"$EASYRSA" init-pki >/dev/null 2>&1
	EASYRSA_KEY_SIZE=4096 EASYRSA_REQ_CN=Bench "$EASYRSA" build-ca nopass >/dev/null 2>&1
	cat > "$W/easyrsa.sh" <<EOF
set -e
for i in \$(seq 1 \$1); do EASYRSA_KEY_SIZE=2048 $EASYRSA build-server-full er\$i.example.org nopass >/dev/null 2>&1; done
EOF
	once easyrsa sh "$W/easyrsa.sh" "$COMP_N"
	[ -f "$W/pki/issued/er1.example.org.crt" ]
	COMPETITORS="$COMPETITORS easyrsa"
fi

elif [ "$ONLY" = stores ]; then
	# The one real row the big stores copy.
	"$MINICA_BIN" --home "$W/ca" issue server --cn one.example.org --key ec256 --out "$W/one" \
	    --passphrase-file "$PASS" >/dev/null
fi

# ---- 4. a big store ----
if [ "$ONLY" != batch ]; then
log "4. list, check, show on big stores"
HAS_CHECK=0
"$MINICA_BIN" help 2>/dev/null | grep -q '^ *check ' && HAS_CHECK=1
# n-1 copies of one real (valid: issue --force superseded the others) row
# with distinct serials, names and expiry.
make_store() { # N DIR
	rm -rf "$2"
	cp -a "$W/ca" "$2"
	sqlite3 "$2/minica.db" "DELETE FROM audit WHERE 0; DELETE FROM deployments; DELETE FROM certificates WHERE id <> (SELECT min(id) FROM certificates WHERE status = 'valid');
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1 - 1)
INSERT INTO certificates (ca_id, serial, profile, subject, cn, sans, names_key, key_type, not_before,
    not_after, fingerprint_sha256, pem, status, imported, created_at)
SELECT t.ca_id, printf('%s%08x', substr(t.serial, 1, 30), n.i), t.profile, printf('CN=h%d.example.org', n.i),
    printf('h%d.example.org', n.i), printf('h%d.example.org', n.i), printf('h%d.example.org', n.i), t.key_type,
    t.not_before, t.not_after + n.i * 60, t.fingerprint_sha256, t.pem, t.status, t.imported, t.created_at
FROM n, (SELECT * FROM certificates ORDER BY id LIMIT 1) t; VACUUM;" 2>&1 | grep -v "^$" >&2 || true
}
peak_kb() { # median of 3 peak RSS (KB)
	for _ in 1 2 3; do /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; done | sort -n | sed -n 2p
}
for n in $STORES; do
	log "  store of $n"
	make_store "$n" "$W/s$n"
	serial=$(sqlite3 "$W/s$n/minica.db" "SELECT serial FROM certificates ORDER BY id DESC LIMIT 1")
	[ "$("$MINICA_BIN" --home "$W/s$n" list | wc -l)" -eq $((n + 1)) ] || { echo "bench: list of $n is short" >&2; exit 1; }
	hf "list_$n" "$LIST_RUNS" -N --warmup 1 -- "$MINICA_BIN --home $W/s$n list"
	hf "listjson_$n" "$LIST_RUNS" -N --warmup 1 -- "$MINICA_BIN --home $W/s$n list --json"
	hf "show_$n" "$LIST_RUNS" -N --warmup 1 -- "$MINICA_BIN --home $W/s$n show $serial"
	R[list_${n}_kb]=$(peak_kb "$MINICA_BIN" --home "$W/s$n" list)
	R[listjson_${n}_kb]=$(peak_kb "$MINICA_BIN" --home "$W/s$n" list --json)
	R[show_${n}_kb]=$(peak_kb "$MINICA_BIN" --home "$W/s$n" show "$serial")
	if [ "$HAS_CHECK" = 1 ]; then
		# The whole-file check (PRAGMA quick_check) runs when none passed
		# within 20 h: once a day under cron.  Timed both ways.
		sqlite3 "$W/s$n/minica.db" "UPDATE integrity SET checked_at = strftime('%s', 'now')" 2>/dev/null || true
		hf "check_$n" "$LIST_RUNS" -N --warmup 1 -i -- "$MINICA_BIN --home $W/s$n check"
		if sqlite3 "$W/s$n/minica.db" "SELECT 1 FROM integrity" >/dev/null 2>&1; then
			hf "checkfull_$n" "$LIST_RUNS" -N -i --prepare "sqlite3 $W/s$n/minica.db 'DELETE FROM integrity'" -- \
			    "$MINICA_BIN --home $W/s$n check"
		fi
		R[check_${n}_kb]=$(peak_kb "$MINICA_BIN" --home "$W/s$n" check)
	fi
	rm -rf "$W/s$n"
done
fi

# ---- 5. start-up ----
if [ "$ONLY" = all ]; then
log "5. --version"
hf version 300 -N --warmup 20 -- "$MINICA_BIN --version"
fi
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the report ----
r() { echo "${R[$1]}"; }
[ "$ONLY" = all ] && kdf=$(r kdf_ca_key_load) sig=$(r issuer_sign)
echo "## minica benchmark, $(date -u +%Y-%m-%d)"
echo
echo "Machine: $JOBS processors (nproc), $CPU_MODEL, $(uname -sr), $(openssl version | cut -d' ' -f1-2)," \
	"SQLite $(sqlite3 --version | cut -d' ' -f1), $(hyperfine --version)."
echo "Load average at start $LOAD_START, at end $LOAD_END. Times are wall-clock medians."
[ "$QUICK" = 1 ] && echo "**BENCH_QUICK=1: tiny counts, not a real measurement.**"
[ "$ONLY" = stores ] && echo "**BENCH_ONLY=stores: section 4 and its targets only.**"
[ "$ONLY" = batch ] && echo "**BENCH_ONLY=batch: the EC rows of section 3 and their target only.**"
if [ "$ONLY" = all ]; then
echo
echo "### 1. init: RSA-4096 root, key encrypted at rest ($INIT_RUNS runs each)"
echo
echo "| what | median | ratio |"
echo "|---|---:|---:|"
echo "| \`openssl genpkey rsa 4096 -aes-256-cbc\` + \`openssl req -x509\` (the floor) | $(fmt_ms "$(r openssl_init)") | 1.00 |"
echo "| \`minica init\` | $(fmt_ms "$(r init)") | $(calc "$(r init) / $(r openssl_init)") |"
echo
echo "### 2. one leaf ($ISSUE_RUNS runs each; parts: $PARTS_RUNS runs through libminica.a)"
echo
echo "| what | RSA-2048 leaf | EC P-256 leaf |"
echo "|---|---:|---:|"
echo "| classic \`openssl genrsa/genpkey \| req \| x509 -req\` (same encrypted root key) | $(fmt_ms "$(r classic_rsa2048)") | $(fmt_ms "$(r classic_ec256)") |"
echo "| \`minica issue\` | $(fmt_ms "$(r issue_rsa2048)") | $(fmt_ms "$(r issue_ec256)") |"
echo "| ratio minica / classic | $(calc "$(r issue_rsa2048) / $(r classic_rsa2048)") | $(calc "$(r issue_ec256) / $(r classic_ec256)") |"
echo "| mean CPU time (user + system) of \`minica issue\` | $(fmt_ms "${CPU[issue_rsa2048]}") | $(fmt_ms "${CPU[issue_ec256]}") |"
echo "| issuing key decryption (scrypt N=2^14 r=8 p=5, \`ca_key_load\` in a fresh process) | $(fmt_ms "$kdf") | $(fmt_ms "$kdf") |"
echo "| leaf key generation (\`ca_key_generate\`, median; RSA mean $(fmt_ms "$(r keygen_rsa2048_mean)")) | $(fmt_ms "$(r keygen_rsa2048)") | $(fmt_ms "$(r keygen_ec256)") |"
echo "| the intermediate's EC P-256 signature (\`openssl speed ecdsap256\`) | $(fmt_ms "$sig") | $(fmt_ms "$sig") |"
echo "| (\`ca_leaf_sign\`: build + sign; \`ca_verify_leaf\`: strict self-check) | $(fmt_ms "$(r leaf_sign_rsa2048)") + $(fmt_ms "$(r leaf_verify_rsa2048)") | $(fmt_ms "$(r leaf_sign_ec256)") + $(fmt_ms "$(r leaf_verify_ec256)") |"
for kt in rsa2048 ec256; do
	unav=$(calc "$kdf + $(r keygen_$kt) + $sig" 3)
	R[unav_$kt]=$unav
	R[over_$kt]=$(calc "$(r issue_$kt) - $unav" 3)
	R[overcpu_$kt]=$(calc "${CPU[issue_$kt]} - $unav" 3)
done
echo "| unavoidable: KDF + key generation + signature | $(fmt_ms "$(r unav_rsa2048)") | $(fmt_ms "$(r unav_ec256)") |"
echo "| everything else, wall: median issue - unavoidable | $(fmt_ms "$(r over_rsa2048)") | $(fmt_ms "$(r over_ec256)") |"
echo "| everything else, CPU: mean issue CPU - unavoidable | $(fmt_ms "$(r overcpu_rsa2048)") | $(fmt_ms "$(r overcpu_ec256)") |"
echo "| share of minica's wall time that is unavoidable | $(calc "100 * $(r unav_rsa2048) / $(r issue_rsa2048)" 0)% | $(calc "100 * $(r unav_ec256) / $(r issue_ec256)" 0)% |"
echo
echo "The parts are CPU time of one thread (bench/parts.c, medians); RSA key generation varies by a factor of" \
	"several from key to key, so the RSA-2048 column's split is rough; the EC column is the clean one."
echo
fi
if [ "$ONLY" != stores ]; then
echo
echo "### 3. many leaves (one run each; $JOBS threads for minica)"
echo
# Per leaf: its key, one P-256 signature by the intermediate and the
# strict self-check's P-256 verification, spread over JOBS cores.
floor_ec=$(calc "1000 * $EC_N / $(r floor_ecdsap256) + 1000 * $EC_N / $(r floor_ecdsap256_verify) + $EC_N * $(r keygen_ec256) / $JOBS" 1)
echo "| what | time | leaves/s | ratio |"
echo "|---|---:|---:|---:|"
fi
if [ "$ONLY" = all ]; then
floor_rsa=$(calc "1000 * $RSA_N / $(r floor_ecdsap256) + 1000 * $RSA_N / $(r floor_ecdsap256_verify) + $RSA_N * $(r keygen_rsa2048_mean) / $JOBS" 1)
echo "| floor for $RSA_N RSA-2048 leaves: $RSA_N P-256 signatures at $(r floor_ecdsap256)/s and verifications at $(r floor_ecdsap256_verify)/s + $RSA_N keygens (mean $(fmt_ms "$(r keygen_rsa2048_mean)")) on $JOBS cores | $(fmt_ms "$floor_rsa") | $(calc "1000 * $RSA_N / $floor_rsa" 1) | 1.00 |"
echo "| \`minica issue --batch\`, $RSA_N RSA-2048 | $(fmt_ms "$(r batch_rsa)") | $(calc "1000 * $RSA_N / $(r batch_rsa)" 1) | $(calc "$(r batch_rsa) / $floor_rsa") |"
best="" best_t=""
for c in classic_many_rsa2048 $COMPETITORS; do
	t=$(calc "$(r "$c") * $RSA_N / $COMP_N" 3)
	label=$c
	[ "$c" = classic_many_rsa2048 ] && label="classic openssl flow"
	note=""
	[ "$COMP_N" != "$RSA_N" ] && note=" ($COMP_N measured, scaled)"
	echo "| $label, $RSA_N RSA-2048$note | $(fmt_ms "$t") | $(calc "1000 * $RSA_N / $t" 1) | $(calc "$t / $floor_rsa") |"
	if [ "$c" != classic_many_rsa2048 ] && { [ -z "$best_t" ] || [ "$(calc "$t < $best_t" 0)" = 1 ]; }; then
		best=$c best_t=$t
	fi
done
fi
if [ "$ONLY" != stores ]; then
echo "| floor for $EC_N EC P-256 leaves under the P-256 intermediate: $EC_N keygens ($(fmt_ms "$(r keygen_ec256)")), signatures at $(r floor_ecdsap256)/s, verifications at $(r floor_ecdsap256_verify)/s on $JOBS cores | $(fmt_ms "$floor_ec") | $(calc "1000 * $EC_N / $floor_ec" 1) | 1.00 |"
echo "| \`minica issue --batch\`, $EC_N EC P-256 (median of $EC_RUNS) | $(fmt_ms "$(r batch_ec)") | $(calc "1000 * $EC_N / $(r batch_ec)" 1) | $(calc "$(r batch_ec) / $floor_ec") |"
echo "| (its CPU time, user + system; the floor's share of it) | $(fmt_ms "${CPU[batch_ec]}") | | $(calc "100 * $floor_ec * $JOBS / ${CPU[batch_ec]}" 0)% |"
if [ "$ONLY" = all ]; then
	t=$(calc "$(r classic_many_ec256) * $EC_N / $COMP_N" 3)
	echo "| classic openssl flow, EC P-256 ($COMP_N measured, scaled to $EC_N) | $(fmt_ms "$t") | $(calc "1000 * $EC_N / $t" 1) | $(calc "$t / $floor_ec") |"
fi
echo
echo "Floor: $JOBS parallel \`openssl speed -elapsed rsa4096 ecdsap256\` processes, rates summed:" \
	"RSA-4096 sign $(r floor_rsa4096)/s, ECDSA P-256 sign $(r floor_ecdsap256)/s," \
	"ECDSA P-256 verify $(r floor_ecdsap256_verify)/s; key generation from bench/parts.c (one thread)."
if [ "${#STATS[@]}" -gt 0 ]; then
	echo
	echo "Where the EC batch's time goes (\`issue --batch --stats\`, medians of the $EC_RUNS runs): CPU time of the" \
		"threads that ran each stage, summed over threads, per leaf; and the wall time of each phase."
	echo
	echo "| stage | CPU per leaf | | phase | wall |"
	echo "|---|---:|---|---|---:|"
	stages=(keygen sign verify encode store files sync stages)
	phases=(planning unlocking signing committing writing syncing total)
	for i in 0 1 2 3 4 5 6 7; do
		st=${stages[$i]} ph=${phases[$i]:-}
		echo "| $st | $(stage "$st" 3) ms | | $ph | $([ -n "$ph" ] && fmt_ms "$(calc "1000 * $(stage "$ph" 2)" 1)") |"
	done
fi
fi
big=${STORES##* } small=${STORES%% *}
if [ "$ONLY" != batch ]; then
echo
echo "### 4. big stores ($LIST_RUNS runs each; peak RSS: median of 3)"
echo
echo "| command | $(echo "$STORES" | sed 's/ / certs | /g') certs | peak RSS at $(echo "$STORES" | sed 's/ / | peak RSS at /g') |"
echo "|---|$(for _ in $STORES $STORES; do printf -- '---:|'; done)"
for cmd in list listjson show check checkfull; do
	[ "$cmd" = check ] && [ "$HAS_CHECK" = 0 ] && continue
	[ "$cmd" = checkfull ] && [ -z "${R[checkfull_$big]:-}" ] && continue
	label="\`minica $cmd\`"
	[ "$cmd" = listjson ] && label="\`minica list --json\`"
	[ "$cmd" = show ] && label="\`minica show SERIAL\`"
	[ "$cmd" = checkfull ] && label="\`minica check\`, the day's first run (with \`PRAGMA quick_check\`)"
	row="| $label |"
	for n in $STORES; do row="$row $(fmt_ms "$(r "${cmd}_$n")") |"; done
	for n in $STORES; do
		if [ "$cmd" = checkfull ]; then row="$row (as check) |"
		else row="$row $(calc "$(r "${cmd}_${n}_kb") / 1024" 1) MB |"; fi
	done
	echo "$row"
done
[ "$HAS_CHECK" = 0 ] && echo && echo "\`minica check\` does not exist in this build; not measured."
fi
if [ "$ONLY" = all ]; then
echo
echo "### 5. start-up"
echo
echo "| what | median |"
echo "|---|---:|"
echo "| \`minica --version\` (300 runs) | $(fmt_ms "$(r version)") |"
fi
echo
echo "### Targets"
echo
echo "| target | measured | |"
echo "|---|---|---|"
if [ "$ONLY" != stores ]; then
ec_share=$(calc "$floor_ec / $(r batch_ec)" 2)
echo "| batch EC P-256 under the intermediate >= 50% of the floor (keygen + P-256 signature + verification per leaf) on all cores | $(calc "100 * $ec_share" 0)% | $(verdict "$ec_share >= 0.5") |"
fi
if [ "$ONLY" = all ]; then
if [ -n "$best" ]; then
	rr=$(calc "$(r batch_rsa) / $best_t" 2)
	echo "| $RSA_N RSA-2048 leaves <= 0.6 x the fastest of mkcert, cfssl, easy-rsa ($best) | $rr | $(verdict "$rr <= 0.6") |"
fi
for kt in rsa2048 ec256; do
	echo "| one issue ($kt): overhead beyond KDF + keygen + signature < 10 ms, wall | $(fmt_ms "$(r over_$kt)") | $(verdict "$(r over_$kt) < 10") |"
	echo "| one issue ($kt): the same in CPU time | $(fmt_ms "$(r overcpu_$kt)") | $(verdict "$(r overcpu_$kt) < 10") |"
done
fi
for cmd in list check checkfull; do
	[ "$ONLY" = batch ] && break
	[ "$cmd" = checkfull ] && { [ -n "${R[checkfull_$big]:-}" ] || continue; }
	[ "$cmd" = checkfull ] && {
		echo "| check on $big, the day's first run (whole-file check): < 200 ms | $(fmt_ms "$(r "checkfull_$big")") | $(verdict "$(r "checkfull_$big") < 200") |"
		continue
	}
	[ "$cmd" = check ] && [ "$HAS_CHECK" = 0 ] && { echo "| check on $big < 200 ms, < 30 MB | not built | not measured |"; continue; }
	grow=$(calc "$(r "${cmd}_$big") / $(r "${cmd}_$small")" 1)
	echo "| $cmd on $big: < 200 ms | $(fmt_ms "$(r "${cmd}_$big")") | $(verdict "$(r "${cmd}_$big") < 200") |"
	echo "| $cmd on $big: < 30 MB peak | $(calc "$(r "${cmd}_${big}_kb") / 1024" 1) MB | $(verdict "$(r "${cmd}_${big}_kb") < 30720") |"
	echo "| $cmd: no worse than linear ($small -> $big is x$((big / small))) | x$grow | $(verdict "$grow <= $((big / small)) * 1.2") |"
done
if [ "$ONLY" = all ]; then
echo "| \`--version\` < 5 ms | $(fmt_ms "$(r version)") | $(verdict "$(r version) < 5") |"
echo
echo "CPU time (user + system, mean) of the hyperfine-timed commands, for a busy machine:" \
	"$(for k in issue_rsa2048 issue_ec256 "list_$big" "listjson_$big" version; do printf '%s %s; ' "$k" "$(fmt_ms "${CPU[$k]}")"; done)"
elif [ "$ONLY" = stores ]; then
echo
echo "CPU time (user + system, mean): $(for k in "list_$big" "check_$big"; do printf '%s %s; ' "$k" "$(fmt_ms "${CPU[$k]}")"; done)"
fi

# ---- 6. ACME: complete orders against Pebble and Caddy (its own script:
# it runs in a private network namespace)
if [ "$ONLY" = all ] && [ "$(id -u)" = 0 ]; then
	log "6. ACME orders (bench/acme.sh)"
	bash "$(dirname "$0")/acme.sh"
elif [ "$ONLY" = all ]; then
	log "6. ACME orders: skipped, bench/acme.sh needs root (unshare -mn)"
	printf '\n### ACME\n\nNot run: bench/acme.sh needs root for its private network namespace.\n'
fi
