/* Revocation, supersession, CRL numbers. */
#include <string.h>

#include "internal.h"

int
store_cert_revoke(struct store *st, int64_t id, time_t when, const char *reason)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "UPDATE certificates SET status = 'revoked', revoked_at = ?, revocation_reason = ?"
	    " WHERE id = ? AND status != 'revoked'");

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, when);
	sqlite3_bind_text(stmt, 2, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, id);
	return store_exec_one(st, stmt, "certificate is already revoked");
}

int
store_cert_supersede(struct store *st, int64_t old_id, int64_t new_id)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "UPDATE certificates SET status = 'superseded', superseded_by = ?"
	    " WHERE id = ? AND status = 'valid'");

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, new_id);
	sqlite3_bind_int64(stmt, 2, old_id);
	return store_exec_one(st, stmt,
	    "the certificate being renewed is no longer valid (revoked or renewed meanwhile)");
}

int
store_cert_replace_revoked(struct store *st, int64_t old_id, int64_t new_id)
{
	sqlite3_stmt *stmt = store_prepare(st, "UPDATE certificates SET superseded_by = ?"
	    " WHERE id = ? AND status = 'revoked' AND superseded_by IS NULL");

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, new_id);
	sqlite3_bind_int64(stmt, 2, old_id);
	return store_exec_one(st, stmt, "the revoked certificate being replaced was replaced meanwhile");
}

int64_t
store_crl_next_number(struct store *st)
{
	struct store_ca ca;
	int64_t n;
	int found = store_issuer_get(st, &ca);

	if (found <= 0) {
		if (found == 0)
			mc_seterr("database '%s' holds no current CA", st->path);
		return -1;
	}
	n = store_ca_crl_next(st, ca.id);
	store_ca_free(&ca);
	return n;
}

int
store_cert_each_revoked(struct store *st, store_cert_cb cb, void *arg)
{
	struct store_cert_filter f = { .status = "revoked" };

	return store_cert_each(st, &f, cb, arg);
}
