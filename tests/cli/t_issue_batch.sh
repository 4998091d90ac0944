#!/bin/sh
# minica issue --batch: many leaves at once, checked with openssl and
# sqlite3 rather than minica itself; every refusal issues nothing.
. "$(dirname "$0")/lib.sh"
new_ca
CA="$MINICA_HOME/ca.crt"
B="$T/batch.txt"
D="$T/leaves"
cat > "$B" <<'LINES'
# twenty certificates, mixed profiles and key types

smtpd mail.example.org smtp.example.org
dovecot imap.example.org key=ec256
nginx www.example.org example.org days=90 key=ec384
server h01.example.org key=ec256
server h02.example.org key=ec256   # a trailing comment
server h03.example.org key=rsa2048
	server h04.example.org key=ec384 days=60
server h05.example.net key=ec256
server h06.example.net key=ec256 h06-alt.example.net
server h07.example.org key=rsa3072
server h08.example.org key=ec256
server h09.example.org key=ec256
server h10.example.org key=ec384
server h11.example.org key=ec256
server h12.example.org key=ec256
server h13.example.org key=ec256
server H14.Example.ORG. key=ec256
client "Jane Doe" key=ec256
client jane@example.org key=ec256
client backup.example.org key=ec384
LINES
printf 'server crlf.example.org key=ec256\r\n' >> "$B"
n=21

expect 0 mc issue --batch "$B" --jobs 2 --out "$D" --passphrase-file "$PASS"
contains "$T/out" "issued $n certificates"
contains "$T/out" "line 3: issued smtpd certificate"
contains "$T/out" "line 23: issued server certificate"
[ "$(db_count certificates)" -eq $n ] || fail "rows: $(db_count certificates)"
[ "$(sqlite3 "$MINICA_HOME/minica.db" 'SELECT count(DISTINCT serial) FROM certificates')" -eq $n ] || fail "serials not unique"
[ "$(sqlite3 "$MINICA_HOME/minica.db" "SELECT count(*) FROM audit WHERE action = 'issue'")" -eq $n ] || fail "audit events"
for name in mail.example.org imap.example.org www.example.org h01.example.org h02.example.org \
    h03.example.org h04.example.org h05.example.net h06.example.net h07.example.org h08.example.org \
    h09.example.org h10.example.org h11.example.org h12.example.org h13.example.org h14.example.org \
    Jane_Doe jane@example.org backup.example.org crlf.example.org; do
	crt="$D/$name.crt"
	for f in "$crt" "$D/$name-fullchain.crt" "$D/$name.key"; do
		[ -f "$f" ] || fail "missing $f"
	done
	[ "$(mode_of "$D/$name.key")" = 600 ] || fail "$name.key mode"
	[ "$(mode_of "$crt")" = 644 ] || fail "$name.crt mode"
	openssl verify -x509_strict -CAfile "$CA" -untrusted "$crt" "$crt" >"$T/v" 2>&1 || { cat "$T/v"; fail "openssl verify $name"; }
	openssl verify -x509_strict -CAfile "$CA" -untrusted "$D/$name-fullchain.crt" "$crt" >/dev/null 2>&1 ||
		fail "verify $name with its chain"
	# The key belongs to the certificate.
	[ "$(openssl x509 -in "$crt" -noout -pubkey)" = "$(openssl pkey -in "$D/$name.key" -pubout)" ] ||
		fail "$name: key does not match"
	# The row is the file.
	serial=$(openssl x509 -in "$crt" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//')
	[ "$(sqlite3 "$MINICA_HOME/minica.db" "SELECT count(*) FROM certificates WHERE ltrim(serial, '0') = '$serial'")" -eq 1 ] ||
		fail "$name: serial $serial not in the store"
done
[ "$(find "$D" -mindepth 1 | wc -l)" -eq $((n * 3)) ] || { ls -la "$D"; fail "stray files in --out"; }
# Per-line options reached the certificates.
openssl x509 -in "$D/www.example.org.crt" -noout -text > "$T/text"
contains "$T/text" "NIST CURVE: P-384"
contains "$T/text" "DNS:www.example.org, DNS:example.org"
end=$(date -d "$(openssl x509 -in "$D/www.example.org.crt" -noout -enddate | cut -d= -f2)" +%s)
[ $(( (end - $(date +%s)) / 86400 )) -eq 89 ] || fail "days=90 not applied"
openssl x509 -in "$D/h07.example.org.crt" -noout -text | grep -q "Public-Key: (3072 bit)" || fail "key=rsa3072"
openssl x509 -in "$D/mail.example.org.crt" -noout -text | grep -q "Public-Key: (2048 bit)" || fail "profile default key"
openssl x509 -in "$D/Jane_Doe.crt" -noout -subject | grep -q "CN = Jane Doe" || fail "quoted CN"
openssl verify -x509_strict -purpose sslclient -CAfile "$CA" -untrusted "$D/jane@example.org.crt" "$D/jane@example.org.crt" >/dev/null || fail "client purpose"
openssl verify -x509_strict -purpose sslserver -CAfile "$CA" -untrusted "$D/h06.example.net.crt" "$D/h06.example.net.crt" >/dev/null || fail "server purpose"

# Idempotent: every line is current, nothing issued, nothing written.
expect 0 mc issue --batch "$B" --out "$D" --passphrase-file /nonexistent
contains "$T/out" "nothing issued; $n current and not due"
contains "$T/out" "line 4: dovecot certificate"
[ "$(db_count certificates)" -eq $n ] || fail "re-run issued"

# --json: an array in line order, valid JSON, serials as in the store.
expect 0 mc issue --batch "$B" --out "$D" --json --passphrase-file "$PASS"
python3 - "$T/out" "$MINICA_HOME/minica.db" $n <<'PY' || fail "--json"
import json, sqlite3, sys
a = json.load(open(sys.argv[1]))
assert isinstance(a, list) and len(a) == int(sys.argv[3]), len(a)
db = {r[0] for r in sqlite3.connect(sys.argv[2]).execute("SELECT serial FROM certificates")}
assert {c["serial"] for c in a} == db
assert a[0]["profile"] == "smtpd" and a[0]["cn"] == "mail.example.org"
assert a[17]["cn"] == "Jane Doe" and a[-1]["cn"] == "crlf.example.org"
PY

# A fresh --json batch in another folder: issued, as an array.
printf 'server j1.example.org key=ec256\nserver j2.example.org key=ec256\n' > "$T/j.txt"
expect 0 mc issue --batch "$T/j.txt" --out "$T/jout" --json --passphrase-file "$PASS"
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); assert [c["cn"] for c in a]==["j1.example.org","j2.example.org"], a' "$T/out" ||
	fail "--json of issued"
