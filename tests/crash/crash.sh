#!/bin/sh
# Crash safety: minica is killed (SIGKILL, by tests/crash/fault.c preloaded)
# at the Nth file operation of 'issue --deploy', 'renew', a first deploy
# over a hand-made pair (backup: the .pre-minica step) and 'undeploy
# --restore', or at a random moment, and after every interrupted run the
# state is checked with tools other than minica (sqlite3, openssl, find);
# then what a user runs next (check, what check recommends, the cron line
# 'check --quiet || renew') must leave check OK (exit 0) and everything
# clean, and the hand-made pair is never lost.  See docs/reliability.md.
#
#   crash.sh quick   every file-operation boundary of one issue --deploy and
#                    one renew, killed before the operation (make test)
#   crash.sh full    every operation index, killed before and after it, for
#                    issue --deploy, issue --deploy --out and renew; then
#                    random SIGKILLs (make crash)
#   crash.sh random  only the random SIGKILLs
#
# Environment: MINICA_BIN, FAULT_LIB (libfault.so), SEED (random mode, 1),
# RANDOM_TRIALS (per command, 100), KEEP=1 keeps the work folder.
set -u
umask 077
: "${MINICA_BIN:?set MINICA_BIN to the built minica}"
: "${FAULT_LIB:?set FAULT_LIB to libfault.so}"
MODE=${1:-quick}
SEED=${SEED:-1}
RANDOM_TRIALS=${RANDOM_TRIALS:-100}
# An ASan build of minica would refuse to run with a library preloaded
# before its runtime; the shim does not allocate through it.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS
# SIGKILL does not lose the page cache, so fsync is no part of what is
# tested here: a tmpfs (where fsync returns at once) makes a trial 2-3
# times faster.  CRASH_TMPDIR overrides.
tmp=${CRASH_TMPDIR:-${TMPDIR:-/tmp}}
[ -z "${CRASH_TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && tmp=/dev/shm
W=$(mktemp -d "$tmp/minica-crash.XXXXXX")
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$W"' EXIT
unset MINICA_PASSPHRASE MINICA_HOME 2>/dev/null || true
PASS=$W/pass
printf 'correct horse battery staple\n' >"$PASS"

# ---------------------------------------------------------------- setup
# One CA made once (RSA-4096 takes seconds), copied per campaign.
if [ -n "${MINICA_SHARED_CA:-}" ] && [ -d "$MINICA_SHARED_CA" ]; then
	cp -a "$MINICA_SHARED_CA" "$W/ca"
	cp "$(dirname "$MINICA_SHARED_CA")/pass" "$PASS" 2>/dev/null || true
elif ! printf 'crash root passphrase\n' >"$W/rootpass" ||
    ! "$MINICA_BIN" --home "$W/ca" init --domain example.org --passphrase-file "$PASS" \
	--root-passphrase-file "$W/rootpass" >/dev/null; then
	echo "crash: cannot create the test CA" >&2
	exit 1
fi

# campaign_setup NAME: $C/home, $C/root, $C/out, a reload recorder, and a
# first deployment of smtpd so every trial has a previous pair.
campaign_setup() {
	C=$W/$1
	mkdir -p "$C/root" "$C/out" "$C/log"
	cp -a "$W/ca" "$C/home"
	cat >>"$C/home/minica.conf" <<EOF
[profile.smtpd]
reload = /bin/sh -c "echo reload >>$C/reloads"
EOF
	CRT=$C/root/etc/ssl/certs/smtpd.crt
	KEY=$C/root/etc/ssl/private/smtpd.key
	CA_SERIAL=$(openssl x509 -in "$C/home/ca.crt" -noout -serial | cut -d= -f2 | tr A-F a-f | sed 's/^0*//')
	TRIALS=0 RTRIALS=0 FAILS=0 PENDING=0 BETWEEN=0 FORWARD=0 BACK=0 OUTMIX=0 NOTKILLED=0 ADVICE=0 ADVFAIL=0
	: >"$C/failures"
	case $1 in
	backup|undeploy)
		# The guide's gencert.sh pair, which minica did not write.
		mkdir -p "$C/root/etc/ssl/certs" "$C/root/etc/ssl/private"
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$KEY" -out "$CRT" \
		    -days 30 -subj /CN=mail.example.org >/dev/null 2>&1 || { echo "crash: openssl req" >&2; exit 1; }
		chmod 640 "$KEY"
		GUIDE_CRT=$(sha256sum <"$CRT") GUIDE_KEY=$(sha256sum <"$KEY")
		[ "$1" = backup ] && return 0 ;;
	esac
	mc issue smtpd --cn mail.example.org --key ec256 --deploy --root "$C/root" >"$C/log/setup" 2>&1 ||
		{ cat "$C/log/setup"; echo "crash: first deployment failed" >&2; exit 1; }
}

