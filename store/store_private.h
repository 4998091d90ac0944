/* Internal to store/: the handle and statement helpers. */
#ifndef MINICA_STORE_PRIVATE_H
#define MINICA_STORE_PRIVATE_H

#include <sqlite3.h>

#include "store.h"

struct store {
	sqlite3 *db;
	char *path;
	int readonly;	/* opened read-only: the file or its folder cannot be written */
	int current;	/* the schema is this minica's (migrations done) */
	int sound;	/* PRAGMA quick_check passed on this handle */
};

struct store_migration {
	int version;
	const char *sql;
};
extern const struct store_migration store_migrations[];
extern const size_t store_nmigrations;

/* Prepares sql; on failure sets the error and returns NULL. */
sqlite3_stmt *store_prepare(struct store *st, const char *sql);
/* Steps a statement expected to finish (INSERT/UPDATE); finalizes it. */
int store_exec_stmt(struct store *st, sqlite3_stmt *stmt);
/* Sets mc_err from the connection's last error, with what was attempted. */
void store_seterr(struct store *st, const char *what);
/* Duplicates a text column (NULL stays NULL). */
char *store_col_text(sqlite3_stmt *stmt, int col);
/* Control statements (BEGIN, COMMIT, PRAGMA); writes go through
 * store_exec_stmt, which checks the store first. */
int store_exec(struct store *st, const char *sql);
/* integrity.c: refuses on a read-only store; runs the whole-file check
 * before the first write of this handle. */
int store_before_write(struct store *st);

#endif
