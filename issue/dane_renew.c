/*
 * dane_renew.c: the DANE side of renew.  A deployed certificate of a
 * DANE profile is renewed with the next key staged by 'minica dane
 * --next' (whose 3 1 1 record was published before), and is not renewed
 * at all when DNS validly publishes TLSA records none of which would
 * match after the key changes (no 2 1 1 of the root, no record of the
 * staged key): that renewal would lose mail, so it is refused with what
 * to publish, unless forced.
 */
#include <stdlib.h>
#include <string.h>

#include "issue.h"

#define DANE_TIMEOUT_MS 10000

void
iss_dane_renew_free(struct iss_dane_renew *d)
{
	for (size_t i = 0; i < d->n; i++) {
		EVP_PKEY_free(d->keys[i]);
		free(d->why[i]);
	}
	free(d->keys);
	free(d->why);
	free(d->dir);
	memset(d, 0, sizeof(*d));
}

/* Would renewing c break DANE?  1 refused (why set), 0 go ahead. */
static int
refuses(struct mc_ca *ca, struct dep_dns **dns, const struct pol_profile *p, const struct store_cert *c,
    EVP_PKEY *next, char **why)
{
	/* The renewed leaf's chain above it: the intermediate and the root
	 * (deployed for DANE profiles), or the root alone. */
	X509 *tas[2] = { ca->cert, ca->root };
	struct dep_dane_renew_req r = { .cn = c->cn, .names = &c->sans, .port = p->dane_port,
	    .tas = ca->two_level ? tas : &ca->root, .ntas = ca->two_level ? 2 : 1, .next = next };
	struct mc_strv notes = { 0 };
	int rc;

	if (*dns == NULL) {
		struct dep_dns_opts o = { .trust_anchor = ca->cfg.dnssec_trust_anchor,
		    .resolver = ca->cfg.resolver, .timeout_ms = DANE_TIMEOUT_MS };

		if ((*dns = dep_dns_open(&o)) == NULL) {
			iss_warn(ca, "DANE not checked before renewing %s: %s", c->serial, mc_err());
			return 0;
		}
	}
	r.dns = *dns;
	rc = dep_dane_renew_check(&r, &notes);
	for (size_t i = 0; i < notes.n; i++)
		iss_warn(ca, "%s", notes.v[i]);
	mc_strv_free(&notes);
	if (rc == 1 && (*why = mc_strdup(mc_err())) == NULL)
		return -1;
	return rc;
}

/* Moves old[i] (and its slots) to position j. */
static void
swap_slots(struct store_cert *old, struct iss_dane_renew *d, size_t i, size_t j)
{
	struct store_cert tc = old[i];
	EVP_PKEY *tk = d->keys[i];
	char *tw = d->why[i];

	old[i] = old[j];
	old[j] = tc;
	d->keys[i] = d->keys[j];
	d->keys[j] = tk;
	d->why[i] = d->why[j];
	d->why[j] = tw;
}

static int
prepare_one(struct mc_ca *ca, struct dep_dns **dns, const struct store_cert *c, const struct iss_dane_renew_req *r,
    struct iss_dane_renew *d, size_t i)
{
	const struct pol_profile *p = pol_profile_find(&ca->cfg, c->profile);
	struct store_cert dc = { 0 };
	int found, rc = -1;

	if (p == NULL || !p->dane)
		return 0;	/* an unknown profile fails in the renewal itself */
	if ((found = dep_dane_deployed(ca->db, p->name, NULL, &dc, NULL)) < 0)
		return -1;
	/* Only the certificate that is deployed is behind a TLSA record. */
	if (!found || strcmp(dc.serial, c->serial) != 0) {
		store_cert_free(&dc);
		return 0;
	}
	store_cert_free(&dc);
	if ((d->keys[i] = dep_dane_next_load(d->dir, c->serial, r->pass, r->passlen, &found)) == NULL && found)
		goto out;
	if (d->keys[i] == NULL)
		mc_clearerr();
	if (!r->force && (rc = refuses(ca, dns, p, c, d->keys[i], &d->why[i])) != 0)
		goto out;
	rc = 0;
out:
	return rc;
}

long
iss_dane_renew_prepare(struct mc_ca *ca, struct store_cert *old, size_t n, const struct iss_dane_renew_req *r,
    iss_renew_fail_fn *fail, void *arg, struct iss_dane_renew *d)
{
	struct dep_dns *dns = NULL;
	long rc = -1;

	memset(d, 0, sizeof(*d));
	d->n = n;
	if ((d->keys = calloc(n + 1, sizeof(*d->keys))) == NULL || (d->why = calloc(n + 1, sizeof(*d->why))) == NULL ||
	    (d->dir = iss_home_path(ca->home, "private/dane-next")) == NULL) {
		mc_seterr("out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (prepare_one(ca, &dns, &old[i], r, d, i) < 0) {
			mc_preferr("cannot prepare the renewal of %s", old[i].serial);
			goto out;
		}
	/* The refused ones go last: old[0..nok) are renewed. */
	d->nok = 0;
	for (size_t i = 0; i < n; i++)
		if (d->why[i] == NULL)
			swap_slots(old, d, i, d->nok++);
	for (size_t i = d->nok; i < n; i++) {
		mc_seterr("%s", d->why[i]);
		fail(arg, &old[i]);
	}
	rc = (long)(n - d->nok);
out:
	dep_dns_close(dns);
	if (rc < 0)
		iss_dane_renew_free(d);
	return rc;
}

struct each_arg {
	iss_renew_finish_fn *finish;
	void *arg;
	const struct store_cert *base;
	const struct iss_dane_renew *d;
	struct mc_ca *ca;
};

/* After old was renewed and put in place, its staged key is certified:
 * it must never be used twice. */
static int
finish_dane(void *arg, const struct store_cert *old, struct iss_issued *is)
{
	struct each_arg *e = arg;
	size_t i = (size_t)(old - e->base);

	if (e->finish(e->arg, old, is) < 0)
		return -1;
	if (e->d->keys[i] != NULL && dep_dane_next_drop(e->d->dir, old->serial) < 0)
		iss_warn(e->ca, "%s", mc_err());
	return 0;
}

size_t
iss_renew_each_dane(struct mc_ca *ca, const struct store_cert *old, const struct iss_dane_renew *d, int jobs,
    iss_renew_finish_fn *finish, iss_renew_fail_fn *fail, void *arg)
{
	struct each_arg e = { finish, arg, old, d, ca };

	return iss_renew_each_keys(ca, old, d->keys, d->nok, jobs, finish_dane, fail, &e);
}
