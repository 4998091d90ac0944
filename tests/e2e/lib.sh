# shellcheck shell=sh
# tests/e2e/lib.sh — throw-away Postfix, Dovecot and nginx on 127.0.0.1 high
# ports, and real TLS clients that report the certificate a daemon serves.
#
# Source it from a t_*.sh script, then call e2e_init first:
#
#     . "$(dirname "$0")/lib.sh"
#     e2e_init
#
# Conventions:
#   - e2e_fp_* and e2e_port_* only return a status (and print a value);
#     e2e_expect_*, e2e_*_start and e2e_*_stop end the test with e2e_fail.
#   - Every daemon lives in its own folder under $E2E_DIR with its own config,
#     queue/state/pid and log files; nothing under /etc, /var or /run is used
#     except the read-only package files (daemon binaries, /etc/postfix meta
#     files).  Daemons are stopped by PID, never by name.
#   - TLS settings come from a snippet file, appended to main.cf / dovecot.conf
#     or included in the nginx server block, so a test can feed either
#     `minica snippet` output or lines made by e2e_*_tls_lines CERT KEY.
#   - Every wait is bounded by $E2E_WAIT seconds, every client by
#     $E2E_CLIENT_TIMEOUT seconds.

# postfix, dovecot and nginx live in /usr/sbin, which a root shell started
# by make or CI does not always have in PATH.
PATH=$PATH:/usr/sbin:/sbin
export PATH

E2E_WAIT=${E2E_WAIT:-10}
E2E_CLIENT_TIMEOUT=${E2E_CLIENT_TIMEOUT:-10}
E2E_DIR=
E2E_TAG=
E2E_T0=

e2e_log() {
	printf '[%s] %s\n' "$(e2e_elapsed)" "$*" >&2
}

# e2e_elapsed: seconds since e2e_init, to a tenth (GNU date %N).
e2e_elapsed() {
	now=$(date +%s%N | cut -c1-11)
	t=$((now - ${E2E_T0:-$now}))
	echo "$((t / 10)).$((t % 10))s"
}

# e2e_fail MESSAGE...: print and end the test (the EXIT trap cleans up).
e2e_fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

# e2e_show_log FILE: print a daemon log (last 40 lines) for a failure report.
e2e_show_log() {
	if [ -s "$1" ]; then
		printf -- '--- %s (last 40 lines)\n' "$1" >&2
		tail -n 40 "$1" >&2
		printf -- '---\n' >&2
	else
		printf -- '--- %s: empty or missing\n' "$1" >&2
	fi
}

# e2e_require_bins: every daemon and client the e2e tests use must exist.
# A missing one is a failure, not a skip: CI installs them (install.sh).
e2e_require_bins() {
	missing=
	for b in postfix postconf dovecot doveadm nginx openssl curl gnutls-cli timeout; do
		command -v "$b" >/dev/null 2>&1 || missing="$missing $b"
	done
	[ -z "$missing" ] || e2e_fail "missing programs:$missing" \
		"(install postfix dovecot-imapd nginx gnutls-bin curl; see install.sh)"
	[ "$(id -u)" -eq 0 ] || e2e_fail "the e2e tests start postfix and dovecot, which need root"
}

