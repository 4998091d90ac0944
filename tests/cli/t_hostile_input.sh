#!/bin/sh
# Garbage to every option that reads a file (--csr, --passphrase-file,
# --passphrase-fd, --p12-passphrase-file) and hostile names on argv and
# inside signed CSRs: one line, non-zero, every file as it was.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hostile.sh"
new_ca
here=$(cd "$(dirname "$0")" && pwd)
issue() {
	c=$1 x=$2
	shift 2
	refused "$c" "$x" issue nginx --out "$CWD/o" --passphrase-file "$PASS" "$@"
}

# --- passphrase files, for the CA key --------------------------------
: > "$T/empty"
refused 1 "empty passphrase refused" issue nginx --cn www.example.org --out "$CWD/o" --passphrase-file "$T/empty"
head -c 2000000 /dev/urandom > "$T/huge"
refused 1 "longer than 1024 bytes" issue nginx --cn www.example.org --out "$CWD/o" --passphrase-file "$T/huge"
refused 1 "longer than 1024 bytes" issue nginx --cn www.example.org --out "$CWD/o" --passphrase-file /dev/zero
printf 'correct horse\0battery staple\n' > "$T/nul"
refused 1 "NUL byte" issue nginx --cn www.example.org --out "$CWD/o" --passphrase-file "$T/nul"
refused 1 "$T/missing" issue nginx --cn www.example.org --out "$CWD/o" --passphrase-file "$T/missing"
refused 1 "$T" issue nginx --cn www.example.org --out "$CWD/o" --passphrase-file "$T"
printf 'wrong horse battery staple\n' > "$T/wrong"
refused 1 "wrong passphrase" issue nginx --cn www.example.org --out "$CWD/o" --passphrase-file "$T/wrong"
# A DER or PEM blob is just a wrong passphrase, said as such.
openssl ecparam -name prime256v1 -genkey -noout -out "$T/pem"
openssl pkey -in "$T/pem" -outform DER -out "$T/der"
refused 1 "passphrase contains a NUL byte" issue nginx --cn www.example.org --out "$CWD/o" --passphrase-file "$T/der"
refused 1 "wrong passphrase" issue nginx --cn www.example.org --out "$CWD/o" --passphrase-file "$T/pem"
# A descriptor that was not open at start (by the time it is read, the
# low numbers are minica's own database, lock and key files), a write-only
# one, and one read twice.  (Not 3: under valgrind, its log is fd 3.)
for fd in 4 5 6 7; do
	refused 1 "file descriptor $fd: not open when minica started" \
	    issue nginx --cn www.example.org --out "$CWD/o" --passphrase-fd "$fd"
done
refused 1 "file descriptor 7: Bad file descriptor" issue nginx --cn www.example.org --out "$CWD/o" --passphrase-fd 7 7>"$T/wo"
refused 1 "file descriptor 3: not open when minica started (or already read)" issue client --cn bob@example.org \
    --out "$CWD/o" --passphrase-fd 3 --p12 "$CWD/b.p12" --p12-passphrase-fd 3 3<"$PASS"
# Never on argv.
refused 64 "unknown option" issue nginx --cn www.example.org --out "$CWD/o" --passphrase secret
refused 64 "unknown option" issue nginx --cn www.example.org --out "$CWD/o" --passphrase=secret
# World-readable: works, with a warning saying how to fix it.
cp "$PASS" "$T/open"
chmod 644 "$T/open"
expect 0 mc issue nginx --key ec256 --cn www.example.org --out "$T/ok" --passphrase-file "$T/open"
contains "$T/err" "readable by group or others (mode 0644); chmod 600 it"

# --- the PKCS#12 passphrase file -------------------------------------
p12() { refused 1 "$1" issue client --cn bob@example.org --out "$CWD/o" --passphrase-file "$PASS" --p12 "$CWD/b.p12" --p12-passphrase-file "$2"; }
p12 "empty passphrase refused" "$T/empty"
p12 "longer than 1024 bytes" "$T/huge"
p12 "NUL byte" "$T/nul"
p12 "$T/missing" "$T/missing"

# --- --csr: garbage of every shape -----------------------------------
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/k" \
    -subj /CN=XX.example.org -addext "subjectAltName=DNS:www.example.org,DNS:mailQ.example.org" \
    -outform DER -out "$T/good.der" 2>/dev/null
