/*
 * The ACME server's rows: accounts, orders, authorizations and challenges
 * (schema: store_acme_schema, a step in schema.c's table).
 * Every statement prepared, every value bound.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

const char store_acme_schema[] =
    "CREATE TABLE acme_accounts ("
    "  id INTEGER PRIMARY KEY,"
    "  thumbprint TEXT NOT NULL UNIQUE,"	/* RFC 7638, of the current key */
    "  jwk TEXT NOT NULL,"
    "  contact TEXT NOT NULL DEFAULT '[]',"	/* JSON array */
    "  status TEXT NOT NULL DEFAULT 'valid'"
    "    CHECK (status IN ('valid', 'deactivated', 'revoked')),"
    "  created_at INTEGER NOT NULL"
    ");"
    "CREATE TABLE acme_orders ("
    "  id INTEGER PRIMARY KEY,"
    "  account_id INTEGER NOT NULL REFERENCES acme_accounts(id),"
    "  status TEXT NOT NULL DEFAULT 'pending'"
    "    CHECK (status IN ('pending', 'ready', 'processing', 'valid', 'invalid')),"
    "  identifiers TEXT NOT NULL,"		/* JSON array, as the client sent it */
    "  expires INTEGER NOT NULL,"
    "  cert_serial TEXT,"
    "  replaces TEXT,"				/* RFC 9773 certID */
    "  error TEXT,"
    "  created_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX acme_orders_account ON acme_orders(account_id);"
    "CREATE INDEX acme_orders_cert ON acme_orders(cert_serial);"
    "CREATE TABLE acme_authz ("
    "  id INTEGER PRIMARY KEY,"
    "  order_id INTEGER NOT NULL REFERENCES acme_orders(id),"
    "  type TEXT NOT NULL CHECK (type IN ('dns', 'ip')),"
    "  value TEXT NOT NULL,"
    "  wildcard INTEGER NOT NULL DEFAULT 0,"
    "  status TEXT NOT NULL DEFAULT 'pending'"
    "    CHECK (status IN ('pending', 'valid', 'invalid', 'deactivated', 'expired', 'revoked')),"
    "  expires INTEGER NOT NULL"
    ");"
    "CREATE INDEX acme_authz_order ON acme_authz(order_id);"
    "CREATE TABLE acme_challenges ("
    "  id INTEGER PRIMARY KEY,"
    "  authz_id INTEGER NOT NULL REFERENCES acme_authz(id),"
    "  type TEXT NOT NULL,"
    "  token TEXT NOT NULL UNIQUE,"
    "  status TEXT NOT NULL DEFAULT 'pending'"
    "    CHECK (status IN ('pending', 'processing', 'valid', 'invalid')),"
    "  validated_at INTEGER,"
    "  error TEXT"
    ");"
    "CREATE INDEX acme_challenges_authz ON acme_challenges(authz_id);"
    /* Dropped by step 8 since the nonces moved to memory (acme/nonce.c);
     * kept here so this step stays what every existing store ran. */
    "CREATE TABLE acme_nonces ("
    "  nonce TEXT PRIMARY KEY,"
    "  created_at INTEGER NOT NULL"
    ");";

/* Prepares sql and binds args by types: 't' text (may be NULL), 'i' int64. */
static sqlite3_stmt *
prep(struct store *st, const char *sql, const char *types, ...)
{
	sqlite3_stmt *stmt = store_prepare(st, sql);
	va_list ap;

	if (stmt == NULL)
		return NULL;
	va_start(ap, types);
	for (int i = 0; types[i] != '\0'; i++) {
		if (types[i] == 't') {
			const char *s = va_arg(ap, const char *);

			if (s == NULL)
				sqlite3_bind_null(stmt, i + 1);
			else
				sqlite3_bind_text(stmt, i + 1, s, -1, SQLITE_TRANSIENT);
		} else {
			sqlite3_bind_int64(stmt, i + 1, va_arg(ap, int64_t));
		}
	}
	va_end(ap);
	return stmt;
}

static int
run(struct store *st, sqlite3_stmt *stmt, int64_t *rowid)
{
	if (stmt == NULL || store_exec_stmt(st, stmt) < 0)
		return -1;
	if (rowid != NULL)
		*rowid = sqlite3_last_insert_rowid(st->db);
	return 0;
}

