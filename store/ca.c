/* CA rows: roots, intermediates and cross-certificates. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CA_COLS \
	"id, subject, serial, not_before, not_after, fingerprint_sha256, pem, constraints," \
	" imported, created_at, role, coalesce(parent_id, 0), key_type, status, revoked_at," \
	" revocation_reason, key_sha256, crl_number"

int
store_ca_insert(struct store *st, struct store_ca *ca)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "INSERT INTO ca (subject, serial, not_before, not_after, fingerprint_sha256,"
	    " pem, constraints, imported, created_at, role, parent_id, key_type, status, key_sha256)"
	    " VALUES (?,?,?,?,?,?,?,?,?,?,NULLIF(?, 0),?,?,?)");

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
	sqlite3_bind_text(stmt, 10, ca->role[0] ? ca->role : "root", -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 11, ca->parent_id);
	sqlite3_bind_text(stmt, 12, ca->key_type, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 13, ca->status[0] ? ca->status : "current", -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 14, ca->key_sha256, -1, SQLITE_STATIC);
	if (store_exec_stmt(st, stmt) < 0) {
		if (strstr(mc_err(), "UNIQUE") != NULL && strstr(mc_err(), "ca.role") != NULL)
			mc_seterr("database '%s' already has a current %s; retire it first", st->path,
			    ca->role[0] ? ca->role : "root");
		return -1;
	}
	ca->id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

static void
copy_col(char *dst, size_t len, sqlite3_stmt *stmt, int col)
{
	const unsigned char *t = sqlite3_column_text(stmt, col);

	snprintf(dst, len, "%s", t ? (const char *)t : "");
}

static int
read_row(sqlite3_stmt *stmt, struct store_ca *out)
{
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(stmt, 0);
	out->subject = store_col_text(stmt, 1);
	copy_col(out->serial, sizeof(out->serial), stmt, 2);
	out->not_before = sqlite3_column_int64(stmt, 3);
	out->not_after = sqlite3_column_int64(stmt, 4);
	copy_col(out->fingerprint, sizeof(out->fingerprint), stmt, 5);
	out->pem = store_col_text(stmt, 6);
	out->constraints = store_col_text(stmt, 7);
	out->imported = sqlite3_column_int(stmt, 8);
	out->created_at = sqlite3_column_int64(stmt, 9);
	copy_col(out->role, sizeof(out->role), stmt, 10);
	out->parent_id = sqlite3_column_int64(stmt, 11);
	copy_col(out->key_type, sizeof(out->key_type), stmt, 12);
	copy_col(out->status, sizeof(out->status), stmt, 13);
	out->revoked_at = sqlite3_column_int64(stmt, 14);
	out->revocation_reason = store_col_text(stmt, 15);
	copy_col(out->key_sha256, sizeof(out->key_sha256), stmt, 16);
	out->crl_number = sqlite3_column_int64(stmt, 17);
	if (out->subject == NULL || out->pem == NULL || out->constraints == NULL) {
		store_ca_free(out);
		mc_seterr("out of memory");
		return -1;
	}
	return 0;
}

/* Runs a prepared one-row query: 1 found (out filled), 0 none, -1 error. */
static int
get_one(struct store *st, sqlite3_stmt *stmt, struct store_ca *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		rc = read_row(stmt, out) < 0 ? -1 : 1;
	else if (rc == SQLITE_DONE)
		rc = 0;
	else {
		store_seterr(st, "read CA");
		rc = -1;
	}
	sqlite3_finalize(stmt);
	return rc;
}

int
store_ca_get(struct store *st, struct store_ca *out)
{
	return get_one(st, store_prepare(st, "SELECT " CA_COLS " FROM ca"
	    " WHERE role = 'root' AND status = 'current' ORDER BY id DESC LIMIT 1"), out);
}

int
store_issuer_get(struct store *st, struct store_ca *out)
{
	return get_one(st, store_prepare(st, "SELECT " CA_COLS " FROM ca"
	    " WHERE id = " STORE_ISSUER_ID_SQL), out);
}

int
store_ca_by_id(struct store *st, int64_t id, struct store_ca *out)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT " CA_COLS " FROM ca WHERE id = ?");

	if (stmt != NULL)
		sqlite3_bind_int64(stmt, 1, id);
	return get_one(st, stmt, out);
}

int
store_ca_find(struct store *st, const char *serial, struct store_ca *out)
{
	char norm[64];
	size_t n = 0;
	sqlite3_stmt *stmt;

	for (const char *c = serial; *c != '\0'; c++) {
		if (*c == ':')
			continue;
		if (!isxdigit((unsigned char)*c) || n + 1 >= sizeof(norm)) {
			memset(out, 0, sizeof(*out));
			mc_seterr("'%s' is not a serial number (hexadecimal digits)", serial);
			return -1;
		}
		norm[n++] = (char)tolower((unsigned char)*c);
	}
	norm[n] = '\0';
	stmt = store_prepare(st, "SELECT " CA_COLS " FROM ca WHERE serial = ? ORDER BY id DESC LIMIT 1");
	if (stmt != NULL)
		sqlite3_bind_text(stmt, 1, norm, -1, SQLITE_TRANSIENT);
	return get_one(st, stmt, out);
}

