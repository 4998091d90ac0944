/*
 * A deployment from start to finish: targets, the pending row, the pair
 * swap, the root certificate, the reload, and rollback when any of it
 * fails.  Also the repair of deployments a crash left pending.
 */
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

char *
dep_path(const char *root, const char *path)
{
	char *p = NULL;

	if (root == NULL || strcmp(root, "/") == 0)
		return mc_strdup(path);
	if (asprintf(&p, "%s%s", root, path) < 0) {
		mc_seterr("out of memory");
		return NULL;
	}
	return p;
}

char *
dep_root_resolve(const char *root)
{
	char buf[PATH_MAX];
	struct stat st;

	if (root == NULL || *root == '\0')
		return mc_strdup("/");
	if (realpath(root, buf) == NULL || stat(buf, &st) < 0) {
		mc_seterr("--root '%s': %s", root, strerror(errno));
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		mc_seterr("--root '%s' is not a folder", root);
		return NULL;
	}
	return mc_strdup(buf);
}

int
dep_targets_check(const struct pol_profile *prof, const char *root)
{
	char *cp = NULL, *kp = NULL;
	int rc = -1;

	if (prof->cert.path == NULL || prof->key.path == NULL) {
		mc_seterr("profile '%s' has no deploy targets (cert_file and key_file are none); "
		    "use --out DIR for its files", prof->name);
		return -1;
	}
	if ((cp = dep_path(root, prof->cert.path)) == NULL || (kp = dep_path(root, prof->key.path)) == NULL)
		goto out;
	if (strcmp(cp, kp) == 0) {
		mc_seterr("profile '%s': cert_file and key_file are the same file '%s'; "
		    "a certificate file never holds a key", prof->name, cp);
		goto out;
	}
	if (mc_file_check_target(cp) < 0 || mc_file_check_target(kp) < 0)
		goto out;
	rc = 0;
out:
	free(cp);
	free(kp);
	return rc;
}

/* User and group names as the profile gives them, or numeric ids. */
int
dep_resolve_owner(const struct pol_target *t, int64_t *uid, int64_t *gid)
{
	const char *u = t->owner ? t->owner : "root", *g = t->group ? t->group : "root";
	struct passwd *pw = getpwnam(u);
	struct group *gr = getgrnam(g);
	char *end;

	if (pw != NULL) {
		*uid = pw->pw_uid;
	} else if ((*uid = strtoll(u, &end, 10)) < 0 || *end != '\0' || end == u) {
		mc_seterr("unknown user '%s' (owner of '%s')", u, t->path);
		return -1;
	}
	if (gr != NULL) {
		*gid = gr->gr_gid;
	} else if ((*gid = strtoll(g, &end, 10)) < 0 || *end != '\0' || end == g) {
		mc_seterr("unknown group '%s' (group of '%s')", g, t->path);
		return -1;
	}
	return 0;
}

static int
side_name(const char *path, const char *prefix, char **out)
{
	char *a = mc_strdup(path), *b = mc_strdup(path);
	int rc = -1;

	if (a != NULL && b != NULL) {
		if (asprintf(out, "%s/%s%s", dirname(a), prefix, basename(b)) < 0)
			mc_seterr("out of memory");
		else
			rc = 0;
	}
	free(a);
	free(b);
	return rc;
}

/* A file at the target that no recorded deployment wrote (a hand-made
 * pair, another tool's) is kept as NAME.pre-minica, or NAME.pre-minica.N
 * when an earlier, different one holds that name. */
static int
plan_saved(struct store *st, struct store_deploy_file *f)
{
	char h[CA_FPR_LEN];
	int r;

	if ((r = store_deploy_wrote(st, f->path, f->prev_sha256)) < 0)
		return -1;
	/* minica's own file: the copy kept by an earlier deployment (if it
	 * is still there) stays the one undeploy --restore puts back. */
	if (r == 1) {
		if (store_deploy_saved(st, f->path, &f->saved) < 0)
			return -1;
		if (f->saved != NULL && (r = swap_hash(f->saved, h)) <= 0) {
			free(f->saved);
			f->saved = NULL;
		}
		if (f->saved != NULL)
			f->saved_before = 1;
		return r < 0 ? -1 : 0;
	}
	for (int n = 1; n < 10; n++) {
		free(f->saved);
		f->saved = NULL;
		if ((n == 1 ? asprintf(&f->saved, "%s.pre-minica", f->path) :
		    asprintf(&f->saved, "%s.pre-minica.%d", f->path, n)) < 0) {
			f->saved = NULL;
			mc_seterr("out of memory");
			return -1;
		}
		if ((r = swap_hash(f->saved, h)) < 0)
			return -1;
		if (r == 0 || strcmp(h, f->prev_sha256) == 0)
			return 0;
	}
	mc_seterr("'%s' was not written by minica and '%s' already holds nine earlier copies; "
	    "move them away first", f->path, f->saved);
	return -1;
}