static void
col_copy(sqlite3_stmt *stmt, int col, char *out, size_t len)
{
	const unsigned char *t = sqlite3_column_text(stmt, col);

	snprintf(out, len, "%s", t != NULL ? (const char *)t : "");
}

/* Steps a SELECT once: 1 with a row, 0 without, -1 on error (the caller
 * finalizes the statement in every case). */
static int
step_row(struct store *st, sqlite3_stmt *stmt)
{
	int rc;

	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	store_seterr(st, "read ACME rows");
	return -1;
}

/* ---- accounts ---- */

int
store_acme_account_add(struct store *st, struct store_acme_account *a)
{
	return run(st, prep(st, "INSERT INTO acme_accounts (thumbprint, jwk, contact, status, created_at)"
	    " VALUES (?, ?, ?, 'valid', ?)", "ttti", a->thumbprint, a->jwk, a->contact, (int64_t)a->created_at),
	    &a->id);
}

int
store_acme_account_get(struct store *st, int64_t id, const char *thumbprint, struct store_acme_account *out)
{
	sqlite3_stmt *stmt = thumbprint != NULL ?
	    prep(st, "SELECT id, thumbprint, jwk, contact, status, created_at FROM acme_accounts"
		" WHERE thumbprint = ?", "t", thumbprint) :
	    prep(st, "SELECT id, thumbprint, jwk, contact, status, created_at FROM acme_accounts"
		" WHERE id = ?", "i", id);
	int rc = step_row(st, stmt);

	memset(out, 0, sizeof(*out));
	if (rc == 1) {
		out->id = sqlite3_column_int64(stmt, 0);
		col_copy(stmt, 1, out->thumbprint, sizeof(out->thumbprint));
		out->jwk = store_col_text(stmt, 2);
		out->contact = store_col_text(stmt, 3);
		col_copy(stmt, 4, out->status, sizeof(out->status));
		out->created_at = sqlite3_column_int64(stmt, 5);
		if (out->jwk == NULL || out->contact == NULL) {
			store_acme_account_free(out);
			rc = -1;
		}
	}
	sqlite3_finalize(stmt);
	return rc;
}

int
store_acme_account_update(struct store *st, int64_t id, const char *contact, const char *status)
{
	return run(st, prep(st, "UPDATE acme_accounts SET contact = coalesce(?, contact),"
	    " status = coalesce(?, status) WHERE id = ?", "tti", contact, status, id), NULL);
}

int
store_acme_account_each(struct store *st, store_acme_account_cb cb, void *arg)
{
	sqlite3_stmt *stmt = prep(st, "SELECT id FROM acme_accounts ORDER BY id", "");
	int rc = 0, r;

	while (rc == 0 && (r = step_row(st, stmt)) == 1) {
		struct store_acme_account a;
		int64_t id = sqlite3_column_int64(stmt, 0);

		if (store_acme_account_get(st, id, NULL, &a) != 1)
			rc = -1;
		else
			rc = cb(&a, arg);
		store_acme_account_free(&a);
	}
	if (stmt == NULL || r < 0)
		rc = -1;
	sqlite3_finalize(stmt);
	return rc;
}

void
store_acme_account_free(struct store_acme_account *a)
{
	free(a->jwk);
	free(a->contact);
	memset(a, 0, sizeof(*a));
}

/* ---- orders ---- */

int
store_acme_order_add(struct store *st, struct store_acme_order *o)
{
	return run(st, prep(st, "INSERT INTO acme_orders (account_id, identifiers, expires, replaces, created_at)"
	    " VALUES (?, ?, ?, ?, ?)", "ititi", o->account_id, o->identifiers,
	    (int64_t)o->expires, o->replaces, (int64_t)o->created_at), &o->id);
}

