/* check's look at deployments: files on disk, the certificate they hold,
 * and (with --probe) what the running daemons actually serve. */
#include <stdlib.h>
#include <string.h>

#include "../deploy/deploy.h"
#include "issue.h"

#define PROBE_TIMEOUT_MS 5000

struct dep_check {
	struct mc_ca *ca;
	struct iss_findings *f;
	int probe;
	time_t now;
	size_t count;
};

static void
dep_what(const struct store_deployment *d, char *out, size_t len)
{
	snprintf(out, len, "%s deployment%s%s", d->profile, strcmp(d->root, "/") ? " under " : "",
	    strcmp(d->root, "/") ? d->root : "");
}

/* A deployment of a certificate that is no longer current still serves
 * it: say what replaced it, or that it expired. */
static int
check_cert_state(struct dep_check *s, const struct store_deployment *d, const struct store_cert *c,
    const char *what)
{
	if (c->not_after <= s->now)
		return iss_finding_add(s->f, SEV_CRITICAL, c->serial, what,
		    "the deployed certificate has expired; run 'minica renew'");
	if (strcmp(c->status, "revoked") == 0)
		return iss_finding_add(s->f, SEV_CRITICAL, c->serial, what,
		    "the deployed certificate is revoked; issue and deploy a new one");
	if (strcmp(c->status, "superseded") == 0)
		return iss_finding_add(s->f, SEV_WARNING, c->serial, what,
		    "the deployed certificate was renewed as %s, which is not deployed here; "
		    "run 'minica renew%s%s' (it deploys the renewal, renewing again if its key is gone), or "
		    "'minica deploy %s --key FILE' with its key", c->superseded_by_serial,
		    strcmp(d->root, "/") ? " --root " : "", strcmp(d->root, "/") ? d->root : "", c->superseded_by_serial);
	return 0;
}

static int
probe_one(struct dep_check *s, const struct pol_probe *pr, const struct store_cert *c, const char *what)
{
	char fpr[CA_FPR_LEN], where[300];
	const char *sni = c->cn[0] ? c->cn : (c->sans.n ? c->sans.v[0] : NULL);

	snprintf(where, sizeof(where), "%s:%d%s%s", pr->host, pr->port, pr->starttls ? "/" : "",
	    pr->starttls ? pr->starttls : "");
	if (sni != NULL && sni[0] == '*')
		sni = NULL;
	if (dep_probe(pr->host, pr->port, pr->starttls, sni, PROBE_TIMEOUT_MS, fpr) < 0)
		return iss_finding_add(s->f, SEV_CRITICAL, c->serial, what, "%s", mc_err());
	if (strcmp(fpr, c->fingerprint) != 0)
		return iss_finding_add(s->f, SEV_CRITICAL, c->serial, what,
		    "%s serves another certificate (SHA-256 %.16s...) than the one deployed; "
		    "was the service reloaded?", where, fpr);
	return 0;
}

static int
check_one(const struct store_deployment *d, void *arg)
{
	struct dep_check *s = arg;
	struct dep_report r = { 0 };
	struct store_cert c = { 0 };
	const struct pol_profile *prof;
	char what[128];
	int rc = -1, found;

	s->count++;
	dep_what(d, what, sizeof(what));
	if (dep_inspect(d, &r) < 0)
		goto out;
	/* Each line names its fix: deploy PROFILE writes the pair and the
	 * root file again (from the deployed key when it still matches). */
	for (size_t i = 0; i < r.n; i++)
		if (iss_finding_add(s->f, SEV_CRITICAL, d->serial, what, "%s%s%s%s; run 'minica deploy %s%s%s'",
		    r.v[i].path ? "'" : "", r.v[i].path ? r.v[i].path : "", r.v[i].path ? "': " : "", r.v[i].text,
		    d->profile, strcmp(d->root, "/") ? " --root " : "", strcmp(d->root, "/") ? d->root : "") < 0)
			goto out;
	if ((found = store_cert_find(s->ca->db, d->serial, &c)) < 0)
		goto out;
	if (found && check_cert_state(s, d, &c, what) < 0)
		goto out;
	prof = pol_profile_find(&s->ca->cfg, d->profile);
	for (size_t i = 0; s->probe && found && prof != NULL && i < prof->nprobes; i++)
		if (probe_one(s, &prof->probes[i], &c, what) < 0)
			goto out;
	rc = 0;
out:
	store_cert_free(&c);
	dep_report_free(&r);
	return rc;
}

int
iss_check_deployments(struct mc_ca *ca, const char *root, int probe, struct iss_findings *f, size_t *count)
{
	struct dep_check s = { .ca = ca, .f = f, .probe = probe, .now = time(NULL) };
	const char *states[] = { "current", "pending" };

	for (size_t i = 0; i < 2; i++) {
		struct store_deploy_filter filter = { .state = states[i], .root = root };

		if (store_deploy_each(ca->db, &filter, check_one, &s) < 0)
			return -1;
	}
	*count = s.count;
	return 0;
}
