/*
 * What renew renews: the current certificates the due rule (policy/) says
 * are due, those a cut-short renew left stranded behind their successor,
 * and revoked certificates still deployed.  The same list serves renew
 * --dry-run and renew, so what is said is what is done.
 */
#include <stdlib.h>
#include <string.h>

#include "issue.h"

struct due_walk {
	struct iss_due *out;
	const struct iss_due_sel *sel;
	struct store *db;
};

static int
selected(const struct iss_due_sel *s, const struct store_cert *c)
{
	int any = s->nonly == 0;

	for (size_t i = 0; i < s->nonly; i++) {
		/* A serial prefix in any case, with or without colons, as show
		 * and revoke take it. */
		if (strcmp(s->only[i], c->profile) != 0 && !store_serial_has_prefix(c->serial, s->only[i]))
			continue;
		if (s->matched != NULL)
			s->matched[i] = 1;
		any = 1;
	}
	return any;
}

static int
is_predecessor(const struct store_deployment *d, void *arg)
{
	return d->cert_id != *(const int64_t *)arg;
}

/* A renew cut short between recording the new certificate and deploying
 * it leaves its predecessor deployed: renewing again puts the lineage's
 * newest certificate there, so the stranded one does not expire in use. */
static int
stranded(struct store *db, const struct store_cert *c, const char *root)
{
	struct store_deploy_filter f = { .state = "current", .root = root, .lineage_of = c->id };

	return store_deploy_each(db, &f, is_predecessor, (void *)&c->id);
}

static int
push_due(struct iss_due *l, const struct store_cert *c)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? 2 * l->cap : 8;
		struct store_cert *nv = realloc(l->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			mc_seterr("out of memory");
			return -1;
		}
		l->v = nv;
		l->cap = ncap;
	}
	/* store_cert_each frees c after this returns. */
	if (store_cert_dup(&l->v[l->n], c) < 0)
		return -1;
	l->n++;
	return 0;
}

static int
collect_due(const struct store_cert *c, void *arg)
{
	struct due_walk *w = arg;
	int due;

	w->out->current++;
	if (!selected(w->sel, c))
		return 0;
	due = w->sel->force || pol_cert_due(c->not_before, c->not_after, w->sel->now, w->sel->days);
	if (!due && (due = stranded(w->db, c, w->sel->root)) < 0)
		return -1;
	if (!due)
		return 0;
	return push_due(w->out, c);
}

/* A revoked certificate still deployed is replaced (its renewal is
 * linked to it; it stays revoked), once. */
static int
collect_revoked(const struct store_cert *c, void *arg)
{
	struct due_walk *w = arg;
	int r;

	if (c->superseded_by != 0 || !selected(w->sel, c))
		return 0;
	if ((r = store_deploy_is_current(w->db, c->id, w->sel->root)) < 0)
		return -1;
	return r == 1 ? push_due(w->out, c) : 0;
}

int
iss_renew_due(struct mc_ca *ca, const struct iss_due_sel *sel, struct iss_due *out)
{
	struct due_walk w = { out, sel, ca->db };
	struct store_cert_filter f = { 0 };

	memset(out, 0, sizeof(*out));
	if (store_cert_each(ca->db, &f, collect_due, &w) < 0)
		goto fail;
	f.status = "revoked";
	if (store_cert_each(ca->db, &f, collect_revoked, &w) < 0)
		goto fail;
	return 0;
fail:
	iss_due_free(out);
	return -1;
}

void
iss_due_free(struct iss_due *l)
{
	for (size_t i = 0; i < l->n; i++)
		store_cert_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}
