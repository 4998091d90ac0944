/*
 * Which names a CA issues for, and the [minica] keys that say so beyond
 * the root's name constraints: domains (the record an imported root
 * without constraints issues under) and crl_url (the CRL distribution
 * point new certificates carry).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int
set_domains(struct pol_config *cfg, const char *val)
{
	const char *p = val;

	mc_strv_free(&cfg->domains);
	cfg->have_domains = 1;
	while (*p != '\0') {
		size_t n;
		char *d;

		p += strspn(p, ", \t");
		if ((n = strcspn(p, ", \t")) == 0)
			break;
		if ((d = pol_hostname_normalize(p, n, 0)) == NULL)
			return -1;
		if (!mc_strv_has(&cfg->domains, d) && mc_strv_push(&cfg->domains, d) < 0) {
			free(d);
			return -1;
		}
		free(d);
		p += n;
	}
	return 0;
}

/* http only: a CRL is fetched before TLS can be trusted (RFC 5280
 * 4.2.1.13 and every verifier's fetcher); no quote, space or comma, so
 * the value goes into the extension as one URI. */
static int
set_crl_url(struct pol_config *cfg, const char *val)
{
	if (strncmp(val, "http://", 7) != 0 || val[7] == '\0' || val[7] == '/') {
		mc_seterr("crl_url must be an http:// URL (clients fetch CRLs without TLS)");
		return -1;
	}
	for (const unsigned char *c = (const unsigned char *)val; *c; c++)
		if (*c <= 0x20 || *c >= 0x7f || *c == '"' || *c == ',' || *c == '\\') {
			mc_seterr("crl_url may hold only printable ASCII without blanks, quotes, "
			    "commas or backslashes");
			return -1;
		}
	free(cfg->crl_url);
	return (cfg->crl_url = mc_strdup(val)) ? 0 : -1;
}

int
pol_minica_set_scope(struct pol_config *cfg, const char *key, const char *val)
{
	if (strcmp(key, "domains") == 0)
		return set_domains(cfg, val);
	if (strcmp(key, "crl_url") == 0)
		return set_crl_url(cfg, val);
	return 1;
}

void
pol_scope_free(struct pol_config *cfg)
{
	mc_strv_free(&cfg->domains);
	free(cfg->crl_url);
	cfg->crl_url = NULL;
}

static int
outside(const char *shown, const struct mc_strv *domains, const char *what, const char *fix)
{
	char *list = mc_strv_join(domains, ", ");

	mc_seterr("'%s' is outside %s (%s)%s", shown, what, list ? list : "?", fix);
	free(list);
	return -1;
}

int
pol_scope_check(const struct pol_scope *s, const char *host, const char *shown)
{
	if (s->nc != NULL && s->nc->n > 0 && !pol_name_permitted(host, s->nc)) {
		char *list = mc_strv_join(s->nc, ", ");

		mc_seterr("'%s' is outside the root's name constraints (permitted: %s)", shown,
		    list ? list : "?");
		free(list);
		return -1;
	}
	if (!s->conf_limits)
		return 0;
	if (s->conf == NULL || s->conf->n == 0) {
		mc_seterr("'%s': the imported root has no name constraints and minica.conf records "
		    "no domains for it: add 'domains = example.org' under [minica], or give "
		    "--any-domain", shown);
		return -1;
	}
	if (!pol_name_permitted(host, s->conf))
		return outside(shown, s->conf, "the domains minica.conf records for this CA",
		    ": the imported root has no name constraints, so check for a typo; add the "
		    "domain to 'domains' under [minica], or give --any-domain");
	return 0;
}

void
pol_scope_init(struct pol_scope *s, const struct pol_config *cfg, const struct mc_strv *nc,
    int imported, int any_domain)
{
	s->nc = nc;
	s->conf = &cfg->domains;
	/* A root with constraints is limited by them; one made by init
	 * without them (--no-name-constraints) was made so on purpose. */
	s->conf_limits = !any_domain && (nc == NULL || nc->n == 0) &&
	    (imported || cfg->have_domains);
}
