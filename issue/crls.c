/*
 * One CRL per CA that still has valid children.  After a rotation a
 * retired intermediate's leaves stay valid until they expire, and an old
 * root's intermediates and cross-certificate until it does: each of
 * those CAs keeps publishing its own CRL, signed by its own key (an
 * indirect CRL signed by the root alone would need the root online and
 * is poorly supported by clients), numbered per CA.
 *
 * Two levels: the leaf level (every intermediate that is neither revoked
 * nor expired and is current or still has unexpired leaves; in a home
 * whose root signs, the root) and the root level (every root not expired
 * that is current or still has unexpired children).  Each CA's CRL goes
 * to HOME/crl/ROLE-SKI8.pem and .crl (DER, what an http:// distribution
 * point serves), names that depend only on the CA's key; the current
 * CA's also where users already point their configs: the path the last
 * CRL of that level went to (crl --out), else HOME/crl.pem or
 * HOME/root-crl.pem.  A level is watched once a CRL of it was written.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "issue.h"

#define DAYS_DEFAULT 30

int
iss_crl_stem(X509 *cert, const char *role, char *out, size_t len)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(cert);
	char hex[9];

	if (ski == NULL || ASN1_STRING_length(ski) < 4) {
		mc_seterr("the CA certificate has no subjectKeyIdentifier to name its CRL after");
		return -1;
	}
	mc_hex(ASN1_STRING_get0_data(ski), 4, hex);
	snprintf(out, len, "%s-%s", strcmp(role, "root") == 0 ? "root" : "intermediate", hex);
	return 0;
}

char *
iss_crl_path(const struct mc_ca *ca, const struct iss_crl_ca *e, const char *ext)
{
	char rel[64];

	snprintf(rel, sizeof(rel), ISS_CRL_DIR "/%s.%s", e->stem, ext);
	return iss_home_path(ca->home, rel);
}

int
iss_crl_url(const struct mc_ca *ca, char *out, size_t len)
{
	const char *base = ca->cfg.crl_url;
	char stem[40];
	size_t n;

	out[0] = '\0';
	if (base == NULL)
		return 0;
	n = strlen(base);
	/* A folder URL: each CA's own file, so a retired CA's leaves keep
	 * pointing at its CRL.  A file URL is kept as given. */
	if (n > 0 && base[n - 1] == '/') {
		if (iss_crl_stem(ca->cert, ca->rec.role, stem, sizeof(stem)) < 0)
			return -1;
		n = (size_t)snprintf(out, len, "%s%s.crl", base, stem);
	} else {
		n = (size_t)snprintf(out, len, "%s", base);
	}
	if (n >= len) {
		mc_seterr("crl_url is too long (at most %zu characters)", len - 48);
		return -1;
	}
	return 1;
}

/* The value of "key=" in an audit event's details (up to a blank). */
static int
detail_int(const char *details, const char *key, int dflt)
{
	const char *p = strstr(details, key);

	return p != NULL ? atoi(p + strlen(key)) : dflt;
}

/* Where the level's current CRL goes, and its lifetime: the last event
 * that named a path (an event from before paths were recorded: the
 * default).  1 if any CRL of the level was written, 0 if none. */
static int
legacy_of(struct mc_ca *ca, int root_level, char **path, int *days)
{
	const char *action = root_level ? "crl-root" : "crl";
	char *details = NULL;
	const char *p;
	time_t when;
	int found = store_crl_event_last(ca->db, action, NULL, 1, &details, &when);

	if (found == 0)
		found = store_crl_event_last(ca->db, action, NULL, 0, &details, &when);
	if (found < 0)
		return -1;
	*days = found ? detail_int(details, "days=", DAYS_DEFAULT) : DAYS_DEFAULT;
	if (*days < 1 || *days > 3650)
		*days = DAYS_DEFAULT;
	p = found ? strstr(details, " path=") : NULL;
	*path = p != NULL ? mc_strdup(p + 6) : iss_home_path(ca->home, root_level ? "root-crl.pem" : "crl.pem");
	free(details);
	return *path == NULL ? -1 : found;
}

