#!/bin/sh
# A damaged, truncated, emptied or future database, a home or private/
# open to others, a garbage key or config: every command refuses with one
# line, exit 1, and leaves every file as it was.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hostile.sh"
new_ca
export MINICA_PASSPHRASE="correct horse battery staple"
db="$MINICA_HOME/minica.db"
expect 0 mc issue nginx --key ec256 --cn mail.example.org --out "$T/first"
SERIAL=$(sqlite3 "$db" "SELECT serial FROM certificates LIMIT 1")
# The last whole-file check passed long ago: the next check runs it.
sqlite3 "$db" "UPDATE integrity SET checked_at = 1"
cp "$db" "$T/db.good"
restore() { cp "$T/db.good" "$db"; rm -f "$db-wal" "$db-shm"; }
restore

# Truncated: inside the header, and at a page boundary.
head -c 100 "$T/db.good" > "$db"
all_refused "minica.db"
# Opening reads the header only (the whole-file check costs O(size) and is
# not run on every read, issue 18): reads may work; no write lands;
# check reports the damage.
head -c 8192 "$T/db.good" > "$db"
writes_refused "is damaged"
reads_harmless
refused 3 "is damaged" check --root "$ROOT"
# Emptied: an empty file is a valid empty SQLite database; it must not
# be turned into a fresh, empty CA.
: > "$db"
all_refused "has no minica schema"
[ ! -s "$db" ] || fail "the emptied database was written to"
# Garbage over pages in the middle: found before any write and by check,
# not only when a query happens to read the damaged page (show ca and
# profiles would not).
restore
size=$(stat -c %s "$db")
[ "$size" -ge 20480 ] || fail "test database smaller than expected ($size)"
dd if=/dev/urandom of="$db" bs=4096 seek=3 count=2 conv=notrunc 2>/dev/null
writes_refused "is damaged"
reads_harmless
refused 3 "is damaged" check --root "$ROOT"
# A pass recorded a minute ago: check trusts it for STORE_VERIFY_EVERY
# (20 h), but a write still checks first.
restore
sqlite3 "$db" "UPDATE integrity SET checked_at = strftime('%s', 'now') - 60"
dd if=/dev/urandom of="$db" bs=4096 seek=3 count=2 conv=notrunc 2>/dev/null
writes_refused "is damaged"
# All random.
head -c 45056 /dev/urandom > "$db"
all_refused "minica.db"
# A future schema.
restore
sqlite3 "$db" "PRAGMA user_version = 999"
all_refused "schema version 999"
# Not a regular file: a folder, a symlink to the good copy.
rm -f "$db"
mkdir "$db"
refused 1 "minica.db" list
refused 1 "minica.db" issue nginx --cn www.example.org --out "$CWD/o"
rmdir "$db"
ln -s "$T/db.good" "$db"
refused 1 "minica.db" list
refused 1 "minica.db" issue nginx --cn www.example.org --out "$CWD/o"
rm "$db"
restore
expect 0 mc list
contains "$T/out" "mail.example.org"

# A home or private/ open to group or others: refused, saying how to
# fix it, and working again once fixed.
for m in 750 705 701; do
	chmod "$m" "$MINICA_HOME"
	all_refused "chmod 700 '$MINICA_HOME'"
done
chmod 700 "$MINICA_HOME"
for m in 750 755 707; do
	chmod "$m" "$MINICA_HOME/private"
	all_refused "chmod 700 '$MINICA_HOME/private'"
done
chmod 700 "$MINICA_HOME/private"
expect 0 mc list

# The issuing key (the intermediate's) garbage, truncated or missing:
# issue refuses, reads work.
key="$MINICA_HOME/private/intermediate.key"
cp "$key" "$T/key.good"
head -c 3000 /dev/urandom > "$key"
refused 1 "cannot read private key" issue nginx --cn www.example.org --out "$CWD/o"
head -c 200 "$T/key.good" > "$key"
refused 1 "intermediate.key" issue nginx --cn www.example.org --out "$CWD/o"
printf -- '-----BEGIN ENCRYPTED PRIVATE KEY-----\n!!!!\n-----END ENCRYPTED PRIVATE KEY-----\n' > "$key"
refused 1 "intermediate.key" issue nginx --cn www.example.org --out "$CWD/o"
rm "$key"
refused 1 "intermediate.key" issue nginx --cn www.example.org --out "$CWD/o"
# Another CA's key (a valid key of the right kind) is not this CA's.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -aes256 -pass pass:"$MINICA_PASSPHRASE" -out "$key" 2>/dev/null
refused 1 "does not match the intermediate certificate" issue nginx --cn www.example.org --out "$CWD/o"
cp "$T/key.good" "$key"

# minica.conf: binary garbage, a NUL byte (NCONF would cut the line
# there), more than 1 MiB.
conf="$MINICA_HOME/minica.conf"
cp "$conf" "$T/conf.good"
head -c 4096 /dev/urandom > "$conf"
all_refused "minica.conf"
printf '[minica]\nreload_timeout = 5\0\n' > "$conf"
all_refused "minica.conf"
{ printf '[profile.web]\neku = serverAuth\ndescription = '; head -c 1100000 /dev/zero | tr '\0' x; echo; } > "$conf"
all_refused "larger than 1048576 bytes"
cp "$T/conf.good" "$conf"

expect 0 mc issue nginx --key ec256 --cn www.example.org --out "$T/last"
[ "$(sqlite3 "$db" "PRAGMA integrity_check")" = ok ] || fail "integrity"
