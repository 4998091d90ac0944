#!/bin/sh
# undeploy --remove-files and the root file (minica-ca.pem): every
# deployment under a root shares it, so it is removed with the last one
# that uses it, never while another current deployment names it, and
# never when it changed since minica wrote it (issue 13 item 5).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

new_ca
cat >>"$MINICA_HOME/minica.conf" <<EOF
[profile.smtpd]
reload = /bin/true
[profile.nginx]
reload = /bin/true
EOF
ca=$ROOT/etc/ssl/certs/minica-ca.pem
expect 0 mc issue smtpd --cn mail.example.org --deploy --root "$ROOT" --passphrase-file "$PASS"
expect 0 mc issue nginx --cn www.example.org --deploy --root "$ROOT" --passphrase-file "$PASS"
[ -f "$ca" ] || fail "no root file deployed"

# nginx still uses it: smtpd's files go, the root file stays
expect 0 mc undeploy smtpd --remove-files --root "$ROOT"
contains "$T/out" "removed '$ROOT/etc/ssl/private/smtpd.key'"
contains "$T/out" "left '$ca': deployment"
[ -f "$ca" ] || fail "the root file was removed while nginx still uses it"
[ ! -e "$ROOT/etc/ssl/certs/smtpd.crt" ] || fail "smtpd.crt left"
expect 0 mc check --root "$ROOT"

# the last one takes it along
expect 0 mc undeploy nginx --remove-files --root "$ROOT"
contains "$T/out" "removed '$ca'"
[ ! -e "$ca" ] || fail "the root file outlived its last deployment"
[ ! -e "$ROOT/etc/ssl/certs/nginx.crt" ] || fail "nginx.crt left"

# a root file changed by hand stays, even with the last deployment
expect 0 mc issue nginx --cn www.example.org --deploy --root "$ROOT" --passphrase-file "$PASS" --force
[ -f "$ca" ] || fail "no root file deployed again"
echo "# local note" >>"$ca"
expect 0 mc undeploy nginx --remove-files --root "$ROOT"
contains "$T/out" "left '$ca': it changed since minica wrote it"
[ -f "$ca" ] || fail "a changed root file was removed"

# without --remove-files nothing is removed
rm -f "$ca"
expect 0 mc issue smtpd --cn mail.example.org --deploy --root "$ROOT" --passphrase-file "$PASS" --force
expect 0 mc undeploy smtpd --root "$ROOT"
[ -f "$ca" ] || fail "undeploy without --remove-files removed the root file"
exit 0