/* Names, owner and the hash of what it replaces; the caller has
 * repaired any interrupted deployment to this path already. */
static int
plan_file(struct store *st, struct store_deploy_file *f, const char *root, const struct pol_target *t,
    const struct mc_buf *data)
{
	char *copy;
	int r;

	if ((f->path = dep_path(root, t->path)) == NULL ||
	    side_name(f->path, ".minica-new.", &f->tmp) < 0 ||
	    side_name(f->path, ".minica-old.", &f->backup) < 0 ||
	    dep_resolve_owner(t, &f->uid, &f->gid) < 0)
		return -1;
	f->mode = (int)t->mode;
	ca_sha256_hex(data->p, data->len, f->sha256);
	if ((r = swap_hash(f->path, f->prev_sha256)) < 0)
		return -1;
	if (r == 0)
		f->prev_sha256[0] = '\0';
	else if (plan_saved(st, f) < 0)
		return -1;
	/* The key's folder is created private; /etc/ssl/certs-like folders not. */
	if ((copy = mc_strdup(f->path)) == NULL)
		return -1;
	r = mc_mkdir_p(dirname(copy), (t->mode & 077) ? 0755 : 0700);
	free(copy);
	if (r < 0)
		return -1;
	return swap_remove_stale(f->tmp) < 0 || swap_remove_stale(f->backup) < 0 ? -1 : 0;
}

static int
install_ca(const struct dep_req *req, struct dep_result *res, struct store_deployment *d)
{
	const struct pol_target *t = &req->cfg->ca_cert;
	struct mc_buf pem = { 0 };
	int64_t uid, gid;
	char *copy = NULL;
	int rc = -1;

	if (t->path == NULL)
		return 0;
	if ((res->ca_path = dep_path(req->root, t->path)) == NULL || (copy = mc_strdup(res->ca_path)) == NULL)
		goto out;
	if (dep_resolve_owner(t, &uid, &gid) < 0 || ca_cert_pem(req->ca, &pem) < 0 ||
	    mc_mkdir_p(dirname(copy), 0755) < 0 ||
	    mc_file_replace(res->ca_path, t->mode, (uid_t)uid, (gid_t)gid, pem.p, pem.len) < 0)
		goto out;
	ca_sha256_hex(pem.p, pem.len, d->ca_sha256);
	d->ca_path = res->ca_path;	/* borrowed until dep_deploy returns */
	rc = 0;
out:
	mc_buf_free(&pem);
	free(copy);
	return rc;
}

static int
reload(const struct dep_req *req, struct dep_result *res)
{
	struct dep_run_result rr;
	char *cmd;
	int rc = dep_run(&req->prof->reload, req->cfg->reload_timeout, &rr);

	cmd = mc_strv_join(&req->prof->reload, " ");
	if (rc == 0 && cmd != NULL) {
		char note[DEP_OUTPUT_MAX + 600];

		snprintf(note, sizeof(note), "reloaded: %s%s%s", cmd, rr.output[0] ? "\n" : "", rr.output);
		while (note[0] && note[strlen(note) - 1] == '\n')
			note[strlen(note) - 1] = '\0';
		mc_strv_push(&res->notes, note);
	}
	free(cmd);
	return rc;
}

static void
note_saved(const struct store_deploy_file *f, const char *profile, struct dep_result *res)
{
	char note[2 * PATH_MAX + 128];

	if (f->saved == NULL || f->saved[0] == '\0' || f->saved_before)
		return;
	snprintf(note, sizeof(note), "'%s' was not written by minica: kept as '%s' "
	    "('minica undeploy %s --restore' puts it back)", f->path, f->saved, profile);
	mc_strv_push(&res->notes, note);
}

/* The profile's running check: 1 running (or no check), 0 not. */
static int
service_running(const struct dep_req *req, struct dep_result *res)
{
	struct dep_run_result rr;
	char note[512], *cmd;

	if (req->prof->running.n == 0)
		return 1;
	if (dep_run(&req->prof->running, req->cfg->reload_timeout, &rr) == 0)
		return 1;
	cmd = mc_strv_join(&req->prof->running, " ");
	/* A check that cannot run tells nothing: reload as without one. */
	if (rr.exited && rr.status == 127) {
		snprintf(note, sizeof(note), "cannot tell whether %s runs ('%s' could not be run); "
		    "reloading anyway", req->prof->name, cmd ? cmd : "?");
		free(cmd);
		mc_strv_push(&res->notes, note);
		return 1;
	}
	snprintf(note, sizeof(note), "%s is not running ('%s' says so): the files are in place and "
	    "will be used when it starts", req->prof->name, cmd ? cmd : "?");
	free(cmd);
	res->not_running = 1;
	mc_strv_push(&res->notes, note);
	return 0;
}