# e2e_init: make $E2E_DIR, pick the port range, arrange cleanup on exit.
e2e_init() {
	E2E_T0=$(date +%s%N | cut -c1-11)
	e2e_require_bins
	E2E_DIR=$(mktemp -d /tmp/minica-e2e.XXXXXX) || e2e_fail "cannot make a temp folder"
	# Daemon workers (postfix, dovecot, dovenull, nobody) must traverse it.
	chmod 755 "$E2E_DIR"
	E2E_TAG=$(basename "$E2E_DIR")
	: >"$E2E_DIR/daemons"
	mkdir "$E2E_DIR/empty-capath"
	touch "$E2E_DIR/.stamp"
	# 20000-32767 lies below Linux's ephemeral range (32768-60999), where
	# a client's source port could take a daemon's port between our check
	# and its bind().  A per-run offset keeps parallel runs apart; used
	# ports are skipped.
	if [ -n "${E2E_PORT_BASE:-}" ]; then
		echo "$E2E_PORT_BASE" >"$E2E_DIR/next_port"
	else
		echo $((20000 + ($$ % 127) * 100)) >"$E2E_DIR/next_port"
	fi
	trap 'e2e_cleanup' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# e2e_cleanup: stop every daemon still registered, remove $E2E_DIR unless
# E2E_KEEP=1.  Runs from the EXIT trap; keeps the exit status.
e2e_cleanup() {
	rc=$?
	trap - EXIT
	if [ -n "$E2E_DIR" ] && [ -f "$E2E_DIR/daemons" ]; then
		while read -r kind dir; do
			[ -n "$kind" ] || continue
			e2e_stop_quiet "$kind" "$dir"
		done <"$E2E_DIR/daemons"
	fi
	if [ -n "$E2E_DIR" ] && [ "${E2E_KEEP:-0}" != 1 ]; then
		rm -rf "$E2E_DIR"
	elif [ -n "$E2E_DIR" ]; then
		echo "e2e: kept $E2E_DIR" >&2
	fi
	exit "$rc"
}

# ---------------------------------------------------------------- processes

# e2e_proc_state PID: print the process state letter, nothing if gone.
e2e_proc_state() {
	[ -r "/proc/$1/stat" ] || return 0
	# The comm field may hold spaces; the state follows its last ')'.
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1
}

# e2e_pid_alive PID: true while the process exists and is not a zombie (the
# container's PID 1 may be slow to reap the orphans a daemon leaves).
e2e_pid_alive() {
	st=$(e2e_proc_state "$1")
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# e2e_descendants PID: print PID and all its descendants, one a line.
e2e_descendants() {
	# One cat for all of /proc: processes may vanish while it reads.
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$1" '
		{
			pid = $1
			# comm may hold spaces and parentheses; state and ppid follow
			# the last ") ".
			sub(/.*\) /, "")
			parent[pid] = $2
		}
		END {
			print root; want[root] = 1; grew = 1
			while (grew) {
				grew = 0
				for (p in parent)
					if (!(p in want) && (parent[p] in want)) { want[p] = 1; print p; grew = 1 }
			}
		}'
}

# e2e_stop_pid NAME PID: SIGTERM the daemon's master and wait (bounded) for it
# and every process it had started to end; SIGKILL what is left.
e2e_stop_pid() {
	name=$1 pid=$2
	case $pid in '' | *[!0-9]*) e2e_log "$name: no pid to stop"; return 1 ;; esac
	tree=$(e2e_descendants "$pid" | tr '\n' ' ')
	kill -TERM "$pid" 2>/dev/null
	i=0
	while [ $i -lt $((E2E_WAIT * 10)) ]; do
		left=
		for p in $tree; do e2e_pid_alive "$p" && left="$left $p"; done
		[ -z "$left" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	e2e_log "$name: still running after ${E2E_WAIT}s:$left; sending SIGKILL"
	# shellcheck disable=SC2086
	kill -KILL $left 2>/dev/null
	sleep 0.2
	for p in $left; do
		e2e_pid_alive "$p" && { e2e_log "$name: pid $p survived SIGKILL"; return 1; }
	done
	return 1
}

# e2e_read_pid FILE: print the pid in FILE if that process is alive.
e2e_read_pid() {
	[ -s "$1" ] || return 1
	pid=$(tr -dc '0-9' <"$1")
	[ -n "$pid" ] && e2e_pid_alive "$pid" && echo "$pid"
}

# e2e_wait_pidfile FILE: wait until FILE holds the pid of a live process and
# print it.
e2e_wait_pidfile() {
	i=0
	while [ $i -lt $((E2E_WAIT * 10)) ]; do
		e2e_read_pid "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# e2e_leftovers: print live processes whose command line or environment
# names this run's folder (nginx: -p, postfix: MAIL_CONFIG, dovecot:
# instance_name).  Empty output means every daemon is gone.
e2e_leftovers() {
	# One grep over all of /proc; files of vanished or foreign processes may
	# be unreadable, which is fine.
	# The pattern comes on stdin so that grep's own command line does not
	# match.
	# shellcheck disable=SC2062
	printf '%s\n' "$E2E_TAG" |
		grep -l -z -F -f - /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null |
		sed 's#^/proc/\([0-9]*\)/.*#\1#' | sort -u -n | while read -r p; do
		[ "$p" = "$$" ] && continue
		e2e_pid_alive "$p" || continue
		printf '%s %s\n' "$p" "$({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null)"
	done
}

# e2e_expect_no_leftovers: fail if any process of this run is still alive.
e2e_expect_no_leftovers() {
	left=$(e2e_leftovers)
	[ -z "$left" ] || e2e_fail "daemon processes left running: $left"
}

# -------------------------------------------------------------------- ports

# e2e_port_listening PORT: true if something listens on TCP PORT (any
# address, IPv4 or IPv6).  Reads /proc so no ss/netstat is needed.
e2e_port_listening() {
	e2e_port_scan "$1" 1
}

# e2e_port_used PORT: true if any TCP socket (listening, connected,
# TIME_WAIT) has PORT as its local port: bind() may then fail.
e2e_port_used() {
	e2e_port_scan "$1" 0
}

# e2e_port_scan PORT LISTEN_ONLY: st 0A is TCP_LISTEN.
e2e_port_scan() {
	hex=$(printf '%04X' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		awk -v h="$hex" -v listen_only="$2" '
			NR > 1 && (!listen_only || $4 == "0A") {
				n = split($2, a, ":")
				if (a[n] == h) found = 1
			}
			END { exit !found }'
}

# e2e_port: print the next free port of this run's range.
e2e_port() {
	p=$(cat "$E2E_DIR/next_port")
	n=0
	while e2e_port_used "$p"; do
		p=$((p + 1))
		n=$((n + 1))
		[ $n -lt 100 ] || return 1
	done
	echo $((p + 1)) >"$E2E_DIR/next_port"
	echo "$p"
}

# e2e_wait_port NAME PORT PID LOG: wait (bounded) until PORT listens; fail
# with the daemon's log if it does not, or if PID dies meanwhile.
e2e_wait_port() {
	i=0
	while [ $i -lt $((E2E_WAIT * 10)) ]; do
		e2e_port_listening "$2" && return 0
		if ! e2e_pid_alive "$3"; then
			e2e_show_log "$4"
			e2e_fail "$1 (pid $3) died before listening on port $2"
		fi
		sleep 0.1
		i=$((i + 1))
	done
	e2e_show_log "$4"
	e2e_fail "$1 not listening on 127.0.0.1:$2 after ${E2E_WAIT}s"
}

# ------------------------------------------------------------- fingerprints

# e2e_fp FILE: SHA-256 fingerprint of the first certificate in a PEM file,
# upper-case hex without colons.
e2e_fp() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 2>/dev/null |
		sed -n 's/^.*=//; s/://gp' | tr 'a-f' 'A-F' | grep .
}

# e2e_fp_pem: same, from the first certificate on stdin (client output).
e2e_fp_pem() {
	sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/{p;/-----END CERTIFICATE-----/q;}' |
		openssl x509 -noout -fingerprint -sha256 2>/dev/null |
		sed -n 's/^.*=//; s/://gp' | tr 'a-f' 'A-F' | grep .
}

# ------------------------------------------------------------------ clients
#
# e2e_fp_CLIENT PORT PROTO NAME CAFILE: connect to 127.0.0.1:PORT, do
# STARTTLS for PROTO (smtp, imap) or implicit TLS (tls; https for curl),
# verify the chain against CAFILE only and the host name NAME, and print the
# served leaf's fingerprint.  Non-zero if the handshake or verification
# fails; the client's output is then in $E2E_DIR/client.out.

e2e_client_out() {
	echo "$E2E_DIR/client.out"
}

e2e_fp_openssl() {
	out=$(e2e_client_out)
	case $2 in
	smtp | imap) st="-starttls $2" ;;
	tls | https) st= ;;
	*) echo "e2e_fp_openssl: unknown protocol '$2'" >"$out"; return 2 ;;
	esac
	# shellcheck disable=SC2086
	timeout -k 2 "$E2E_CLIENT_TIMEOUT" openssl s_client -connect "127.0.0.1:$1" $st \
		-servername "$3" -verify_hostname "$3" -verify_return_error \
		-CAfile "$4" -no-CApath -no-CAstore </dev/null >"$out" 2>&1 || return 1
	grep -q '^Verify return code: 0 (ok)' "$out" || return 1
	e2e_fp_pem <"$out"
}

