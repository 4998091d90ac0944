/* Opening the database, pragmas, migrations, transactions. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

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
	int rc;

	if (!sqlite3_stmt_readonly(stmt) && store_before_write(st) < 0) {
		sqlite3_finalize(stmt);
		return -1;
	}
	rc = sqlite3_step(stmt);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_seterr(st, "write");
		sqlite3_finalize(stmt);
		return -1;
	}
	sqlite3_finalize(stmt);
	return 0;
}

sqlite3_stmt *
store_kept(struct store *st, enum store_kept which, const char *sql)
{
	if (st->kept[which] == NULL &&
	    sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st->kept[which], NULL) != SQLITE_OK) {
		store_seterr(st, "prepare");
		sqlite3_finalize(st->kept[which]);
		st->kept[which] = NULL;
	}
	return st->kept[which];
}

void
store_stmt_done(struct store *st, sqlite3_stmt *stmt)
{
	for (int i = 0; stmt != NULL && i < STORE_NKEPT; i++) {
		if (st->kept[i] == stmt) {
			sqlite3_reset(stmt);
			sqlite3_clear_bindings(stmt);
			return;
		}
	}
	sqlite3_finalize(stmt);
}

int
store_exec_kept(struct store *st, sqlite3_stmt *stmt)
{
	int rc = 0;

	if (!sqlite3_stmt_readonly(stmt) && store_before_write(st) < 0)
		rc = -1;
	else if ((rc = sqlite3_step(stmt)) != SQLITE_DONE && rc != SQLITE_ROW) {
		store_seterr(st, "write");
		rc = -1;
	} else {
		rc = 0;
	}
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return rc;
}

int
store_exec_one(struct store *st, sqlite3_stmt *stmt, const char *none)
{
	if (store_exec_stmt(st, stmt) < 0)
		return -1;
	if (sqlite3_changes(st->db) != 1) {
		mc_seterr("%s", none);
		return -1;
	}
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

void
store_col_copy(char *dst, size_t len, sqlite3_stmt *stmt, int col)
{
	const unsigned char *t = sqlite3_column_text(stmt, col);

	snprintf(dst, len, "%s", t ? (const char *)t : "");
}

int
store_rows_each(struct store *st, sqlite3_stmt *stmt, const struct store_rowtype *t, void *row,
    int (*call)(void *row, void *arg), void *arg, const char *what)
{
	int rc = 0, step;

	if (stmt == NULL)
		return -1;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (t->read(stmt, row) < 0) {
			rc = -1;
			break;
		}
		rc = call(row, arg);
		if (t->drop != NULL)
			t->drop(row);
		if (rc != 0)
			break;
	}
	if (rc == 0 && step != SQLITE_DONE) {
		store_seterr(st, what);
		rc = -1;
	}
	sqlite3_finalize(stmt);
	return rc;
}

int
store_rows_one(struct store *st, sqlite3_stmt *stmt, const struct store_rowtype *t, void *out,
    const char *what)
{
	int rc, found = -1;

	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		found = t->read(stmt, out) < 0 ? -1 : 1;
	else if (rc == SQLITE_DONE)
		found = 0;
	else
		store_seterr(st, what);
	store_stmt_done(st, stmt);
	return found;
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
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		v = sqlite3_column_int(stmt, 0);
		/* user_version is any 32-bit number; minica writes 0 and up. */
		if (v < 0)
			mc_seterr("database '%s' has schema version %d, which no minica writes "
			    "(damaged, or changed by hand); restore it from a backup", st->path, v);
	} else {
		store_seterr(st, "read schema version");
	}
	sqlite3_finalize(stmt);
	return v < 0 ? -1 : v;
}

int
store_data_version(struct store *st, int64_t *out)
{
	sqlite3_stmt *stmt = store_prepare(st, "PRAGMA data_version");
	int rc = -1;

	if (stmt == NULL)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		*out = sqlite3_column_int64(stmt, 0);
		rc = 0;
	} else {
		store_seterr(st, "read data version");
	}
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
check_not_newer(struct store *st, int have)
{
	if (have > store_latest_version()) {
		mc_seterr("database '%s' has schema version %d, newer than this minica understands (%d); "
		    "use a newer minica", st->path, have, store_latest_version());
		return -1;
	}
	return 0;
}

