/* Issued certificates: insert, find, iterate. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CERT_COLS \
	"c.id, c.serial, c.profile, c.subject, c.cn, c.sans, c.key_type, c.not_before," \
	" c.not_after, c.fingerprint_sha256, c.pem, c.status, c.superseded_by," \
	" c.revoked_at, c.revocation_reason, c.imported, c.created_at," \
	" (SELECT s.serial FROM certificates s WHERE s.id = c.superseded_by), c.key_from_csr, c.ca_id"
#define CERT_COLS_NO_PEM \
	"c.id, c.serial, c.profile, c.subject, c.cn, c.sans, c.key_type, c.not_before," \
	" c.not_after, c.fingerprint_sha256, '', c.status, c.superseded_by," \
	" c.revoked_at, c.revocation_reason, c.imported, c.created_at," \
	" (SELECT s.serial FROM certificates s WHERE s.id = c.superseded_by), c.key_from_csr, c.ca_id"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, comma-joined names and CN: equal for the same set in any order. */
static char *
names_key(const char *cn, const struct mc_strv *names)
{
	struct mc_strv sorted = { 0 };
	char *key;

	if (cn != NULL && *cn != '\0' && mc_strv_push(&sorted, cn) < 0)
		return NULL;

	for (size_t i = 0; i < names->n; i++)
		if (!mc_strv_has(&sorted, names->v[i]) && mc_strv_push(&sorted, names->v[i]) < 0) {
			mc_strv_free(&sorted);
			return NULL;
		}
	if (sorted.n > 1)
		qsort(sorted.v, sorted.n, sizeof(char *), cmp_str);
	key = mc_strv_join(&sorted, ",");
	mc_strv_free(&sorted);
	return key;
}

static int
split_lines(const char *s, struct mc_strv *out)
{
	while (s != NULL && *s != '\0') {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		char one[512], *big = NULL;

		/* Names are at most 253 bytes: no allocation but the list's. */
		if (len >= sizeof(one) && (big = strndup(s, len)) == NULL) {
			mc_seterr("out of memory");
			return -1;
		}
		if (big == NULL) {
			memcpy(one, s, len);
			one[len] = '\0';
		}
		if (mc_strv_push(out, big ? big : one) < 0) {
			free(big);
			return -1;
		}
		free(big);
		s = nl ? nl + 1 : NULL;
	}
	return 0;
}

static int
read_row(sqlite3_stmt *stmt, void *row)
{
	struct store_cert *c = row;

	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(stmt, 0);
	store_col_copy(c->serial, sizeof(c->serial), stmt, 1);
	c->profile = store_col_text(stmt, 2);
	c->subject = store_col_text(stmt, 3);
	c->cn = store_col_text(stmt, 4);
	if (split_lines((const char *)sqlite3_column_text(stmt, 5), &c->sans) < 0)
		return -1;
	store_col_copy(c->key_type, sizeof(c->key_type), stmt, 6);
	c->not_before = sqlite3_column_int64(stmt, 7);
	c->not_after = sqlite3_column_int64(stmt, 8);
	store_col_copy(c->fingerprint, sizeof(c->fingerprint), stmt, 9);
	c->pem = store_col_text(stmt, 10);
	store_col_copy(c->status, sizeof(c->status), stmt, 11);
	c->superseded_by = sqlite3_column_int64(stmt, 12);
	c->revoked_at = sqlite3_column_int64(stmt, 13);
	c->revocation_reason = store_col_text(stmt, 14);
	c->imported = sqlite3_column_int(stmt, 15);
	c->created_at = sqlite3_column_int64(stmt, 16);
	store_col_copy(c->superseded_by_serial, sizeof(c->superseded_by_serial), stmt, 17);
	c->key_from_csr = sqlite3_column_int(stmt, 18);
	c->ca_id = sqlite3_column_int64(stmt, 19);
	if (c->profile == NULL || c->subject == NULL || c->cn == NULL || c->pem == NULL) {
		store_cert_free(c);
		mc_seterr("out of memory");
		return -1;
	}
	return 0;
}

static void
drop_row(void *row)
{
	store_cert_free(row);
}

static const struct store_rowtype cert_row = { read_row, drop_row };

void
store_cert_free(struct store_cert *c)
{
	free(c->profile);
	free(c->subject);
	free(c->cn);
	free(c->pem);
	free(c->revocation_reason);
	mc_strv_free(&c->sans);
	c->profile = c->subject = c->cn = c->pem = c->revocation_reason = NULL;
}