int
store_ca_each(struct store *st, store_ca_cb cb, void *arg)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT " CA_COLS " FROM ca ORDER BY id");
	struct store_ca ca;
	int rc = 0, step;

	if (stmt == NULL)
		return -1;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (read_row(stmt, &ca) < 0) {
			rc = -1;
			break;
		}
		rc = cb(&ca, arg);
		store_ca_free(&ca);
		if (rc != 0)
			break;
	}
	if (rc == 0 && step != SQLITE_DONE) {
		store_seterr(st, "list CAs");
		rc = -1;
	}
	sqlite3_finalize(stmt);
	return rc;
}

/* Runs an UPDATE of exactly one row bound to id (?1); none changed:
 * the message why_not. */
static int
update_one(struct store *st, sqlite3_stmt *stmt, const char *why_not)
{
	if (stmt == NULL || store_exec_stmt(st, stmt) < 0)
		return -1;
	if (sqlite3_changes(st->db) != 1) {
		mc_seterr("%s", why_not);
		return -1;
	}
	return 0;
}

int
store_ca_retire(struct store *st, int64_t id)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "UPDATE ca SET status = 'retired' WHERE id = ?1 AND status = 'current'");

	if (stmt != NULL)
		sqlite3_bind_int64(stmt, 1, id);
	return update_one(st, stmt, "that CA is not current (retired or revoked meanwhile)");
}

int
store_ca_revoke(struct store *st, int64_t id, time_t when, const char *reason)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "UPDATE ca SET status = 'revoked', revoked_at = ?2, revocation_reason = ?3"
	    " WHERE id = ?1 AND role != 'root' AND status != 'revoked'");

	if (stmt != NULL) {
		sqlite3_bind_int64(stmt, 1, id);
		sqlite3_bind_int64(stmt, 2, when);
		sqlite3_bind_text(stmt, 3, reason, -1, SQLITE_STATIC);
	}
	return update_one(st, stmt, "that CA certificate is a root or already revoked");
}

int
store_ca_set_key_sha256(struct store *st, int64_t id, const char *sha256)
{
	sqlite3_stmt *stmt = store_prepare(st, "UPDATE ca SET key_sha256 = ?2 WHERE id = ?1");

	if (stmt != NULL) {
		sqlite3_bind_int64(stmt, 1, id);
		sqlite3_bind_text(stmt, 2, sha256, -1, SQLITE_STATIC);
	}
	return update_one(st, stmt, "no such CA");
}

int64_t
store_ca_crl_next(struct store *st, int64_t id)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "UPDATE ca SET crl_number = crl_number + 1 WHERE id = ?1");
	struct store_ca ca;
	int64_t n;

	if (stmt != NULL)
		sqlite3_bind_int64(stmt, 1, id);
	if (update_one(st, stmt, "no such CA") < 0 || store_ca_by_id(st, id, &ca) != 1)
		return -1;
	n = ca.crl_number;
	store_ca_free(&ca);
	return n;
}

int64_t
store_ca_children(struct store *st, int64_t id, time_t now)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "SELECT (SELECT count(*) FROM certificates WHERE ca_id = ?1 AND not_after > ?2)"
	    " + (SELECT count(*) FROM ca WHERE parent_id = ?1 AND not_after > ?2)");
	int64_t n = -1;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, now);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int64(stmt, 0);
	else
		store_seterr(st, "count a CA's certificates");
	sqlite3_finalize(stmt);
	return n;
}

int
store_crl_event_last(struct store *st, const char *action, const char *serial, int with_path,
    char **details, time_t *when)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "SELECT details, time FROM audit WHERE action = ?1 AND (?2 IS NULL OR serial = ?2)"
	    " AND (?3 = 0 OR instr(details, ' path=') > 0) ORDER BY id DESC LIMIT 1");
	int rc = -1, step;

	*details = NULL;
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, action, -1, SQLITE_STATIC);
	if (serial != NULL)
		sqlite3_bind_text(stmt, 2, serial, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 3, with_path);
	if ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		if ((*details = store_col_text(stmt, 0)) != NULL) {
			*when = sqlite3_column_int64(stmt, 1);
			rc = 1;
		}
	} else if (step == SQLITE_DONE) {
		rc = 0;
	} else {
		store_seterr(st, "read audit log");
	}
	sqlite3_finalize(stmt);
	return rc;
}

void
store_ca_free(struct store_ca *ca)
{
	free(ca->subject);
	free(ca->pem);
	free(ca->constraints);
	free(ca->revocation_reason);
	ca->subject = ca->pem = ca->constraints = ca->revocation_reason = NULL;
}