/* A failed reload with no previous pair: the new one stays. */
static int
keep_after_failed_reload(struct store *st, const struct dep_req *req, struct store_deployment *d,
    struct dep_result *res)
{
	char msg[MC_ERR_MAX], detail[MC_ERR_MAX + 32];

	snprintf(msg, sizeof(msg), "%s", mc_err());
	snprintf(detail, sizeof(detail), "reload failed: %s", msg);
	if (store_deploy_finish(st, d, "current", "deploy", detail) < 0) {
		mc_preferr("certificate %s is deployed, but recording it failed (the next minica "
		    "command records it)", req->rec->serial);
		return -1;
	}
	res->in_place = 1;
	mc_seterr("%s; the new certificate and key stay in place (there was no previous pair to go "
	    "back to): fix the service and reload it", msg);
	return -1;
}

/* Undoes a failed deployment and records it; why says what failed. */
static void
roll_back(struct store *st, const struct dep_req *req, struct store_deployment *d, const char *why,
    int reloaded_new, struct dep_result *res)
{
	char msg[MC_ERR_MAX] = "", again[MC_ERR_MAX] = "";
	int restored, had_prev = d->cert.prev_sha256[0] || d->key.prev_sha256[0];

	store_deploy_set_repair(st, d->id, "back");
	restored = swap_back_pair(d) == 0;
	if (!restored)
		snprintf(again, sizeof(again), "; restoring the previous files failed too (the next "
		    "'minica deploy' retries): %s", mc_err());
	else if (reloaded_new && had_prev && req->reload)
		snprintf(again, sizeof(again), reload(req, res) == 0 ?
		    "; the previous certificate and key were restored and the service reloaded again" :
		    "; the previous certificate and key were restored, but reloading again failed too: %s",
		    mc_err());
	else if (had_prev)
		snprintf(again, sizeof(again), "; the previous certificate and key were left in place");
	else
		snprintf(again, sizeof(again), "; the new files were removed (there was no previous pair)");
	/* A message too long for the buffer is cut, never overrun. */
	(void)mc_catf(msg, sizeof(msg), "%s", why);
	(void)mc_catf(msg, sizeof(msg), "%s", again);
	if (restored)
		store_deploy_finish(st, d, "failed", "deploy-failed", msg);
	mc_seterr("%s", msg);
}

static int
content(const struct dep_req *req, struct mc_buf *cert, struct mc_buf *key)
{
	int m = ca_key_matches_cert(req->key, req->cert);

	if (m < 0)
		return -1;
	if (m == 0) {
		mc_seterr("the key does not match certificate %s; nothing deployed", req->rec->serial);
		return -1;
	}
	/* Leaf first, then its issuer (the intermediate, or a root that
	 * signs leaves itself): what every daemon expects; after a root
	 * rotation the cross-certificate.  A DANE profile serves the root
	 * too: a 2 1 1 record names a key the server must send (RFC 7671
	 * section 5.2.2).  The cross-certificate carries the new root's key,
	 * and the self-signed new root beside it would lead NSS clients that
	 * trust only the old root astray, so with one the root stays out. */
	if (ca_cert_pem(req->cert, cert) < 0 || ca_cert_pem(req->chain ? req->chain : req->ca, cert) < 0 ||
	    (req->chain != NULL && req->cross != NULL && ca_cert_pem(req->cross, cert) < 0) ||
	    (req->chain != NULL && req->cross == NULL && req->prof != NULL && req->prof->dane &&
	    ca_cert_pem(req->ca, cert) < 0) ||
	    ca_key_plain_pem(req->key, key) < 0)
		return -1;
	return 0;
}

static int
sweep_dir_of(const char *path, const struct timespec *before, struct mc_strv *removed)
{
	char *copy = mc_strdup(path);
	int rc;

	if (copy == NULL)
		return -1;
	rc = mc_file_sweep_tmp(dirname(copy), before, removed);
	free(copy);
	return rc;
}

/* Temp files a killed minica left next to the targets (install_ca's and
 * any other mc_file_replace's) go, with a note for each. */