static int
order_row(struct store *st, sqlite3_stmt *stmt, struct store_acme_order *out)
{
	int rc = step_row(st, stmt);

	memset(out, 0, sizeof(*out));
	if (rc == 1) {
		out->id = sqlite3_column_int64(stmt, 0);
		out->account_id = sqlite3_column_int64(stmt, 1);
		col_copy(stmt, 2, out->status, sizeof(out->status));
		out->identifiers = store_col_text(stmt, 3);
		out->expires = sqlite3_column_int64(stmt, 4);
		col_copy(stmt, 5, out->cert_serial, sizeof(out->cert_serial));
		out->replaces = store_col_text(stmt, 6);
		out->error = store_col_text(stmt, 7);
		out->created_at = sqlite3_column_int64(stmt, 8);
		if (out->identifiers == NULL) {
			store_acme_order_free(out);
			rc = -1;
		}
	}
	sqlite3_finalize(stmt);
	return rc;
}

#define ORDER_COLS "id, account_id, status, identifiers, expires, cert_serial, replaces, error, created_at"

int
store_acme_order_get(struct store *st, int64_t id, struct store_acme_order *out)
{
	return order_row(st, prep(st, "SELECT " ORDER_COLS " FROM acme_orders WHERE id = ?", "i", id), out);
}

int
store_acme_order_by_cert(struct store *st, const char *serial, struct store_acme_order *out)
{
	return order_row(st, prep(st, "SELECT " ORDER_COLS " FROM acme_orders WHERE cert_serial = ?",
	    "t", serial), out);
}

int
store_acme_order_set(struct store *st, int64_t id, const char *status, const char *cert_serial,
    const char *error)
{
	return run(st, prep(st, "UPDATE acme_orders SET status = ?, cert_serial = coalesce(?, cert_serial),"
	    " error = coalesce(?, error) WHERE id = ?", "ttti", status, cert_serial, error, id), NULL);
}

void
store_acme_order_free(struct store_acme_order *o)
{
	free(o->identifiers);
	free(o->replaces);
	free(o->error);
	memset(o, 0, sizeof(*o));
}

/* ---- authorizations ---- */

int
store_acme_authz_add(struct store *st, struct store_acme_authz *a)
{
	return run(st, prep(st, "INSERT INTO acme_authz (order_id, type, value, wildcard, expires)"
	    " VALUES (?, ?, ?, ?, ?)", "ittii", a->order_id, a->type, a->value, (int64_t)a->wildcard,
	    (int64_t)a->expires), &a->id);
}

static void
authz_cols(sqlite3_stmt *stmt, struct store_acme_authz *out)
{
	out->id = sqlite3_column_int64(stmt, 0);
	out->order_id = sqlite3_column_int64(stmt, 1);
	col_copy(stmt, 2, out->type, sizeof(out->type));
	col_copy(stmt, 3, out->value, sizeof(out->value));
	out->wildcard = sqlite3_column_int(stmt, 4);
	col_copy(stmt, 5, out->status, sizeof(out->status));
	out->expires = sqlite3_column_int64(stmt, 6);
}

#define AUTHZ_COLS "id, order_id, type, value, wildcard, status, expires"

int
store_acme_authz_get(struct store *st, int64_t id, struct store_acme_authz *out)
{
	sqlite3_stmt *stmt = prep(st, "SELECT " AUTHZ_COLS " FROM acme_authz WHERE id = ?", "i", id);
	int rc = step_row(st, stmt);

	memset(out, 0, sizeof(*out));
	if (rc == 1)
		authz_cols(stmt, out);
	sqlite3_finalize(stmt);
	return rc;
}

int
store_acme_authz_each(struct store *st, int64_t order_id, store_acme_authz_cb cb, void *arg)
{
	sqlite3_stmt *stmt = prep(st, "SELECT " AUTHZ_COLS " FROM acme_authz WHERE order_id = ? ORDER BY id",
	    "i", order_id);
	int rc = 0, r;

	while (rc == 0 && (r = step_row(st, stmt)) == 1) {
		struct store_acme_authz a;

		authz_cols(stmt, &a);
		rc = cb(&a, arg);
	}
	if (stmt == NULL || r < 0)
		rc = -1;
	sqlite3_finalize(stmt);
	return rc;
}

int
store_acme_authz_set(struct store *st, int64_t id, const char *status)
{
	return run(st, prep(st, "UPDATE acme_authz SET status = ? WHERE id = ?", "ti", status, id), NULL);
}

