#!/bin/sh
# check watches the root file a deployment installed (Postfix's
# smtpd_tls_CAfile): deleted or filled with garbage it is CRITICAL, and
# every CRITICAL deployment line names the command that fixes it, which
# does.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

new_ca
cat >>"$MINICA_HOME/minica.conf" <<EOF
[profile.smtpd]
reload = /bin/true
EOF
ca=$ROOT/etc/ssl/certs/minica-ca.pem
mkdir "$T/cwd"
cd "$T/cwd"
expect 0 mc issue smtpd --cn mail.example.org --deploy --root "$ROOT" --passphrase-file "$PASS"
expect 0 mc check --root "$ROOT"
fix="run 'minica deploy smtpd --root $ROOT'"
rm "$ca"
expect 2 mc check --root "$ROOT"
contains "$T/out" "root file '$ca' is missing"
contains "$T/out" "$fix"
expect 0 mc deploy smtpd --root "$ROOT"
cmp -s "$ca" "$MINICA_HOME/ca.crt" || fail "root file not written again"
expect 0 mc check --root "$ROOT"
echo garbage >"$ca"
expect 2 mc check --root "$ROOT"
contains "$T/out" "root file '$ca' is not the CA's root certificate"
# every CRITICAL line names a fix
grep '^CRITICAL' "$T/out" | grep -vF "run 'minica " && fail "a CRITICAL line without its fix"
expect 0 mc deploy smtpd --root "$ROOT"
expect 0 mc check --root "$ROOT"
# a lost key file: named, and the fix (with the key given) works
cp "$ROOT/etc/ssl/private/smtpd.key" "$T/saved.key"
rm "$ROOT/etc/ssl/private/smtpd.key"
expect 2 mc check --root "$ROOT"
contains "$T/out" "$fix"
expect 0 mc deploy smtpd --key "$T/saved.key" --root "$ROOT"
expect 0 mc check --root "$ROOT"
