/* Internal to store/: the handle and statement helpers. */
#ifndef MINICA_STORE_PRIVATE_H
#define MINICA_STORE_PRIVATE_H

#include <sqlite3.h>

#include "store.h"

struct store {
	sqlite3 *db;
	char *path;
};

struct store_migration {
	int version;
	const char *sql;
};
extern const struct store_migration store_migrations[];
extern const size_t store_nmigrations;

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
/* Sets mc_err from the connection's last error, with what was attempted. */
void store_seterr(struct store *st, const char *what);
/* Duplicates a text column (NULL stays NULL). */
char *store_col_text(sqlite3_stmt *stmt, int col);
int store_exec(struct store *st, const char *sql);

#endif