e2e_fp_gnutls() {
	out=$(e2e_client_out)
	case $2 in
	smtp | imap) st="--starttls-proto=$2" ;;
	tls | https) st= ;;
	*) echo "e2e_fp_gnutls: unknown protocol '$2'" >"$out"; return 2 ;;
	esac
	# gnutls-cli connects to the host it is given and verifies the name from
	# --verify-hostname, so no /etc/hosts entry is needed.
	# shellcheck disable=SC2086
	timeout -k 2 "$E2E_CLIENT_TIMEOUT" gnutls-cli --port="$1" $st \
		--x509cafile="$4" --verify-hostname="$3" --sni-hostname="$3" \
		--print-cert 127.0.0.1 </dev/null >"$out" 2>&1 || return 1
	grep -q 'Status: The certificate is trusted' "$out" || return 1
	e2e_fp_pem <"$out"
}

e2e_fp_curl() {
	out=$(e2e_client_out)
	case $2 in
	https | tls) ;;
	*) echo "e2e_fp_curl: only https, not '$2'" >"$out"; return 2 ;;
	esac
	# --cacert replaces only the default CA file: Debian's curl still reads
	# the CApath /etc/ssl/certs, so point --capath at an empty folder.
	# %{certs} (curl >= 7.88) prints the served chain, leaf first.
	timeout -k 2 "$E2E_CLIENT_TIMEOUT" curl -sS --max-time "$E2E_CLIENT_TIMEOUT" \
		--cacert "$4" --capath "$E2E_DIR/empty-capath" --resolve "$3:$1:127.0.0.1" \
		-o "$E2E_DIR/curl.body" -w '%{certs}' "https://$3:$1/" >"$out" 2>&1 || return 1
	e2e_fp_pem <"$out"
}