contains "$T/err" "issued 2 certificates"
[ "$(db_count certificates)" -eq $((n + 2)) ] || fail "json batch rows"

# --stats: the stage table on stderr, stdout still the results; the
# stages' CPU time is there and at most the process's.
printf 'server s1.example.org key=ec256\nserver s2.example.org key=ec256\nserver s3.example.org\n' > "$T/s.txt"
expect 0 mc issue --batch "$T/s.txt" --out "$T/sout" --stats --passphrase-file "$PASS"
contains "$T/out" "line 3: issued server certificate"
for stage in keygen sign verify encode store files sync; do grep -q "^$stage  *[0-9]" "$T/err" || fail "--stats: no $stage"; done
contains "$T/err" "(3 leaves;"
python3 - "$T/err" <<'PY' || fail "--stats: numbers"
import sys
rows = {l.split()[0]: l.split()[1:] for l in open(sys.argv[1]) if l.strip()}
stages = ["keygen", "sign", "verify", "encode", "store", "files", "sync"]
assert all(float(rows[s][1]) > 0 for s in ["keygen", "sign", "verify", "encode", "store", "files"]), rows
assert abs(sum(float(rows[s][0]) for s in stages) - float(rows["stages"][0])) < 0.01, rows
phases = ["planning", "unlocking", "signing", "committing", "writing", "syncing"]
assert float(rows["total"][0]) + 0.005 >= sum(float(rows[p][0]) for p in phases) > 0, rows
PY
[ "$(db_count certificates)" -eq $((n + 5)) ] || fail "stats batch rows"

# --force re-issues, but never over existing keys: refused before signing.
expect 1 mc issue --batch "$B" --force --out "$D" --passphrase-file "$PASS"
contains "$T/err" "'$B' line 3: '$D/mail.example.org.key' already exists"
one_line "$T/err"
[ "$(db_count certificates)" -eq $((n + 5)) ] || fail "refused --force issued"

# Refusals: one bad line, nothing issued, the line named, no files.
count=$(db_count certificates)
refuse() { # LINE MESSAGE: the batch $T/bad.txt is refused at LINE
	rm -rf "$T/badout"
	expect 1 mc issue --batch "$T/bad.txt" --jobs 2 --out "$T/badout" --passphrase-file "$PASS"
	contains "$T/err" "minica: '$T/bad.txt' line $1: $2"
	one_line "$T/err"
	[ "$(db_count certificates)" -eq "$count" ] || fail "a refused batch issued something"
	[ ! -e "$T/badout" ] || fail "a refused batch wrote files"
}
good='server ok1.example.org key=ec256
# comment

server ok2.example.org key=ec256'
printf '%s\nserver bad_host!.example.org key=ec256\nserver ok3.example.org\n' "$good" > "$T/bad.txt"
refuse 5 "invalid hostname 'bad_host!.example.org'"
printf '%s\nsmtp ok9.example.org\n' "$good" > "$T/bad.txt"
refuse 5 "unknown profile 'smtp'; did you mean 'smtpd'?"
printf '%s\nserver ok9.example.org days=ten\n' "$good" > "$T/bad.txt"
refuse 5 "'days=ten' is not a number of days"
printf '%s\nserver ok9.example.org days=900\n' "$good" > "$T/bad.txt"
refuse 5 "900 days is too long for profile 'server'"
printf '%s\nserver ok9.example.org key=ed25519\n' "$good" > "$T/bad.txt"
refuse 5 "unknown key type 'ed25519'"
printf '%s\nserver outside.example.com\n' "$good" > "$T/bad.txt"
refuse 5 "'outside.example.com' is outside the root's name constraints"
printf '%s\nserver OK1.example.org key=ec384\n' "$good" > "$T/bad.txt"
refuse 5 "writes the same files (ok1.example.org.crt, ok1.example.org.key) as line 1"
printf 'server ok1.example.org\nserver "unclosed\n' > "$T/bad.txt"
refuse 2 "a quote (\") is not closed"
printf '# nothing\n\n' > "$T/bad.txt"
expect 1 mc issue --batch "$T/bad.txt" --passphrase-file "$PASS"
contains "$T/err" "minica: '$T/bad.txt': no certificates: every line is blank or a comment"

