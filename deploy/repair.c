/*
 * Deployments a crash left 'pending': finished when both new files are
 * intact (rolled forward), else undone (rolled back).  Also the system
 * trust store.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define TRUST_DIR "/usr/local/share/ca-certificates"
#define TRUST_FILE TRUST_DIR "/minica.crt"

static void
note(struct mc_strv *notes, const struct store_deployment *d, const char *what)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "deployment %lld of %s certificate %s to '%s' and '%s' was interrupted; %s",
	    (long long)d->id, d->profile, d->serial, d->cert.path, d->key.path, what);
	mc_strv_push(notes, buf);
}

/* *forward (may be NULL) is set when the swap was completed. */
static int
repair_one(struct store *st, struct store_deployment *d, struct mc_strv *notes, int *forward)
{
	int r = 0;

	if (strncmp(d->repair, "retire", 6) == 0) {
		if (undeploy_finish(st, d, notes) < 0)
			goto fail;
		note(notes, d, "finished undeploying it");
		return 0;
	}
	if (strcmp(d->repair, "forward") == 0 && (r = swap_forward_pair(d)) < 0)
		goto fail;
	if (r == 1) {
		swap_drop_backups(d);
		if (store_deploy_finish(st, d, "current", "deploy-repaired",
		    "rolled forward an interrupted deployment") < 0)
			goto fail;
		note(notes, d, "completed it (rolled forward)");
		if (forward != NULL)
			*forward = 1;
		return 0;
	}
	/* Staged files incomplete, or a rollback that was cut short. */
	if (store_deploy_set_repair(st, d->id, "back") < 0 || swap_back_pair(d) < 0 ||
	    store_deploy_finish(st, d, "failed", "deploy-rolled-back",
	    "undid an interrupted deployment; the previous files are back") < 0)
		goto fail;
	note(notes, d, "undid it (rolled back to the previous files)");
	return 0;
fail:
	mc_preferr("cannot repair interrupted deployment %lld of certificate %s", (long long)d->id, d->serial);
	return -1;
}

struct ids {
	int64_t v[64];
	size_t n;
};

static int
collect(const struct store_deployment *d, void *arg)
{
	struct ids *ids = arg;

	for (size_t i = 0; i < ids->n; i++)
		if (ids->v[i] == d->id)
			return 0;
	if (ids->n < sizeof(ids->v) / sizeof(ids->v[0]))
		ids->v[ids->n++] = d->id;
	return 0;
}

int
dep_repair_pending(struct store *st, const char *root, const char *path_a, const char *path_b,
    struct mc_strv *notes)
{
	struct store_deploy_filter f = { .state = "pending", .root = root, .path = path_a };
	struct ids ids = { .n = 0 };

	/* Collected first: repairing writes to the table being read. */
	if (store_deploy_each(st, &f, collect, &ids) < 0)
		return -1;
	if (path_b != NULL) {
		f.path = path_b;
		if (store_deploy_each(st, &f, collect, &ids) < 0)
			return -1;
	}
	/* Oldest first, so the newest interrupted deployment has the last word. */
	for (size_t i = ids.n; i-- > 0;) {
		struct store_deployment d;
		int found = store_deploy_get(st, ids.v[i], &d), rc;

		if (found < 0)
			return -1;
		if (found == 0)
			continue;
		rc = repair_one(st, &d, notes, NULL);
		store_deploy_free(&d);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
count_one(const struct store_deployment *d, void *arg)
{
	(void)d;
	(*(size_t *)arg)++;
	return 0;
}

int
dep_pending_count(struct store *st, size_t *n)
{
	struct store_deploy_filter f = { .state = "pending" };

	*n = 0;
	return store_deploy_each(st, &f, count_one, n);
}

/* After a roll forward by settle: the service gets the new pair now, as
 * the interrupted deploy would have done. */
static void
settle_reload(const struct pol_config *cfg, const struct store_deployment *d, struct mc_strv *notes)
{
	const struct pol_profile *p = pol_profile_find(cfg, d->profile);
	struct dep_run_result rr;
	char buf[DEP_OUTPUT_MAX + 256], *cmd;

	if (p == NULL || p->reload.n == 0)
		return;
	cmd = mc_strv_join(&p->reload, " ");
	if (p->running.n > 0 && dep_run(&p->running, cfg->reload_timeout, &rr) < 0 && !(rr.exited && rr.status == 127))
		snprintf(buf, sizeof(buf), "%s is not running: the completed pair will be used when it starts", p->name);
	else if (dep_run(&p->reload, cfg->reload_timeout, &rr) == 0)
		snprintf(buf, sizeof(buf), "reloaded %s: %s", p->name, cmd ? cmd : "");
	else
		snprintf(buf, sizeof(buf), "reloading %s after the repair failed: %s", p->name, mc_err());
	free(cmd);
	mc_strv_push(notes, buf);
}

int
dep_settle(struct store *st, const struct pol_config *cfg, struct mc_strv *notes)
{
	struct store_deploy_filter f = { .state = "pending" };
	struct ids ids = { .n = 0 };
	char buf[MC_ERR_MAX + 64];
	int rc = 0;

	if (store_deploy_each(st, &f, collect, &ids) < 0)
		return -1;
	for (size_t i = ids.n; i-- > 0;) {
		struct store_deployment d;
		int found = store_deploy_get(st, ids.v[i], &d), forward = 0;

		if (found <= 0) {
			if (found < 0)
				return -1;
			continue;
		}
		/* One that cannot be settled (its --root deleted, say) does
		 * not stop the others, nor the command. */
		if (repair_one(st, &d, notes, &forward) < 0) {
			snprintf(buf, sizeof(buf), "%s", mc_err());
			mc_strv_push(notes, buf);
			rc = 1;
		} else if (forward) {
			settle_reload(cfg, &d, notes);
		}
		store_deploy_free(&d);
	}
	return rc;
}

int
dep_system_trust(const char *root, X509 *ca, int timeout, struct mc_strv *notes)
{
	struct mc_strv argv = { 0 };
	struct dep_run_result rr;
	struct mc_buf pem = { 0 };
	char *dir = dep_path(root, TRUST_DIR), *file = dep_path(root, TRUST_FILE), buf[600];
	int rc = -1;

	if (dir == NULL || file == NULL || ca_cert_pem(ca, &pem) < 0 || mc_mkdir_p(dir, 0755) < 0 ||
	    mc_file_replace(file, 0644, 0, 0, pem.p, pem.len) < 0)
		goto out;
	if (root != NULL && strcmp(root, "/") != 0) {
		snprintf(buf, sizeof(buf), "installed '%s'; under --root only the file is written "
		    "(update-ca-certificates not run)", file);
	} else if (access("/usr/sbin/update-ca-certificates", X_OK) == 0) {
		if (mc_strv_push(&argv, "update-ca-certificates") < 0 || dep_run(&argv, timeout, &rr) < 0)
			goto out;
		snprintf(buf, sizeof(buf), "installed '%s' and ran update-ca-certificates", file);
	} else {
		snprintf(buf, sizeof(buf), "installed '%s'; update-ca-certificates is not installed, "
		    "so add it to the system's trust store by hand", file);
	}
	rc = mc_strv_push(notes, buf);
out:
	mc_strv_free(&argv);
	mc_buf_free(&pem);
	free(dir);
	free(file);
	return rc;
}
