#!/bin/sh
# Regenerates the seed corpora in fuzz/corpus/ (run from the repository
# root after `make`).  The committed seeds came from this script; rerun
# it only to add seeds, as the keys and serials it makes are random.
set -eu
: "${MINICA_BIN:=$PWD/build/minica}"
C=fuzz/corpus
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p $C/fuzz_hostname $C/fuzz_names $C/fuzz_csr $C/fuzz_config $C/fuzz_cert $C/fuzz_key

i=0
for h in example.org www.example.org '*.example.org' Example.ORG. mail.example.net \
    bücher.example xn--bcher-kva.example 'Ｅｘａｍｐｌｅ．ｏｒｇ' 192.0.2.1 '[::1]' a..b -a.org \
    xn--zz.org '*.org' 'a_b.example' 'host:25' localhost 'ümlaut。example。'; do
	i=$((i + 1)); printf '%s' "$h" > $C/fuzz_hostname/seed$i
done
printf 'postmaster@example.org\nexample.org\n.example.net' > $C/fuzz_names/email
printf 'Jörg@bücher.example\nbücher.example' > $C/fuzz_names/idn-email
printf '192.0.2.1\nexample.org' > $C/fuzz_names/ipv4
printf '2001:db8::1' > $C/fuzz_names/ipv6
printf 'mail.example.org\n.example.org\nexample.net.' > $C/fuzz_names/below
printf '*.example.org\nexample.org' > $C/fuzz_names/wildcard

openssl req -new -newkey rsa:2048 -nodes -keyout $T/k -subj /CN=mail.example.org \
    -addext 'subjectAltName=DNS:mail.example.org,DNS:*.example.org,IP:192.0.2.1,IP:2001:db8::1,email:pm@example.org' \
    -out $C/fuzz_csr/rsa-sans.pem 2>/dev/null
openssl req -in $C/fuzz_csr/rsa-sans.pem -outform DER -out $C/fuzz_csr/rsa-sans.der
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $T/k -subj /CN=www.example.org \
    -out $C/fuzz_csr/ec.pem 2>/dev/null
openssl req -in $C/fuzz_csr/ec.pem -outform DER -out $C/fuzz_csr/ec.der
openssl req -new -key $T/k -subj /CN=evil.example.org -addext 'basicConstraints=critical,CA:TRUE' \
    -addext 'subjectAltName=URI:https://example.org/' -outform DER -out $C/fuzz_csr/ca-true-uri.der
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout $T/k -subj '/CN=Jörg/O=x' \
    -addext 'subjectAltName=DNS:bücher.example,email:jörg@example.org' -outform DER -out $C/fuzz_csr/utf8.der 2>/dev/null

MINICA_PASSPHRASE=fuzz "$MINICA_BIN" --home $T/ca init --domain example.org --permit-ip 10.0.0.0/8 >/dev/null
cp $T/ca/minica.conf $C/fuzz_config/default.conf
cat > $C/fuzz_config/profiles.conf <<'CONF'
[minica]
reload_timeout = 20
ca_cert = /etc/ssl/certs/minica-ca.pem

[profile.smtpd]
default_days = 90
cert_file = /etc/postfix/smtpd.crt
key_file = /etc/postfix/smtpd.key
key_mode = 0600
key_owner = postfix
reload = /usr/sbin/postfix reload
probe = 127.0.0.1:25/smtp, [::1]:465

