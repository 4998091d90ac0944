#!/bin/sh
# An old (version 1) database upgraded by eight `minica list` started at
# once: every one succeeds (the version is read again inside the upgrade's
# transaction, so only the first upgrades), the schema ends current, and
# a failing step is named "migration N" without its SQL.
. "$(dirname "$0")/lib.sh"
# Root-only, as every version 1 home was (a v1 store has no intermediate).
mc init --domain example.org --no-intermediate --passphrase-file "$PASS" >/dev/null
export MINICA_PASSPHRASE="correct horse battery staple"
db="$MINICA_HOME/minica.db"
expect 0 mc issue nginx --key ec256 --cn www.example.org --out "$T/o"
latest=$(sqlite3 "$db" "PRAGMA user_version")
[ "$latest" -ge 3 ] || fail "expected schema 3 or later, got $latest"

# The v1 fixture: this database taken back to schema 1 as migration 1 made
# it (store/schema.c): every table, index and trigger a later migration
# added dropped, every column added to a v1 table dropped, rollback journal
# as minica 0.1 left it.  Written against the list of v1 objects, not the
# later migrations, so that a new migration needs no change here.
V1_OBJECTS="ca certificates deployments audit certificates_current certificates_profile
deployments_target audit_time audit_no_update audit_no_delete"
V1_COLS_ca="id subject serial not_before not_after fingerprint_sha256 pem constraints imported crl_number created_at"
V1_COLS_certificates="id ca_id serial profile subject cn sans names_key key_type not_before not_after
fingerprint_sha256 pem status superseded_by revoked_at revocation_reason imported created_at"
V1_COLS_deployments="id cert_id profile root cert_path cert_sha256 cert_mode cert_uid cert_gid key_path
key_sha256 key_mode key_uid key_gid deployed_at state"
V1_COLS_audit="id time user action serial details"
to_v1() {
	sqlite3 "$1" "PRAGMA journal_mode = DELETE" >/dev/null
	sqlite3 "$1" "SELECT type || ' ' || name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'" |
	while read -r type name; do
		case " $(echo $V1_OBJECTS) " in *" $name "*) continue ;; esac
		sqlite3 "$1" "DROP $type IF EXISTS \"$name\""
	done
	for t in ca certificates deployments audit; do
		eval "keep=\$V1_COLS_$t"
		for c in $(sqlite3 "$1" "SELECT name FROM pragma_table_info('$t')"); do
			case " $(echo $keep) " in *" $c "*) continue ;; esac
			sqlite3 "$1" "ALTER TABLE $t DROP COLUMN \"$c\""
		done
	done
	sqlite3 "$1" "PRAGMA user_version = 1"
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