openssl req -inform DER -in "$T/good.der" -out "$T/good.pem"
issue 1 "empty certificate request" --csr "$T/empty"
head -c 600 /dev/urandom > "$T/rand"
issue 1 "neither PEM nor DER" --csr "$T/rand"
printf '\060\202\001\000\060' > "$T/der-head"
issue 1 "neither PEM nor DER" --csr "$T/der-head"
head -c 200 "$T/good.der" > "$T/trunc.der"
issue 1 "trunc.der" --csr "$T/trunc.der"
head -n 4 "$T/good.pem" > "$T/trunc.pem"
issue 1 "not a PEM certificate request" --csr "$T/trunc.pem"
printf -- '-----BEGIN CERTIFICATE REQUEST-----\n%s\n-----END CERTIFICATE REQUEST-----\n' \
    "$(head -c 300 /dev/urandom | base64 -w 64)" > "$T/garbage.pem"
issue 1 "garbage.pem" --csr "$T/garbage.pem"
{ cat "$T/good.der"; printf 'trailing'; } > "$T/trailing.der"
issue 1 "8 bytes of trailing data" --csr "$T/trailing.der"
issue 1 "not a PEM certificate request" --csr "$MINICA_HOME/ca.crt"
issue 1 "neither PEM nor DER certificate request" --csr "$T/der"
issue 1 "not a PEM certificate request" --csr "$T/pem"
issue 1 "not a regular file" --csr "$T"
issue 1 "not a regular file" --csr /dev/zero
ln -s "$T/good.pem" "$T/link.pem"
issue 1 "link.pem" --csr "$T/link.pem"
head -c 70000 /dev/zero > "$T/big"
issue 1 "is too large (70000 bytes, at most 65536)" --csr "$T/big"

# --- hostile names inside correctly signed CSRs ----------------------
# resign.py swaps bytes in the signed part and signs again with the key.
resign() { python3 "$here/resign.py" "$T/good.der" "$T/k" "$T/$1" "$2" "$3"; }
hex() { printf "$1" | od -An -tx1 | tr -d ' \n'; }
resign nul.der "$(hex mailQ)" "$(hex 'mail\0')"
openssl req -inform DER -in "$T/nul.der" -verify -noout 2>/dev/null || fail "resign.py made a bad signature"
issue 1 "dns name is empty or holds a NUL byte" --csr "$T/nul.der"
resign latin1.der "$(hex mailQ)" "$(hex 'ma\374lx')"
issue 1 "dns name is not ASCII" --csr "$T/latin1.der"
resign ctl.der "$(hex mailQ)" "$(hex 'mail\n')"
issue 1 "control character" --csr "$T/ctl.der"
resign utf8.der "$(hex XX.example)" "$(hex '\377\376.example')"
issue 1 "utf8.der" --csr "$T/utf8.der"
labels=$(python3 -c "print('a.' * 10000 + 'example.org')")
openssl req -new -key "$T/k" -subj /CN=x.example.org -addext "subjectAltName=DNS:$labels" -out "$T/labels.csr"
issue 1 "longer than 253 characters" --csr "$T/labels.csr"
openssl req -new -key "$T/k" -subj /CN=x.example.org -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "subjectAltName=URI:https://www.example.org/" -out "$T/uri.csr"
issue 1 "URI refused" --csr "$T/uri.csr"

# --- hostile names on argv -------------------------------------------
issue 1 "longer than 253 characters" --cn "$labels"
issue 1 "longer than 253 characters" --cn www.example.org --san "$labels"
long=$(python3 -c "print('a' * 100000 + '.example.org')")
issue 1 "longer than 253 characters" --cn "$long"
issue 1 "not valid UTF-8" --cn "$(printf 'b\374cher.example.org')"
issue 1 "not valid UTF-8" --cn www.example.org --san "$(printf '\355\240\200.example.org')"
issue 1 "control character" --cn "$(printf 'www\033[31m.example.org')"
issue 1 "contains a space" --cn "www.example.org  "
issue 1 "expected IPv4" --cn www.example.org --ip "$(printf '192.0.2.1\t')"
issue 1 "expected IPv4" --cn www.example.org --ip "$labels"
# The bad name is shown, bounded and escaped, never raw.
issue 1 "b\\xfccher" --cn "$(printf 'b\374cher.example.org')"
[ "$(wc -c < "$T/err")" -lt 400 ] || fail "error for a 100,000-byte name is $(wc -c < "$T/err") bytes"
issue 1 "longer than 253" --cn "$long"
[ "$(wc -c < "$T/err")" -lt 400 ] || fail "error for a 100,000-byte name is $(wc -c < "$T/err") bytes"

# Afterwards the CA still works and the store is sound.
expect 0 mc issue nginx --csr "$T/good.der" --out "$T/fine" --passphrase-file "$PASS"
[ "$(sqlite3 "$MINICA_HOME/minica.db" "PRAGMA integrity_check")" = ok ] || fail "integrity"
