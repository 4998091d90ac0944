#!/bin/sh
# import on the VPS guide's layout: the root copied into /etc/ssl/certs
# beside the system's roots (symlinks, as Debian keeps them) and the
# certificates gencert.sh wrote there, their keys in /etc/ssl/private.
# A temporary copy under $T/root; the real /etc/ssl is never read.
. "$(dirname "$0")/lib.sh"
unset MINICA_OLD_PASSPHRASE 2>/dev/null || true
OLD="$T/oldpass"
printf 'old hand-made secret\n' > "$OLD"
R="$T/root"
C="$R/etc/ssl/certs"
mkdir -p "$C" "$R/etc/ssl/private" "$T/share" "$T/guide"
chmod 700 "$R/etc/ssl/private"
cd "$T/guide"

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out cakey.pem -des3 -pass "file:$OLD" 2>/dev/null
openssl req -x509 -new -key cakey.pem -passin "file:$OLD" -days 3650 -out cacert.pem -subj "/O=Example Home/CN=Example Home Root CA"
gencert() {	# key cert cn
	openssl req -new -newkey rsa:2048 -nodes -keyout "$1" -out "$T/temp.csr" -subj "/CN=$3" 2>/dev/null
	printf 'subjectAltName=DNS:%s\n' "$3" > "$T/ext"
	openssl x509 -req -in "$T/temp.csr" -CA cacert.pem -CAkey cakey.pem -passin "file:$OLD" -CAcreateserial \
	    -out "$2" -days 3650 -extfile "$T/ext" 2>/dev/null
	chmod 600 "$1"
}
gencert "$R/etc/ssl/private/smtpd.key" "$C/smtpd.crt" mail.example.org
gencert "$R/etc/ssl/private/dovecot.pem" "$C/dovecot.pem" imap.example.org
cp cacert.pem "$C/cacert.pem"
ln -s cacert.pem "$C/$(openssl x509 -in cacert.pem -noout -hash).0"
# The system's roots: symlinks into a copy of /usr/share/ca-certificates,
# and one copied as a plain file (as a hand-installed root would be).
n=0
for f in /usr/share/ca-certificates/mozilla/*.crt; do
	n=$((n + 1))
	[ $n -le 4 ] || break
	cp "$f" "$T/share/"
	ln -s "$T/share/$(basename "$f")" "$C/$(basename "$f" .crt).pem"
done
cp "$f" "$C/hand-installed.pem"
sha256sum "$C"/* "$R"/etc/ssl/private/* > "$T/before"

expect 0 mc import --ca-cert "$C/cacert.pem" --ca-key cakey.pem --certs-dir "$C" \
    --old-passphrase-file "$OLD" --passphrase-file "$PASS"
contains "$T/out" "certificates         2 (0 revoked)"
# One note for the links, one for the other issuers' certificates.
grep "symbolic link" "$T/err" > "$T/links"
[ "$(wc -l < "$T/links")" -eq 1 ] || fail "not one note for the links"
contains "$T/links" "skipped 4 symbolic links in '$C': "
contains "$T/links" "and 1 more"
grep "other issuer" "$T/err" > "$T/foreign"
[ "$(wc -l < "$T/foreign")" -eq 1 ] || fail "not one note for the foreign certificates"
contains "$T/foreign" "skipped 1 certificate of another issuer in '$C': '$C/hand-installed.pem'"
lacks "$T/err" "cacert.pem"
sha256sum -c --quiet "$T/before" || fail "the layout changed"
expect 0 mc list
contains "$T/out" "mail.example.org"
contains "$T/out" "imap.example.org"
cp "$T/err" "$T/import.err"

# A repeated --profile goes with the --cert before it; one before any
# --cert is the default for the others.
expect 0 mc --home "$T/h2" import --ca-cert "$C/cacert.pem" --ca-key cakey.pem --profile client \
    --cert "$C/smtpd.crt" --profile nginx --cert "$C/dovecot.pem" --old-passphrase-file "$OLD" --passphrase-file "$PASS"
serial_of() { openssl x509 -in "$1" -noout -serial | sed 's/serial=//' | tr 'A-F' 'a-f'; }
expect 0 mc --home "$T/h2" show "$(serial_of "$C/smtpd.crt")" --json
contains "$T/out" '"profile":"nginx"'
expect 0 mc --home "$T/h2" show "$(serial_of "$C/dovecot.pem")" --json
contains "$T/out" '"profile":"client"'
expect 64 mc --home "$T/h3" import --ca-cert "$C/cacert.pem" --ca-key cakey.pem \
    --cert "$C/smtpd.crt" --profile ngnix --old-passphrase-file "$OLD" --passphrase-file "$PASS"
contains "$T/err" "unknown profile 'ngnix'"
[ ! -e "$T/h3" ] || fail "home made by a refused import"

# The certificates sitting at smtpd's and dovecot's targets with their keys
# are those deployments: check watches them, renew redeploys them.
expect 0 mc --home "$T/h4" import --ca-cert "$C/cacert.pem" --ca-key cakey.pem --certs-dir "$C" --root "$R" \
    --old-passphrase-file "$OLD" --passphrase-file "$PASS"
contains "$T/out" "deployed             smtpd: $C/smtpd.crt, $R/etc/ssl/private/smtpd.key"
contains "$T/out" "deployed             dovecot: $C/dovecot.pem, $R/etc/ssl/private/dovecot.pem"
expect 0 mc --home "$T/h4" show "$(serial_of "$C/smtpd.crt")" --json
contains "$T/out" '"profile":"smtpd"'
expect 0 mc --home "$T/h4" check --root "$R"
contains "$T/out" "MINICA OK - 2 certificates, 2 deployments"
sha256sum -c --quiet "$T/before" || fail "import changed the layout"
# A deployed file changed behind minica's back: check sees it.
cp "$C/smtpd.crt" "$T/smtpd.keep"
printf '\n' >> "$C/smtpd.crt"
expect 2 mc --home "$T/h4" check --root "$R"
contains "$T/out" "smtpd"
cp "$T/smtpd.keep" "$C/smtpd.crt"
old_smtpd=$(serial_of "$C/smtpd.crt")
expect 0 mc --home "$T/h4" renew smtpd --force --no-reload --passphrase-file "$PASS"
contains "$T/out" "redeployed"
[ "$(serial_of "$C/smtpd.crt")" != "$old_smtpd" ] || fail "renew did not redeploy smtpd"
# (not -x509_strict: the hand-made root has no keyUsage, as the guide made it)
openssl verify -CAfile "$C/cacert.pem" "$C/smtpd.crt" >/dev/null || fail "redeployed smtpd does not verify"
certtool --verify --load-ca-certificate "$C/cacert.pem" --infile "$C/smtpd.crt" >/dev/null 2>&1 || fail "certtool: redeployed smtpd"
[ "$(openssl x509 -in "$C/smtpd.crt" -noout -pubkey | sha256sum)" = "$(openssl pkey -in "$R/etc/ssl/private/smtpd.key" -pubout | sha256sum)" ] ||
	fail "redeployed pair does not match"
expect 0 mc --home "$T/h4" check --root "$R"
contains "$T/out" "MINICA OK"

# Forgotten the first time: import --cert adds it to the existing CA, no
# passphrase needed; a second time adds nothing; a stranger is refused.
gencert "$T/guide/web.key" "$T/guide/web.crt" www.example.org
expect 0 env -u MINICA_PASSPHRASE "$MINICA_BIN" import --cert "$T/guide/web.crt" --cert "$C/dovecot.pem" </dev/null
contains "$T/out" "added 1 certificate (0 revoked, 0 deployed) to CA 'CN=Example Home Root CA,O=Example Home'; 1 already recorded"
expect 0 mc list
contains "$T/out" "www.example.org"
[ "$(sqlite3 "$MINICA_HOME/minica.db" "SELECT count(*) FROM audit WHERE action = 'import'")" = 2 ] || fail "no audit event for the addition"
expect 0 mc import --cert "$T/guide/web.crt"
contains "$T/out" "added 0 certificates"
contains "$T/out" "1 already recorded"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/o.key" -subj "/O=Elsewhere/CN=Other Root" -out "$T/other.crt" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/s.key" -subj "/CN=www.example.com" -out "$T/s.csr" 2>/dev/null
openssl x509 -req -in "$T/s.csr" -CA "$T/other.crt" -CAkey "$T/o.key" -CAcreateserial -days 30 -out "$T/stranger.crt" 2>/dev/null
cp "$MINICA_HOME/minica.db" "$T/db.before"
expect 1 mc import --cert "$T/stranger.crt"
contains "$T/err" "certificate 'CN=www.example.com' (serial"
contains "$T/err" "was issued by 'CN=Other Root,O=Elsewhere', not by the imported root 'CN=Example Home Root CA,O=Example Home'"
one_line "$T/err"
expect 1 mc import --ca-cert "$T/other.crt" --cert "$T/stranger.crt"
contains "$T/err" "is not the root of the CA in"
cmp -s "$MINICA_HOME/minica.db" "$T/db.before" || fail "a refused addition changed the store"