/* ---- challenges ---- */

int
store_acme_chall_add(struct store *st, struct store_acme_chall *c)
{
	return run(st, prep(st, "INSERT INTO acme_challenges (authz_id, type, token) VALUES (?, ?, ?)",
	    "itt", c->authz_id, c->type, c->token), &c->id);
}

static void
chall_cols(sqlite3_stmt *stmt, struct store_acme_chall *out)
{
	out->id = sqlite3_column_int64(stmt, 0);
	out->authz_id = sqlite3_column_int64(stmt, 1);
	col_copy(stmt, 2, out->type, sizeof(out->type));
	col_copy(stmt, 3, out->token, sizeof(out->token));
	col_copy(stmt, 4, out->status, sizeof(out->status));
	out->validated_at = sqlite3_column_int64(stmt, 5);
	col_copy(stmt, 6, out->error, sizeof(out->error));
}

#define CHALL_COLS "id, authz_id, type, token, status, validated_at, error"

int
store_acme_chall_get(struct store *st, int64_t id, struct store_acme_chall *out)
{
	sqlite3_stmt *stmt = prep(st, "SELECT " CHALL_COLS " FROM acme_challenges WHERE id = ?", "i", id);
	int rc = step_row(st, stmt);

	memset(out, 0, sizeof(*out));
	if (rc == 1)
		chall_cols(stmt, out);
	sqlite3_finalize(stmt);
	return rc;
}

int
store_acme_chall_each(struct store *st, int64_t authz_id, store_acme_chall_cb cb, void *arg)
{
	sqlite3_stmt *stmt = prep(st, "SELECT " CHALL_COLS " FROM acme_challenges WHERE authz_id = ? ORDER BY id",
	    "i", authz_id);
	int rc = 0, r;

	while (rc == 0 && (r = step_row(st, stmt)) == 1) {
		struct store_acme_chall c;

		chall_cols(stmt, &c);
		rc = cb(&c, arg);
	}
	if (stmt == NULL || r < 0)
		rc = -1;
	sqlite3_finalize(stmt);
	return rc;
}

int
store_acme_chall_set(struct store *st, int64_t id, const char *status, time_t validated_at, const char *error)
{
	return run(st, prep(st, "UPDATE acme_challenges SET status = ?, validated_at = ?, error = ? WHERE id = ?",
	    "titi", status, (int64_t)validated_at, error, id), NULL);
}

/* RFC 9773 §5: whether an order that is not invalid already names
 * certid in replaces (1), none (0), or -1. */
int
store_acme_order_replacing(struct store *st, const char *certid)
{
	sqlite3_stmt *stmt = prep(st, "SELECT 1 FROM acme_orders WHERE replaces = ? AND status <> 'invalid' LIMIT 1",
	    "t", certid);
	int rc = step_row(st, stmt);

	sqlite3_finalize(stmt);
	return rc;
}
/* ---- External Account Binding (RFC 8555 §7.3.4) and key changes ---- */

/* The HMAC keys are not here: each lives in private/eab/KID (0600) until
 * its key id is bound or revoked (acme/eab.c).  A key id binds one
 * account at most (UNIQUE account_id). */
const char store_acme_eab_schema[] =
    "CREATE TABLE acme_eab ("
    "  id INTEGER PRIMARY KEY,"
    "  kid TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  domains TEXT NOT NULL DEFAULT '',"	/* one name per line; '' any the CA allows */
    "  account_id INTEGER UNIQUE REFERENCES acme_accounts(id),"
    "  created_at INTEGER NOT NULL,"
    "  bound_at INTEGER,"
    "  revoked_at INTEGER"
    ");";

int
store_acme_eab_add(struct store *st, struct store_acme_eab *e)
{
	return run(st, prep(st, "INSERT INTO acme_eab (kid, name, domains, created_at) VALUES (?, ?, ?, ?)",
	    "ttti", e->kid, e->name, e->domains != NULL ? e->domains : "", (int64_t)e->created_at), &e->id);
}

#define EAB_COLS "id, kid, name, domains, coalesce(account_id, 0), created_at, coalesce(bound_at, 0)," \
	" coalesce(revoked_at, 0)"

