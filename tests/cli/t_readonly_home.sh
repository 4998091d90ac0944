#!/bin/sh
# A read-only CA home (a backup, a rescue system): every reading command
# works and leaves the home as it was (no -wal, -shm or lock file), and
# every writing command says in one line that the home is read-only.
# Two ways: a read-only bind mount in a private mount namespace (unshare
# -m), and chmod -R a-w for an unprivileged user (root ignores modes).
. "$(dirname "$0")/lib.sh"
new_ca
export MINICA_PASSPHRASE="correct horse battery staple"
cd "$T"
printf '[profile.nginx]\nreload = /bin/true\n' >>"$MINICA_HOME/minica.conf"
expect 0 mc issue nginx --key ec256 --cn www.example.org --out "$T/o" --deploy --root "$ROOT"
serial=$(sqlite3 "$MINICA_HOME/minica.db" "SELECT serial FROM certificates LIMIT 1")
[ ! -e "$MINICA_HOME/minica.db-wal" ] || fail "a -wal file after a clean close"
listing() { (cd "$1" && find . -printf '%p %m %s %T@\n' | sort); }

# reads HOME OUT: every reading command, run through $run.
reads() {
	for args in "list" "list --json" "show $serial" "show ca" "log" "check --root $check_root" "profiles" \
	    "snippet nginx --root $check_root"; do
		# shellcheck disable=SC2086 # words on purpose
		expect 0 $run "$MINICA_BIN" --home "$1" $args
	done
	# deployments comes with issue 13's inventory: covered once it exists.
	if "$MINICA_BIN" help 2>&1 | grep -q '^ *deployments '; then
		expect 0 $run "$MINICA_BIN" --home "$1" deployments --root "$check_root"
	fi
	expect 0 $run "$MINICA_BIN" --home "$1" list
	contains "$T/out" "www.example.org"
	expect 0 $run "$MINICA_BIN" --home "$1" check --root "$check_root"
	contains "$T/out" "MINICA OK"
	expect 0 $run "$MINICA_BIN" --home "$1" bundle --out "$2/kit"
	[ -s "$2/kit/minica-ca.crt" ] || fail "bundle wrote no minica-ca.crt"
}

# writes HOME OUT: every writing command refused, saying why.
writes() {
	for args in "issue nginx --cn two.example.org --out $2/o2" "revoke $serial --reason superseded" \
	    "crl --out $2/crl.pem" "renew --force --out $2/r" "deploy nginx --root $ROOT"; do
		# shellcheck disable=SC2086 # words on purpose
		expect 1 $run "$MINICA_BIN" --home "$1" $args
		contains "$T/err" "read-only"
		one_line "$T/err"
	done
}

# 1. A read-only bind mount of the home, one namespace per run.
cat > "$T/ro" <<'EOS'
#!/bin/sh
exec unshare -m sh -c 'mount --bind "$RO_HOME" "$RO_HOME" && mount -o remount,ro,bind "$RO_HOME" &&
    if touch "$RO_HOME/.probe" 2>/dev/null; then echo "the bind mount is writable" >&2; exit 99; fi && exec "$@"' ro "$@"
EOS
chmod 755 "$T/ro"
export RO_HOME="$MINICA_HOME"
before=$(listing "$MINICA_HOME")
run="$T/ro" check_root=$ROOT
reads "$MINICA_HOME" "$T/ro-out"
writes "$MINICA_HOME" "$T/ro-out"
[ "$(listing "$MINICA_HOME")" = "$before" ] || fail "a run on the read-only mount changed the home"
# The same home, writable again, works as before.
run=
expect 0 mc issue nginx --key ec256 --cn three.example.org --out "$T/o3"

# 2. chmod -R a-w, for a user who is not root.
if [ "$(id -u)" = 0 ]; then
	chmod 711 "$T"
	cp -a "$MINICA_HOME" "$T/backup"
	mkdir -p "$T/nobody-out"
	# The deployment's files are root's: check looks at none here.
	chown -R nobody:nogroup "$T/backup" "$T/nobody-out"
	check_root="$T/nobody-out"
	chmod -R a-w "$T/backup"
	before=$(listing "$T/backup")
	run="setpriv --reuid=nobody --regid=nogroup --clear-groups --"
	reads "$T/backup" "$T/nobody-out"
	writes "$T/backup" "$T/nobody-out"
	[ "$(listing "$T/backup")" = "$before" ] || fail "a run on the chmod a-w home changed it"
	chmod -R u+w "$T/backup"
fi

# 3. A copy taken while something was writing: the write-ahead log holds
# a row the database file does not.  With its index (-shm) the row is read;
# without it, a clear refusal rather than an older CA.
cp -a "$MINICA_HOME" "$T/live"
mkfifo "$T/sql"
sqlite3 "$T/live/minica.db" < "$T/sql" &
writer=$!
exec 9> "$T/sql"
printf 'PRAGMA wal_autocheckpoint = 0;\n' >&9
printf "INSERT INTO audit (time, user, action, details) VALUES (1, 'x', 'walrow', 'd');\n" >&9
n=0
until [ -s "$T/live/minica.db-wal" ] && sqlite3 "file:$T/live/minica.db?mode=ro" \
    "SELECT 1 FROM audit WHERE action = 'walrow'" 2>/dev/null | grep -q 1; do
	n=$((n + 1)); [ "$n" -lt 100 ] || fail "the writer did not write"; sleep 0.1
done
cp -a "$T/live" "$T/copy"
kill -9 "$writer"
exec 9>&-
wait "$writer" 2>/dev/null || true
[ -s "$T/copy/minica.db-wal" ] || fail "the copy has no write-ahead log"
export RO_HOME="$T/copy"
run="$T/ro"
expect 0 $run "$MINICA_BIN" --home "$T/copy" log
contains "$T/out" "walrow"
rm "$T/copy/minica.db-shm"
expect 1 $run "$MINICA_BIN" --home "$T/copy" log
contains "$T/err" "minica.db-wal"
contains "$T/err" "read-only"
one_line "$T/err"
