/* The CA row. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int
store_ca_insert(struct store *st, struct store_ca *ca)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "INSERT INTO ca (subject, serial, not_before, not_after, fingerprint_sha256,"
	    " pem, constraints, imported, created_at) VALUES (?,?,?,?,?,?,?,?,?)");

	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, ca->subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, ca->serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, ca->not_before);
	sqlite3_bind_int64(stmt, 4, ca->not_after);
	sqlite3_bind_text(stmt, 5, ca->fingerprint, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6, ca->pem, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 7, ca->constraints ? ca->constraints : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 8, ca->imported);
	sqlite3_bind_int64(stmt, 9, ca->created_at);
	if (store_exec_stmt(st, stmt) < 0)
		return -1;
	ca->id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_ca_get(struct store *st, struct store_ca *out)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "SELECT id, subject, serial, not_before, not_after, fingerprint_sha256, pem,"
	    " constraints, imported, created_at FROM ca ORDER BY id DESC LIMIT 1");
	int rc;

	memset(out, 0, sizeof(*out));
	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(stmt);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		store_seterr(st, "read CA");
		sqlite3_finalize(stmt);
		return -1;
	}
	out->id = sqlite3_column_int64(stmt, 0);
	out->subject = store_col_text(stmt, 1);
	snprintf(out->serial, sizeof(out->serial), "%s", sqlite3_column_text(stmt, 2));
	out->not_before = sqlite3_column_int64(stmt, 3);
	out->not_after = sqlite3_column_int64(stmt, 4);
	snprintf(out->fingerprint, sizeof(out->fingerprint), "%s", sqlite3_column_text(stmt, 5));
	out->pem = store_col_text(stmt, 6);
	out->constraints = store_col_text(stmt, 7);
	out->imported = sqlite3_column_int(stmt, 8);
	out->created_at = sqlite3_column_int64(stmt, 9);
	sqlite3_finalize(stmt);
	if (out->subject == NULL || out->pem == NULL || out->constraints == NULL) {
		store_ca_free(out);
		return -1;
	}
	return 1;
}

void
store_ca_free(struct store_ca *ca)
{
	free(ca->subject);
	free(ca->pem);
	free(ca->constraints);
	ca->subject = ca->pem = ca->constraints = NULL;
}
