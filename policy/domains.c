/*
 * The domains an imported CA issues for, guessed from the names in its
 * certificates: each name's registrable parent.  Without a public suffix
 * list this is a rule of thumb (the last two labels, three under a
 * two-letter country code with a generic second level such as co.uk or
 * com.au); the result goes into minica.conf where the user can fix it.
 */
#include <stdlib.h>
#include <string.h>

#include <libpsl.h>

#include "policy.h"

/*
 * A root constrained to "com" or "github.io" vouches for www.google.com
 * or anyone's GitHub pages: its name constraints protect nothing.  The
 * public suffix list (libpsl: the newer of its built-in copy and Debian's
 * publicsuffix file, private section included) names those; a single
 * label ("localhost", "lan") is refused too, since no one can own it.
 */
int
pol_domain_scope_check(const char *domain)
{
	psl_ctx_t *psl;
	int suffix;

	if ((psl = psl_latest(NULL)) == NULL) {
		mc_seterr("cannot load the public suffix list (libpsl)");
		return -1;
	}
	suffix = psl_is_public_suffix2(psl, domain, PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE);
	psl_free(psl);
	if (suffix) {
		mc_seterr("'%s' is a public suffix: a root constrained to it may vouch for anyone's "
		    "names below it; give a domain of your own, or --allow-public-suffix to "
		    "constrain the root to it anyway", domain);
		return -1;
	}
	if (strchr(domain, '.') == NULL) {
		mc_seterr("'%s' is a single-label name, which no one owns: give a domain of your own "
		    "(e.g. example.org), or --allow-public-suffix to constrain the root to it anyway",
		    domain);
		return -1;
	}
	return 0;
}

static const char *const second_levels[] = {
	"ac", "co", "com", "edu", "gob", "gov", "gv", "ltd", "me", "mil", "ne", "net", "nhs",
	"nic", "or", "org", "plc", "sch",
};

static int
generic_second_level(const char *label, size_t len)
{
	for (size_t i = 0; i < sizeof(second_levels) / sizeof(second_levels[0]); i++)
		if (strlen(second_levels[i]) == len && strncmp(label, second_levels[i], len) == 0)
			return 1;
	return 0;
}

char *
pol_registrable_domain(const char *name)
{
	const char *dots[3] = { NULL, NULL, NULL };	/* the last three dots, last first */
	const char *tld, *sld;
	int n = 0;

	for (const char *p = name + strlen(name); p-- > name && n < 3;)
		if (*p == '.')
			dots[n++] = p;
	if (n == 0)
		return NULL;		/* one label: no parent to name */
	tld = dots[0] + 1;
	sld = n >= 2 ? dots[1] + 1 : name;
	if (strlen(tld) == 2 && generic_second_level(sld, (size_t)(dots[0] - sld))) {
		if (n == 1)
			return NULL;	/* "co.uk" itself */
		return mc_strdup(n >= 3 ? dots[2] + 1 : name);
	}
	return mc_strdup(sld);
}

static int
add_domain(const char *raw, struct mc_strv *out)
{
	char *n, *d = NULL;
	int rc = 0;

	if (strncmp(raw, "*.", 2) == 0)
		raw += 2;
	if ((n = pol_hostname_normalize(raw, strlen(raw), 0)) == NULL) {
		mc_clearerr();
		return 0;	/* not a hostname (a person's name, an IP): no domain */
	}
	if ((d = pol_registrable_domain(n)) != NULL && !mc_strv_has(out, d))
		rc = mc_strv_push(out, d);
	free(n);
	free(d);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
pol_domains_from_names(const struct mc_strv *names, struct mc_strv *out)
{
	for (size_t i = 0; i < names->n; i++) {
		const char *at = strchr(names->v[i], '@');

		if (add_domain(at ? at + 1 : names->v[i], out) < 0)
			return -1;
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(char *), cmp_str);
	return 0;
}
