#!/bin/sh
# The first deployment on a box where nginx is stopped (as install.sh
# leaves it), with a hand-made pair already at the targets: minica keeps
# that pair as .pre-minica, deploys, skips the reload because a real
# running check (start-stop-daemon --status on the instance's pid file)
# says nginx is not running, and exits 0.  Then nginx is started on the
# deployed files and real clients verify it; a new certificate is
# deployed and reloaded by minica while it runs; nginx is stopped by PID
# and one more deployment is again "not running", exit 0; finally
# 'undeploy nginx --restore' puts the hand-made pair back.
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
(umask 077 && printf 'e2e passphrase for minica\n' >"$pass")
root=$E2E_DIR/root
ngx=$E2E_DIR/nginx
web=www.example.org
mkdir -p "$root/etc/ssl/certs" "$root/etc/ssl/private" "$E2E_DIR/cwd"
(umask 077 && printf 'e2e root passphrase\n' >"$E2E_DIR/rootpass")
mc init --domain example.org --passphrase-file "$pass" --root-passphrase-file "$E2E_DIR/rootpass" >"$E2E_DIR/init.out" 2>&1 ||
	{ e2e_show_log "$E2E_DIR/init.out"; e2e_fail "minica init failed"; }
cat >>"$MINICA_HOME/minica.conf" <<EOF
[profile.nginx]
reload = nginx -p $ngx -c $ngx/conf/nginx.conf -e $ngx/logs/error.log -s reload
running = start-stop-daemon --status --pidfile $ngx/nginx.pid
EOF
crt=$root/etc/ssl/certs/nginx.crt
key=$root/etc/ssl/private/nginx.key
ca=$root/etc/ssl/certs/minica-ca.pem

# The guide's hand-made pair at the targets.
e2e_openssl_root "$E2E_DIR/guide" "guide's self-signed $web"
cp "$E2E_DIR/guide.crt" "$crt"
cp "$E2E_DIR/guide.key" "$key"
chmod 640 "$key"
guide=$(sha256sum "$crt" "$key")

deploy() { # expected exit, then issue options
	want=$1
	shift
	(cd "$E2E_DIR/cwd" && mc issue nginx --cn "$web" "$@" --deploy --root "$root" --passphrase-file "$pass") \
		>"$E2E_DIR/issue.out" 2>&1
	got=$?
	[ "$got" -eq "$want" ] || { e2e_show_log "$E2E_DIR/issue.out"; e2e_fail "issue --deploy exited $got, expected $want"; }
}

# ---- 1: nginx stopped: deployed, reload skipped, exit 0, the guide's pair kept
deploy 0
grep -q "nginx is not running" "$E2E_DIR/issue.out" || { e2e_show_log "$E2E_DIR/issue.out"; e2e_fail "not said that nginx is not running"; }
grep -q "kept as '$key.pre-minica'" "$E2E_DIR/issue.out" || e2e_fail "the guide's key was not said to be kept"
[ "$(sha256sum "$crt.pre-minica" "$key.pre-minica" | sed 's/\.pre-minica//')" = "$guide" ] ||
	e2e_fail "the guide's pair was not kept as .pre-minica"
openssl verify -x509_strict -CAfile "$ca" -untrusted "$crt" "$crt" >/dev/null || e2e_fail "openssl verify of the deployed certificate"
mc deployments --json >"$E2E_DIR/inv.json" || e2e_fail "minica deployments"
grep -q '"reload": "not running"' "$E2E_DIR/inv.json" || { e2e_show_log "$E2E_DIR/inv.json"; e2e_fail "not recorded as not running"; }
[ -z "$(ls -A "$E2E_DIR/cwd")" ] || e2e_fail "issue --deploy wrote into the current folder"
e2e_log "deployed while nginx was stopped; reload skipped"

# ---- 2: nginx started on the deployed files: real clients verify it
mc snippet nginx --root "$root" >"$E2E_DIR/nginx.snippet" || e2e_fail "snippet nginx"
https=$(e2e_port) || e2e_fail "no free port"
e2e_nginx_start "$ngx" "$https" "$web" "$E2E_DIR/nginx.snippet"
for client in openssl gnutls curl; do
	e2e_expect_served "$client" "$https" https "$web" "$ca" "$crt"
done

# ---- 3: running: minica's own reload makes nginx serve the new certificate
old=$(e2e_fp "$crt")
deploy 0 --force
grep -q "^  reloaded " "$E2E_DIR/issue.out" || { e2e_show_log "$E2E_DIR/issue.out"; e2e_fail "minica did not reload the running nginx"; }
[ "$(e2e_fp "$crt")" != "$old" ] || e2e_fail "the deployed certificate did not change"
e2e_wait_served openssl "$https" https "$web" "$ca" "$crt"
e2e_expect_served gnutls "$https" https "$web" "$ca" "$crt"

# ---- 4: stopped by PID: the next deployment is "not running" again, exit 0
e2e_nginx_stop "$ngx"
deploy 0 --force
grep -q "nginx is not running" "$E2E_DIR/issue.out" || { e2e_show_log "$E2E_DIR/issue.out"; e2e_fail "a stopped nginx was not noticed"; }
(cd "$E2E_DIR/cwd" && mc check --root "$root") >"$E2E_DIR/check.out" 2>&1 ||
	{ e2e_show_log "$E2E_DIR/check.out"; e2e_fail "check after the deployments"; }

# ---- 5: undeploy --restore puts the guide's pair back
mc undeploy nginx --restore --root "$root" >"$E2E_DIR/undeploy.out" 2>&1 ||
	{ e2e_show_log "$E2E_DIR/undeploy.out"; e2e_fail "undeploy --restore"; }
[ "$(sha256sum "$crt" "$key")" = "$guide" ] || e2e_fail "the guide's pair is not back"
[ "$(stat -c %a "$key")" = 640 ] || e2e_fail "the guide's key mode is not back"
e2e_expect_no_leftovers
e2e_log "the guide's pair restored; nginx stopped by PID"
