#!/bin/sh
# Self-check of the e2e harness (lib.sh) with certificates made by plain
# openssl, no minica: the three daemons serve a deployed pair, real clients
# verify it against the test root only, a redeployed pair is served after
# (and only after) a reload, an unrelated root is refused, and every daemon
# is gone at the end.  t_deploy_daemons.sh does the same with minica's files.
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$here/lib.sh"

e2e_init
name=mail.example.org
pki=$E2E_DIR/pki
dep=$E2E_DIR/deploy
mkdir -p "$pki" "$dep/certs" "$dep/private"
chmod 700 "$dep/private"

# ---- certificates: the test root, two leaves (EC, then RSA), an unrelated root
e2e_openssl_root "$pki/root" "e2e test root"
e2e_openssl_root "$pki/other" "unrelated root"
e2e_openssl_leaf "$pki/root" "$pki/leaf1" ec "$name" www.example.org
e2e_openssl_leaf "$pki/root" "$pki/leaf2" rsa "$name" www.example.org
root=$pki/root.crt
other=$pki/other.crt
crt=$dep/certs/mail.crt
key=$dep/private/mail.key
e2e_install_pair "$pki/leaf1.crt" "$pki/leaf1.key" "$crt" "$key"
e2e_log "certificates ready"

# ---- daemons, TLS settings from snippets naming the deployed paths
e2e_postfix_tls_lines "$crt" "$key" >"$E2E_DIR/postfix.snippet"
e2e_dovecot_tls_lines "$crt" "$key" >"$E2E_DIR/dovecot.snippet"
e2e_nginx_tls_lines "$crt" "$key" >"$E2E_DIR/nginx.snippet"

if ! { smtp=$(e2e_port) && sub=$(e2e_port) && imap=$(e2e_port) &&
	imaps=$(e2e_port) && https=$(e2e_port); }; then
	e2e_fail "no free ports near $(cat "$E2E_DIR/next_port")"
fi

e2e_postfix_start "$E2E_DIR/postfix" "$smtp" "$sub" "$E2E_DIR/postfix.snippet"
e2e_dovecot_start "$E2E_DIR/dovecot" "$imap" "$imaps" "$E2E_DIR/dovecot.snippet"
e2e_nginx_start "$E2E_DIR/nginx" "$https" "$name" "$E2E_DIR/nginx.snippet"

# Every endpoint as "port proto"; curl only speaks https.
endpoints="$smtp:smtp $sub:smtp $imap:imap $imaps:tls $https:https"

# expect_all FUNC CAFILE [CERT]: FUNC for every client on every endpoint.
expect_all() {
	for ep in $endpoints; do
		for client in openssl gnutls curl; do
			[ "$client" = curl ] && [ "${ep#*:}" != https ] && continue
			"$1" "$client" "${ep%%:*}" "${ep#*:}" "$name" "$2" ${3:+"$3"}
		done
	done
}

# ---- 1: the first pair is served and verifies against the test root only
expect_all e2e_expect_served "$root" "$crt"
# The comparison itself must be able to fail (subshell: e2e_fail exits).
if (e2e_expect_served openssl "$smtp" smtp "$name" "$root" "$pki/leaf2.crt") 2>/dev/null; then
	e2e_fail "a served certificate matched a different file's fingerprint"
fi
e2e_expect_tls13 "$https" https "$name" "$root"
e2e_expect_tls13 "$sub" smtp "$name" "$root"
e2e_expect_tls13 "$imaps" tls "$name" "$root"

# ---- 2: redeploy; the daemons keep serving the old pair until reloaded
e2e_install_pair "$pki/leaf2.crt" "$pki/leaf2.key" "$crt" "$key"
for ep in "$imap:imap" "$imaps:tls" "$https:https"; do
	e2e_expect_served openssl "${ep%%:*}" "${ep#*:}" "$name" "$root" "$pki/leaf1.crt"
done
# Postfix reuses idle smtpd processes, which keep the old pair; but when the
# master happens to fork a fresh smtpd it reads the new files, so for Postfix
# this is only reported, not asserted.
for p in "$smtp" "$sub"; do
	fp=$(e2e_fp_openssl "$p" smtp "$name" "$root") || e2e_fail "postfix :$p broke before reload"
	if [ "$fp" = "$(e2e_fp "$pki/leaf1.crt")" ]; then
		e2e_log "ok: postfix :$p still serves the old pair before reload"
	else
		e2e_log "note: postfix :$p forked a fresh smtpd that already reads the new pair"
	fi
done
e2e_postfix_reload "$E2E_DIR/postfix"
e2e_dovecot_reload "$E2E_DIR/dovecot"
e2e_nginx_reload "$E2E_DIR/nginx"
for ep in $endpoints; do
	e2e_wait_served openssl "${ep%%:*}" "${ep#*:}" "$name" "$root" "$crt"
done
expect_all e2e_expect_served "$root" "$crt"

# ---- 3: negative controls: an unrelated root, a name not in the certificate
expect_all e2e_expect_rejected "$other"
e2e_expect_rejected openssl "$smtp" smtp other.example.org "$root"
e2e_expect_rejected gnutls "$imaps" tls other.example.org "$root"
e2e_expect_rejected curl "$https" https other.example.org "$root"

# ---- 4: stop by PID; nothing left, no port held, no system folder touched
# The leftover detector must see the running daemons, or its silence later
# proves nothing.
running=$(e2e_leftovers)
for pid in $(e2e_postfix_pid "$E2E_DIR/postfix") $(e2e_dovecot_pid "$E2E_DIR/dovecot") \
	$(e2e_nginx_pid "$E2E_DIR/nginx"); do
	printf '%s\n' "$running" | grep -q "^$pid " ||
		e2e_fail "leftover detector does not see daemon pid $pid"
done
e2e_postfix_stop "$E2E_DIR/postfix"
e2e_log "postfix stopped"
e2e_dovecot_stop "$E2E_DIR/dovecot"
e2e_log "dovecot stopped"
e2e_nginx_stop "$E2E_DIR/nginx"
e2e_log "nginx stopped"
e2e_expect_no_leftovers
for ep in $endpoints; do
	! e2e_port_listening "${ep%%:*}" || e2e_fail "port ${ep%%:*} still listening after stop"
done
touched=$(find /etc/postfix /var/spool/postfix /var/lib/postfix /etc/dovecot \
	/var/lib/dovecot /run/dovecot /etc/nginx /var/log/nginx /var/lib/nginx \
	/run/nginx.pid -newer "$E2E_DIR/.stamp" 2>/dev/null)
[ -z "$touched" ] || e2e_fail "system files changed by the test: $touched"
e2e_log "all daemons stopped, system folders untouched"
