#!/bin/sh
# Files minica did not write are kept as NAME.pre-minica (same mode and
# owner) before the first swap and said; check never reports them;
# 'deployments' lists every deployment with its state; 'undeploy' forgets
# one (check stops reporting it), --remove-files removes only what minica
# wrote, --restore puts the kept files back; a deleted --root can be
# undeployed.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

new_ca
cat >>"$MINICA_HOME/minica.conf" <<EOF
[profile.smtpd]
reload = /bin/true
[profile.nginx]
reload = /bin/true
EOF
db() { sqlite3 "$MINICA_HOME/minica.db" "$1"; }
crt=$ROOT/etc/ssl/certs/smtpd.crt
key=$ROOT/etc/ssl/private/smtpd.key
mkdir -p "$ROOT/etc/ssl/certs" "$ROOT/etc/ssl/private"
# the guide's gencert.sh output
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$key" -out "$crt" -days 30 -subj /CN=mail.example.org 2>/dev/null
chmod 640 "$key"
chown 0:1 "$key"
guide=$(sha256sum "$crt" "$key")

issue() { expect "$1" mc issue smtpd --cn mail.example.org --deploy --root "$ROOT" --passphrase-file "$PASS" "$@"; }
expect 0 mc issue smtpd --cn mail.example.org --deploy --root "$ROOT" --passphrase-file "$PASS"
contains "$T/out" "'$key' was not written by minica: kept as '$key.pre-minica'"
contains "$T/out" "'$crt' was not written by minica: kept as '$crt.pre-minica'"
[ "$(stat -c '%a %u %g' "$key.pre-minica")" = "640 0 1" ] || fail "kept key lost its mode or owner: $(stat -c '%a %u %g' "$key.pre-minica")"
[ "$(sha256sum "$crt.pre-minica" "$key.pre-minica" | sed 's/\.pre-minica//')" = "$guide" ] || fail "kept files differ from the guide's"
serial=$(db "SELECT serial FROM certificates ORDER BY id DESC LIMIT 1")
[ "$(db "SELECT key_saved FROM deployments")" = "$key.pre-minica" ] || fail "kept file not recorded"
expect 0 mc check --root "$ROOT"
lacks "$T/out" "pre-minica"

# a second deploy over minica's own files keeps nothing new
expect 0 mc issue smtpd --cn mail.example.org --deploy --root "$ROOT" --passphrase-file "$PASS" --force
lacks "$T/out" "not written by minica"
[ "$(ls "$ROOT/etc/ssl/private" | grep -c pre-minica)" = 1 ] || fail "a second backup was made of minica's own file"
serial=$(db "SELECT serial FROM certificates ORDER BY id DESC LIMIT 1")

# ---- the inventory
expect 0 mc issue nginx --cn www.example.org --deploy --root "$ROOT" --passphrase-file "$PASS"
expect 0 mc deployments
contains "$T/out" "smtpd     ${serial%"${serial#????????????????}"}"
contains "$T/out" "$ROOT/etc/ssl/certs/nginx.crt"
contains "$T/out" "$ROOT/etc/ssl/certs/minica-ca.pem"
[ "$(grep -c ' ok ' "$T/out")" = 2 ] || fail "two ok deployments expected"
expect 0 mc deployments --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d)==2, d; assert {x["state"] for x in d}=={"ok"}, d; assert all(x["reload"]=="reloaded" for x in d), d' "$T/out" ||
	fail "deployments --json"
chmod 644 "$ROOT/etc/ssl/certs/nginx.crt.x" 2>/dev/null || true
rm "$ROOT/etc/ssl/certs/nginx.crt"
expect 0 mc deployments --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s={x["profile"]:x["state"] for x in d}; assert s=={"smtpd":"ok","nginx":"missing"}, s' "$T/out" ||
	fail "a deleted certificate file is not 'missing' in the inventory"
expect 0 mc show "$serial"
contains "$T/out" "deployed     $crt, $key"

# ---- undeploy --remove-files leaves a changed file, forgets the row
echo "edited by hand" >>"$ROOT/etc/ssl/private/nginx.key"
expect 2 mc check --root "$ROOT"
expect 0 mc undeploy nginx --remove-files --root "$ROOT"
contains "$T/out" "left '$ROOT/etc/ssl/private/nginx.key': it changed since minica wrote it"
[ -f "$ROOT/etc/ssl/private/nginx.key" ] || fail "a changed file was removed"
expect 0 mc check --root "$ROOT"
[ "$(db "SELECT state FROM deployments WHERE profile = 'nginx' AND state != 'replaced'")" = retired ] || fail "not retired"

# ---- undeploy --restore puts the guide's pair back
expect 0 mc undeploy smtpd --restore --root "$ROOT"
contains "$T/out" "restored '$key' from '$key.pre-minica'"
[ "$(sha256sum "$crt" "$key")" = "$guide" ] || fail "guide's pair not restored"
[ "$(stat -c '%a %u %g' "$key")" = "640 0 1" ] || fail "restored key mode/owner"
[ ! -e "$key.pre-minica" ] || fail "kept file left after restore"
expect 1 mc undeploy smtpd --root "$ROOT"
contains "$T/err" "no current deployment of smtpd"

# ---- a deployment under a deleted --root is undeployed by serial
R2=$T/gone
mkdir "$R2"
expect 0 mc issue smtpd --cn mail.example.org --deploy --root "$R2" --passphrase-file "$PASS" --force
s2=$(db "SELECT serial FROM certificates ORDER BY id DESC LIMIT 1")
rm -rf "$R2"
expect 2 mc check
expect 0 mc undeploy "$s2" --root "$R2"
expect 0 mc check
expect 64 mc undeploy
