#!/bin/sh
# Every refusal: one line, non-zero, nothing recorded, no file written.
. "$(dirname "$0")/lib.sh"
new_ca
export MINICA_PASSPHRASE="correct horse battery staple"
mkdir "$T/cwd"
cd "$T/cwd"

state() { sqlite3 "$MINICA_HOME/minica.db" "SELECT (SELECT count(*) FROM certificates) || '/' || (SELECT count(*) FROM audit)"; }
before=$(state)
refused() { # CODE TEXT ARGS...
	code=$1 text=$2
	shift 2
	expect "$code" mc issue "$@"
	contains "$T/err" "$text"
	one_line "$T/err"
	[ "$(state)" = "$before" ] || fail "store changed by: $*"
	[ -z "$(ls -A "$T/cwd")" ] || { ls -la "$T/cwd"; fail "files written by: $*"; }
}

refused 1 "unknown profile 'smtp'" smtp --cn mail.example.org
refused 64 "PROFILE" --cn mail.example.org
refused 64 "give --cn NAME" smtpd
refused 1 "bad..example.org" smtpd --cn bad..example.org
refused 1 "outside the root's name constraints (permitted: example.org, example.net)" smtpd --cn mail.example.com
refused 1 "outside the root's name constraints" smtpd --cn mail.example.org --san www.google.com
refused 1 "'*.org'" nginx --cn "*.org"
refused 1 "*" nginx --cn "*"
refused 1 "wildcard" client --cn "*.example.org"
refused 1 "--ip" smtpd --cn 192.0.2.1
refused 1 "999.1.1.1" smtpd --cn mail.example.org --ip 999.1.1.1
refused 1 "825" nginx --cn www.example.org --days 900
refused 1 "is too long for profile 'client'" client --cn alice@example.org --days 1000
refused 1 "outside the root's name constraints" client --cn bob@example.com
refused 64 "--days" nginx --cn www.example.org --days abc
refused 64 "--days" nginx --cn www.example.org --days 0
refused 1 "unknown key type 'rsa1024'" nginx --cn www.example.org --key rsa1024
# A plain-name CN is measured in characters: 65 x U+00E9 is refused as such.
long=$(python3 -c 'print("\u00e9" * 65)')
refused 1 "is 65 characters long, more than 64" client --cn "$long"
# A CSR key policy does not issue for is refused by the CSR check, saying what
# policy says (the CSR is read before any name is looked at).
openssl req -new -newkey rsa:3000 -nodes -keyout /dev/null -subj "/CN=www.example.org" -out "$T/r3000.csr" 2>/dev/null
mv "$T/r3000.csr" "$T/r3000.pem"
refused 1 "rsa key of 3000 bits is not one of rsa2048, rsa3072, rsa4096, ec256 (P-256), ec384 (P-384)" \
	nginx --csr "$T/r3000.pem"
# data/rsa8192.csr: made once by openssl req -newkey rsa:8192 (11 s), key thrown away.
cp "$(dirname "$0")/data/rsa8192.csr" "$T/r8192.pem"
refused 1 "rsa key of 8192 bits is not one of rsa2048" nginx --csr "$T/r8192.pem"
refused 64 "unknown option" nginx --cn www.example.org --bogus
refused 64 "exactly one PROFILE" nginx extra --cn www.example.org

# A wrong passphrase: nothing recorded, no file.
MINICA_PASSPHRASE=wrong refused 1 "wrong passphrase" nginx --cn www.example.org

# CSRs: garbage, bad signature, a CA:TRUE request signed as a leaf.
printf 'not a csr\n' > "$T/garbage.csr"
refused 1 "garbage.csr" nginx --csr "$T/garbage.csr"
head -c 100000 /dev/urandom > "$T/huge.csr"
refused 1 "huge.csr" nginx --csr "$T/huge.csr"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/csr.key" -subj "/CN=csr.example.org" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "subjectAltName=DNS:csr.example.org,DNS:www.csr.example.org" \
	-out "$T/ca.csr" 2>/dev/null
# Flip one byte near the end (inside the signature).
python3 -c '
import sys
b = bytearray(open(sys.argv[1], "rb").read())
import base64, re
pem = b.decode()
body = "".join(pem.strip().splitlines()[1:-1])
der = bytearray(base64.b64decode(body))
der[-5] ^= 1
open(sys.argv[2], "wb").write(bytes(der))
' "$T/ca.csr" "$T/bad.der"
refused 1 "bad.der" nginx --csr "$T/bad.der"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/o.key" -subj "/CN=www.google.com" -out "$T/other.csr" 2>/dev/null
refused 1 "outside the root's name constraints" nginx --csr "$T/other.csr"

# The same CSR with CA:TRUE becomes a leaf with the policy's extensions.
expect 0 mc issue nginx --csr "$T/ca.csr" --out "$T/csrout"
[ ! -e "$T/csrout/csr.example.org.key" ] || fail "a key was written for a CSR"
openssl x509 -in "$T/csrout/csr.example.org.crt" -noout -text > "$T/text"
grep -A1 "Basic Constraints: critical" "$T/text" | grep -q "CA:FALSE" || fail "CSR CA:TRUE was copied"
grep -A1 "Subject Alternative Name" "$T/text" | grep -q "DNS:csr.example.org, DNS:www.csr.example.org" || fail "CSR names"
openssl verify -x509_strict -purpose sslserver -CAfile "$MINICA_HOME/ca.crt" -untrusted "$T/csrout/csr.example.org.crt" "$T/csrout/csr.example.org.crt" >/dev/null || fail "CSR leaf verify"
[ "$(openssl x509 -in "$T/csrout/csr.example.org.crt" -noout -pubkey | sha256sum)" = "$(openssl pkey -in "$T/csr.key" -pubout | sha256sum)" ] ||
	fail "CSR leaf does not carry the CSR's key"
before=$(state)

# Idempotent: the same profile and names again issues nothing, exit 0;
# --force issues anyway.
expect 0 mc issue nginx --cn www.example.org --san www.example.net --out "$T/i1"
before=$(state)
expect 0 mc issue nginx --cn WWW.example.org --san www.example.net --out "$T/i2"
contains "$T/out" "not due for renewal"
[ "$(state)" = "$before" ] || fail "idempotent re-issue recorded something"
[ ! -e "$T/i2" ] || fail "idempotent re-issue wrote files"
expect 0 mc issue nginx --cn www.example.net --san www.example.org --out "$T/i3"
contains "$T/out" "not due for renewal"
expect 0 mc issue nginx --cn www.example.org --san www.example.net --out "$T/i4" --force
lacks "$T/out" "not due"
# A different profile for the same names is a different certificate.
expect 0 mc issue smtpd --cn www.example.org --san www.example.net --out "$T/i5"
lacks "$T/out" "not due"

# Never overwrite a key: refused before anything is signed.
before=$(state)
expect 1 mc issue nginx --cn www.example.org --san www.example.net --out "$T/i4" --force
contains "$T/err" "never overwrites a key"
one_line "$T/err"
[ "$(state)" = "$before" ] || fail "store changed when the key existed"

# The audit log is intact and the database is sound.
[ "$(sqlite3 "$MINICA_HOME/minica.db" "PRAGMA integrity_check")" = ok ] || fail "integrity"
