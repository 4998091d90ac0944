#!/bin/sh
# A certificate signed from a CSR is renewed for the requester's key (it
# lives on the other machine; minica never had it): no key is written,
# the new certificate certifies the same public key; deployed with
# 'deploy --key', its renewal is redeployed with that deployed key.
# --key together with --csr is refused.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

new_ca
cat >>"$MINICA_HOME/minica.conf" <<EOF
[profile.smtpd]
reload = /bin/true
EOF
db() { sqlite3 "$MINICA_HOME/minica.db" "$1"; }
pub() { openssl x509 -in "$1" -noout -pubkey | openssl sha256; }
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/req.key" -out "$T/req.csr" \
	-subj /CN=mx.example.org 2>/dev/null
expect 64 mc issue smtpd --csr "$T/req.csr" --key ec256 --out "$T/a" --passphrase-file "$PASS"
contains "$T/err" "give one of them"
expect 0 mc issue smtpd --csr "$T/req.csr" --out "$T/a" --passphrase-file "$PASS"
[ ! -e "$T/a/mx.example.org.key" ] || fail "a key was written for a CSR"
first=$(pub "$T/a/mx.example.org.crt")
[ "$first" = "$(openssl pkey -in "$T/req.key" -pubout | openssl sha256)" ] || fail "the CSR's key is not certified"
expect 0 mc renew --force --out "$T/b" --passphrase-file "$PASS"
contains "$T/out" "renewed smtpd mx.example.org"
[ ! -e "$T/b/mx.example.org.key" ] || fail "renew made a new key for a CSR's certificate"
[ "$(pub "$T/b/mx.example.org.crt")" = "$first" ] || fail "the renewal certifies another key than the requester's"
openssl verify -x509_strict -CAfile "$MINICA_HOME/ca.crt" -untrusted "$T/b/mx.example.org.crt" "$T/b/mx.example.org.crt" >/dev/null || fail "openssl verify"
[ "$(db "SELECT key_from_csr FROM certificates ORDER BY id DESC LIMIT 1")" = 1 ] || fail "the renewal lost its CSR origin"
# deployed with the requester's key: the renewal is redeployed with it
s=$(db "SELECT serial FROM certificates ORDER BY id DESC LIMIT 1")
expect 0 mc deploy "$s" --key "$T/req.key" --root "$ROOT"
expect 0 mc renew --force --root "$ROOT" --out "$T/c" --passphrase-file "$PASS"
contains "$T/out" "redeployed"
[ "$(pub "$ROOT/etc/ssl/certs/smtpd.crt")" = "$first" ] || fail "redeployed renewal certifies another key"
[ "$(openssl pkey -in "$ROOT/etc/ssl/private/smtpd.key" -pubout | openssl sha256)" = "$(openssl pkey -in "$T/req.key" -pubout | openssl sha256)" ] ||
	fail "the deployed key is no longer the requester's"
expect 0 mc check --root "$ROOT"