int
store_serial_has_prefix(const char *serial, const char *prefix)
{
	char norm[64];

	return store_serial_normalise(prefix, norm, sizeof(norm)) == 0 && strncmp(serial, norm, strlen(norm)) == 0;
}

int
store_cert_dup(struct store_cert *dst, const struct store_cert *src)
{
	*dst = *src;
	dst->profile = mc_strdup(src->profile);
	dst->subject = mc_strdup(src->subject);
	dst->cn = mc_strdup(src->cn);
	dst->pem = mc_strdup(src->pem);
	dst->revocation_reason = src->revocation_reason ? mc_strdup(src->revocation_reason) : NULL;
	memset(&dst->sans, 0, sizeof(dst->sans));
	for (size_t i = 0; i < src->sans.n; i++)
		if (mc_strv_push(&dst->sans, src->sans.v[i]) < 0)
			goto fail;
	if (dst->profile && dst->subject && dst->cn && dst->pem &&
	    (src->revocation_reason == NULL || dst->revocation_reason != NULL))
		return 0;
	mc_seterr("out of memory");
fail:
	store_cert_free(dst);
	return -1;
}

int
store_cert_insert(struct store *st, struct store_cert *c)
{
	char *sans = mc_strv_join(&c->sans, "\n"), *key = names_key(c->cn, &c->sans);
	sqlite3_stmt *stmt = NULL;
	int rc = -1;

	if (sans == NULL || key == NULL)
		goto out;
	stmt = store_kept(st, STORE_KEPT_CERT_INSERT,
	    "INSERT INTO certificates (serial, profile, subject, cn, sans, names_key, key_type,"
	    " not_before, not_after, fingerprint_sha256, pem, status, imported, created_at,"
	    " revoked_at, revocation_reason, key_from_csr, ca_id)"
	    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?, COALESCE(NULLIF(?, 0), " STORE_ISSUER_ID_SQL "))");
	if (stmt == NULL)
		goto out;
	sqlite3_bind_text(stmt, 1, c->serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, c->profile, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, c->subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, c->cn ? c->cn : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, sans, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 7, c->key_type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 8, c->not_before);
	sqlite3_bind_int64(stmt, 9, c->not_after);
	sqlite3_bind_text(stmt, 10, c->fingerprint, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 11, c->pem, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 12, c->status[0] ? c->status : "valid", -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 13, c->imported);
	sqlite3_bind_int64(stmt, 14, c->created_at ? c->created_at : time(NULL));
	if (c->revoked_at)
		sqlite3_bind_int64(stmt, 15, c->revoked_at);
	if (c->revocation_reason)
		sqlite3_bind_text(stmt, 16, c->revocation_reason, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 17, c->key_from_csr);
	sqlite3_bind_int64(stmt, 18, c->ca_id);
	rc = store_exec_kept(st, stmt);
	if (rc == 0)
		c->id = sqlite3_last_insert_rowid(st->db);
out:
	free(sans);
	free(key);
	return rc;
}