static int
eab_row(struct store *st, sqlite3_stmt *stmt, struct store_acme_eab *out)
{
	int rc = step_row(st, stmt);

	memset(out, 0, sizeof(*out));
	if (rc == 1) {
		out->id = sqlite3_column_int64(stmt, 0);
		col_copy(stmt, 1, out->kid, sizeof(out->kid));
		col_copy(stmt, 2, out->name, sizeof(out->name));
		out->domains = store_col_text(stmt, 3);
		out->account_id = sqlite3_column_int64(stmt, 4);
		out->created_at = sqlite3_column_int64(stmt, 5);
		out->bound_at = sqlite3_column_int64(stmt, 6);
		out->revoked_at = sqlite3_column_int64(stmt, 7);
		if (out->domains == NULL)
			rc = -1;
	}
	return rc;
}

int
store_acme_eab_get(struct store *st, const char *kid, int64_t account_id, struct store_acme_eab *out)
{
	sqlite3_stmt *stmt = kid != NULL ?
	    prep(st, "SELECT " EAB_COLS " FROM acme_eab WHERE kid = ?", "t", kid) :
	    prep(st, "SELECT " EAB_COLS " FROM acme_eab WHERE account_id = ?", "i", account_id);
	int rc = eab_row(st, stmt, out);

	sqlite3_finalize(stmt);
	if (rc < 0)
		store_acme_eab_free(out);
	return rc;
}

int
store_acme_eab_bind(struct store *st, const char *kid, int64_t account_id, time_t now)
{
	if (run(st, prep(st, "UPDATE acme_eab SET account_id = ?, bound_at = ? WHERE kid = ?"
	    " AND account_id IS NULL AND revoked_at IS NULL", "iit", account_id, (int64_t)now, kid), NULL) < 0)
		return -1;
	return sqlite3_changes(st->db) == 1;
}

int
store_acme_eab_revoke(struct store *st, const char *kid, time_t now)
{
	if (run(st, prep(st, "UPDATE acme_eab SET revoked_at = ? WHERE kid = ? AND revoked_at IS NULL",
	    "it", (int64_t)now, kid), NULL) < 0)
		return -1;
	return sqlite3_changes(st->db) == 1;
}

int
store_acme_eab_each(struct store *st, store_acme_eab_cb cb, void *arg)
{
	sqlite3_stmt *stmt = prep(st, "SELECT " EAB_COLS " FROM acme_eab ORDER BY id", "");
	int rc = 0, r;
	struct store_acme_eab e;

	while (rc == 0 && (r = eab_row(st, stmt, &e)) == 1) {
		rc = cb(&e, arg);
		store_acme_eab_free(&e);
	}
	store_acme_eab_free(&e);
	if (stmt == NULL || r < 0)
		rc = -1;
	sqlite3_finalize(stmt);
	return rc;
}

void
store_acme_eab_free(struct store_acme_eab *e)
{
	free(e->domains);
	memset(e, 0, sizeof(*e));
}

int
store_acme_account_set_key(struct store *st, int64_t id, const char *thumbprint, const char *jwk)
{
	return run(st, prep(st, "UPDATE acme_accounts SET thumbprint = ?, jwk = ? WHERE id = ?", "tti",
	    thumbprint, jwk, id), NULL);
}

/* ---- validation in progress, and where an ACME certificate came from ---- */

int
store_acme_chall_processing_each(struct store *st, store_acme_id_cb cb, void *arg)
{
	sqlite3_stmt *stmt = prep(st, "SELECT id FROM acme_challenges WHERE status = 'processing' ORDER BY id", "");
	int rc = 0, r;

	while (rc == 0 && (r = step_row(st, stmt)) == 1)
		rc = cb(sqlite3_column_int64(stmt, 0), arg);
	if (stmt == NULL || r < 0)
		rc = -1;
	sqlite3_finalize(stmt);
	return rc;
}

int
store_acme_order_validating(struct store *st, int64_t order_id)
{
	sqlite3_stmt *stmt = prep(st, "SELECT count(*) FROM acme_challenges c JOIN acme_authz a ON a.id = c.authz_id"
	    " WHERE a.order_id = ? AND c.status = 'processing'", "i", order_id);
	int rc = step_row(st, stmt);

	if (rc == 1)
		rc = sqlite3_column_int(stmt, 0) > 0;
	sqlite3_finalize(stmt);
	return rc;
}