/* One step: its SQL and the new user_version in one transaction. */
static int
migrate_step(struct store *st, const struct store_migration *m)
{
	char pragma[64], *msg = NULL;

	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", m->version);
	if (sqlite3_exec(st->db, m->sql, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(st->db, pragma, NULL, NULL, &msg) != SQLITE_OK) {
		/* The step's name, never its SQL: the message is one line. */
		mc_seterr("cannot upgrade database '%s' to schema version %d (migration %d): %s",
		    st->path, m->version, m->version, msg != NULL ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/*
 * Each step in its own BEGIN IMMEDIATE, the version read again inside
 * it: several minica started at once on an old database all see the old
 * version before the first one locks, and only the first may upgrade.
 */
static int
migrate(struct store *st)
{
	int have = store_schema_version(st);

	if (have < 0 || check_not_newer(st, have) < 0)
		return -1;
	if (have < store_latest_version() && st->readonly) {
		mc_seterr("database '%s' has schema version %d and this minica needs %d, but the CA home "
		    "is read-only; run this minica once where the home is writable, or use the minica "
		    "that wrote it", st->path, have, store_latest_version());
		return -1;
	}
	while (have < store_latest_version()) {
		const struct store_migration *m = NULL;

		if (store_begin(st) < 0)
			return -1;
		if ((have = store_schema_version(st)) < 0 || check_not_newer(st, have) < 0)
			goto fail;
		for (size_t i = 0; i < store_nmigrations && m == NULL; i++)
			if (store_migrations[i].version > have)
				m = &store_migrations[i];
		if (m != NULL && migrate_step(st, m) < 0)
			goto fail;
		if (store_commit(st) < 0)
			goto fail;
		if (m != NULL)
			have = m->version;
	}
	return 0;
fail:
	store_rollback(st);
	return -1;
}

/*
 * The folder must be writable too: SQLite makes the -wal and -shm files
 * beside the database.  A home that is not (a backup, a rescue system, a
 * read-only mount) is opened read-only, and immutable when there is no
 * write-ahead log to read, so that no -shm file is needed either.
 */
static int
writable(const char *path)
{
	char *dir = mc_strdup(path), *slash;
	int ok;

	if (dir == NULL)
		return -1;
	if ((slash = strrchr(dir, '/')) != NULL)
		slash[slash == dir ? 1 : 0] = '\0';
	else
		strcpy(dir, ".");
	ok = access(path, W_OK) == 0 && access(dir, W_OK) == 0;
	free(dir);
	return ok;
}

static char *
readonly_uri(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strlen(path);
	char *uri = malloc(len * 3 + 48), *o, wal[4096];
	struct stat sb;
	int immutable;

	if (uri == NULL) {
		mc_seterr("out of memory");
		return NULL;
	}
	snprintf(wal, sizeof(wal), "%s-wal", path);
	immutable = stat(wal, &sb) < 0 || sb.st_size == 0;
	/* Writes still in the log (a copy taken while minica ran) can only
	 * be read with its index; ignoring them would show an older CA. */
	snprintf(wal, sizeof(wal), "%s-shm", path);
	if (!immutable && stat(wal, &sb) < 0) {
		mc_seterr("database '%s' has writes in '%s-wal' that cannot be read without '%s' "
		    "and the CA home is read-only; copy the home somewhere writable and run minica there",
		    path, path, wal);
		free(uri);
		return NULL;
	}
	o = uri + sprintf(uri, "file:");
	for (const unsigned char *c = (const unsigned char *)path; *c != '\0'; c++) {
		if (isalnum(*c) || strchr("/._-~", *c) != NULL) {
			*o++ = (char)*c;
		} else {
			*o++ = '%';
			*o++ = hex[*c >> 4];
			*o++ = hex[*c & 15];
		}
	}
	sprintf(o, "?mode=ro%s", immutable ? "&immutable=1" : "");
	return uri;
}

static int
open_db(struct store *st, int create)
{
	int flags = SQLITE_OPEN_NOFOLLOW, w = create ? 1 : writable(st->path);
	char *uri = NULL;
	int rc;

	if (w < 0)
		return -1;
	st->readonly = !w;
	if (st->readonly) {
		if ((uri = readonly_uri(st->path)) == NULL)
			return -1;
		flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
	} else {
		flags |= SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
	}
	rc = sqlite3_open_v2(uri != NULL ? uri : st->path, &st->db, flags, NULL);
	free(uri);
	if (rc != SQLITE_OK) {
		if (st->db != NULL)
			mc_seterr("cannot open database '%s'%s: %s", st->path,
			    st->readonly ? " (read-only: the CA home cannot be written)" : "",
			    sqlite3_errmsg(st->db));
		else
			mc_seterr("cannot open database '%s'", st->path);
		return -1;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	return 0;
}

/*
 * Going from a rollback journal to WAL takes an exclusive lock, and SQLite
 * answers BUSY at once, without its busy handler, when another process
 * holds a lock it would deadlock on (eight minica started together on an
 * old database): retry for the usual wait.  Nothing to do once in WAL.
 */
static int
set_wal(struct store *st)
{
	for (int waited = 0;; waited += 20) {
		sqlite3_stmt *stmt = store_prepare(st, "PRAGMA journal_mode = WAL");
		char mode[16] = "";
		int rc;

		if (stmt == NULL)
			return -1;
		if ((rc = sqlite3_step(stmt)) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != NULL)
			snprintf(mode, sizeof(mode), "%s", (const char *)sqlite3_column_text(stmt, 0));
		sqlite3_finalize(stmt);
		if (rc == SQLITE_ROW && strcmp(mode, "wal") == 0)
			return 0;
		if (rc == SQLITE_ROW) {
			mc_seterr("database '%s' cannot use write-ahead logging (journal mode stays '%s')",
			    st->path, mode);
			return -1;
		}
		if ((rc & 0xff) != SQLITE_BUSY || waited >= STORE_BUSY_MS) {
			store_seterr(st, "PRAGMA journal_mode = WAL");
			return -1;
		}
		sqlite3_sleep(20);
	}
}

struct store *
store_open(const char *path, int create)
{
	struct store *st = calloc(1, sizeof(*st));

	if (st == NULL || (st->path = mc_strdup(path)) == NULL) {
		free(st);
		mc_seterr("out of memory");
		return NULL;
	}
	if (open_db(st, create) < 0)
		goto fail;
	/*
	 * The version is read before anything writes (setting WAL mode
	 * does).  The whole-file check (PRAGMA quick_check) is not run
	 * here: it costs O(size) on every read.  It runs before this
	 * handle's first write (store_before_write) and in `check`
	 * (store_verify); reads rely on SQLite's checks of each page read.
	 */
	if (!create && check_version(st) < 0)
		goto fail;
	/* synchronous=FULL: a committed issuance must survive power loss,
	 * since the certificate leaves the process right after. */
	if ((!st->readonly && set_wal(st) < 0) ||
	    store_exec(st, "PRAGMA synchronous = FULL") < 0 ||
	    store_exec(st, "PRAGMA foreign_keys = ON") < 0 ||
	    migrate(st) < 0)
		goto fail;
	st->current = 1;
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
	for (int i = 0; i < STORE_NKEPT; i++)
		sqlite3_finalize(st->kept[i]);
	sqlite3_close_v2(st->db);
	free(st->path);
	free(st);
}

int
store_begin(struct store *st)
{
	if (st->readonly)
		return store_before_write(st);
	if (store_exec(st, "BEGIN IMMEDIATE") < 0)
		return -1;
	/* Checked inside the transaction: no one else writes until COMMIT. */
	if (store_before_write(st) < 0) {
		store_rollback(st);
		return -1;
	}
	return 0;
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