# e2e_served_fp CLIENT PORT PROTO NAME CAFILE: dispatch to e2e_fp_CLIENT.
e2e_served_fp() {
	case $1 in
	openssl | gnutls | curl) ;;
	*) echo "e2e_served_fp: unknown client '$1'" >&2; return 2 ;;
	esac
	c=$1
	shift
	"e2e_fp_$c" "$@"
}

# e2e_expect_served CLIENT PORT PROTO NAME CAFILE CERTFILE: the client must
# verify the server against CAFILE and see exactly CERTFILE's certificate.
e2e_expect_served() {
	want=$(e2e_fp "$6") || e2e_fail "cannot read certificate '$6'"
	if ! got=$(e2e_served_fp "$1" "$2" "$3" "$4" "$5"); then
		e2e_show_log "$(e2e_client_out)"
		e2e_fail "$1 $3 on port $2: handshake or verification against '$5' failed"
	fi
	[ "$got" = "$want" ] ||
		e2e_fail "$1 $3 on port $2 served $got, expected $want ('$6')"
	e2e_log "ok: $1 $3 :$2 serves $(basename "$6") (${want%"${want#????????????????}"}...)"
}

# e2e_wait_served CLIENT PORT PROTO NAME CAFILE CERTFILE: after a reload,
# poll (bounded) until the client sees CERTFILE's certificate.
e2e_wait_served() {
	want=$(e2e_fp "$6") || e2e_fail "cannot read certificate '$6'"
	got=
	i=0
	while [ $i -lt $((E2E_WAIT * 5)) ]; do
		got=$(e2e_served_fp "$1" "$2" "$3" "$4" "$5") && [ "$got" = "$want" ] && {
			e2e_log "ok: $1 $3 :$2 now serves $(basename "$6")"
			return 0
		}
		sleep 0.2
		i=$((i + 1))
	done
	e2e_show_log "$(e2e_client_out)"
	e2e_fail "$1 $3 on port $2 still serves '${got:-nothing}' after ${E2E_WAIT}s, expected $want ('$6')"
}

# e2e_expect_rejected CLIENT PORT PROTO NAME CAFILE: the client must refuse
# the server *because verification failed* (a dead daemon is not a pass).
e2e_expect_rejected() {
	if e2e_served_fp "$@" >/dev/null; then
		e2e_fail "$1 $3 on port $2 accepted the server with CA '$5'"
	fi
	out=$(e2e_client_out)
	if ! grep -q -E 'verify error|certificate verify failed|NOT trusted|PKI verification of server certificate failed|SSL certificate problem|no alternative certificate subject name|does not match' "$out"; then
		e2e_show_log "$out"
		e2e_fail "$1 $3 on port $2 failed, but not on certificate verification"
	fi
	e2e_log "ok: $1 $3 :$2 rejects the server as $4 with CA $(basename "$5")"
}

# e2e_expect_tls13 PORT PROTO NAME CAFILE: the server negotiates TLS 1.3
# (nginx 1.22 only does when ssl_protocols lists it).
e2e_expect_tls13() {
	case $2 in smtp | imap) st="-starttls $2" ;; *) st= ;; esac
	# shellcheck disable=SC2086
	if ! timeout -k 2 "$E2E_CLIENT_TIMEOUT" openssl s_client -connect "127.0.0.1:$1" $st \
		-tls1_3 -servername "$3" -verify_hostname "$3" -verify_return_error \
		-CAfile "$4" -no-CApath -no-CAstore </dev/null >"$(e2e_client_out)" 2>&1; then
		e2e_show_log "$(e2e_client_out)"
		e2e_fail "port $1 ($2) does not negotiate TLS 1.3"
	fi
	e2e_log "ok: $2 :$1 speaks TLS 1.3"
}

