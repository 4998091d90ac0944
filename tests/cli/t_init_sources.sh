#!/bin/sh
# Every passphrase source (the intermediate's; the root's with its own
# options), and name-constraint variants.
. "$(dirname "$0")/lib.sh"

key_opens() { openssl pkey -in "$1/private/intermediate.key" -passin "pass:$2" -noout 2>/dev/null; }
root_opens() { openssl pkey -in "$1/private/ca.key" -passin "pass:$2" -noout 2>/dev/null; }

# --passphrase-fd, --root-passphrase-fd
expect 0 mc --home "$T/h1" init --no-name-constraints --passphrase-fd 3 3<"$PASS" --root-passphrase-fd 4 4<"$ROOTPASS"
key_opens "$T/h1" "correct horse battery staple" || fail "--passphrase-fd"
root_opens "$T/h1" "the root passphrase of the tests" || fail "--root-passphrase-fd"
openssl x509 -in "$T/h1/intermediate.crt" -noout -text > "$T/text"
lacks "$T/text" "Name Constraints"
openssl x509 -in "$T/h1/ca.crt" -noout -text > "$T/text"
lacks "$T/text" "Name Constraints"

# MINICA_PASSPHRASE, taken out of the environment (CRLF file ending too).
expect 0 env MINICA_PASSPHRASE="env pass phrase" MINICA_ROOT_PASSPHRASE="root env phrase" "$MINICA_BIN" \
	--home "$T/h2" init --domain example.org --permit-ip 192.0.2.0/24 --permit-ip 2001:db8::/32
key_opens "$T/h2" "env pass phrase" || fail "MINICA_PASSPHRASE"
root_opens "$T/h2" "root env phrase" || fail "MINICA_ROOT_PASSPHRASE"
openssl x509 -in "$T/h2/intermediate.crt" -noout -text >> "$T/text2"
contains "$T/text2" "IP:192.0.2.0/255.255.255.0"
openssl x509 -in "$T/h2/ca.crt" -noout -text > "$T/text"
contains "$T/text" "IP:192.0.2.0/255.255.255.0"
contains "$T/text" "IP:2001:DB8:0:0:0:0:0:0/FFFF:FFFF:0:0:0:0:0:0"
lacks "$T/text" "IP:0.0.0.0/0.0.0.0"

# systemd's credentials (contrib/'s LoadCredentialEncrypted=):
# $CREDENTIALS_DIRECTORY/minica-passphrase is the intermediate's passphrase
# when no option and no MINICA_PASSPHRASE gives one; the options and the
# environment come first; without the file, the terminal (none here).
mkdir -p "$T/creds"
printf 'env pass phrase\n' > "$T/creds/minica-passphrase"
chmod 400 "$T/creds/minica-passphrase"
expect 0 env CREDENTIALS_DIRECTORY="$T/creds" "$MINICA_BIN" --home "$T/h2" issue nginx --cn www.example.org \
	--key ec256 --out "$T/o2" </dev/null
openssl verify -x509_strict -CAfile "$T/h2/ca.crt" -untrusted "$T/h2/intermediate.crt" "$T/o2/www.example.org.crt" \
	>/dev/null || fail "the leaf signed with the credential's passphrase"
expect 1 env CREDENTIALS_DIRECTORY="$T/creds" MINICA_PASSPHRASE="not it" "$MINICA_BIN" --home "$T/h2" issue nginx \
	--cn w2.example.org --key ec256 --out "$T/o2" </dev/null
contains "$T/err" "passphrase"
rm "$T/creds/minica-passphrase"
expect 1 env CREDENTIALS_DIRECTORY="$T/creds" "$MINICA_BIN" --home "$T/h2" issue nginx --cn w3.example.org \
	--key ec256 --out "$T/o2" </dev/null
contains "$T/err" "no passphrase given"
one_line "$T/err"

# --passphrase-file wins over the environment, and a CRLF ending is the
# file's, not the passphrase's.
printf 'file pass\r\n' > "$T/crlf"
chmod 600 "$T/crlf"
expect 0 env MINICA_PASSPHRASE=other "$MINICA_BIN" --home "$T/h3" init --domain example.org --passphrase-file "$T/crlf" --days 30 \
	--root-passphrase-file "$ROOTPASS"
key_opens "$T/h3" "file pass" || fail "CRLF passphrase file"

# A world-readable passphrase file works but is warned about.
chmod 644 "$T/crlf"
expect 0 mc --home "$T/h4" init --domain example.org --passphrase-file "$T/crlf" --root-passphrase-file "$ROOTPASS"
contains "$T/err" "readable by group or others"

# A database from a future schema version is refused clearly.
sqlite3 "$T/h4/minica.db" "PRAGMA user_version = 999"
expect 1 mc --home "$T/h4" show ca
contains "$T/err" "schema version 999"
one_line "$T/err"

# A damaged database is refused clearly.
head -c 4096 /dev/urandom > "$T/h3/minica.db"
rm -f "$T/h3/minica.db-wal" "$T/h3/minica.db-shm"
expect 1 mc --home "$T/h3" show ca
contains "$T/err" "minica.db"
one_line "$T/err"
