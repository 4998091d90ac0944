#!/bin/sh
# minica end to end with the real daemons: issue --deploy into a temporary
# root, configure throw-away Postfix, Dovecot and nginx from `minica
# snippet` output, check real clients (OpenSSL, GnuTLS, curl) against
# minica's root only and the served fingerprints against the deployed
# files; then issue --force --deploy and prove each daemon serves the new
# certificate after minica's own reload; an unrelated root must fail.
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$here/lib.sh"
: "${MINICA_BIN:?set MINICA_BIN to the built minica}"

e2e_init
mc() { "$MINICA_BIN" "$@"; }
export MINICA_HOME="$E2E_DIR/home"
unset MINICA_PASSPHRASE 2>/dev/null || true
pass=$E2E_DIR/pass
(umask 077 && printf 'e2e passphrase for minica\n' >"$pass" && printf 'e2e root passphrase\n' >"$E2E_DIR/rootpass")
root=$E2E_DIR/root
mkdir -p "$root"
name=mail.example.org
web=www.example.org

# Two levels, as init makes by default: the daemons serve leaf +
# intermediate, the clients trust the root only.
mc init --domain example.org --passphrase-file "$pass" --root-passphrase-file "$E2E_DIR/rootpass" >"$E2E_DIR/init.out" 2>&1 ||
	{ e2e_show_log "$E2E_DIR/init.out"; e2e_fail "minica init failed"; }
# Reload commands aimed at the throw-away instances, run by minica itself.
cat >>"$MINICA_HOME/minica.conf" <<EOF
[minica]
reload_timeout = 20
[profile.smtpd]
reload = postfix -c $E2E_DIR/postfix/conf reload
running = postfix -c $E2E_DIR/postfix/conf status
[profile.dovecot]
reload = doveadm -c $E2E_DIR/dovecot/dovecot.conf reload
running = start-stop-daemon --status --pidfile $E2E_DIR/dovecot/run/master.pid
[profile.nginx]
reload = nginx -p $E2E_DIR/nginx -c $E2E_DIR/nginx/conf/nginx.conf -e $E2E_DIR/nginx/logs/error.log -s reload
running = start-stop-daemon --status --pidfile $E2E_DIR/nginx/nginx.pid
EOF
ca=$root/etc/ssl/certs/minica-ca.pem
smtpd_crt=$root/etc/ssl/certs/smtpd.crt
dovecot_crt=$root/etc/ssl/certs/dovecot.pem
nginx_crt=$root/etc/ssl/certs/nginx.crt

# deploy PROFILE [issue options]: issue --deploy into the root; nothing
# may land in the current folder.
deploy() {
	p=$1
	shift
	out=$E2E_DIR/issue-$p.out
	(cd "$E2E_DIR/cwd" && mc issue "$p" --cn "$name" "$@" --deploy --root "$root" \
		--passphrase-file "$pass") >"$out" 2>&1 || { e2e_show_log "$out"; e2e_fail "minica issue $p --deploy failed"; }
	[ -z "$(ls -A "$E2E_DIR/cwd")" ] || e2e_fail "issue --deploy wrote into the current folder"
}
mkdir "$E2E_DIR/cwd"

# ---- 1: first deployment; the daemons do not run yet: each running check
# says so, the reload is skipped, exit 0 (no --no-reload needed)
deploy smtpd
deploy dovecot
deploy nginx --san "$web"
for p in smtpd dovecot nginx; do
	grep -q "$p is not running" "$E2E_DIR/issue-$p.out" ||
		{ e2e_show_log "$E2E_DIR/issue-$p.out"; e2e_fail "a stopped $p was not reported as not running"; }
done
# smtpd is a DANE profile: its file ends with the root a 2 1 1 record names.
[ "$(grep -c 'BEGIN CERTIFICATE' "$smtpd_crt")" -eq 3 ] || e2e_fail "'$smtpd_crt' is not leaf + intermediate + root"
for f in "$dovecot_crt" "$nginx_crt"; do
	[ "$(grep -c 'BEGIN CERTIFICATE' "$f")" -eq 2 ] || e2e_fail "'$f' is not leaf + intermediate"
	openssl verify -x509_strict -CAfile "$ca" -untrusted "$f" "$f" >/dev/null || e2e_fail "openssl verify '$f'"
done
e2e_log "issued and deployed under $root"

# ---- 2: daemons configured from minica's snippets (postfix: the main.cf part)
mc snippet postfix --root "$root" | sed '/master\.cf/,$d' >"$E2E_DIR/postfix.snippet" || e2e_fail "snippet postfix"
mc snippet dovecot --root "$root" >"$E2E_DIR/dovecot.snippet" || e2e_fail "snippet dovecot"
mc snippet nginx --root "$root" >"$E2E_DIR/nginx.snippet" || e2e_fail "snippet nginx"
grep -q "^smtpd_tls_chain_files = $root/etc/ssl/private/smtpd.key, $smtpd_crt\$" "$E2E_DIR/postfix.snippet" ||
	e2e_fail "postfix snippet does not name the deployed files"