# ------------------------------------------------------------------ daemons
#
# e2e_DAEMON_start DIR PORTS... SNIPPET: DIR is created (normally under
# $E2E_DIR); SNIPPET is a file of TLS settings in the daemon's own syntax.
# e2e_DAEMON_reload DIR, e2e_DAEMON_stop DIR, e2e_DAEMON_pid DIR.
# e2e_DAEMON_tls_lines CERT KEY prints a snippet for plain file paths.

e2e_register() {
	echo "$1 $2" >>"$E2E_DIR/daemons"
}

e2e_unregister() {
	grep -v -x -F "$1 $2" "$E2E_DIR/daemons" >"$E2E_DIR/daemons.new"
	mv "$E2E_DIR/daemons.new" "$E2E_DIR/daemons"
}

# e2e_stop_quiet KIND DIR: used by cleanup, never fails the test.
e2e_stop_quiet() {
	pid=$("e2e_$1_pid" "$2" 2>/dev/null) || return 0
	e2e_stop_pid "$1" "$pid" || true
}

# ---- Postfix

e2e_postfix_tls_lines() {
	cat <<EOF
smtpd_tls_cert_file = $1
smtpd_tls_key_file = $2
EOF
}

# e2e_postfix_start DIR SMTP_PORT SUBMISSION_PORT SNIPPET
#   SMTP_PORT stands for 25 (STARTTLS offered, security level may),
#   SUBMISSION_PORT for 587 (TLS required, security level encrypt).
#   SNIPPET lines are appended to main.cf (later main.cf lines win).
e2e_postfix_start() {
	dir=$1
	mkdir -p "$dir/conf" "$dir/queue" "$dir/data" || e2e_fail "cannot make '$dir'"
	# data_directory must belong to mail_owner; the queue folder to root
	# (postfix start creates the queue subfolders and their owners itself).
	chown postfix "$dir/data"
	cat >"$dir/conf/main.cf" <<EOF
# minica e2e throw-away instance: no delivery, no relay, own folders.
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
maillog_file_prefixes = $dir
maillog_file = $dir/postfix.log
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mail.example.org
mydomain = example.org
mydestination =
relay_domains =
relayhost =
mynetworks =
alias_maps =
alias_database =
local_recipient_maps =
default_transport = error:minica e2e: delivery disabled
local_transport = error:minica e2e: delivery disabled
relay_transport = error:minica e2e: delivery disabled
smtpd_relay_restrictions = reject
smtpd_recipient_restrictions = reject
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
# --- TLS snippet
EOF
	cat "$4" >>"$dir/conf/main.cf" || e2e_fail "cannot read snippet '$4'"
	# chroot column "n": the Debian default chroot under /var/spool/postfix
	# would need copies of /etc files there.
	cat >"$dir/conf/master.cf" <<EOF
127.0.0.1:$2 inet n - n - - smtpd
127.0.0.1:$3 inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
pickup    unix  n - n 60    1 pickup
cleanup   unix  n - n -     0 cleanup
qmgr      unix  n - n 300   1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n -     - trivial-rewrite
bounce    unix  - - n -     0 bounce
defer     unix  - - n -     0 bounce
trace     unix  - - n -     0 bounce
verify    unix  - - n -     1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -     - proxymap
scache    unix  - - n -     1 scache
showq     unix  n - n -     - showq
error     unix  - - n -     - error
retry     unix  - - n -     - error
discard   unix  - - n -     - discard
anvil     unix  - - n -     1 anvil
postlog   unix-dgram n - n - 1 postlogd
EOF
	e2e_register postfix "$dir"
	# Without a terminal, postfix(1) reports some errors only to syslog (there
	# is none here), so keep its output and the maillog file for the report.
	if ! postfix -c "$dir/conf" start >"$dir/start.out" 2>&1; then
		e2e_show_log "$dir/start.out"
		e2e_show_log "$dir/postfix.log"
		e2e_fail "postfix -c '$dir/conf' start failed"
	fi
	pid=$(e2e_wait_pidfile "$dir/queue/pid/master.pid") || {
		e2e_show_log "$dir/postfix.log"
		e2e_fail "postfix master did not write '$dir/queue/pid/master.pid'"
	}
	e2e_wait_port postfix "$2" "$pid" "$dir/postfix.log"
	e2e_wait_port postfix "$3" "$pid" "$dir/postfix.log"
	e2e_log "postfix pid $pid on :$2 (smtp) :$3 (submission)"
}