/* Each name's valid challenge (the newest when there are several). */
static int
origin_validations(struct store *st, struct store_acme_origin *out)
{
	sqlite3_stmt *stmt = prep(st, "SELECT a.value, a.wildcard, c.type, c.validated_at FROM acme_authz a"
	    " JOIN acme_challenges c ON c.authz_id = a.id AND c.status = 'valid'"
	    " WHERE a.order_id = ? ORDER BY a.id, c.validated_at DESC", "i", out->order_id);
	int r;

	while ((r = step_row(st, stmt)) == 1) {
		struct store_acme_validation *v;
		const unsigned char *name = sqlite3_column_text(stmt, 0);

		if (out->n > 0 && strcmp(out->v[out->n - 1].name, name != NULL ? (const char *)name : "") == 0 &&
		    out->v[out->n - 1].wildcard == sqlite3_column_int(stmt, 1))
			continue;
		if ((v = realloc(out->v, (out->n + 1) * sizeof(*v))) == NULL) {
			mc_seterr("out of memory");
			sqlite3_finalize(stmt);
			return -1;
		}
		out->v = v;
		v = &out->v[out->n++];
		col_copy(stmt, 0, v->name, sizeof(v->name));
		v->wildcard = sqlite3_column_int(stmt, 1);
		col_copy(stmt, 2, v->type, sizeof(v->type));
		v->validated_at = sqlite3_column_int64(stmt, 3);
	}
	sqlite3_finalize(stmt);
	return stmt == NULL || r < 0 ? -1 : 0;
}

int
store_acme_cert_origin(struct store *st, const char *serial, struct store_acme_origin *out)
{
	sqlite3_stmt *stmt = prep(st, "SELECT o.id, o.created_at, a.id, a.contact, a.status FROM acme_orders o"
	    " JOIN acme_accounts a ON a.id = o.account_id WHERE o.cert_serial = ? ORDER BY o.id LIMIT 1",
	    "t", serial);
	int rc = step_row(st, stmt);

	memset(out, 0, sizeof(*out));
	if (rc == 1) {
		out->order_id = sqlite3_column_int64(stmt, 0);
		out->ordered_at = sqlite3_column_int64(stmt, 1);
		out->account_id = sqlite3_column_int64(stmt, 2);
		out->contact = store_col_text(stmt, 3);
		col_copy(stmt, 4, out->account_status, sizeof(out->account_status));
		if (out->contact == NULL)
			rc = -1;
	}
	sqlite3_finalize(stmt);
	if (rc == 1 && origin_validations(st, out) < 0)
		rc = -1;
	if (rc != 1)
		store_acme_origin_free(out);
	return rc;
}

int
store_acme_cert_lineage(struct store *st, const char *serial, int64_t *account_id, char successor[48])
{
	sqlite3_stmt *stmt = prep(st, "SELECT o.account_id, (SELECT n.serial FROM acme_orders no"
	    " JOIN certificates n ON n.serial = no.cert_serial WHERE n.status = 'valid'"
	    " AND n.profile = c.profile AND n.names_key = c.names_key AND n.key_type = c.key_type"
	    " AND (n.not_before > c.not_before OR (n.not_before = c.not_before AND n.id > c.id))"
	    " ORDER BY n.not_before DESC, n.id DESC LIMIT 1)"
	    " FROM acme_orders o JOIN certificates c ON c.serial = o.cert_serial"
	    " WHERE o.cert_serial = ? ORDER BY o.id LIMIT 1", "t", serial);
	int rc = step_row(st, stmt);

	*account_id = 0;
	successor[0] = '\0';
	if (rc == 1) {
		*account_id = sqlite3_column_int64(stmt, 0);
		col_copy(stmt, 1, successor, 48);
	}
	sqlite3_finalize(stmt);
	return rc;
}

void
store_acme_origin_free(struct store_acme_origin *o)
{
	free(o->contact);
	free(o->v);
	memset(o, 0, sizeof(*o));
}
