#!/bin/sh
# issue --deploy, deploy SERIAL|PROFILE, snippet: files, modes, owners,
# content checked with openssl, reload calls, deployment rows and audit.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

new_ca
CALLS=$T/calls
cat >"$T/recorder.sh" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>"$CALLS"
env >"$T/reload.env"
EOF
chmod 755 "$T/recorder.sh"
cat >>"$MINICA_HOME/minica.conf" <<EOF
[profile.smtpd]
reload = $T/recorder.sh smtpd reload
[profile.dovecot]
reload = $T/recorder.sh dovecot reload
EOF
calls() { if [ -f "$CALLS" ]; then wc -l <"$CALLS"; else echo 0; fi; }
work=$T/work
mkdir -p "$work"
cd "$work"

crt=$ROOT/etc/ssl/certs/smtpd.crt
key=$ROOT/etc/ssl/private/smtpd.key
ca=$ROOT/etc/ssl/certs/minica-ca.pem

# ---- issue --deploy: targets only, nothing in the current folder
MINICA_PASSPHRASE=$(cat "$PASS") expect 0 mc issue smtpd --cn mail.example.org --deploy --root "$ROOT"
contains "$T/out" "deployed smtpd certificate"
contains "$T/out" "$crt (0644 root:root)"
[ -z "$(ls -A "$work")" ] || fail "issue --deploy wrote into the current folder: $(ls -A "$work")"
serial1=$(sed -n 's/^issued smtpd certificate \([0-9a-f]*\),.*/\1/p' "$T/out")
[ -n "$serial1" ] || fail "no serial in output"
[ "$(stat -c '%a %U:%G' "$crt")" = "644 root:root" ] || fail "cert mode/owner $(stat -c '%a %U:%G' "$crt")"
[ "$(stat -c '%a %U:%G' "$key")" = "600 root:root" ] || fail "key mode/owner $(stat -c '%a %U:%G' "$key")"
[ "$(stat -c '%a' "$ROOT/etc/ssl/certs")" = 755 ] || fail "certs folder mode $(stat -c '%a' "$ROOT/etc/ssl/certs")"
[ "$(stat -c '%a' "$ROOT/etc/ssl/private")" = 700 ] || fail "private folder mode"
[ "$(stat -c '%a' "$ca")" = 644 ] || fail "root cert mode"
ls -A "$ROOT/etc/ssl/certs" "$ROOT/etc/ssl/private" | grep -q '^\.minica-' && fail "staged or backup files left"

# Leaf first, then the intermediate, then (smtpd is a DANE profile: a
# 2 1 1 record names a certificate the server sends) the root; no key;
# every block ends with a newline.
[ "$(grep -c 'BEGIN CERTIFICATE' "$crt")" -eq 3 ] || fail "cert file should hold leaf + intermediate + root"
lacks "$crt" "PRIVATE KEY"
[ "$(tail -c 1 "$crt" | od -An -c | tr -d ' ')" = '\n' ] || fail "cert file does not end with a newline"
grep -q -- '-----END CERTIFICATE----------BEGIN' "$crt" && fail "PEM blocks run together"
openssl x509 -in "$crt" -noout -subject | grep -q 'CN *= *mail.example.org' || fail "first certificate is not the leaf"
[ "$(openssl x509 -in "$crt" -noout -serial | cut -d= -f2 | tr A-F a-f | sed 's/^0*//')" = "$(echo "$serial1" | sed 's/^0*//')" ] ||
	fail "deployed leaf has another serial"
openssl crl2pkcs7 -nocrl -certfile "$crt" | openssl pkcs7 -print_certs -noout | sed -n 's/^subject=//p' >"$T/subjects"
[ "$(sed -n 2p "$T/subjects")" = "$(openssl x509 -in "$MINICA_HOME/intermediate.crt" -noout -subject | sed 's/^subject=//')" ] ||
	fail "second certificate is not the intermediate: $(cat "$T/subjects")"
[ "$(sed -n 3p "$T/subjects")" = "$(openssl x509 -in "$MINICA_HOME/ca.crt" -noout -subject | sed 's/^subject=//')" ] ||
	fail "third certificate is not the root: $(cat "$T/subjects")"
cmp -s "$ca" "$MINICA_HOME/ca.crt" || fail "the ca_cert target is not the root"
# The deployed file is the chain clients need: leaf, then the intermediate.
verify_chain "$ca" "$crt"
[ "$(openssl x509 -in "$crt" -noout -pubkey | openssl sha256)" = "$(openssl pkey -in "$key" -pubout | openssl sha256)" ] ||
	fail "deployed key does not match the certificate"

# The reload ran once, with its arguments, without the passphrase.
[ "$(cat "$CALLS")" = "smtpd reload" ] || fail "reload calls: $(cat "$CALLS")"
lacks "$T/reload.env" MINICA_PASSPHRASE
lacks "$T/reload.env" "$(cat "$PASS")"