e2e_postfix_pid() {
	e2e_read_pid "$1/queue/pid/master.pid"
}

e2e_postfix_reload() {
	postfix -c "$1/conf" reload >"$1/reload.out" 2>&1 || {
		e2e_show_log "$1/reload.out"
		e2e_show_log "$1/postfix.log"
		e2e_fail "postfix -c '$1/conf' reload failed"
	}
}

e2e_postfix_stop() {
	pid=$(e2e_postfix_pid "$1") || e2e_fail "postfix in '$1' has no live master pid"
	e2e_stop_pid postfix "$pid" || e2e_fail "postfix pid $pid did not stop"
	e2e_unregister postfix "$1"
}

# ---- Dovecot

e2e_dovecot_tls_lines() {
	# The '<' makes Dovecot read the file; without it the path itself is
	# taken as PEM, start-up succeeds and only the handshake fails.
	cat <<EOF
ssl_cert = <$1
ssl_key = <$2
EOF
}

# e2e_dovecot_start DIR IMAP_PORT IMAPS_PORT SNIPPET
#   IMAP_PORT stands for 143 (STARTTLS), IMAPS_PORT for 993 (implicit TLS).
#   SNIPPET lines are appended to dovecot.conf.
e2e_dovecot_start() {
	dir=$1
	mkdir -p "$dir" || e2e_fail "cannot make '$dir'"
	chmod 755 "$dir"
	cat >"$dir/dovecot.conf" <<EOF
# minica e2e throw-away instance: own base_dir/state_dir/logs, no system auth.
instance_name = $E2E_TAG-dovecot
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
info_log_path = $dir/dovecot.log
protocols = imap
listen = 127.0.0.1
shutdown_clients = yes
mail_location = maildir:$dir/mail/%u
passdb {
  driver = static
  args = password=minica-e2e-unused
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$dir/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $2
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $3
    ssl = yes
  }
}
ssl = required
ssl_min_protocol = TLSv1.2
# --- TLS snippet
EOF
	cat "$4" >>"$dir/dovecot.conf" || e2e_fail "cannot read snippet '$4'"
	e2e_register dovecot "$dir"
	if ! dovecot -c "$dir/dovecot.conf" >"$dir/start.out" 2>&1; then
		e2e_show_log "$dir/start.out"
		e2e_show_log "$dir/dovecot.log"
		e2e_fail "dovecot -c '$dir/dovecot.conf' failed"
	fi
	pid=$(e2e_wait_pidfile "$dir/run/master.pid") || {
		e2e_show_log "$dir/dovecot.log"
		e2e_fail "dovecot did not write '$dir/run/master.pid'"
	}
	e2e_wait_port dovecot "$2" "$pid" "$dir/dovecot.log"
	e2e_wait_port dovecot "$3" "$pid" "$dir/dovecot.log"
	e2e_log "dovecot pid $pid on :$2 (imap) :$3 (imaps)"
}

