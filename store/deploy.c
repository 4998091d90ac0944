/* Deployments: the pending row written before a swap, its final state
 * with the audit event in one transaction, and listing for check. */
#include <stdlib.h>
#include <string.h>

#include "store_private.h"

#define DEPLOY_COLS \
	"d.id, d.cert_id, c.serial, d.profile, d.root, d.deployed_at, d.state, d.repair, d.detail," \
	" d.cert_path, d.cert_sha256, d.cert_prev_sha256, d.cert_tmp, d.cert_backup," \
	" d.cert_mode, d.cert_uid, d.cert_gid," \
	" d.key_path, d.key_sha256, d.key_prev_sha256, d.key_tmp, d.key_backup," \
	" d.key_mode, d.key_uid, d.key_gid"

static void
copy_col(char *dst, size_t len, sqlite3_stmt *stmt, int col)
{
	const unsigned char *t = sqlite3_column_text(stmt, col);

	snprintf(dst, len, "%s", t ? (const char *)t : "");
}

static int
read_file_cols(sqlite3_stmt *stmt, int col, struct store_deploy_file *f)
{
	f->path = store_col_text(stmt, col);
	copy_col(f->sha256, sizeof(f->sha256), stmt, col + 1);
	copy_col(f->prev_sha256, sizeof(f->prev_sha256), stmt, col + 2);
	f->tmp = store_col_text(stmt, col + 3);
	f->backup = store_col_text(stmt, col + 4);
	f->mode = sqlite3_column_int(stmt, col + 5);
	f->uid = sqlite3_column_int64(stmt, col + 6);
	f->gid = sqlite3_column_int64(stmt, col + 7);
	return f->path && f->tmp && f->backup ? 0 : -1;
}

static int
read_row(sqlite3_stmt *stmt, struct store_deployment *d)
{
	memset(d, 0, sizeof(*d));
	d->id = sqlite3_column_int64(stmt, 0);
	d->cert_id = sqlite3_column_int64(stmt, 1);
	copy_col(d->serial, sizeof(d->serial), stmt, 2);
	d->profile = store_col_text(stmt, 3);
	d->root = store_col_text(stmt, 4);
	d->deployed_at = sqlite3_column_int64(stmt, 5);
	copy_col(d->state, sizeof(d->state), stmt, 6);
	copy_col(d->repair, sizeof(d->repair), stmt, 7);
	d->detail = store_col_text(stmt, 8);
	if (d->profile == NULL || d->root == NULL || d->detail == NULL ||
	    read_file_cols(stmt, 9, &d->cert) < 0 || read_file_cols(stmt, 17, &d->key) < 0) {
		store_deploy_free(d);
		mc_seterr("out of memory");
		return -1;
	}
	return 0;
}

static void
file_free(struct store_deploy_file *f)
{
	free(f->path);
	free(f->tmp);
	free(f->backup);
	f->path = f->tmp = f->backup = NULL;
}

void
store_deploy_free(struct store_deployment *d)
{
	free(d->profile);
	free(d->root);
	free(d->detail);
	d->profile = d->root = d->detail = NULL;
	file_free(&d->cert);
	file_free(&d->key);
}

static const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

static void
bind_file(sqlite3_stmt *stmt, int col, const struct store_deploy_file *f)
{
	sqlite3_bind_text(stmt, col, f->path, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, col + 1, f->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, col + 2, f->prev_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, col + 3, nz(f->tmp), -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, col + 4, nz(f->backup), -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, col + 5, f->mode);
	sqlite3_bind_int64(stmt, col + 6, f->uid);
	sqlite3_bind_int64(stmt, col + 7, f->gid);
}

int
store_deploy_begin(struct store *st, struct store_deployment *d)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "INSERT INTO deployments (cert_id, profile, root, deployed_at, state, repair,"
	    " cert_path, cert_sha256, cert_prev_sha256, cert_tmp, cert_backup, cert_mode, cert_uid, cert_gid,"
	    " key_path, key_sha256, key_prev_sha256, key_tmp, key_backup, key_mode, key_uid, key_gid)"
	    " VALUES (?,?,?,?,'pending','forward',?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");

	if (stmt == NULL)
		return -1;
	if (d->deployed_at == 0)
		d->deployed_at = time(NULL);
	sqlite3_bind_int64(stmt, 1, d->cert_id);
	sqlite3_bind_text(stmt, 2, d->profile, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, d->root, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, d->deployed_at);
	bind_file(stmt, 5, &d->cert);
	bind_file(stmt, 13, &d->key);
	if (store_exec_stmt(st, stmt) < 0)
		return -1;
	d->id = sqlite3_last_insert_rowid(st->db);
	snprintf(d->state, sizeof(d->state), "pending");
	snprintf(d->repair, sizeof(d->repair), "forward");
	return 0;
}

int
store_deploy_set_repair(struct store *st, int64_t id, const char *repair)
{
	sqlite3_stmt *stmt = store_prepare(st, "UPDATE deployments SET repair = ? WHERE id = ?");

	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, repair, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, id);
	return store_exec_stmt(st, stmt);
}

static int
update_state(struct store *st, const struct store_deployment *d, const char *state, const char *detail)
{
	sqlite3_stmt *stmt = store_prepare(st, "UPDATE deployments SET state = ?, detail = ? WHERE id = ?");

	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, nz(detail), -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, d->id);
	return store_exec_stmt(st, stmt);
}