static int
sweep(const struct dep_req *req, const struct store_deployment *d, struct dep_result *res)
{
	struct mc_strv removed = { 0 };
	char *ca = NULL, note[PATH_MAX + 64];
	int rc = -1;

	if (req->stale_before == NULL)
		return 0;
	if (req->cfg->ca_cert.path != NULL && (ca = dep_path(req->root, req->cfg->ca_cert.path)) == NULL)
		return -1;
	if (sweep_dir_of(d->cert.path, req->stale_before, &removed) < 0 ||
	    sweep_dir_of(d->key.path, req->stale_before, &removed) < 0 ||
	    (ca != NULL && sweep_dir_of(ca, req->stale_before, &removed) < 0))
		goto out;
	for (size_t i = 0; i < removed.n; i++) {
		snprintf(note, sizeof(note), "removed '%s', left by an interrupted minica", removed.v[i]);
		if (mc_strv_push(&res->notes, note) < 0)
			goto out;
	}
	rc = 0;
out:
	mc_strv_free(&removed);
	free(ca);
	return rc;
}

/* Everything up to the pending row; nothing on disk changed yet
 * (except missing folders created and stale files of ours removed). */
static int
prepare(struct store *st, const struct dep_req *req, struct store_deployment *d,
    struct mc_buf *cert, struct mc_buf *key, struct dep_result *res)
{
	const struct pol_profile *p = req->prof;
	char *cp = NULL, *kp = NULL;
	int rc = -1;

	if (dep_preflight(req->cfg, p, req->root) < 0 || content(req, cert, key) < 0)
		return -1;
	if ((cp = dep_path(req->root, p->cert.path)) == NULL || (kp = dep_path(req->root, p->key.path)) == NULL ||
	    dep_repair_pending(st, NULL, cp, kp, &res->repairs) < 0)
		goto out;
	d->cert_id = req->rec->id;
	d->profile = (char *)p->name;
	d->root = (char *)(req->root ? req->root : "/");
	if (plan_file(st, &d->cert, req->root, &p->cert, cert) < 0 ||
	    plan_file(st, &d->key, req->root, &p->key, key) < 0 ||
	    sweep(req, d, res) < 0)
		goto out;
	rc = 0;
out:
	free(cp);
	free(kp);
	return rc;
}

int
dep_deploy(struct store *st, const struct dep_req *req, struct dep_result *res)
{
	struct store_deployment d = { 0 };
	struct mc_buf cert = { 0 }, key = { 0 };
	char why[MC_ERR_MAX];
	int rc = -1, reloaded = 0;

	if (prepare(st, req, &d, &cert, &key, res) < 0 || install_ca(req, res, &d) < 0 ||
	    store_deploy_begin(st, &d) < 0)
		goto out;
	if (swap_stage(&d.cert, &cert) < 0 || swap_stage(&d.key, &key) < 0 || swap_sync(&d) < 0 ||
	    swap_rename_pair(&d) < 0)
		goto undo;
	note_saved(&d.cert, d.profile, res);
	note_saved(&d.key, d.profile, res);
	if (req->reload && req->prof->reload.n > 0 && service_running(req, res)) {
		reloaded = 1;
		if (reload(req, res) < 0) {
			if (d.cert.prev_sha256[0] == '\0' && d.key.prev_sha256[0] == '\0') {
				keep_after_failed_reload(st, req, &d, res);
				goto out;
			}
			goto undo;
		}
		res->reloaded = 1;
	}
	/* Backups go before the row is final: a kill in between leaves it
	 * pending with both new files in place, which settles forward. */
	swap_drop_backups(&d);
	if (store_deploy_finish(st, &d, "current", "deploy", res->reloaded ? "reloaded" :
	    res->not_running ? "not running" :
	    req->reload ? "no reload command" : "not reloaded (--no-reload)") < 0) {
		mc_preferr("certificate %s is deployed, but recording it failed (the next minica "
		    "command records it)", req->rec->serial);
		goto out;
	}
	rc = 0;
	goto out;
undo:
	snprintf(why, sizeof(why), "%s", mc_err());
	roll_back(st, req, &d, why, reloaded, res);
out:
	if (rc == 0 || res->in_place || d.cert.path != NULL) {
		res->cert_path = d.cert.path;
		res->key_path = d.key.path;
		d.cert.path = d.key.path = NULL;
	}
	d.profile = d.root = d.ca_path = NULL;
	store_deploy_free(&d);
	mc_buf_free(&cert);
	mc_buf_free(&key);
	return rc;
}

void
dep_result_free(struct dep_result *res)
{
	free(res->cert_path);
	free(res->key_path);
	free(res->ca_path);
	mc_strv_free(&res->notes);
	mc_strv_free(&res->repairs);
	memset(res, 0, sizeof(*res));
}
