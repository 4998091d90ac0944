/*
 * Retiring deployments (undeploy): the row is forgotten so check stops
 * reporting it; with remove_files the files minica wrote go (never a
 * file changed since; the root file only with the last deployment that
 * uses it), with restore the NAME.pre-minica files minica
 * kept before its first swap are put back.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static int __attribute__((format(printf, 2, 3)))
say(struct mc_strv *notes, const char *fmt, ...)
{
	char buf[2 * 4096 + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return mc_strv_push(notes, buf);
}

/* 1 if path holds exactly what minica wrote there, 0 if missing, 2 if
 * something else, -1 on error. */
static int
ours(const struct store_deploy_file *f)
{
	char h[CA_FPR_LEN];
	int r = swap_hash(f->path, h);

	if (r < 0)
		return -1;
	if (r == 0)
		return 0;
	return strcmp(h, f->sha256) == 0 ? 1 : 2;
}

static int
remove_one(const struct store_deploy_file *f, struct mc_strv *notes)
{
	int r = ours(f);

	if (r < 0)
		return -1;
	if (r == 2)
		return say(notes, "left '%s': it changed since minica wrote it", f->path);
	if (r == 1 && unlink(f->path) < 0) {
		mc_seterr("cannot remove '%s': %s", f->path, strerror(errno));
		return -1;
	}
	return r == 1 ? say(notes, "removed '%s'", f->path) : 0;
}

struct ca_users {
	const struct store_deployment *d;
	int64_t other;		/* a deployment other than d using d's root file */
};

static int
uses_ca_file(const struct store_deployment *o, void *arg)
{
	struct ca_users *u = arg;

	if (o->id == u->d->id || o->ca_path == NULL || strcmp(o->ca_path, u->d->ca_path) != 0)
		return 0;
	if (strcmp(o->state, "current") != 0 && strcmp(o->state, "pending") != 0)
		return 0;
	u->other = o->id;
	return 1;
}

/* The root file (minica-ca.pem) is shared by every deployment under its
 * root: it goes with the last one that uses it, and only as written. */
static int
remove_ca_file(struct store *st, const struct store_deployment *d, struct mc_strv *notes)
{
	struct store_deploy_file f = { .path = d->ca_path };
	struct store_deploy_filter all = { 0 };
	struct ca_users u = { d, 0 };

	if (d->ca_path == NULL || d->ca_path[0] == '\0')
		return 0;
	if (store_deploy_each(st, &all, uses_ca_file, &u) < 0)
		return -1;
	if (u.other != 0)
		return say(notes, "left '%s': deployment %lld uses it too", d->ca_path, (long long)u.other);
	memcpy(f.sha256, d->ca_sha256, sizeof(f.sha256));
	return remove_one(&f, notes);
}

/* The kept file goes back over minica's (or into an empty place), never
 * over a file someone changed since. */
static int
restore_one(const struct store_deploy_file *f, struct mc_strv *notes)
{
	char h[CA_FPR_LEN];
	int r;

	if (f->saved == NULL || f->saved[0] == '\0')
		return 0;
	if ((r = swap_hash(f->saved, h)) < 0)
		return -1;
	if (r == 0)
		return say(notes, "'%s' is gone; nothing to restore at '%s'", f->saved, f->path);
	if ((r = ours(f)) < 0)
		return -1;
	if (r == 2)
		return say(notes, "did not restore '%s': '%s' changed since minica wrote it", f->saved, f->path);
	if (rename(f->saved, f->path) < 0) {
		mc_seterr("cannot restore '%s' as '%s': %s", f->saved, f->path, strerror(errno));
		return -1;
	}
	return say(notes, "restored '%s' from '%s'", f->path, f->saved);
}

/* The file side and the final row; also what finishes an undeploy a
 * kill interrupted (its row pending with repair retire*): every step
 * can run again. */
int
undeploy_finish(struct store *st, struct store_deployment *d, struct mc_strv *notes)
{
	int restore = strcmp(d->repair, "retire-restore") == 0, remove = strcmp(d->repair, "retire-remove") == 0;
	const char *detail = restore ? "files restored" : remove ? "files removed" : "files left";

	if ((restore && (restore_one(&d->cert, notes) < 0 || restore_one(&d->key, notes) < 0)) ||
	    (remove && (remove_one(&d->cert, notes) < 0 || remove_one(&d->key, notes) < 0 ||
	    remove_ca_file(st, d, notes) < 0)) ||
	    ((restore || remove) && swap_sync(d) < 0) || store_deploy_retire(st, d, detail) < 0) {
		mc_preferr("cannot undeploy deployment %lld of certificate %s", (long long)d->id, d->serial);
		return -1;
	}
	return 0;
}

static int
retire_one(struct store *st, struct store_deployment *d, const struct dep_undeploy_req *r,
    struct mc_strv *notes)
{
	const char *repair = r->restore ? "retire-restore" : r->remove_files ? "retire-remove" : "retire";

	/* --restore and --remove-files together: restore wins where there
	 * is a kept file, the rest is removed. */
	if (store_deploy_begin_retire(st, d, repair) < 0)
		return -1;
	if (r->restore && r->remove_files && ((d->cert.saved[0] == '\0' && remove_one(&d->cert, notes) < 0) ||
	    (d->key.saved[0] == '\0' && remove_one(&d->key, notes) < 0)))
		return -1;
	return undeploy_finish(st, d, notes);
}

struct match {
	const struct dep_undeploy_req *r;
	int64_t ids[256];
	size_t n;
};

static int
collect(const struct store_deployment *d, void *arg)
{
	struct match *m = arg;

	if (m->r->serial != NULL && strcmp(d->serial, m->r->serial) != 0)
		return 0;
	if (m->n >= sizeof(m->ids) / sizeof(m->ids[0])) {
		mc_seterr("more than %zu deployments match; give --root", m->n);
		return -1;
	}
	m->ids[m->n++] = d->id;
	return 0;
}

int
dep_undeploy(struct store *st, const struct dep_undeploy_req *r, struct mc_strv *notes, size_t *count)
{
	struct store_deploy_filter f = { .state = "current", .root = r->root, .profile = r->profile };
	struct match m = { .r = r, .n = 0 };

	*count = 0;
	/* An interrupted swap is settled first: its files are then known. */
	if (dep_repair_pending(st, r->root, NULL, NULL, notes) < 0 || store_deploy_each(st, &f, collect, &m) < 0)
		return -1;
	for (size_t i = 0; i < m.n; i++) {
		struct store_deployment d;
		int found = store_deploy_get(st, m.ids[i], &d), rc;

		if (found <= 0)
			return found < 0 ? -1 : 0;
		rc = retire_one(st, &d, r, notes);
		store_deploy_free(&d);
		if (rc < 0)
			return -1;
		(*count)++;
	}
	return 0;
}