# EXEC=exec: minica replaces the (background) shell, so $! is its pid.
EXEC=
mc() { MINICA_HOME=$C/home $EXEC "$MINICA_BIN" "$@" --passphrase-file "$PASS"; }
db() { sqlite3 "$C/home/minica.db" "$1"; }

# ------------------------------------------------------------ invariants
bad() {
	FAILS=$((FAILS + 1))
	printf '%s: %s\n' "$TRIAL" "$*" >>"$C/failures"
}


# serial of the first certificate in FILE, lowercase without leading zeros
serial_of() { openssl x509 -in "$1" -noout -serial 2>/dev/null | cut -d= -f2 | tr A-F a-f | sed 's/^0*//'; }

# Every certificate file under the target root and the out folder is one
# the store knows; every final name is a whole PEM file that parses.
check_files() {
	find "$C/root" "$C/out" -type f >"$C/files"
	while IFS= read -r f; do
		case $(basename "$f") in
		.minica-*) final=0 ;;
		*) final=1 ;;
		esac
		if cmp -s "$f" "$C/home/ca.crt"; then
			continue
		elif [ -n "${GUIDE_CRT:-}" ] && [ "$(sha256sum <"$f")" = "$GUIDE_CRT" ]; then
			continue	# the guide's certificate, not minica's
		elif grep -q 'BEGIN CERTIFICATE' "$f"; then
			s=$(serial_of "$f")
			if [ -z "$s" ]; then
				[ $final = 0 ] || bad "certificate file '$f' does not parse"
				continue
			fi
			case $s in *[!0-9a-f]*) bad "odd serial '$s' in '$f'"; continue ;; esac
			[ "$s" = "$CA_SERIAL" ] && continue
			[ "$(db "SELECT count(*) FROM certificates WHERE ltrim(serial, '0') = '$s'")" = 1 ] ||
				bad "'$f' holds certificate $s, which has no row in the store"
		elif grep -q 'PRIVATE KEY' "$f"; then
			[ $final = 0 ] || openssl pkey -in "$f" -noout 2>/dev/null || bad "key file '$f' does not parse (half-written)"
		elif [ $final = 1 ]; then
			bad "'$f' is neither a certificate nor a key (size $(wc -c <"$f"))"
		fi
		if [ $final = 1 ] && [ "$(tail -n 1 "$f" | cut -c1-8)" != "-----END" ]; then
			bad "'$f' does not end with a PEM END line (truncated)"
		fi
	done <"$C/files"
}

# pair_ok CERT KEY: both there and the key is the certificate's.
pair_ok() {
	[ -f "$1" ] && [ -f "$2" ] || return 1
	p1=$(openssl x509 -in "$1" -noout -pubkey 2>/dev/null) && [ -n "$p1" ] &&
		[ "$p1" = "$(openssl pkey -in "$2" -pubout 2>/dev/null)" ]
}

# backup, undeploy: the guide's file is never lost, at its own name or
# kept as NAME.pre-minica (a kill must never lose it).
guide_kept() { # FILE SHA256
	for g in "$1" "$1".pre-minica*; do
		[ -f "$g" ] && [ "$(sha256sum <"$g")" = "$2" ] && return 0
	done
	return 1
}
check_guide() {
	case $KIND in backup|undeploy) ;; *) return 0 ;; esac
	guide_kept "$CRT" "$GUIDE_CRT" || bad "the guide's certificate is gone (not at '$CRT' nor kept as .pre-minica)"
	guide_kept "$KEY" "$GUIDE_KEY" || bad "the guide's key is gone (not at '$KEY' nor kept as .pre-minica)"
}

