/* check --dane: the TLSA records of every DANE profile's deployed names,
 * looked up with DNSSEC validation, against the deployed chain, the
 * staged next key and (with --probe) what the server serves. */
#include <stdlib.h>
#include <string.h>

#include "../deploy/deploy.h"
#include "issue.h"

#define DANE_TIMEOUT_MS 10000

struct dane_run {
	struct mc_ca *ca;
	const char *root;
	int probe;
	struct iss_findings *f;
	struct dep_dns *dns;
	time_t now;
};

/* Days until renew replaces the certificate (the due rule). */
static int
renew_in_days(const struct store_cert *c, time_t now)
{
	time_t due = pol_cert_due_at(c->not_before, c->not_after, POL_RENEW_DAYS_DEFAULT);

	return due <= now ? 0 : (int)((due - now) / 86400);
}

static const struct pol_probe *
dane_probe(const struct pol_profile *p)
{
	for (size_t i = 0; i < p->nprobes; i++)
		if (p->probes[i].port == p->dane_port)
			return &p->probes[i];
	return NULL;
}

/* The deployed file's chain; if it cannot be read (check reports that
 * as drift) the store's certificate, the intermediate and the root. */
static STACK_OF(X509) *
deployed_chain(struct mc_ca *ca, const struct store_cert *c, const char *path)
{
	struct mc_buf b = { 0 };
	STACK_OF(X509) *chain = NULL;
	X509 *leaf;

	if (path != NULL && mc_file_read(path, CA_FILE_MAX, &b) == 0)
		chain = ca_chain_from_pem(b.p, b.len);
	mc_buf_free(&b);
	if (chain != NULL)
		return chain;
	if ((chain = sk_X509_new_null()) == NULL || (leaf = ca_cert_from_pem(c->pem, strlen(c->pem))) == NULL ||
	    !sk_X509_push(chain, leaf) || (ca->two_level && (!X509_up_ref(ca->cert) || !sk_X509_push(chain, ca->cert))) ||
	    !X509_up_ref(ca->root) || !sk_X509_push(chain, ca->root)) {
		sk_X509_pop_free(chain, X509_free);
		mc_seterr("out of memory");
		return NULL;
	}
	return chain;
}

static int
add_notes(struct dane_run *s, const struct pol_profile *p, const struct store_cert *c,
    const struct dep_dane_notes *n)
{
	static const enum iss_sev sev[] = { SEV_OK, SEV_WARNING, SEV_CRITICAL, SEV_UNKNOWN };
	char what[160];

	for (size_t i = 0; i < n->n; i++) {
		snprintf(what, sizeof(what), "%s DANE %s", p->name, n->v[i].host);
		if (iss_finding_add(s->f, sev[n->v[i].sev], c->serial, what, "%s", n->v[i].text) < 0)
			return -1;
	}
	return 0;
}

static int
check_profile(struct dane_run *s, const struct pol_profile *p)
{
	struct dep_dane_check_req r = { .port = p->dane_port, .timeout_ms = DANE_TIMEOUT_MS };
	struct dep_dane_notes notes = { 0 };
	struct store_cert c = { 0 };
	STACK_OF(X509) *chain = NULL;
	X509 *tas[8];
	char *path = NULL, *dir = NULL;
	int rc = -1, found;

	if ((found = dep_dane_deployed(s->ca->db, p->name, s->root, &c, &path)) <= 0)
		return found;
	if (s->dns == NULL) {
		struct dep_dns_opts o = { .trust_anchor = s->ca->cfg.dnssec_trust_anchor,
		    .resolver = s->ca->cfg.resolver, .timeout_ms = DANE_TIMEOUT_MS };

		if ((s->dns = dep_dns_open(&o)) == NULL)
			goto out;
	}
	if ((chain = deployed_chain(s->ca, &c, path)) == NULL || (dir = iss_home_path(s->ca->home, "private/dane-next")) == NULL)
		goto out;
	for (int i = 1; i < sk_X509_num(chain) && r.ntas < sizeof(tas) / sizeof(tas[0]); i++)
		tas[r.ntas++] = sk_X509_value(chain, i);
	r.dns = s->dns;
	r.cn = c.cn;
	r.names = &c.sans;
	r.leaf = sk_X509_value(chain, 0);
	r.tas = tas;
	r.renew_in_days = renew_in_days(&c, s->now);
	r.probe = s->probe ? dane_probe(p) : NULL;
	r.next = dep_dane_next_pub(dir, c.serial, &found);
	if ((r.next == NULL && found) || dep_dane_check(&r, &notes) < 0 || add_notes(s, p, &c, &notes) < 0)
		goto out;
	if (s->probe && r.probe == NULL &&
	    iss_finding_add(s->f, SEV_WARNING, c.serial, p->name, "no probe endpoint on port %d "
	    "(the profile's dane_port) for the DANE probe; add one to its probe list", p->dane_port) < 0)
		goto out;
	rc = 0;
out:
	EVP_PKEY_free(r.next);
	dep_dane_notes_free(&notes);
	sk_X509_pop_free(chain, X509_free);
	store_cert_free(&c);
	free(path);
	free(dir);
	return rc;
}

int
iss_check_dane(struct mc_ca *ca, const char *root, int probe, struct iss_findings *f)
{
	struct dane_run s = { .ca = ca, .root = root, .probe = probe, .f = f, .now = time(NULL) };
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < ca->cfg.nprofiles; i++)
		if (ca->cfg.profiles[i].dane && check_profile(&s, &ca->cfg.profiles[i]) < 0)
			rc = -1;
	dep_dns_close(s.dns);
	return rc;
}
