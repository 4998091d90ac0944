/*
 * [acme] url and the base URL every ACME URL starts with
 * (pol_acme_base_url): the server's own https://HOSTNAME:PORT, the
 * proxy's https://HOSTNAME with tls = no, or the url key; never http://.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "policy/policy.h"

struct base_case {
	const char *conf;	/* the [acme] section's lines */
	int port;		/* of listen */
	const char *want;	/* NULL: refused */
	const char *err;	/* in mc_err when refused */
};

static const struct base_case cases[] = {
	{ "hostname = acme.example.org\n", 14000, "https://acme.example.org:14000", NULL },
	{ "hostname = acme.example.org\n", 443, "https://acme.example.org", NULL },
	{ "hostname = acme.example.org\ntls = no\n", 14000, "https://acme.example.org", NULL },
	{ "hostname = acme.example.org\ntls = no\nurl = https://ACME.example.org:8443\n", 14000,
	  "https://acme.example.org:8443", NULL },
	{ "hostname = acme.example.org\ntls = no\nurl = https://acme.example.org:443\n", 14000,
	  "https://acme.example.org", NULL },
	{ "url = https://acme.example.org:8443\nhostname = acme.example.org\n", 1, "https://acme.example.org:8443", NULL },
	{ "hostname = acme.example.org\nurl = https://other.example.org\n", 443, NULL, "names another host" },
	{ "tls = no\n", 443, NULL, "hostname is not set" },
};

Test(acme_url, base_url)
{
	char text[512], url[600];
	struct pol_config cfg;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct base_case *c = &cases[i];

		snprintf(text, sizeof(text), "[acme]\n%s", c->conf);
		cr_assert_eq(pol_config_load_mem("mem.conf", text, strlen(text), &cfg), 0, "%s: %s", c->conf, mc_err());
		if (c->want != NULL) {
			cr_expect_eq(pol_acme_base_url(&cfg.acme, c->port, url, sizeof(url)), 0, "%s: %s", c->conf, mc_err());
			cr_expect_str_eq(url, c->want, "%s", c->conf);
		} else {
			cr_expect_eq(pol_acme_base_url(&cfg.acme, c->port, url, sizeof(url)), -1, "%s", c->conf);
			cr_expect(strstr(mc_err(), c->err) != NULL, "%s: %s", c->conf, mc_err());
		}
		pol_config_free(&cfg);
	}
}

Test(acme_url, refused)
{
	static const char *const bad[] = {
		"http://acme.example.org", "https://", "https://acme.example.org/acme", "https://acme.example.org:0",
		"https://acme.example.org:99999", "https://acme.example.org:", "https://-bad-.example.org",
		"https://acme.example.org?x", "acme.example.org",
	};
	char text[256];
	struct pol_config cfg;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[acme]\nurl = %s\n", bad[i]);
		cr_expect_eq(pol_config_load_mem("mem.conf", text, strlen(text), &cfg), -1, "%s", bad[i]);
		cr_expect(strstr(mc_err(), "[acme] url = ") != NULL && strstr(mc_err(), "expected https://HOSTNAME") != NULL,
		    "%s: %s", bad[i], mc_err());
	}
}
