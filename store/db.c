/* Opening the database, pragmas, migrations, transactions. */
#include <stdlib.h>
#include <string.h>

#include "store_private.h"

void
store_seterr(struct store *st, const char *what)
{
	int code = sqlite3_extended_errcode(st->db);

	if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
		mc_seterr("CA busy: another minica is using '%s' (waited %d s); try again",
		    st->path, STORE_BUSY_MS / 1000);
	else if ((code & 0xff) == SQLITE_CORRUPT || (code & 0xff) == SQLITE_NOTADB)
		mc_seterr("database '%s' is damaged or not a minica database (%s): %s",
		    st->path, what, sqlite3_errmsg(st->db));
	else
		mc_seterr("database '%s': %s: %s", st->path, what, sqlite3_errmsg(st->db));
}

sqlite3_stmt *
store_prepare(struct store *st, const char *sql)
{
	sqlite3_stmt *stmt = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		store_seterr(st, "prepare");
		sqlite3_finalize(stmt);
		return NULL;
	}
	return stmt;
}

int
store_exec_stmt(struct store *st, sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_seterr(st, "write");
		sqlite3_finalize(stmt);
		return -1;
	}
	sqlite3_finalize(stmt);
	return 0;
}

int
store_exec(struct store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		store_seterr(st, sql);
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

char *
store_col_text(sqlite3_stmt *stmt, int col)
{
	const unsigned char *t = sqlite3_column_text(stmt, col);

	return t != NULL ? mc_strdup((const char *)t) : NULL;
}

int
store_latest_version(void)
{
	return store_migrations[store_nmigrations - 1].version;
}

int
store_schema_version(struct store *st)
{
	sqlite3_stmt *stmt = store_prepare(st, "PRAGMA user_version");
	int v = -1;

	if (stmt == NULL)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int(stmt, 0);
	else
		store_seterr(st, "read schema version");
	sqlite3_finalize(stmt);
	return v;
}

/*
 * A damaged database is refused before anything reads or writes it: a
 * CA that recorded half of what it signed must not go on issuing.
 * quick_check is O(size) and takes milliseconds on a CA's database.
 */
static int
check_sound(struct store *st)
{
	sqlite3_stmt *stmt = store_prepare(st, "PRAGMA quick_check(1)");
	const unsigned char *res;
	int rc = -1;

	if (stmt == NULL)
		return -1;
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		store_seterr(st, "PRAGMA quick_check");
		goto out;
	}
	res = sqlite3_column_text(stmt, 0);
	if (res == NULL || strcmp((const char *)res, "ok") != 0) {
		char why[200];

		/* SQLite's report spans lines; the error is one. */
		snprintf(why, sizeof(why), "%s", res != NULL ? (const char *)res : "no result");
		for (char *c = why; *c != '\0'; c++)
			if ((unsigned char)*c < 0x20)
				*c = ' ';
		mc_seterr("database '%s' is damaged (PRAGMA quick_check: %s); restore it from a backup",
		    st->path, why);
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(stmt);
	return rc;
}

/* Only init makes a schema: an emptied or foreign file is not quietly
 * turned into a fresh, empty CA database. */
static int
check_version(struct store *st)
{
	int have = store_schema_version(st);

	if (have < 0)
		return -1;
	if (have == 0) {
		mc_seterr("database '%s' has no minica schema (empty, or not a minica database); "
		    "restore it from a backup", st->path);
		return -1;
	}
	return 0;
}

static int
migrate(struct store *st)
{
	int have = store_schema_version(st), latest = store_latest_version();

	if (have < 0)
		return -1;
	if (have > latest) {
		mc_seterr("database '%s' has schema version %d, newer than this minica understands (%d); "
		    "use a newer minica", st->path, have, latest);
		return -1;
	}
	for (size_t i = 0; i < store_nmigrations; i++) {
		char pragma[64];

		if (store_migrations[i].version <= have)
			continue;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", store_migrations[i].version);
		if (store_begin(st) < 0)
			return -1;
		if (store_exec(st, store_migrations[i].sql) < 0 || store_exec(st, pragma) < 0) {
			mc_preferr("cannot upgrade database to version %d", store_migrations[i].version);
			store_rollback(st);
			return -1;
		}
		if (store_commit(st) < 0)
			return -1;
	}
	return 0;
}

struct store *
store_open(const char *path, int create)
{
	struct store *st = calloc(1, sizeof(*st));
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | (create ? SQLITE_OPEN_CREATE : 0);

	if (st == NULL || (st->path = mc_strdup(path)) == NULL) {
		free(st);
		mc_seterr("out of memory");
		return NULL;
	}
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		if (st->db != NULL)
			mc_seterr("cannot open database '%s': %s", path, sqlite3_errmsg(st->db));
		else
			mc_seterr("cannot open database '%s'", path);
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	/* Read-only checks first: setting WAL mode writes to the file. */
	if (check_sound(st) < 0 || (!create && check_version(st) < 0))
		goto fail;
	/* synchronous=FULL: a committed issuance must survive power loss,
	 * since the certificate leaves the process right after. */
	if (store_exec(st, "PRAGMA journal_mode = WAL") < 0 ||
	    store_exec(st, "PRAGMA synchronous = FULL") < 0 ||
	    store_exec(st, "PRAGMA foreign_keys = ON") < 0 ||
	    migrate(st) < 0)
		goto fail;
	return st;
fail:
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	sqlite3_close_v2(st->db);
	free(st->path);
	free(st);
}

int
store_begin(struct store *st)
{
	return store_exec(st, "BEGIN IMMEDIATE");
}

int
store_commit(struct store *st)
{
	return store_exec(st, "COMMIT");
}

void
store_rollback(struct store *st)
{
	char *msg = NULL;

	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, &msg);
	sqlite3_free(msg);
}