/* The files the earlier deployments wrote are gone now. */
static int
mark_replaced(struct store *st, const struct store_deployment *d)
{
	sqlite3_stmt *stmt = store_prepare(st, "UPDATE deployments SET state = 'replaced'"
	    " WHERE state = 'current' AND id != ? AND (cert_path IN (?, ?) OR key_path IN (?, ?))");

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, d->id);
	sqlite3_bind_text(stmt, 2, d->cert.path, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, d->key.path, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, d->cert.path, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, d->key.path, -1, SQLITE_STATIC);
	return store_exec_stmt(st, stmt);
}

static int
serial_of(struct store *st, int64_t cert_id, char *out, size_t len)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT serial FROM certificates WHERE id = ?");
	int rc = -1;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, cert_id);
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		copy_col(out, len, stmt, 0);
		rc = 0;
	} else {
		store_seterr(st, "look up the deployed certificate");
	}
	sqlite3_finalize(stmt);
	return rc;
}

int
store_deploy_finish(struct store *st, struct store_deployment *d, const char *state,
    const char *action, const char *detail)
{
	char serial[48];

	if (serial_of(st, d->cert_id, serial, sizeof(serial)) < 0 || store_begin(st) < 0)
		return -1;
	if (update_state(st, d, state, detail) < 0 ||
	    (strcmp(state, "current") == 0 && mark_replaced(st, d) < 0) ||
	    store_audit(st, action, serial,
	    "profile=%s root=%s cert=%s cert_sha256=%s cert_mode=%04o cert_owner=%lld:%lld"
	    " key=%s key_sha256=%s key_mode=%04o key_owner=%lld:%lld deployment=%lld%s%s",
	    d->profile, d->root, d->cert.path, d->cert.sha256, (unsigned)d->cert.mode,
	    (long long)d->cert.uid, (long long)d->cert.gid, d->key.path, d->key.sha256,
	    (unsigned)d->key.mode, (long long)d->key.uid, (long long)d->key.gid, (long long)d->id,
	    detail && *detail ? " detail=" : "", nz(detail)) < 0 ||
	    store_commit(st) < 0) {
		store_rollback(st);
		return -1;
	}
	snprintf(d->state, sizeof(d->state), "%s", state);
	return 0;
}

int
store_deploy_each(struct store *st, const struct store_deploy_filter *f, store_deploy_cb cb, void *arg)
{
	/* lineage: ?5 and every certificate renewed, directly or through
	 * later renewals, into it (UNION, not UNION ALL: no endless loop). */
	sqlite3_stmt *stmt = store_prepare(st, "WITH RECURSIVE lineage(id) AS ("
	    " SELECT ?5 UNION SELECT p.id FROM certificates p JOIN lineage l ON p.superseded_by = l.id)"
	    " SELECT " DEPLOY_COLS
	    " FROM deployments d JOIN certificates c ON c.id = d.cert_id"
	    " WHERE (?1 IS NULL OR d.state = ?1) AND (?2 IS NULL OR d.root = ?2)"
	    " AND (?3 IS NULL OR d.profile = ?3) AND (?4 IS NULL OR d.cert_path = ?4 OR d.key_path = ?4)"
	    " AND (?5 IS NULL OR d.cert_id IN lineage)"
	    " ORDER BY d.id DESC");
	struct store_deployment d;
	int rc = 0, step;

	if (stmt == NULL)
		return -1;
	if (f->state != NULL)
		sqlite3_bind_text(stmt, 1, f->state, -1, SQLITE_STATIC);
	if (f->root != NULL)
		sqlite3_bind_text(stmt, 2, f->root, -1, SQLITE_STATIC);
	if (f->profile != NULL)
		sqlite3_bind_text(stmt, 3, f->profile, -1, SQLITE_STATIC);
	if (f->path != NULL)
		sqlite3_bind_text(stmt, 4, f->path, -1, SQLITE_STATIC);
	if (f->lineage_of != 0)
		sqlite3_bind_int64(stmt, 5, f->lineage_of);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (read_row(stmt, &d) < 0) {
			rc = -1;
			break;
		}
		rc = cb(&d, arg);
		store_deploy_free(&d);
		if (rc != 0)
			break;
	}
	if (rc == 0 && step != SQLITE_DONE) {
		store_seterr(st, "list deployments");
		rc = -1;
	}
	sqlite3_finalize(stmt);
	return rc;
}

int
store_deploy_get(struct store *st, int64_t id, struct store_deployment *out)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT " DEPLOY_COLS
	    " FROM deployments d JOIN certificates c ON c.id = d.cert_id WHERE d.id = ?");
	int rc, found = -1;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		found = read_row(stmt, out) < 0 ? -1 : 1;
	else if (rc == SQLITE_DONE)
		found = 0;
	else
		store_seterr(st, "look up deployment");
	sqlite3_finalize(stmt);
	return found;
}

int
store_deploy_adopt(struct store *st, struct store_deployment *d)
{
	if (store_deploy_begin(st, d) < 0 || update_state(st, d, "current", d->detail) < 0)
		return -1;
	snprintf(d->state, sizeof(d->state), "current");
	return 0;
}
