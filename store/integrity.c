/*
 * The whole-file check (PRAGMA quick_check) without paying for it on
 * every read: before the first write of each handle, so that no write
 * lands on a damaged store, and in `check` when none has passed within a
 * period, so that a damaged store is reported even when nothing writes.
 * A pass is recorded in the store (table integrity, one row).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* A CA that recorded half of what it signed must not go on issuing.
 * quick_check is O(size): about 0.14 s on 100,000 certificates. */
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

/* Best effort: a pass that cannot be recorded is checked again next
 * time.  Waits briefly for the write lock rather than the usual 10 s. */
static void
record_pass(struct store *st)
{
	sqlite3_stmt *stmt;

	if (st->readonly || !st->current)
		return;
	stmt = store_prepare(st, "INSERT OR REPLACE INTO integrity (id, checked_at) VALUES (1, ?)");
	if (stmt != NULL) {
		sqlite3_bind_int64(stmt, 1, (sqlite3_int64)time(NULL));
		if (sqlite3_get_autocommit(st->db))
			sqlite3_busy_timeout(st->db, 200);
		(void)store_exec_stmt(st, stmt);
		sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	}
}

int
store_writable(struct store *st)
{
	if (st->readonly) {
		mc_seterr("the CA home is read-only ('%s' cannot be written): list, show, log, bundle "
		    "and check work there; this command writes to the CA and needs a writable home",
		    st->path);
		return -1;
	}
	return 0;
}

int
store_before_write(struct store *st)
{
	if (store_writable(st) < 0)
		return -1;
	if (st->sound)
		return 0;
	if (check_sound(st) < 0)
		return -1;
	st->sound = 1;
	record_pass(st);
	return 0;
}

int
store_verify(struct store *st, time_t every, int *ran)
{
	sqlite3_stmt *stmt;
	time_t now = time(NULL), last = 0;

	if (ran != NULL)
		*ran = 0;
	if (st->sound)
		return 0;
	if ((stmt = store_prepare(st, "SELECT checked_at FROM integrity WHERE id = 1")) == NULL)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		last = (time_t)sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	/* A pass recorded in the future (a clock set back) does not count. */
	if (last > 0 && last <= now && now - last < every)
		return 0;
	if (ran != NULL)
		*ran = 1;
	if (check_sound(st) < 0)
		return -1;
	st->sound = 1;
	record_pass(st);
	return 0;
}