# A wrong passphrase: nothing issued, no files.
printf '%s\n' "$good" > "$T/bad.txt"
printf 'wrong\n' > "$T/wrong"
rm -rf "$T/badout"
expect 1 mc issue --batch "$T/bad.txt" --out "$T/badout" --passphrase-file "$T/wrong"
[ "$(db_count certificates)" -eq "$count" ] || fail "wrong passphrase issued"
[ ! -e "$T/badout" ] || fail "wrong passphrase wrote files"

# Usage errors.
expect 1 mc issue --batch "$T/missing.txt" --passphrase-file "$PASS"
contains "$T/err" "$T/missing.txt"
expect 1 mc issue --batch "$T/bad.txt" --deploy --root "$ROOT" --passphrase-file "$PASS"
contains "$T/err" "'$T/bad.txt' line 1: profile 'server' has no deploy targets"
expect 64 mc issue --batch "$T/bad.txt" --no-reload --passphrase-file "$PASS"
contains "$T/err" "--root, --no-reload and --system-trust go with --deploy"
expect 64 mc issue --batch "$T/bad.txt" --p12 "$T/x.p12" --passphrase-file "$PASS"
expect 64 mc issue server --batch "$T/bad.txt" --passphrase-file "$PASS"
contains "$T/err" "--batch takes profiles, names, days= and key= from its file"
expect 64 mc issue --batch "$T/bad.txt" --cn x.example.org --passphrase-file "$PASS"
expect 64 mc issue --batch "$T/bad.txt" --jobs 0 --passphrase-file "$PASS"
contains "$T/err" "--jobs: '0' is not a whole number from 1 to 256"
expect 64 mc issue server --cn x.example.org --jobs 2 --passphrase-file "$PASS"
contains "$T/err" "--jobs and --stats go with --batch FILE"
[ "$(db_count certificates)" -eq "$count" ] || fail "usage errors issued"

# --batch --deploy: each line to its profile's targets under --root, one
# reload per line; nothing in the current folder without --out.
CALLS=$T/calls
printf '#!/bin/sh\nprintf "%%s\\n" "$*" >> "%s"\n' "$CALLS" > "$T/recorder.sh"
chmod 755 "$T/recorder.sh"
# Every reload is the recorder's: no real daemon is ever touched.
for p in smtpd dovecot nginx; do printf '[profile.%s]\nreload = %s %s\n' $p "$T/recorder.sh" $p; done \
	>> "$MINICA_HOME/minica.conf"
printf 'smtpd mx.example.org key=ec256\nnginx web.example.org key=ec256\ndovecot imap2.example.org key=ec256\n' > "$T/dep.txt"
mkdir -p "$T/work"
count=$(db_count certificates)
(cd "$T/work" && expect 0 mc issue --batch "$T/dep.txt" --deploy --root "$ROOT" --passphrase-file "$PASS")
contains "$T/out" "issued 3 certificates"
[ -z "$(ls -A "$T/work")" ] || fail "--batch --deploy wrote into the current folder"
[ "$(db_count certificates)" -eq $((count + 3)) ] || fail "deploy batch rows"
for p in smtpd nginx dovecot; do
	c=$(sqlite3 "$MINICA_HOME/minica.db" "SELECT cert_path FROM deployments d JOIN certificates c ON c.id = d.cert_id WHERE c.profile = '$p' AND d.state = 'current'")
	case $c in "$ROOT"/*) ;; *) fail "$p not deployed under --root ($c)";; esac
	[ -f "$c" ] || fail "$p not deployed ($c)"
	openssl verify -x509_strict -CAfile "$CA" -untrusted "$c" "$c" >/dev/null 2>&1 || fail "$p deployed cert does not verify"
done
[ "$(cat "$CALLS")" = "smtpd
nginx
dovecot" ] || { cat "$CALLS"; fail "reloads"; }
# Two lines for one profile's targets: refused before signing.
count=$(db_count certificates)
printf 'smtpd mx2.example.org key=ec256\n# x\nsmtpd mx3.example.org key=ec256\n' > "$T/dep2.txt"
expect 1 mc issue --batch "$T/dep2.txt" --deploy --root "$ROOT" --passphrase-file "$PASS"
contains "$T/err" "'$T/dep2.txt' line 3: with --deploy, deploys to the same targets (profile smtpd) as line 1"
[ "$(db_count certificates)" -eq "$count" ] || fail "refused deploy batch issued"
