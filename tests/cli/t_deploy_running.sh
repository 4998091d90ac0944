#!/bin/sh
# A service that is not running is not a failed deployment: the pair is
# deployed, the reload skipped and said, exit 0, recorded "not running".
# A failed reload with no previous pair keeps the new pair (exit 1); a
# failed reload with a previous pair restores it and keeps the new key
# in the current folder: a key minica signed for is never lost.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

new_ca
CALLS=$T/calls
cat >"$T/reload.sh" <<EOF
#!/bin/sh
printf 'reload %s\n' "\$*" >>"$CALLS"
if [ -e "$T/fail" ]; then echo "reload.sh: bad configuration" >&2; exit 1; fi
exit 0
EOF
cat >"$T/running.sh" <<EOF
#!/bin/sh
printf 'running %s\n' "\$*" >>"$CALLS"
[ -e "$T/up" ]
EOF
chmod 755 "$T/reload.sh" "$T/running.sh"
cat >>"$MINICA_HOME/minica.conf" <<EOF
[profile.smtpd]
reload = $T/reload.sh smtpd
running = $T/running.sh smtpd
EOF
db() { sqlite3 "$MINICA_HOME/minica.db" "$1"; }
crt=$ROOT/etc/ssl/certs/smtpd.crt
key=$ROOT/etc/ssl/private/smtpd.key
mkdir "$T/cwd"
cd "$T/cwd"

# ---- not running: deployed, reload skipped, exit 0
expect 0 mc issue smtpd --cn mail.example.org --deploy --root "$ROOT" --passphrase-file "$PASS"
contains "$T/out" "smtpd is not running"
contains "$T/out" "the files are in place and will be used when it starts"
[ -f "$crt" ] && [ -f "$key" ] || fail "pair not deployed while the service is stopped"
grep -q '^reload' "$CALLS" && fail "reload ran although the service is not running"
[ "$(db "SELECT state || ' ' || detail FROM deployments")" = "current not running" ] || fail "deployment not recorded as not running"
openssl x509 -in "$crt" -noout -checkend 0 >/dev/null || fail "deployed certificate unreadable"
# and a second run finds it deployed: nothing lost, nothing to do
expect 0 mc check --root "$ROOT"

# ---- running: the reload runs
touch "$T/up"
: >"$CALLS"
expect 0 mc issue smtpd --cn mail.example.org --force --deploy --root "$ROOT" --passphrase-file "$PASS"
contains "$CALLS" "reload smtpd"
lacks "$T/out" "not running"

# ---- running, reload fails, previous pair restored, the new key kept here
good=$(sha256sum "$crt" "$key")
touch "$T/fail"
expect 1 mc issue smtpd --cn mail.example.org --force --deploy --root "$ROOT" --passphrase-file "$PASS"
contains "$T/err" "the previous certificate and key were restored"
contains "$T/err" "its key is kept in './"
[ "$(sha256sum "$crt" "$key")" = "$good" ] || fail "previous pair not restored"
kept=$(ls "$T/cwd"/*.key) || fail "the new key was not kept in the current folder"
serial=$(db "SELECT serial FROM certificates ORDER BY id DESC LIMIT 1")
openssl x509 -in "${kept%.key}.crt" -noout -serial | grep -qi "$serial" || fail "kept files are not those of $serial"
[ "$(stat -c %a "$kept")" = 600 ] || fail "kept key mode $(stat -c %a "$kept")"
# the kept key deploys later, as the message says
rm "$T/fail"
expect 0 mc deploy "$serial" --key "$kept" --root "$ROOT"
contains "$T/out" "deployed smtpd certificate $serial"

# ---- running, reload fails, no previous pair: the new pair stays, exit 1
touch "$T/fail"
rm -rf "$ROOT/etc"
rm -f "$T/cwd"/*
expect 1 mc issue smtpd --cn mail.example.org --force --deploy --root "$ROOT" --passphrase-file "$PASS"
contains "$T/err" "stay in place (there was no previous pair"
[ -f "$crt" ] && [ -f "$key" ] || fail "new pair removed although there was nothing to go back to"
[ -z "$(ls -A "$T/cwd")" ] || fail "key written to the current folder although it is deployed"
db "SELECT state || ' ' || detail FROM deployments ORDER BY id DESC LIMIT 1" | grep -q '^current reload failed' ||
	fail "kept pair not recorded as current with the failed reload"
rm "$T/fail"

# ---- an unwritable current folder is refused before signing with --deploy alone
n=$(db "SELECT count(*) FROM certificates")
chmod 500 "$T/cwd"
if [ "$(id -u)" -ne 0 ]; then
	expect 1 mc issue smtpd --cn mail.example.org --force --deploy --root "$ROOT" --passphrase-file "$PASS"
	contains "$T/err" "keeps the key in the current folder"
	[ "$(db "SELECT count(*) FROM certificates")" = "$n" ] || fail "signed although the key could not be kept"
fi
chmod 700 "$T/cwd"

# ---- running = none: always reload
cat >>"$MINICA_HOME/minica.conf" <<EOF
[profile.nginx]
reload = $T/reload.sh nginx
running = none
EOF
rm -f "$T/up"
expect 0 mc issue nginx --cn www.example.org --deploy --root "$ROOT" --passphrase-file "$PASS"
contains "$CALLS" "reload nginx"