int
store_cert_newest(struct store *st, const char *profile, time_t now, char serial[48])
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT serial FROM certificates"
	    " WHERE profile = ? AND status = 'valid' AND not_after > ?"
	    " ORDER BY not_before DESC, id DESC LIMIT 1");
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, profile, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)now);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		snprintf(serial, 48, "%s", (const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	store_seterr(st, "look up the newest certificate");
	return -1;
}

int
store_cert_serial_exists(struct store *st, const char *serial)
{
	sqlite3_stmt *stmt = store_kept(st, STORE_KEPT_SERIAL_EXISTS, "SELECT 1 FROM certificates WHERE serial = ?");
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, serial, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	store_stmt_done(st, stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	store_seterr(st, "look up serial");
	return -1;
}

/* Serials are shown with and without colons and in either case. */
int
store_serial_normalise(const char *in, char *out, size_t len)
{
	size_t n = 0;

	for (; *in; in++) {
		if (*in == ':')
			continue;
		if (!isxdigit((unsigned char)*in) || n + 1 >= len)
			return -1;
		out[n++] = (char)tolower((unsigned char)*in);
	}
	out[n] = '\0';
	return n > 0 ? 0 : -1;
}

int
store_cert_find(struct store *st, const char *serial, struct store_cert *out)
{
	char norm[64], pattern[70];
	sqlite3_stmt *stmt;
	int rc, found = 0;

	if (store_serial_normalise(serial, norm, sizeof(norm)) < 0) {
		mc_seterr("'%s' is not a serial number (hexadecimal digits)", serial);
		return -1;
	}
	snprintf(pattern, sizeof(pattern), "%s*", norm);
	stmt = store_prepare(st, "SELECT " CERT_COLS " FROM certificates c"
	    " WHERE c.serial GLOB ? ORDER BY c.serial = ? DESC, c.id LIMIT 3");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, pattern, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, norm, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (found == 1) {
			/* An exact match wins over longer serials it prefixes. */
			if (strcmp(out->serial, norm) == 0)
				break;
			mc_seterr("serial prefix '%s' is ambiguous (%s, %s, ...); give more digits",
			    serial, out->serial, (const char *)sqlite3_column_text(stmt, 1));
			store_cert_free(out);
			found = -1;
			break;
		}
		if (read_row(stmt, out) < 0) {
			found = -1;
			break;
		}
		found = 1;
	}
	if (found == 0 && rc != SQLITE_DONE) {
		store_seterr(st, "look up certificate");
		found = -1;
	}
	sqlite3_finalize(stmt);
	return found;
}

int
store_cert_find_current(struct store *st, const char *profile, const char *cn,
    const struct mc_strv *names, struct store_cert *out)
{
	char *key = names_key(cn, names);
	sqlite3_stmt *stmt = NULL;
	int found = -1;

	if (key == NULL)
		return -1;
	/* "+c.status": without it SQLite walks certificates_current (every
	 * valid row, to skip the sort) instead of the (profile, names_key)
	 * index: a full scan per issue, quadratic for a batch. */
	stmt = store_kept(st, STORE_KEPT_CERT_CURRENT, "SELECT " CERT_COLS " FROM certificates c"
	    " WHERE c.profile = ? AND c.names_key = ? AND +c.status = 'valid'"
	    " ORDER BY c.not_after DESC LIMIT 1");
	if (stmt == NULL)
		goto out;
	sqlite3_bind_text(stmt, 1, profile, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, key, -1, SQLITE_STATIC);
	found = store_rows_one(st, stmt, &cert_row, out, "look up certificate");
out:
	free(key);
	return found;
}

/* Two fixed statements, not one with "(? OR status = 'valid')": only an
 * equality on status lets SQLite walk certificates_current in expiry
 * order; otherwise it sorts every row, PEM and all, in a temp b-tree
 * (over a second for 100,000 certificates).  Without the PEM the sort
 * --all needs stays small. */
#define EACH_WHERE " AND (?2 IS NULL OR c.profile = ?2) AND (?3 = 0 OR c.not_after < ?3)" \
	" AND (?4 = 0 OR c.ca_id = ?4)" \
	" ORDER BY c.not_after, c.id"

static const char *const each_sql[2][2] = {
	{ "SELECT " CERT_COLS " FROM certificates c WHERE c.status = ?1" EACH_WHERE,
	  "SELECT " CERT_COLS " FROM certificates c WHERE ?1 IS NULL" EACH_WHERE },
	{ "SELECT " CERT_COLS_NO_PEM " FROM certificates c WHERE c.status = ?1" EACH_WHERE,
	  "SELECT " CERT_COLS_NO_PEM " FROM certificates c WHERE ?1 IS NULL" EACH_WHERE },
};

struct each_cert {
	store_cert_cb cb;
	void *arg;
};

static int
call_cert(void *row, void *arg)
{
	const struct each_cert *e = arg;

	return e->cb(row, e->arg);
}

int
store_cert_each(struct store *st, const struct store_cert_filter *f, store_cert_cb cb, void *arg)
{
	const char *status = f->status ? f->status : f->all ? NULL : "valid";
	sqlite3_stmt *stmt = store_prepare(st, each_sql[f->no_pem ? 1 : 0][status ? 0 : 1]);
	struct each_cert e = { cb, arg };
	struct store_cert c;

	if (stmt == NULL)
		return -1;
	if (status != NULL)
		sqlite3_bind_text(stmt, 1, status, -1, SQLITE_STATIC);
	if (f->profile != NULL)
		sqlite3_bind_text(stmt, 2, f->profile, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, f->expiring_before);
	sqlite3_bind_int64(stmt, 4, f->ca_id);
	return store_rows_each(st, stmt, &cert_row, &c, call_cert, &e, "list certificates");
}
