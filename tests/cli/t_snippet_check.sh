#!/bin/sh
# The Postfix snippet gives -o lines to merge into the existing submission
# entry, never a second entry; 'snippet --check' reads the live
# configuration with the daemons' own tools (postconf -n/-M, doveconf,
# nginx -T) under --root and reports every setting that does not name
# what is deployed, exit 1; all matching: exit 0.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
PATH=$PATH:/usr/sbin:/sbin
for b in postconf doveconf nginx; do command -v $b >/dev/null || { echo "skip: no $b"; exit 0; }; done

new_ca
cat >>"$MINICA_HOME/minica.conf" <<EOF
[profile.smtpd]
reload = /bin/true
[profile.dovecot]
reload = /bin/true
[profile.nginx]
reload = /bin/true
EOF
for p in smtpd dovecot nginx; do
	expect 0 mc issue $p --cn mail.example.org --deploy --root "$ROOT" --passphrase-file "$PASS"
done
c=$ROOT/etc/ssl/certs
k=$ROOT/etc/ssl/private

# ---- the Postfix snippet: -o lines to merge, no second submission entry
expect 0 mc snippet postfix --root "$ROOT"
contains "$T/out" "add these -o lines to your existing"
lacks "$T/out" "submission inet n"
contains "$T/out" "  -o smtpd_tls_security_level=encrypt"

# ---- the guide's configuration: everything points at the hand-made files
mkdir -p "$ROOT/etc/postfix" "$ROOT/etc/dovecot" "$ROOT/etc/nginx"
cat >"$ROOT/etc/postfix/main.cf" <<EOF
smtpd_tls_cert_file = /etc/ssl/certs/smtpd.crt
smtpd_tls_key_file = /etc/ssl/private/smtpd.key
EOF
cat >"$ROOT/etc/postfix/master.cf" <<EOF
smtp       inet  n       -       y       -       -       smtpd
submission inet  n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_key_file=/etc/ssl/private/old.key
EOF
printf 'ssl = required\nssl_cert = %s/dovecot.pem\nssl_key = <%s/other.pem\n' "$c" "$k" >"$ROOT/etc/dovecot/dovecot.conf"
cat >"$ROOT/etc/nginx/nginx.conf" <<EOF
events {}
http { server { listen 127.0.0.1:9 ssl; ssl_certificate $c/smtpd.crt; ssl_certificate_key $k/smtpd.key; } }
EOF
expect 1 mc snippet --check postfix --root "$ROOT"
contains "$T/out" "main.cf: smtpd_tls_cert_file = /etc/ssl/certs/smtpd.crt; deployed: $c/smtpd.crt"
contains "$T/out" "main.cf: smtpd_tls_key_file = /etc/ssl/private/smtpd.key; deployed: $k/smtpd.key"
contains "$T/out" "master.cf submission: smtpd_tls_key_file = /etc/ssl/private/old.key"
contains "$T/err" "3 postfix settings do not point at what is deployed"
expect 1 mc snippet --check dovecot --root "$ROOT"
contains "$T/out" "the '<' is missing"
contains "$T/out" "ssl_key = <$k/other.pem; deployed: <$k/dovecot.pem"
expect 1 mc snippet --check nginx --root "$ROOT"
contains "$T/out" "ssl_certificate $c/smtpd.crt; deployed: $c/nginx.crt"
contains "$T/out" "ssl_certificate_key $k/smtpd.key; deployed: $k/nginx.key"

# ---- configured from minica's snippets: all three OK
{ mc snippet postfix --root "$ROOT" | sed -n '/^smtpd_/p'; } >"$ROOT/etc/postfix/main.cf"
sed -i '/smtpd_tls_key_file/d' "$ROOT/etc/postfix/master.cf"
mc snippet dovecot --root "$ROOT" | grep '^ssl' >"$ROOT/etc/dovecot/dovecot.conf"
{ echo 'events {}'; echo 'http { server { listen 127.0.0.1:9 ssl;'; mc snippet nginx --root "$ROOT" | grep '^ssl'; echo '} }'; } >"$ROOT/etc/nginx/nginx.conf"
for d in postfix dovecot nginx; do
	expect 0 mc snippet --check $d --root "$ROOT"
	contains "$T/out" "every TLS setting names what minica deployed"
done
