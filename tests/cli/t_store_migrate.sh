#!/bin/sh
# An old (version 1) database upgraded by eight `minica list` started at
# once: every one succeeds (the version is read again inside the upgrade's
# transaction, so only the first upgrades), the schema ends current, and
# a failing step is named "migration N" without its SQL.
. "$(dirname "$0")/lib.sh"
new_ca
export MINICA_PASSPHRASE="correct horse battery staple"
db="$MINICA_HOME/minica.db"
expect 0 mc issue nginx --key ec256 --cn www.example.org --out "$T/o"
latest=$(sqlite3 "$db" "PRAGMA user_version")
[ "$latest" -ge 3 ] || fail "expected schema 3 or later, got $latest"

# The v1 fixture: this database taken back to schema 1 (what migrations
# 2 and later add, removed; rollback journal, as minica 0.1 left it).
to_v1() {
	sqlite3 "$1" "PRAGMA journal_mode = DELETE" >/dev/null
	sqlite3 "$1" "DROP INDEX deployments_state;
	    ALTER TABLE deployments DROP COLUMN cert_prev_sha256; ALTER TABLE deployments DROP COLUMN key_prev_sha256;
	    ALTER TABLE deployments DROP COLUMN cert_tmp; ALTER TABLE deployments DROP COLUMN key_tmp;
	    ALTER TABLE deployments DROP COLUMN cert_backup; ALTER TABLE deployments DROP COLUMN key_backup;
	    ALTER TABLE deployments DROP COLUMN repair; ALTER TABLE deployments DROP COLUMN detail;
	    DROP TABLE integrity; DROP INDEX certificates_list; PRAGMA user_version = 1;"
}
cp "$db" "$T/current.db"
to_v1 "$T/current.db"
cp "$T/current.db" "$T/v1.db"
[ "$(sqlite3 "$T/v1.db" "PRAGMA user_version")" = 1 ] || fail "fixture is not version 1"

for round in 1 2 3; do
	cp "$T/v1.db" "$db"
	rm -f "$db-wal" "$db-shm" "$db-journal"
	pids=""
	for i in 1 2 3 4 5 6 7 8; do
		"$MINICA_BIN" list >"$T/out$i" 2>&1 &
		pids="$pids $!"
	done
	n=0
	for p in $pids; do
		n=$((n + 1))
		wait "$p" || { cat "$T/out$n"; fail "round $round: concurrent list $n of 8 failed on a v1 database"; }
		contains "$T/out$n" "www.example.org"
	done
	[ "$(sqlite3 "$db" "PRAGMA user_version")" = "$latest" ] || fail "round $round: not upgraded"
	[ "$(sqlite3 "$db" "PRAGMA integrity_check")" = ok ] || fail "round $round: integrity"
done
expect 0 mc issue nginx --key ec256 --cn two.example.org --out "$T/o2"

# A step that fails (its column already there) is named, its SQL is not
# printed, and the database is left at version 1.
cp "$T/v1.db" "$db"
sqlite3 "$db" "ALTER TABLE deployments ADD COLUMN repair TEXT"
expect 1 mc list
contains "$T/err" "migration 2"
lacks "$T/err" "ALTER TABLE"
one_line "$T/err"
[ "$(sqlite3 "$db" "PRAGMA user_version")" = 1 ] || fail "a failed step changed the version"

# user_version -1: a clear message, not "unknown error" (issue 14).
cp "$T/v1.db" "$db"
sqlite3 "$db" "PRAGMA user_version = -1"
expect 1 mc list
contains "$T/err" "schema version -1"
lacks "$T/err" "unknown error"
one_line "$T/err"