static void
file_state(struct iss_crl_file *f, X509 *issuer, time_t now)
{
	f->problem[0] = '\0';
	if (ca_crl_file_next_update(f->path, issuer, &f->next_update) < 0) {
		snprintf(f->problem, sizeof(f->problem), "%s", mc_err());
		f->state = POL_CRL_DUE;
		mc_clearerr();
	} else {
		f->state = pol_crl_due(f->next_update, now);
	}
}

struct set_load {
	struct mc_ca *ca;
	struct iss_crl_set *s;
	time_t now;
	const char *legacy;
	int legacy_days;
};

/* Whether c's CRL is of this level, and *current. */
static int
of_level(const struct set_load *l, const struct store_ca *c, int *current)
{
	const struct mc_ca *ca = l->ca;

	if (strcmp(c->status, "revoked") == 0 || c->not_after <= l->now)
		return 0;
	if (l->s->root_level) {
		*current = c->id == ca->root_rec.id;
		return strcmp(c->role, "root") == 0;
	}
	if (!ca->two_level) {
		*current = 1;
		return c->id == ca->rec.id;
	}
	*current = !ca->no_issuer && c->id == ca->rec.id;
	return strcmp(c->role, "intermediate") == 0;
}

static int
entry_fill(struct set_load *l, struct iss_crl_ca *e, int64_t id, int current)
{
	char *details = NULL;
	time_t when;
	int found;

	e->current = current;
	e->root_level = l->s->root_level;
	if (store_ca_by_id(l->ca->db, id, &e->rec) != 1 ||
	    (e->cert = ca_cert_from_pem(e->rec.pem, strlen(e->rec.pem))) == NULL ||
	    iss_crl_stem(e->cert, e->rec.role, e->stem, sizeof(e->stem)) < 0 ||
	    (e->file.path = iss_crl_path(l->ca, e, "pem")) == NULL ||
	    (current && (e->legacy.path = mc_strdup(l->legacy)) == NULL))
		return -1;
	if ((found = store_crl_event_last(l->ca->db, e->root_level ? "crl-root" : "crl", e->rec.serial, 0,
	    &details, &when)) < 0)
		return -1;
	e->days = found ? detail_int(details, "days=", l->legacy_days) : l->legacy_days;
	if (e->days < 1 || e->days > 3650)
		e->days = DAYS_DEFAULT;
	free(details);
	file_state(&e->file, e->cert, l->now);
	if (current)
		file_state(&e->legacy, e->cert, l->now);
	return 0;
}

static int
set_cb(const struct store_ca *c, void *arg)
{
	struct set_load *l = arg;
	struct iss_crl_set *s = l->s;
	struct iss_crl_ca *nv;
	int current = 0;
	int64_t kids;

	if (!of_level(l, c, &current))
		return 0;
	if (!current && (kids = store_ca_children(l->ca->db, c->id, l->now)) <= 0)
		return kids < 0 ? -1 : 0;
	if ((nv = realloc(s->v, (s->n + 1) * sizeof(*nv))) == NULL) {
		mc_seterr("out of memory");
		return -1;
	}
	s->v = nv;
	memset(&s->v[s->n], 0, sizeof(s->v[0]));
	s->n++;
	return entry_fill(l, &s->v[s->n - 1], c->id, current);
}

int
iss_crl_set_load(struct mc_ca *ca, int root_level, time_t now, struct iss_crl_set *s)
{
	struct set_load l = { .ca = ca, .s = s, .now = now };
	char *legacy = NULL;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	s->root_level = root_level;
	if ((s->in_use = legacy_of(ca, root_level, &legacy, &l.legacy_days)) < 0)
		goto out;
	l.legacy = legacy;
	if (store_ca_each(ca->db, set_cb, &l) < 0)
		goto out;
	rc = 0;
out:
	free(legacy);
	if (rc < 0)
		iss_crl_set_free(s);
	return rc;
}

void
iss_crl_set_free(struct iss_crl_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		store_ca_free(&s->v[i].rec);
		X509_free(s->v[i].cert);
		free(s->v[i].file.path);
		free(s->v[i].legacy.path);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

int
iss_crl_due(const struct iss_crl_ca *e)
{
	return e->file.state != POL_CRL_OK || (e->legacy.path != NULL && e->legacy.state != POL_CRL_OK);
}