e2e_dovecot_pid() {
	e2e_read_pid "$1/run/master.pid"
}

e2e_dovecot_reload() {
	doveadm -c "$1/dovecot.conf" reload >"$1/reload.out" 2>&1 || {
		e2e_show_log "$1/reload.out"
		e2e_show_log "$1/dovecot.log"
		e2e_fail "doveadm -c '$1/dovecot.conf' reload failed"
	}
}

e2e_dovecot_stop() {
	pid=$(e2e_dovecot_pid "$1") || e2e_fail "dovecot in '$1' has no live master pid"
	e2e_stop_pid dovecot "$pid" || e2e_fail "dovecot pid $pid did not stop"
	e2e_unregister dovecot "$1"
}

# ---- nginx

e2e_nginx_tls_lines() {
	cat <<EOF
ssl_certificate $1;
ssl_certificate_key $2;
EOF
}

# e2e_nginx_start DIR HTTPS_PORT SERVER_NAME SNIPPET
#   SNIPPET is included inside the server block.  ssl_protocols is set at
#   http level (nginx 1.22 leaves TLS 1.3 out unless listed), so a snippet
#   may set its own without a "duplicate directive" error.
e2e_nginx_start() {
	dir=$1
	mkdir -p "$dir/conf" "$dir/logs" "$dir/tmp" || e2e_fail "cannot make '$dir'"
	cp "$4" "$dir/conf/tls.conf" || e2e_fail "cannot read snippet '$4'"
	cat >"$dir/conf/nginx.conf" <<EOF
# minica e2e throw-away instance: every path inside $dir.
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log info;
events { worker_connections 64; }
http {
    access_log $dir/logs/access.log;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    ssl_protocols TLSv1.2 TLSv1.3;
    server {
        listen 127.0.0.1:$2 ssl;
        server_name $3;
        include $dir/conf/tls.conf;
        location / { return 200 "minica e2e\n"; }
    }
}
EOF
	e2e_register nginx "$dir"
	# -e: without it nginx opens /var/log/nginx/error.log before reading -c.
	if ! nginx -p "$dir" -c "$dir/conf/nginx.conf" -e "$dir/logs/error.log" >"$dir/start.out" 2>&1; then
		e2e_show_log "$dir/start.out"
		e2e_show_log "$dir/logs/error.log"
		e2e_fail "nginx -p '$dir' failed"
	fi
	pid=$(e2e_wait_pidfile "$dir/nginx.pid") || {
		e2e_show_log "$dir/logs/error.log"
		e2e_fail "nginx did not write '$dir/nginx.pid'"
	}
	e2e_wait_port nginx "$2" "$pid" "$dir/logs/error.log"
	e2e_log "nginx pid $pid on :$2 (https)"
}