grep -q "^ssl_cert = <$dovecot_crt\$" "$E2E_DIR/dovecot.snippet" || e2e_fail "dovecot snippet lacks ssl_cert = <"

if ! { smtp=$(e2e_port) && sub=$(e2e_port) && imap=$(e2e_port) &&
	imaps=$(e2e_port) && https=$(e2e_port); }; then
	e2e_fail "no free ports near $(cat "$E2E_DIR/next_port")"
fi
e2e_postfix_start "$E2E_DIR/postfix" "$smtp" "$sub" "$E2E_DIR/postfix.snippet"
e2e_dovecot_start "$E2E_DIR/dovecot" "$imap" "$imaps" "$E2E_DIR/dovecot.snippet"
e2e_nginx_start "$E2E_DIR/nginx" "$https" "$web" "$E2E_DIR/nginx.snippet"

# Every endpoint as "port:proto:deployed-cert-file:name".
endpoints="$smtp:smtp:$smtpd_crt:$name $sub:smtp:$smtpd_crt:$name $imap:imap:$dovecot_crt:$name
$imaps:tls:$dovecot_crt:$name $https:https:$nginx_crt:$web"

# each FUNC CAFILE [with-cert]: FUNC for every client on every endpoint.
each() {
	for ep in $endpoints; do
		port=${ep%%:*}
		rest=${ep#*:}
		proto=${rest%%:*}
		rest=${rest#*:}
		file=${rest%:*}
		host=${rest##*:}
		for client in openssl gnutls curl; do
			[ "$client" = curl ] && [ "$proto" != https ] && continue
			if [ -n "${3:-}" ]; then
				"$1" "$client" "$port" "$proto" "$host" "$2" "$file"
			else
				"$1" "$client" "$port" "$proto" "$host" "$2"
			fi
		done
	done
}

# ---- 3: minica's root alone verifies every service; fingerprints match the files
each e2e_expect_served "$ca" with-cert
e2e_expect_tls13 "$https" https "$web" "$ca"
e2e_expect_tls13 "$sub" smtp "$name" "$ca"
e2e_expect_tls13 "$imaps" tls "$name" "$ca"
e2e_log "all clients verify minica's certificates"

# ---- 4: a new certificate for each, deployed and reloaded by minica
old_smtpd=$(e2e_fp "$smtpd_crt")
old_dovecot=$(e2e_fp "$dovecot_crt")
old_nginx=$(e2e_fp "$nginx_crt")
deploy smtpd --force
deploy dovecot --force
deploy nginx --san "$web" --force
for p in smtpd dovecot nginx; do
	grep -q "^  reloaded " "$E2E_DIR/issue-$p.out" || { e2e_show_log "$E2E_DIR/issue-$p.out"; e2e_fail "minica did not reload $p"; }
done
[ "$(e2e_fp "$smtpd_crt")" != "$old_smtpd" ] && [ "$(e2e_fp "$dovecot_crt")" != "$old_dovecot" ] &&
	[ "$(e2e_fp "$nginx_crt")" != "$old_nginx" ] || e2e_fail "the redeployed files did not change"
for ep in $endpoints; do
	port=${ep%%:*}
	rest=${ep#*:}
	proto=${rest%%:*}
	rest=${rest#*:}
	e2e_wait_served openssl "$port" "$proto" "${rest##*:}" "$ca" "${rest%:*}"
done
each e2e_expect_served "$ca" with-cert
e2e_log "every daemon serves the new certificate after minica's reload"

# ---- 5: negative controls: an unrelated root, a name not in the certificate
e2e_openssl_root "$E2E_DIR/other" "unrelated root"
each e2e_expect_rejected "$E2E_DIR/other.crt"
e2e_expect_rejected openssl "$smtp" smtp other.example.org "$ca"
e2e_expect_rejected gnutls "$imaps" tls other.example.org "$ca"
e2e_expect_rejected curl "$https" https other.example.org "$ca"

# ---- 6: stop by PID; nothing left; system folders untouched
e2e_postfix_stop "$E2E_DIR/postfix"
e2e_dovecot_stop "$E2E_DIR/dovecot"
e2e_nginx_stop "$E2E_DIR/nginx"
e2e_expect_no_leftovers
touched=$(find /etc/ssl /etc/postfix /var/spool/postfix /var/lib/postfix /etc/dovecot /var/lib/dovecot \
	/etc/nginx /var/log/nginx /var/lib/nginx /usr/local/share/ca-certificates -newer "$E2E_DIR/.stamp" 2>/dev/null)
[ -z "$touched" ] || e2e_fail "system files changed by the test: $touched"
e2e_log "daemons stopped, system folders untouched"
