/* Deployments: the pending row written before a swap, its final state
 * with the audit event in one transaction, and listing for check. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define DEPLOY_COLS \
	"d.id, d.cert_id, c.serial, d.profile, d.root, d.deployed_at, d.state, d.repair, d.detail," \
	" d.cert_path, d.cert_sha256, d.cert_prev_sha256, d.cert_tmp, d.cert_backup," \
	" d.cert_mode, d.cert_uid, d.cert_gid," \
	" d.key_path, d.key_sha256, d.key_prev_sha256, d.key_tmp, d.key_backup," \
	" d.key_mode, d.key_uid, d.key_gid, d.cert_saved, d.key_saved, d.ca_path, d.ca_sha256"

static int
read_file_cols(sqlite3_stmt *stmt, int col, struct store_deploy_file *f)
{
	f->path = store_col_text(stmt, col);
	store_col_copy(f->sha256, sizeof(f->sha256), stmt, col + 1);
	store_col_copy(f->prev_sha256, sizeof(f->prev_sha256), stmt, col + 2);
	f->tmp = store_col_text(stmt, col + 3);
	f->backup = store_col_text(stmt, col + 4);
	f->mode = sqlite3_column_int(stmt, col + 5);
	f->uid = sqlite3_column_int64(stmt, col + 6);
	f->gid = sqlite3_column_int64(stmt, col + 7);
	return f->path && f->tmp && f->backup ? 0 : -1;
}

static int
read_row(sqlite3_stmt *stmt, void *row)
{
	struct store_deployment *d = row;

	memset(d, 0, sizeof(*d));
	d->id = sqlite3_column_int64(stmt, 0);
	d->cert_id = sqlite3_column_int64(stmt, 1);
	store_col_copy(d->serial, sizeof(d->serial), stmt, 2);
	d->profile = store_col_text(stmt, 3);
	d->root = store_col_text(stmt, 4);
	d->deployed_at = sqlite3_column_int64(stmt, 5);
	store_col_copy(d->state, sizeof(d->state), stmt, 6);
	store_col_copy(d->repair, sizeof(d->repair), stmt, 7);
	d->detail = store_col_text(stmt, 8);
	d->cert.saved = store_col_text(stmt, 25);
	d->key.saved = store_col_text(stmt, 26);
	d->ca_path = store_col_text(stmt, 27);
	store_col_copy(d->ca_sha256, sizeof(d->ca_sha256), stmt, 28);
	if (d->profile == NULL || d->root == NULL || d->detail == NULL || d->cert.saved == NULL || d->ca_path == NULL ||
	    d->key.saved == NULL || read_file_cols(stmt, 9, &d->cert) < 0 || read_file_cols(stmt, 17, &d->key) < 0) {
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
	free(f->saved);
	f->path = f->tmp = f->backup = f->saved = NULL;
}

void
store_deploy_free(struct store_deployment *d)
{
	free(d->profile);
	free(d->root);
	free(d->detail);
	free(d->ca_path);
	d->profile = d->root = d->detail = d->ca_path = NULL;
	file_free(&d->cert);
	file_free(&d->key);
}

static void
drop_row(void *row)
{
	store_deploy_free(row);
}

static const struct store_rowtype deploy_row = { read_row, drop_row };

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
	    " key_path, key_sha256, key_prev_sha256, key_tmp, key_backup, key_mode, key_uid, key_gid,"
	    " cert_saved, key_saved, ca_path, ca_sha256)"
	    " VALUES (?,?,?,?,'pending','forward',?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");

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
	sqlite3_bind_text(stmt, 21, nz(d->cert.saved), -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 22, nz(d->key.saved), -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 23, nz(d->ca_path), -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 24, d->ca_sha256, -1, SQLITE_STATIC);
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
		store_col_copy(out, len, stmt, 0);
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

struct each_deploy {
	store_deploy_cb cb;
	void *arg;
};

static int
call_deploy(void *row, void *arg)
{
	const struct each_deploy *e = arg;

	return e->cb(row, e->arg);
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
	struct each_deploy e = { cb, arg };
	struct store_deployment d;

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
	return store_rows_each(st, stmt, &deploy_row, &d, call_deploy, &e, "list deployments");
}

int
store_deploy_wrote(struct store *st, const char *path, const char *sha256)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT 1 FROM deployments WHERE"
	    " (cert_path = ?1 AND cert_sha256 = ?2) OR (key_path = ?1 AND key_sha256 = ?2) LIMIT 1");
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, sha256, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	store_seterr(st, "look up deployments");
	return -1;
}

int
store_deploy_saved(struct store *st, const char *path, char **saved)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT CASE WHEN cert_path = ?1 THEN cert_saved ELSE key_saved END"
	    " FROM deployments WHERE (cert_path = ?1 AND cert_saved != '') OR (key_path = ?1 AND key_saved != '')"
	    " ORDER BY id DESC LIMIT 1");
	int rc;

	*saved = NULL;
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, path, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW && (*saved = store_col_text(stmt, 0)) == NULL)
		rc = SQLITE_NOMEM;
	sqlite3_finalize(stmt);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return 0;
	store_seterr(st, "look up deployments");
	return -1;
}

int
store_deploy_begin_retire(struct store *st, struct store_deployment *d, const char *repair)
{
	sqlite3_stmt *stmt = store_prepare(st, "UPDATE deployments SET state = 'pending', repair = ? WHERE id = ?");

	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, repair, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, d->id);
	if (store_exec_stmt(st, stmt) < 0)
		return -1;
	snprintf(d->state, sizeof(d->state), "pending");
	snprintf(d->repair, sizeof(d->repair), "%s", repair);
	return 0;
}

int
store_deploy_retire(struct store *st, struct store_deployment *d, const char *detail)
{
	if (store_begin(st) < 0)
		return -1;
	if (update_state(st, d, "retired", detail) < 0 ||
	    store_audit(st, "undeploy", d->serial, "profile=%s root=%s cert=%s key=%s deployment=%lld detail=%s",
	    d->profile, d->root, d->cert.path, d->key.path, (long long)d->id, nz(detail)) < 0 ||
	    store_commit(st) < 0) {
		store_rollback(st);
		return -1;
	}
	snprintf(d->state, sizeof(d->state), "retired");
	return 0;
}

int
store_deploy_get(struct store *st, int64_t id, struct store_deployment *out)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT " DEPLOY_COLS
	    " FROM deployments d JOIN certificates c ON c.id = d.cert_id WHERE d.id = ?");

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	return store_rows_one(st, stmt, &deploy_row, out, "look up deployment");
}

int
store_deploy_is_current(struct store *st, int64_t cert_id, const char *root)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT 1 FROM deployments WHERE cert_id = ? AND state = 'current'"
	    " AND (?2 IS NULL OR root = ?2) LIMIT 1");
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, cert_id);
	if (root != NULL)
		sqlite3_bind_text(stmt, 2, root, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	store_seterr(st, "look up deployments");
	return -1;
}

int
store_deploy_adopt(struct store *st, struct store_deployment *d)
{
	if (store_deploy_begin(st, d) < 0 || update_state(st, d, "current", d->detail) < 0)
		return -1;
	snprintf(d->state, sizeof(d->state), "current");
	return 0;
}
