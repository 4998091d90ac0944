#!/bin/sh
# issue when a valid, not-due certificate exists: with --deploy it is
# deployed when its key is still somewhere (the current folder, --out, or
# already at the target), else exit 1 naming --force and 'deploy SERIAL
# --key'; a request that differs (--key, --days, the CSR's key) is refused
# saying what differs.  deploy PROFILE repairs a lost certificate file from
# the deployed key.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

new_ca
cat >>"$MINICA_HOME/minica.conf" <<EOF
[profile.smtpd]
reload = /bin/true
EOF
db() { sqlite3 "$MINICA_HOME/minica.db" "$1"; }
crt=$ROOT/etc/ssl/certs/smtpd.crt
key=$ROOT/etc/ssl/private/smtpd.key
mkdir "$T/cwd"
cd "$T/cwd"

# ---- issued without --deploy, key in the current folder: --deploy deploys it
expect 0 mc issue smtpd --cn mail.example.org --passphrase-file "$PASS"
serial=$(db "SELECT serial FROM certificates")
expect 0 mc issue smtpd --cn mail.example.org --deploy --root "$ROOT" --passphrase-file "$PASS"
contains "$T/out" "deploying it with the key in './mail.example.org.key'"
contains "$T/out" "deployed smtpd certificate $serial"
[ "$(db "SELECT count(*) FROM certificates")" = 1 ] || fail "a second certificate was issued"
openssl x509 -in "$crt" -noout -serial | grep -qi "$serial" || fail "not the current certificate at the target"

# ---- already deployed as written: nothing to do
expect 0 mc issue smtpd --cn mail.example.org --deploy --root "$ROOT" --passphrase-file "$PASS"
contains "$T/out" "deployed as it was; nothing to do"

# ---- the certificate file lost, the key in place: deploy PROFILE repairs it
rm "$crt" mail.example.org.key
expect 2 mc check --root "$ROOT"
expect 0 mc deploy smtpd --root "$ROOT"
openssl x509 -in "$crt" -noout -serial | grep -qi "$serial" || fail "lost certificate file not redeployed"
expect 0 mc check --root "$ROOT"
# ...and issue --deploy does the same from the deployed key
rm "$crt"
expect 0 mc issue smtpd --cn mail.example.org --deploy --root "$ROOT" --passphrase-file "$PASS"
contains "$T/out" "deploying it with the key in '$key'"
expect 0 mc check --root "$ROOT"

# ---- the key nowhere: exit 1 naming both ways out
R2=$T/root2
mkdir "$R2"
expect 1 mc issue smtpd --cn mail.example.org --deploy --root "$R2" --passphrase-file "$PASS"
contains "$T/err" "issue a new one with --force, or deploy it with 'minica deploy $serial --key FILE'"
[ ! -e "$R2/etc/ssl/certs/smtpd.crt" ] || fail "deployed without a key"

# ---- a request that differs is refused, saying what
expect 1 mc issue smtpd --cn mail.example.org --key ec256 --passphrase-file "$PASS"
contains "$T/err" "its key is rsa2048 (asked: ec256)"
contains "$T/err" "--force issues one as asked"
expect 1 mc issue smtpd --cn mail.example.org --days 90 --passphrase-file "$PASS"
contains "$T/err" "issued for 397 days (asked: 90)"
# asking for what it has is not a difference (notAfter is inclusive)
expect 0 mc issue smtpd --cn mail.example.org --days 397 --passphrase-file "$PASS"
contains "$T/out" "not due for renewal; nothing issued"
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/csr.key" -out "$T/csr.pem" -subj /CN=mail.example.org 2>/dev/null
expect 1 mc issue smtpd --csr "$T/csr.pem" --passphrase-file "$PASS"
contains "$T/err" "another key than the CSR's"
[ "$(db "SELECT count(*) FROM certificates")" = 1 ] || fail "something was issued"
# the same request is still idempotent, and --force issues as asked
expect 0 mc issue smtpd --cn mail.example.org --passphrase-file "$PASS"
contains "$T/out" "nothing issued"
expect 0 mc issue smtpd --cn mail.example.org --key ec256 --force --out "$T/o2" --passphrase-file "$PASS"
[ "$(db "SELECT key_type FROM certificates ORDER BY id DESC LIMIT 1")" = ec256 ] || fail "--force did not issue as asked"
