#!/bin/sh
# A revoked certificate that is deployed is replaced by renew (plain, by
# profile and with --force): the new one is deployed, the revoked one
# stays revoked (in the CRL) and is linked to its replacement; check is
# OK afterwards, and a second renew has nothing to do.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

new_ca
cat >>"$MINICA_HOME/minica.conf" <<EOF
[profile.smtpd]
reload = /bin/true
EOF
db() { sqlite3 "$MINICA_HOME/minica.db" "$1"; }
crt=$ROOT/etc/ssl/certs/smtpd.crt
mkdir "$T/cwd"
cd "$T/cwd"
expect 0 mc issue smtpd --cn mail.example.org --deploy --root "$ROOT" --passphrase-file "$PASS"
old=$(db "SELECT serial FROM certificates")
expect 0 mc revoke "$old" --reason keyCompromise --passphrase-file "$PASS"
expect 2 mc check --root "$ROOT"
contains "$T/out" "revoked"
expect 0 mc renew smtpd --root "$ROOT" --passphrase-file "$PASS"
contains "$T/out" "renewed smtpd mail.example.org: $old -> "
new=$(db "SELECT serial FROM certificates WHERE serial != '$old'")
[ -n "$new" ] || fail "no replacement issued"
openssl x509 -in "$crt" -noout -serial | grep -qi "$new" || fail "the replacement is not deployed"
[ "$(db "SELECT status FROM certificates WHERE serial = '$old'")" = revoked ] || fail "the revoked certificate is no longer revoked"
openssl verify -x509_strict -CAfile "$MINICA_HOME/ca.crt" -untrusted "$crt" "$crt" >/dev/null || fail "openssl verify of the replacement"
expect 0 mc check --root "$ROOT"
expect 0 mc renew --root "$ROOT" --passphrase-file "$PASS"
contains "$T/out" "nothing due"
# --force renews the replacement, never the revoked one again
expect 0 mc renew --force --root "$ROOT" --passphrase-file "$PASS"
[ "$(grep -c '^renewed' "$T/out")" = 1 ] || fail "renew --force renewed $(grep -c '^renewed' "$T/out") certificates"
lacks "$T/out" "$old ->"
