#!/bin/sh
# Every refusal of deploy and issue --deploy: one line, nothing changed.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

new_ca
cat >>"$MINICA_HOME/minica.conf" <<EOF
[profile.smtpd]
reload = $T/never.sh
EOF
printf '#!/bin/sh\ntouch "%s/reloaded"\n' "$T" >"$T/never.sh"
chmod 755 "$T/never.sh"
certs=$ROOT/etc/ssl/certs
priv=$ROOT/etc/ssl/private
mkdir -p "$certs" "$priv"
unchanged() {
	[ "$(db_count certificates)" = "$1" ] || fail "certificates: $(db_count certificates), expected $1"
	[ "$(db_count deployments)" = "$2" ] || fail "deployments: $(db_count deployments), expected $2"
	[ ! -e "$T/reloaded" ] || fail "a refused deployment ran the reload"
}
state() { find "$ROOT" -exec stat -c '%n %F %a %s %Y' {} + | sort | sha256sum; }

# ---- a symlinked target: refused before anything is signed
printf 'not yours\n' >"$T/victim"
ln -s "$T/victim" "$certs/smtpd.crt"
before=$(state)
expect 1 mc issue smtpd --cn mail.example.org --deploy --root "$ROOT" --passphrase-file "$PASS"
one_line "$T/err"
contains "$T/err" "refusing to replace '$certs/smtpd.crt': it is a symbolic link"
[ "$(cat "$T/victim")" = "not yours" ] || fail "symlink target changed"
[ "$(state)" = "$before" ] || fail "files changed after a refusal"
unchanged 0 0
rm "$certs/smtpd.crt"

# ---- a folder where the key should be
mkdir "$priv/smtpd.key"
expect 1 mc issue smtpd --cn mail.example.org --deploy --root "$ROOT" --passphrase-file "$PASS"
one_line "$T/err"
contains "$T/err" "'$priv/smtpd.key': it is not a regular file"
unchanged 0 0
rmdir "$priv/smtpd.key"

# ---- a profile with no targets; a CSR (no key to deploy)
expect 1 mc issue server --cn www.example.org --deploy --root "$ROOT" --passphrase-file "$PASS"
one_line "$T/err"
contains "$T/err" "profile 'server' has no deploy targets"
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/csr.key" -subj /CN=mail.example.org -out "$T/csr.pem" 2>/dev/null
expect 1 mc issue smtpd --csr "$T/csr.pem" --deploy --root "$ROOT" --passphrase-file "$PASS"
one_line "$T/err"
contains "$T/err" "--deploy needs the private key"
unchanged 0 0

# ---- usage: --root without --deploy, a missing root, a bad SERIAL
expect 64 mc issue smtpd --cn mail.example.org --root "$ROOT" --passphrase-file "$PASS"
expect 64 mc issue smtpd --cn mail.example.org --no-reload --passphrase-file "$PASS"
expect 1 mc issue smtpd --cn mail.example.org --deploy --root "$T/nope" --passphrase-file "$PASS"
one_line "$T/err"
contains "$T/err" "--root '$T/nope'"
unchanged 0 0
expect 64 mc deploy
expect 64 mc deploy a b
expect 64 mc deploy smtpd --key x --from y
expect 1 mc deploy smtpd --root "$ROOT"
contains "$T/err" "no valid smtpd certificate to deploy"
expect 1 mc deploy 0123abc --root "$ROOT"
contains "$T/err" "no certificate with serial '0123abc'"

# ---- deploy with the wrong key, a missing key, a revoked-like status
expect 0 mc issue smtpd --cn mail.example.org --out "$T/a" --passphrase-file "$PASS"
s1=$(sed -n 's/^issued smtpd certificate \([0-9a-f]*\),.*/\1/p' "$T/out")
# (another certificate's key: --force would supersede s1, so another name)
expect 0 mc issue smtpd --cn mx.example.org --out "$T/b" --passphrase-file "$PASS"
before=$(state)
expect 1 mc deploy "$s1" --key "$T/b/mx.example.org.key" --root "$ROOT"
one_line "$T/err"
contains "$T/err" "is not the key of certificate $s1; nothing deployed"
expect 1 mc deploy "$s1" --from "$T/nowhere" --root "$ROOT"
one_line "$T/err"
contains "$T/err" "give --key FILE or --from DIR"
# A key file that is a symlink is not followed.
ln -s "$T/a/mail.example.org.key" "$T/link.key"
expect 1 mc deploy "$s1" --key "$T/link.key" --root "$ROOT"
contains "$T/err" "symbolic link"
sqlite3 "$MINICA_HOME/minica.db" "UPDATE certificates SET status = 'revoked' WHERE serial = '$s1'"
expect 1 mc deploy "$s1" --from "$T/a" --root "$ROOT"
one_line "$T/err"
contains "$T/err" "is revoked; only a valid certificate is deployed"
[ "$(state)" = "$before" ] || fail "files changed after a refused deploy"
unchanged 2 0

# ---- the same file for certificate and key
cat >>"$MINICA_HOME/minica.conf" <<EOF
[profile.same]
eku = serverAuth
cert_file = /etc/ssl/private/both.pem
key_file = /etc/ssl/private/both.pem
EOF
expect 1 mc issue same --cn mail.example.org --deploy --root "$ROOT" --passphrase-file "$PASS"
one_line "$T/err"
contains "$T/err" "a certificate file never holds a key"
unchanged 2 0
echo ok
