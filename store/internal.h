/* Internal to store/: the handle and statement helpers. */
#ifndef MINICA_STORE_INTERNAL_H
#define MINICA_STORE_INTERNAL_H

#include <sqlite3.h>

#include "store.h"

/* Statements a batch runs once per certificate, prepared once per handle. */
enum store_kept { STORE_KEPT_CERT_INSERT, STORE_KEPT_AUDIT_INSERT, STORE_KEPT_SERIAL_EXISTS,
	STORE_KEPT_CERT_CURRENT, STORE_NKEPT };

struct store {
	sqlite3 *db;
	char *path;
	int readonly;	/* opened read-only: the file or its folder cannot be written */
	int current;	/* the schema is this minica's (migrations done) */
	int sound;	/* PRAGMA quick_check passed on this handle */
	sqlite3_stmt *kept[STORE_NKEPT];
	char user[160];	/* the audit log's user ("" until the first event) */
};

struct store_migration {
	int version;
	const char *sql;
};
extern const struct store_migration store_migrations[];
extern const size_t store_nmigrations;
/* acme.c: the ACME tables, one step of the migration table. */
extern const char store_acme_schema[];
/* acme.c: External Account Binding key ids (step 7). */
extern const char store_acme_eab_schema[];

/* The id of the CA that signs new certificates: the newest current
 * intermediate under the current root; the root itself only in a home
 * that never had an intermediate under it (once it has, a revoked or
 * retired one leaves no issuer until the next: never the root again). */
#define STORE_ISSUER_ID_SQL \
	"(SELECT coalesce((SELECT i.id FROM ca i WHERE i.role = 'intermediate'" \
	" AND i.status = 'current' AND i.parent_id = r.id ORDER BY i.id DESC LIMIT 1)," \
	" CASE WHEN EXISTS (SELECT 1 FROM ca j WHERE j.role = 'intermediate' AND j.parent_id = r.id)" \
	" THEN NULL ELSE r.id END)" \
	" FROM ca r WHERE r.role = 'root' AND r.status = 'current' ORDER BY r.id DESC LIMIT 1)"

/* Prepares sql; on failure sets the error and returns NULL. */
sqlite3_stmt *store_prepare(struct store *st, const char *sql);
/* Steps a statement expected to finish (INSERT/UPDATE); finalizes it. */
int store_exec_stmt(struct store *st, sqlite3_stmt *stmt);
/* The handle's kept statement for sql (prepared on first use, SQL a
 * string constant); store_exec_kept runs it like store_exec_stmt, then
 * resets it and clears its bindings instead of finalizing it. */
sqlite3_stmt *store_kept(struct store *st, enum store_kept which, const char *sql);
int store_exec_kept(struct store *st, sqlite3_stmt *stmt);
/* Done with stmt: reset if it is one of the handle's kept statements,
 * else finalized (store_rows_one ends with it). */
void store_stmt_done(struct store *st, sqlite3_stmt *stmt);
/* The same for an UPDATE that must change exactly one row; none is the
 * message when it changed none (the row is gone or already changed). */
int store_exec_one(struct store *st, sqlite3_stmt *stmt, const char *none);
/* Sets mc_err from the connection's last error, with what was attempted. */
void store_seterr(struct store *st, const char *what);
/* Duplicates a text column (NULL stays NULL). */
char *store_col_text(sqlite3_stmt *stmt, int col);
/* Copies a text column into dst (len bytes, cut to fit; NULL: ""). */
void store_col_copy(char *dst, size_t len, sqlite3_stmt *stmt, int col);

/*
 * The row loop, once for every kind of row: read(stmt, row) fills row
 * from the current result row (0, or -1 with the message and row left
 * freed), drop(row) frees it (NULL: nothing to free).
 */
struct store_rowtype {
	int (*read)(sqlite3_stmt *stmt, void *row);
	void (*drop)(void *row);
};
/* Steps stmt to its end: each row read into *row, passed to
 * call(row, arg), dropped.  Stops at the first non-zero call (returned)
 * or failure (-1; what names the query in the message).  Finalizes stmt;
 * a NULL stmt (the prepare failed) is -1. */
int store_rows_each(struct store *st, sqlite3_stmt *stmt, const struct store_rowtype *t, void *row,
    int (*call)(void *row, void *arg), void *arg, const char *what);
/* The first row of stmt into out: 1, 0 no row, -1 error.  Finalizes stmt. */
int store_rows_one(struct store *st, sqlite3_stmt *stmt, const struct store_rowtype *t, void *out,
    const char *what);
/* Control statements (BEGIN, COMMIT, PRAGMA); writes go through
 * store_exec_stmt, which checks the store first. */
int store_exec(struct store *st, const char *sql);
/* integrity.c: refuses on a read-only store; runs the whole-file check
 * before the first write of this handle. */
int store_before_write(struct store *st);

#endif