# Right after the kill.
check_interrupted() {
	r=$(db "PRAGMA integrity_check" 2>&1)
	[ "$r" = ok ] || bad "integrity_check after the kill: $r"
	check_files
	check_guide
	pend=$(db "SELECT count(*) FROM deployments WHERE state = 'pending'")
	[ "$pend" = 0 ] || PENDING=$((PENDING + 1))
	if [ "$KIND" != undeploy ] && ! pair_ok "$CRT" "$KEY"; then
		if [ "$pend" = 0 ]; then
			bad "deployed pair mismatched or missing, and no pending deployment records it"
		else
			BETWEEN=$((BETWEEN + 1))
		fi
	fi
	# The out folder is no service's target: a renew killed between
	# replacing NAME.key and NAME.crt leaves them apart until the next run.
	for k in "$C"/out/*.key; do
		[ -f "$k" ] && [ -f "${k%.key}.crt" ] || continue
		pair_ok "${k%.key}.crt" "$k" || OUTMIX=$((OUTMIX + 1))
	done
}

# After what a user runs next.
check_recovered() {
	r=$(db "PRAGMA integrity_check" 2>&1)
	[ "$r" = ok ] || bad "integrity_check after the next run: $r"
	check_files
	check_guide
	[ "$(db "SELECT count(*) FROM deployments WHERE state = 'pending'")" = 0 ] ||
		bad "a deployment is still pending after the next run"
	pair_ok "$CRT" "$KEY" || bad "deployed pair mismatched after the next run"
	case $KIND in backup|undeploy)
		# Either deployed or (undeployed, or the kill came before
		# the first swap) the guide's pair in place.
		if [ "$(db "SELECT count(*) FROM deployments WHERE state = 'current'")" = 0 ]; then
			[ "$(sha256sum <"$CRT")" = "$GUIDE_CRT" ] && [ "$(sha256sum <"$KEY")" = "$GUIDE_KEY" ] ||
				bad "not deployed, but the guide's pair is not in place"
			return 0
		fi
	esac
	s=$(serial_of "$CRT")
	st=$(db "SELECT status FROM certificates WHERE ltrim(serial, '0') = '$s'")
	[ "$st" = valid ] || bad "deployed certificate $s is '$st' after the next run, not the current one"
	# Named side files (.minica-new.*, .minica-old.*) are recorded and
	# settled by the next command.  A .minica-tmp.* file never takes a
	# final name and is removed by the next minica that writes to its
	# folder (tests/cli/t_crash_recovery.sh); what a user runs next need
	# not write there.
	left=$(find "$C/root" "$C/out" -name '.minica-*' ! -name '.minica-tmp.*' | tr '\n' ' ')
	[ -z "$left" ] || bad "left behind after the next run: $left"
	for k in "$C"/out/*.key; do
		[ -f "$k" ] && [ -f "${k%.key}.crt" ] || continue
		pair_ok "${k%.key}.crt" "$k" || bad "'$k' does not match '${k%.key}.crt' after the next run"
	done
}

# ---------------------------------------------------------------- trials
# The command under test and the next ordinary run, per campaign kind.
run_cmd() {
	case $KIND in
	issue) mc issue smtpd --cn mail.example.org --key ec256 --force --deploy --root "$C/root" ;;
	issue-out)
		# A new name each time: issue never overwrites a key in --out.
		N=$(($(cat "$C/n" 2>/dev/null || echo 0) + 1))
		echo $N >"$C/n"
		mc issue smtpd --cn "t$N.example.org" --key ec256 --force --deploy --root "$C/root" --out "$C/out" ;;
	renew) mc renew --force smtpd --root "$C/root" --out "$C/out" ;;
	backup) mc issue smtpd --cn mail.example.org --key ec256 --force --deploy --root "$C/root" ;;
	undeploy) mc undeploy smtpd --restore --root "$C/root" ;;
	esac
}

# What a user runs after an interrupted command (issue 14): check, then
# what check recommends, then the cron line; check must then be OK
# (exit 0): not WARNING, not CRITICAL.
next_steps() {
	(cd "$C/out" && mc check --root "$C/root") >"$C/log/check" 2>&1
	advice=$(grep -o "run 'minica [^']*'" "$C/log/check" | head -n 1 | sed "s/^run 'minica //; s/'\$//")
	if [ -n "$advice" ]; then
		ADVICE=$((ADVICE + 1))
		# shellcheck disable=SC2086 # the advice is words
		(cd "$C/out" && mc $advice) >"$C/log/advice" 2>&1 || ADVFAIL=$((ADVFAIL + 1))
	fi
	(cd "$C/out" && { mc check --quiet --root "$C/root" || mc renew --root "$C/root" --out "$C/out"; }) >"$C/log/cron" 2>&1
	(cd "$C/out" && mc check --root "$C/root") >"$C/log/after" 2>&1
	[ $? -eq 0 ] || { bad "check not OK after check, its advice and the cron line: $(tr '\n' ' ' <"$C/log/after")"; return 1; }
	cat "$C/log/check" "$C/log/advice" "$C/log/cron" >"$C/log/next" 2>/dev/null
	return 0
}

# backup and undeploy start each trial from the same place: the guide's
# pair at the targets (backup) or deployed over it (undeploy).
reset_trial() {
	case $KIND in
	backup)
		if [ "$(db "SELECT count(*) FROM deployments WHERE state = 'current'")" != 0 ]; then
			mc undeploy smtpd --restore --root "$C/root" >"$C/log/reset" 2>&1 ||
				bad "undeploy --restore after the trial failed: $(tr '\n' ' ' <"$C/log/reset")"
		fi
		[ "$(sha256sum <"$CRT")" = "$GUIDE_CRT" ] && [ "$(sha256sum <"$KEY")" = "$GUIDE_KEY" ] ||
			bad "the guide's pair is not back after undeploy --restore"
		rm -f "$C/root/etc/ssl/certs/minica-ca.pem" ;;
	undeploy)
		if [ "$(db "SELECT count(*) FROM deployments WHERE state = 'current'")" != 0 ]; then
			mc undeploy smtpd --restore --root "$C/root" >"$C/log/reset" 2>&1 ||
				bad "undeploy --restore after the trial failed: $(tr '\n' ' ' <"$C/log/reset")"
		fi
		mc issue smtpd --cn mail.example.org --key ec256 --force --deploy --root "$C/root" >"$C/log/reset" 2>&1 ||
			bad "deploying again after the trial failed: $(tr '\n' ' ' <"$C/log/reset")" ;;
	esac
}

# after_kill: the checks, the next run, the checks again.
after_kill() {
	TRIALS=$((TRIALS + 1))
	check_interrupted
	next_steps || { reset_trial; return 0; }
	grep -q 'rolled forward' "$C/log/next" && FORWARD=$((FORWARD + 1))
	grep -q 'rolled back' "$C/log/next" && BACK=$((BACK + 1))
	# undeploy: the user runs the interrupted command again.
	if [ "$KIND" = undeploy ] && [ "$(db "SELECT count(*) FROM deployments WHERE state = 'current'")" != 0 ]; then
		run_cmd >"$C/log/again" 2>&1 || bad "undeploy again failed: $(tr '\n' ' ' <"$C/log/again")"
	fi
	check_recovered
	reset_trial
	# issue-out adds files under new names each time: those checked go,
	# so a trial's checks do not grow with the campaign.
	[ "$KIND" = issue-out ] && rm -f "$C"/out/t*.example.org*
	return 0
}

# fault_trial OP WHEN AT
fault_trial() {
	TRIAL="$KIND $1 $2 #$3"
	rm -f "$C/trace"
	# In a subshell whose stderr is dropped: sh reports "Killed" there.
	(LD_PRELOAD=$FAULT_LIB FAULT_OP=$1 FAULT_WHEN=$2 FAULT_AT=$3 FAULT_TRACE=$C/trace run_cmd >"$C/log/run" 2>&1) 2>/dev/null
	rc=$?
	if [ $rc -ne 137 ]; then
		[ $rc -eq 0 ] || bad "exit $rc without being killed: $(tr '\n' ' ' <"$C/log/run")"
		NOTKILLED=$((NOTKILLED + 1))
		reset_trial
		return
	fi
	TRIAL="$TRIAL ($(tail -n 1 "$C/trace" | cut -d' ' -f2-))"
	after_kill
}

# random_trial MS: SIGKILL MS milliseconds after the start.
random_trial() {
	TRIAL="$KIND kill -9 after ${1} ms"
	RTRIALS=$((RTRIALS + 1))
	(EXEC=exec run_cmd >"$C/log/run" 2>&1) &
	pid=$!
	sleep "$(awk "BEGIN { printf \"%.3f\", $1 / 1000 }")"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	rc=$?
	if [ $rc -ne 137 ]; then
		[ $rc -eq 0 ] || bad "exit $rc: $(tr '\n' ' ' <"$C/log/run")"
		NOTKILLED=$((NOTKILLED + 1))
		RTRIALS=$((RTRIALS - 1))
		reset_trial
		return
	fi
	after_kill
}

# Counted operations of one clean run (and their trace in $C/clean).
measure() {
	rm -f "$C/clean" "$C/count"
	LD_PRELOAD=$FAULT_LIB FAULT_TRACE=$C/clean FAULT_COUNT=$C/count run_cmd >"$C/log/measure" 2>&1 ||
		{ cat "$C/log/measure"; echo "crash: clean $KIND run failed" >&2; exit 1; }
	reset_trial
	cat "$C/count"
}

# The quick subset: every operation except SQLite's page writes, of which
# only the first of each run (a transaction's first WAL frame) is kept.
boundaries() {
	awk '{ key[NR] = $2 " " $3; n = NR }
	    END { for (i = 1; i <= n; i++) { db = key[i] ~ /^pwrite/ && key[i] ~ /minica\.db/
	        if (i == 1 || !db || key[i] != key[i-1]) print i } }' "$C/clean"
}

report() {
	printf '%-10s %4d interrupted runs (%d at an operation, %d by a random kill), %d failures; pending at the kill %d (pair apart between the renames %d), next command rolled forward %d / back %d; check advised a command %d times (%d of them failed); out pair apart until the next run %d; not killed %d\n' \
	    "$1" "$TRIALS" "$((TRIALS - RTRIALS))" "$RTRIALS" "$FAILS" "$PENDING" "$BETWEEN" "$FORWARD" "$BACK" "$ADVICE" "$ADVFAIL" "$OUTMIX" "$NOTKILLED"
	if [ "$FAILS" -gt 0 ]; then
		sed 's/^/    /' "$C/failures" | head -n 40
	fi
	echo "$1 $TRIALS $FAILS" >>"$W/totals"
}

# campaign KIND SUBSET: SUBSET quick (boundaries, before) or full (every
# index, before and after, then random kills).
campaign() {
	KIND=$1
	campaign_setup "$1"
	# A second certificate, never deployed: its renewal writes only --out.
	[ "$KIND" = renew ] && [ "$2" = full ] && mc issue smtpd --cn other.example.org --key ec256 --out "$C/out" >/dev/null 2>&1
	ops=$(measure)
	if [ "$2" = quick ]; then
		for i in $(boundaries); do fault_trial any before "$i"; done
	fi
	if [ "$2" = full ]; then
		i=1
		while [ "$i" -le "$ops" ]; do
			fault_trial any before "$i"
			fault_trial any after "$i"
			i=$((i + 1))
		done
	fi
	if [ "$2" = full ] || [ "$2" = random ]; then
		# The quickest of three clean runs; kills land in its second
		# half, where the files are written (the first is mostly the
		# CA key's scrypt and the leaf key).
		ms=999999
		for r in 1 2 3; do
			start=$(date +%s%N)
			run_cmd >/dev/null 2>&1
			t=$((($(date +%s%N) - start) / 1000000))
			[ $t -lt $ms ] && ms=$t
		done
		awk -v seed="$SEED" -v n="$RANDOM_TRIALS" -v ms="$ms" \
		    'BEGIN { srand(seed); for (i = 0; i < n; i++) print int(ms * (0.5 + rand() / 2)) }' >"$C/delays"
		while read -r d; do random_trial "$d"; done <"$C/delays"
	fi
	report "$KIND"
}

: >"$W/totals"
start=$(date +%s)
case $MODE in
quick)
	campaign issue quick >"$W/report.issue" 2>&1 &
	campaign renew quick >"$W/report.renew" 2>&1 &
	wait
	campaign backup quick >"$W/report.backup" 2>&1 &
	campaign undeploy quick >"$W/report.undeploy" 2>&1 &
	wait
	cat "$W/report.issue" "$W/report.renew" "$W/report.backup" "$W/report.undeploy"
	;;
full|random)
	# Separate homes, so they run side by side.
	for k in issue issue-out renew; do
		campaign "$k" "$MODE" >"$W/report.$k" 2>&1 &
	done
	wait
	for k in backup undeploy; do
		campaign "$k" "$MODE" >"$W/report.$k" 2>&1 &
	done
	wait
	cat "$W/report.issue" "$W/report.issue-out" "$W/report.renew" "$W/report.backup" "$W/report.undeploy"
	;;
*)
	echo "usage: crash.sh quick|full|random" >&2
	exit 64
	;;
esac
awk -v s=$(($(date +%s) - start)) '{ t += $2; f += $3 } END { printf "crash: %d interrupted runs, %d failures, %d s\n", t, f, s; exit f > 0 }' "$W/totals"