# Recorded: hashes of what was written, modes, owners, and an audit event.
db() { sqlite3 "$MINICA_HOME/minica.db" "$1"; }
[ "$(db "SELECT state FROM deployments")" = current ] || fail "deployment not current"
[ "$(db "SELECT cert_sha256 FROM deployments")" = "$(sha256sum "$crt" | cut -d' ' -f1)" ] || fail "cert hash"
[ "$(db "SELECT key_sha256 FROM deployments")" = "$(sha256sum "$key" | cut -d' ' -f1)" ] || fail "key hash"
[ "$(db "SELECT cert_mode, key_mode, key_uid, key_gid FROM deployments")" = "420|384|0|0" ] || fail "modes/owners"
[ "$(db "SELECT cert_path FROM deployments")" = "$crt" ] || fail "cert path"
[ "$(db "SELECT count(*) FROM audit WHERE action = 'deploy' AND serial = '$serial1'")" = 1 ] || fail "audit event"

# ---- the snippets name the deployed files (with the root prefix)
expect 0 mc snippet postfix --root "$ROOT"
contains "$T/out" "smtpd_tls_chain_files = $key, $crt"
contains "$T/out" "smtpd_tls_CAfile = $ca"
contains "$T/out" "smtpd_tls_security_level = may"
contains "$T/out" "-o smtpd_tls_security_level=encrypt"
[ ! -s "$T/err" ] || fail "snippet warned: $(cat "$T/err")"
expect 0 mc snippet dovecot --root "$ROOT"
contains "$T/out" "ssl = required"
contains "$T/out" "ssl_cert = <$ROOT/etc/ssl/certs/dovecot.pem"
contains "$T/out" "ssl_key = <$ROOT/etc/ssl/private/dovecot.pem"
contains "$T/err" "no dovecot certificate is deployed"
expect 0 mc snippet nginx --root "$ROOT"
contains "$T/out" "ssl_certificate $ROOT/etc/ssl/certs/nginx.crt;"
contains "$T/out" "ssl_certificate_key $ROOT/etc/ssl/private/nginx.key;"
contains "$T/out" "ssl_protocols TLSv1.2 TLSv1.3;"
expect 64 mc snippet exim
expect 64 mc snippet

# ---- issue --force --deploy replaces the pair; the old row is 'replaced'
old=$(sha256sum "$crt")
expect 0 mc issue smtpd --cn mail.example.org --deploy --root "$ROOT" --force --passphrase-file "$PASS"
serial2=$(sed -n 's/^issued smtpd certificate \([0-9a-f]*\),.*/\1/p' "$T/out")
[ "$(sha256sum "$crt")" != "$old" ] || fail "certificate not replaced"
[ "$(calls)" -eq 2 ] || fail "second deploy did not reload"
[ "$(db "SELECT state FROM deployments ORDER BY id")" = "replaced
current" ] || fail "states: $(db "SELECT state FROM deployments")"

# ---- --out with --deploy writes both
expect 0 mc issue dovecot --cn imap.example.org --deploy --root "$ROOT" --out "$T/dove" --passphrase-file "$PASS"
[ -f "$T/dove/imap.example.org.key" ] && [ -f "$T/dove/imap.example.org.crt" ] || fail "--out files missing"
[ -f "$ROOT/etc/ssl/private/dovecot.pem" ] || fail "dovecot key not deployed"
cmp -s "$T/dove/imap.example.org.key" "$ROOT/etc/ssl/private/dovecot.pem" || fail "deployed key differs from --out key"
[ "$(calls)" -eq 3 ] || fail "dovecot reload not called"
expect 0 mc snippet dovecot --root "$ROOT"
[ ! -s "$T/err" ] || fail "dovecot snippet warned after deploy"

# ---- deploy SERIAL / PROFILE with the key from --from or --key
expect 0 mc issue nginx --cn www.example.org --out "$T/web" --passphrase-file "$PASS"
nserial=$(sed -n 's/^issued nginx certificate \([0-9a-f]*\),.*/\1/p' "$T/out")
[ ! -e "$ROOT/etc/ssl/certs/nginx.crt" ] || fail "issue without --deploy deployed"
expect 1 mc deploy "$nserial" --root "$ROOT" --no-reload
contains "$T/err" "give --key FILE or --from DIR"
expect 0 mc deploy "$nserial" --root "$ROOT" --from "$T/web" --no-reload
contains "$T/out" "not reloaded (--no-reload)"
cmp -s "$T/web/www.example.org-fullchain.crt" "$ROOT/etc/ssl/certs/nginx.crt" || fail "nginx.crt differs from the full chain"
[ "$(calls)" -eq 3 ] || fail "--no-reload reloaded"
# By profile and unique serial prefix, key given directly, run from its folder.
(cd "$T/web" && expect 0 mc deploy nginx --root "$ROOT" --no-reload) || exit 1
expect 0 mc deploy "$(echo "$nserial" | cut -c1-10)" --key "$T/web/www.example.org.key" --root "$ROOT" --no-reload
# --system-trust under --root: only the file, and it says so.
expect 0 mc deploy nginx --from "$T/web" --root "$ROOT" --no-reload --system-trust
trust=$ROOT/usr/local/share/ca-certificates/minica.crt
cmp -s "$trust" "$ca" || fail "system trust file differs from the root"
[ "$(stat -c %a "$trust")" = 644 ] || fail "system trust file mode"
contains "$T/out" "under --root only the file is written (update-ca-certificates not run)"
[ "$(db "SELECT count(*) FROM deployments WHERE profile = 'nginx' AND state = 'current'")" = 1 ] ||
	fail "more than one current nginx deployment"
[ "$(db "SELECT count(*) FROM deployments WHERE profile = 'nginx'")" = 4 ] || fail "nginx deployments not recorded"
echo ok
