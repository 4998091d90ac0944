/* Issued certificates: insert, find, iterate. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "store_private.h"

#define CERT_COLS \
	"c.id, c.serial, c.profile, c.subject, c.cn, c.sans, c.key_type, c.not_before," \
	" c.not_after, c.fingerprint_sha256, c.pem, c.status, c.superseded_by," \
	" c.revoked_at, c.revocation_reason, c.imported, c.created_at," \
	" (SELECT s.serial FROM certificates s WHERE s.id = c.superseded_by), c.ca_id"
#define CERT_COLS_NO_PEM \
	"c.id, c.serial, c.profile, c.subject, c.cn, c.sans, c.key_type, c.not_before," \
	" c.not_after, c.fingerprint_sha256, '', c.status, c.superseded_by," \
	" c.revoked_at, c.revocation_reason, c.imported, c.created_at," \
	" (SELECT s.serial FROM certificates s WHERE s.id = c.superseded_by), c.ca_id"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *
store_names_key(const char *cn, const struct mc_strv *names)
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

static void
copy_col(char *dst, size_t len, sqlite3_stmt *stmt, int col)
{
	const unsigned char *t = sqlite3_column_text(stmt, col);

	snprintf(dst, len, "%s", t ? (const char *)t : "");
}

static int
read_row(sqlite3_stmt *stmt, struct store_cert *c)
{
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(stmt, 0);
	copy_col(c->serial, sizeof(c->serial), stmt, 1);
	c->profile = store_col_text(stmt, 2);
	c->subject = store_col_text(stmt, 3);
	c->cn = store_col_text(stmt, 4);
	if (split_lines((const char *)sqlite3_column_text(stmt, 5), &c->sans) < 0)
		return -1;
	copy_col(c->key_type, sizeof(c->key_type), stmt, 6);
	c->not_before = sqlite3_column_int64(stmt, 7);
	c->not_after = sqlite3_column_int64(stmt, 8);
	copy_col(c->fingerprint, sizeof(c->fingerprint), stmt, 9);
	c->pem = store_col_text(stmt, 10);
	copy_col(c->status, sizeof(c->status), stmt, 11);
	c->superseded_by = sqlite3_column_int64(stmt, 12);
	c->revoked_at = sqlite3_column_int64(stmt, 13);
	c->revocation_reason = store_col_text(stmt, 14);
	c->imported = sqlite3_column_int(stmt, 15);
	c->created_at = sqlite3_column_int64(stmt, 16);
	copy_col(c->superseded_by_serial, sizeof(c->superseded_by_serial), stmt, 17);
	c->ca_id = sqlite3_column_int64(stmt, 18);
	if (c->profile == NULL || c->subject == NULL || c->cn == NULL || c->pem == NULL) {
		store_cert_free(c);
		mc_seterr("out of memory");
		return -1;
	}
	return 0;
}

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
store_cert_insert(struct store *st, struct store_cert *c)
{
	char *sans = mc_strv_join(&c->sans, "\n"), *key = store_names_key(c->cn, &c->sans);
	sqlite3_stmt *stmt = NULL;
	int rc = -1;

	if (sans == NULL || key == NULL)
		goto out;
	stmt = store_prepare(st,
	    "INSERT INTO certificates (serial, profile, subject, cn, sans, names_key, key_type,"
	    " not_before, not_after, fingerprint_sha256, pem, status, imported, created_at,"
	    " revoked_at, revocation_reason, ca_id)"
	    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?, COALESCE(NULLIF(?, 0), " STORE_ISSUER_ID_SQL "))");
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
	sqlite3_bind_int64(stmt, 17, c->ca_id);
	rc = store_exec_stmt(st, stmt);
	if (rc == 0)
		c->id = sqlite3_last_insert_rowid(st->db);
out:
	free(sans);
	free(key);
	return rc;
}

int
store_cert_serial_exists(struct store *st, const char *serial)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT 1 FROM certificates WHERE serial = ?");
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, serial, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	store_seterr(st, "look up serial");
	return -1;
}

/* Serials are shown with and without colons and in either case. */
static int
normalise_serial(const char *in, char *out, size_t len)
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

	if (normalise_serial(serial, norm, sizeof(norm)) < 0) {
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
	char *key = store_names_key(cn, names);
	sqlite3_stmt *stmt = NULL;
	int rc, found = -1;

	if (key == NULL)
		return -1;
	/* "+c.status": without it SQLite walks certificates_current (every
	 * valid row, to skip the sort) instead of the (profile, names_key)
	 * index: a full scan per issue, quadratic for a batch. */
	stmt = store_prepare(st, "SELECT " CERT_COLS " FROM certificates c"
	    " WHERE c.profile = ? AND c.names_key = ? AND +c.status = 'valid'"
	    " ORDER BY c.not_after DESC LIMIT 1");
	if (stmt == NULL)
		goto out;
	sqlite3_bind_text(stmt, 1, profile, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		found = read_row(stmt, out) < 0 ? -1 : 1;
	else if (rc == SQLITE_DONE)
		found = 0;
	else
		store_seterr(st, "look up certificate");
out:
	sqlite3_finalize(stmt);
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

int
store_cert_each(struct store *st, const struct store_cert_filter *f, store_cert_cb cb, void *arg)
{
	const char *status = f->status ? f->status : f->all ? NULL : "valid";
	sqlite3_stmt *stmt = store_prepare(st, each_sql[f->no_pem ? 1 : 0][status ? 0 : 1]);
	struct store_cert c;
	int rc = 0, step;

	if (stmt == NULL)
		return -1;
	if (status != NULL)
		sqlite3_bind_text(stmt, 1, status, -1, SQLITE_STATIC);
	if (f->profile != NULL)
		sqlite3_bind_text(stmt, 2, f->profile, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, f->expiring_before);
	sqlite3_bind_int64(stmt, 4, f->ca_id);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (read_row(stmt, &c) < 0) {
			rc = -1;
			break;
		}
		rc = cb(&c, arg);
		store_cert_free(&c);
		if (rc != 0)
			break;
	}
	if (rc == 0 && step != SQLITE_DONE) {
		store_seterr(st, "list certificates");
		rc = -1;
	}
	sqlite3_finalize(stmt);
	return rc;
}
