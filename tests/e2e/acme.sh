# shellcheck shell=sh
# Starting 'minica acme serve' in e2e tests; sourced after lib.sh.
#
# acme_serve HOSTNAME PORT [key=value ...]: writes the [acme] section of
# $MINICA_HOME/minica.conf (hostname, listen = 127.0.0.1:PORT, then each
# key = value given, e.g. eab=no http01_port=5002), replacing an earlier
# one, starts the server in the background (pid $E2E_DIR/acme/acme.pid,
# log $E2E_DIR/acme/log, registered for cleanup) and waits for its port.
# ACME_SERVE_ARGS adds command-line options (e.g. --passphrase-fd 3).

# acme_ca [NAME...]: a fresh CA for example.test in $E2E_DIR/home (its
# passphrases in the environment, $root its root certificate) and a private
# /etc/hosts mapping $acme (acme.example.test, the server's name) and each
# NAME to 127.0.0.1.  The test must run in its own mount namespace.
# shellcheck disable=SC2120 # the names are optional
acme_ca() {
	export MINICA_HOME="$E2E_DIR/home" MINICA_PASSPHRASE=acme-e2e-pass MINICA_ROOT_PASSPHRASE=acme-e2e-root-pass
	# shellcheck disable=SC2034 # for the test that sources this
	root=$MINICA_HOME/ca.crt
	acme=acme.example.test
	"$MINICA_BIN" init --domain example.test >"$E2E_DIR/init.log" 2>&1 ||
		{ e2e_show_log "$E2E_DIR/init.log"; e2e_fail "init"; }
	cp /etc/hosts "$E2E_DIR/hosts" || e2e_fail "cannot copy /etc/hosts"
	echo "127.0.0.1 $acme $*" >>"$E2E_DIR/hosts"
	mount --bind "$E2E_DIR/hosts" /etc/hosts || e2e_fail "cannot bind-mount a private /etc/hosts"
}

# eab_kid NAME: a new EAB credential named NAME (kept in $E2E_DIR/eab-NAME),
# its key id on stdout; eab_hmac NAME: that credential's HMAC key.
eab_kid() {
	"$MINICA_BIN" acme eab new --name "$1" >"$E2E_DIR/eab-$1" 2>/dev/null || e2e_fail "acme eab new"
	awk '$1 == "kid" { print $2 }' "$E2E_DIR/eab-$1"
}
eab_hmac() { awk '$1 == "hmac" { print $2 }' "$E2E_DIR/eab-$1"; }

e2e_acme_pid() { e2e_read_pid "$1/acme.pid"; }

# acme_conf HOSTNAME PORT [key=value ...]: only the [acme] section.
acme_conf() {
	_ac_host=$1 _ac_port=$2
	shift 2
	_ac_conf=$MINICA_HOME/minica.conf
	touch "$_ac_conf"
	if ! awk 'BEGIN { skip = 0 } /^\[/ { skip = ($0 ~ /^\[ *acme *\]/) } !skip' "$_ac_conf" >"$_ac_conf.tmp"; then
		e2e_fail "cannot write the [acme] section"
	fi
	{
		printf '\n[acme]\nhostname = %s\nlisten = 127.0.0.1:%s\n' "$_ac_host" "$_ac_port"
		for _ac_kv in "$@"; do
			printf '%s = %s\n' "${_ac_kv%%=*}" "${_ac_kv#*=}"
		done
	} >>"$_ac_conf.tmp" || e2e_fail "cannot write the [acme] section"
	mv "$_ac_conf.tmp" "$_ac_conf" || e2e_fail "cannot write the [acme] section"
}

acme_serve() {
	acme_conf "$@"
	mkdir -p "$E2E_DIR/acme"
	# shellcheck disable=SC2086
	"$MINICA_BIN" acme serve ${ACME_SERVE_ARGS:-} >"$E2E_DIR/acme/log" 2>&1 &
	echo $! >"$E2E_DIR/acme/acme.pid"
	e2e_register acme "$E2E_DIR/acme"
	e2e_wait_port "minica acme serve" "$2" "$(cat "$E2E_DIR/acme/acme.pid")" "$E2E_DIR/acme/log"
}
