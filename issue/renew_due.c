/*
 * What renew renews: the current certificates the due rule (policy/) says
 * are due, those a cut-short renew left stranded behind their successor,
 * and revoked certificates still deployed.  The same list serves renew
 * --dry-run and renew, so what is said is what is done.  A certificate an
 * ACME client ordered goes to a list of its own: minica does not hold its
 * key, and a renewal here would supersede it behind its client's back; so
 * does the ACME server's own certificate, which the server renews.
 */
#include <stdlib.h>
#include <string.h>

#include "issue.h"

struct due_walk {
	struct iss_due *out;
	const struct iss_due_sel *sel;
	struct store *db;
	char served[48];	/* the ACME server's own certificate, "" none */
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
push_acme(struct iss_due *l, const struct store_cert *c, int64_t account_id)
{
	if (l->nacme == l->acme_cap) {
		size_t ncap = l->acme_cap ? 2 * l->acme_cap : 4;
		struct iss_due_acme *nv = realloc(l->acme, ncap * sizeof(*nv));

		if (nv == NULL) {
			mc_seterr("out of memory");
			return -1;
		}
		l->acme = nv;
		l->acme_cap = ncap;
	}
	if (store_cert_dup(&l->acme[l->nacme].cert, c) < 0)
		return -1;
	l->acme[l->nacme++].account_id = account_id;
	return 0;
}

/* c would be renewed: unless an ACME client holds its key, or it is the
 * certificate 'minica acme serve' renews itself. */
static int
push_unless_acme(struct due_walk *w, const struct store_cert *c)
{
	char successor[48];
	int64_t account;
	int r;

	if (w->served[0] != '\0' && strcmp(c->serial, w->served) == 0)
		return push_acme(w->out, c, 0);
	if ((r = store_acme_cert_lineage(w->db, c->serial, &account, successor)) < 0)
		return -1;
	if (r == 0)
		return push_due(w->out, c);
	/* Renewed by its client already (no RFC 9773 replaces): not due. */
	return successor[0] != '\0' ? 0 : push_acme(w->out, c, account);
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
	return push_unless_acme(w, c);
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
	return r == 1 ? push_unless_acme(w, c) : 0;
}

int
iss_renew_due(struct mc_ca *ca, const struct iss_due_sel *sel, struct iss_due *out)
{
	struct due_walk w = { out, sel, ca->db, "" };
	struct store_cert_filter f = { 0 };

	memset(out, 0, sizeof(*out));
	iss_acme_tls_serial(ca, w.served);
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
	for (size_t i = 0; i < l->nacme; i++)
		store_cert_free(&l->acme[i].cert);
	free(l->v);
	free(l->acme);
	memset(l, 0, sizeof(*l));
}