[profile.web-2]
eku = serverAuth
key_type = ec256
description = "a web server # with a hash"
CONF
cp $T/ca/ca.crt $C/fuzz_cert/ca.pem
openssl x509 -in $T/ca/ca.crt -outform DER -out $C/fuzz_cert/ca.der
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $T/k -subj /CN=leaf \
    -addext 'nameConstraints=critical,permitted;DNS:.example.org,excluded;IP:0.0.0.0/0.0.0.0,permitted;email:example.org' \
    -days 1 -outform DER -out $C/fuzz_cert/nc-ec.der 2>/dev/null

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $C/fuzz_key/ec-plain.pem
openssl pkcs8 -topk8 -in $C/fuzz_key/ec-plain.pem -v2 aes-128-cbc -iter 1 -passout pass:fuzz -out $C/fuzz_key/ec-pbkdf2.pem
openssl pkcs8 -topk8 -in $C/fuzz_key/ec-plain.pem -scrypt -scrypt_N 2 -scrypt_r 1 -scrypt_p 1 -passout pass:fuzz -out $C/fuzz_key/ec-scrypt.pem
openssl genrsa -traditional -aes128 -passout pass:fuzz -out $C/fuzz_key/rsa-trad-enc.pem 1024 2>/dev/null
openssl genrsa -traditional -out $C/fuzz_key/rsa-trad.pem 1024 2>/dev/null

# fuzz_alpn: tls-alpn-01 answers over the key authorization fuzz_alpn.c uses.
mkdir -p $C/fuzz_alpn
h=$(printf '%s' fuzz-token.fuzz-thumbprint | openssl dgst -sha256 -hex | sed 's/.* //')
for s in dns=DNS:a.example.test ip4=IP:192.0.2.7 ip6=IP:2001:db8::7 two-sans=DNS:a.example.test,DNS:b.example.test; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $T/k -subj /CN=alpn -days 1 \
	    -addext "subjectAltName=${s#*=}" -addext "1.3.6.1.5.5.7.1.31=critical,DER:0420$h" \
	    -outform DER -out "$C/fuzz_alpn/${s%%=*}.der" 2>/dev/null
done
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $T/k -subj /CN=alpn -days 1 \
    -addext 'subjectAltName=DNS:a.example.test' -addext "1.3.6.1.5.5.7.1.31=DER:0420$h" \
    -outform DER -out $C/fuzz_alpn/not-critical.der 2>/dev/null
printf '2001:DB8:0:0:0:0:0:7' > $C/fuzz_alpn/ipv6-text
printf '192.0.2.7' > $C/fuzz_alpn/ipv4-text
# fuzz_acme_payload: the first byte picks the handler ('0' newAccount,
# '1' account update, '2' newOrder, '3' an ARI certID), the rest is the payload.
P=$C/fuzz_acme_payload
mkdir -p $P
printf '0{"termsOfServiceAgreed":true,"contact":["mailto:a@example.org"]}' > $P/account-new
printf '0{"onlyReturnExisting":true}' > $P/account-existing
printf '0{"contact":"mailto:a@example.org"}' > $P/account-contact-string
printf '0{"termsOfServiceAgreed":"yes","contact":["mailto:a@example.org?x"]}' > $P/account-bad
printf '1{"contact":["mailto:b@example.org","mailto:c@example.org"]}' > $P/update-contact
printf '1{"status":"deactivated"}' > $P/update-deactivate
printf '1{"status":"valid"}' > $P/update-bad-status
printf '1' > $P/update-post-as-get
printf '2{"identifiers":[{"type":"dns","value":"www.example.org"}]}' > $P/order-one
printf '2{"identifiers":[{"type":"dns","value":"*.example.org"},{"type":"dns","value":"Mail.Example.ORG"}]}' > $P/order-wildcard
printf '2{"identifiers":[{"type":"ip","value":"10.0.0.1"}]}' > $P/order-ip
printf '2{"identifiers":[{"type":"dns","value":"www.example.net"}]}' > $P/order-outside
printf '2{"identifiers":[{"type":"dns","value":"a.example.org"}],"replaces":"aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"}' > $P/order-replaces
printf '2{"identifiers":[{"type":"dns","value":"a.example.org"}],"notAfter":"2030-01-01T00:00:00Z"}' > $P/order-notafter
printf '2{"identifiers":[]}' > $P/order-empty
printf '3aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE' > $P/certid
printf '3aYhba4dGQEHhs3uEe6CuLN4ByNQ.gA' > $P/certid-negative
printf '3.' > $P/certid-dot
printf '3AA.AA.AA' > $P/certid-dots