e2e_nginx_pid() {
	e2e_read_pid "$1/nginx.pid"
}

# e2e_nginx_reload DIR [SNIPPET]: a new SNIPPET replaces the included one.
# nginx -s reload only sends SIGHUP: a bad new config is logged and the old
# one kept, so only the served certificate proves the reload worked.
e2e_nginx_reload() {
	if [ -n "${2:-}" ]; then
		cp "$2" "$1/conf/tls.conf" || e2e_fail "cannot read snippet '$2'"
	fi
	nginx -p "$1" -c "$1/conf/nginx.conf" -e "$1/logs/error.log" -s reload >"$1/reload.out" 2>&1 || {
		e2e_show_log "$1/reload.out"
		e2e_show_log "$1/logs/error.log"
		e2e_fail "nginx -p '$1' -s reload failed"
	}
}

e2e_nginx_stop() {
	pid=$(e2e_nginx_pid "$1") || e2e_fail "nginx in '$1' has no live master pid"
	e2e_stop_pid nginx "$pid" || e2e_fail "nginx pid $pid did not stop"
	e2e_unregister nginx "$1"
}

# ------------------------------------------------- plain-openssl certificates
# For harness self-tests and negative controls (an unrelated root).

# e2e_openssl_root BASE CN: BASE.crt (CA:TRUE, self-signed) and BASE.key.
e2e_openssl_root() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$1.key" -out "$1.crt" -days 2 -subj "/CN=$2" \
		-addext 'basicConstraints=critical,CA:TRUE' \
		-addext 'keyUsage=critical,keyCertSign,cRLSign' >"$1.log" 2>&1 ||
		{ e2e_show_log "$1.log"; e2e_fail "cannot make root '$1.crt'"; }
}

# e2e_openssl_leaf ROOTBASE BASE KEYTYPE DNSNAME...: BASE.crt signed by
# ROOTBASE for the DNS names (first one is the CN), key BASE.key (0600).
# KEYTYPE: ec (P-256) or rsa (2048).
e2e_openssl_leaf() {
	root=$1 base=$2 kt=$3
	shift 3
	case $kt in
	ec) kopt='-newkey ec -pkeyopt ec_paramgen_curve:P-256' ku=digitalSignature ;;
	rsa) kopt='-newkey rsa:2048' ku='digitalSignature,keyEncipherment' ;;
	*) e2e_fail "e2e_openssl_leaf: unknown key type '$kt'" ;;
	esac
	san=
	for n in "$@"; do san="${san:+$san,}DNS:$n"; done
	cat >"$base.ext" <<EOF2
basicConstraints = critical,CA:FALSE
keyUsage = critical,$ku
extendedKeyUsage = serverAuth
subjectAltName = $san
EOF2
	# shellcheck disable=SC2086
	(umask 077 &&
		openssl req -new $kopt -nodes -keyout "$base.key" -out "$base.csr" -subj "/CN=$1" &&
		openssl x509 -req -in "$base.csr" -CA "$root.crt" -CAkey "$root.key" \
			-set_serial "0x$(openssl rand -hex 16)" -days 1 -extfile "$base.ext" -out "$base.crt" &&
		chmod 644 "$base.crt") >"$base.log" 2>&1 ||
		{ e2e_show_log "$base.log"; e2e_fail "cannot make leaf '$base.crt'"; }
}

# e2e_install_pair CERT KEY DEST_CERT DEST_KEY: replace the deployed pair
# the way a careful deploy does (temp file in the same folder, rename), so a
# daemon never reads a half-written file.
e2e_install_pair() {
	if ! { cp "$1" "$3.tmp" && chmod 644 "$3.tmp" &&
		(umask 077 && cp "$2" "$4.tmp") && chmod 600 "$4.tmp" &&
		mv -f "$4.tmp" "$4" && mv -f "$3.tmp" "$3"; }; then
		e2e_fail "cannot install '$1' as '$3'"
	fi
}
