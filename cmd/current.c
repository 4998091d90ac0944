/*
 * issue when a current certificate for the same profile and names exists
 * (idempotent for configuration management): a request that differs is
 * refused with what differs; with --deploy the current one is deployed
 * when its key is still somewhere, else both ways out are named.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* What the request asks that c does not have; "" when nothing. */
static int
differs(const struct store_cert *c, const struct iss_plan *p, const struct iss_req *req, char *out, size_t len)
{
	/* RFC 5280 counts both ends: N days end a second before nb + N days. */
	long days = (long)((c->not_after - c->not_before + 1) / 86400);
	X509 *x = NULL;
	EVP_PKEY *pub = NULL;
	int rc = 0;

	out[0] = '\0';
	if (req->key_type != NULL && strcmp(req->key_type, c->key_type) != 0)
		snprintf(out, len, "its key is %s (asked: %s)", c->key_type, req->key_type);
	else if (req->days != 0 && p->days != days)
		snprintf(out, len, "it was issued for %ld days (asked: %d)", days, p->days);
	else if (p->csr_key != NULL) {
		if ((x = ca_cert_from_pem(c->pem, strlen(c->pem))) == NULL || (pub = X509_get_pubkey(x)) == NULL)
			rc = -1;
		else if (EVP_PKEY_eq(pub, p->csr_key) != 1)
			snprintf(out, len, "it certifies another key than the CSR's");
	}
	EVP_PKEY_free(pub);
	X509_free(x);
	return rc;
}

struct deployed {
	const char *serial;
	int ok;
};

/* c is deployed here and its files are as written. */
static int
already_deployed(const struct store_deployment *d, void *arg)
{
	struct deployed *s = arg;
	struct dep_report r = { 0 };
	int n;

	if (strcmp(d->serial, s->serial) != 0)
		return 0;
	n = dep_inspect(d, &r);
	dep_report_free(&r);
	s->ok = n == 0;
	return n < 0 ? -1 : 1;
}

static int
deploy_current(struct mc_ca *ca, const struct store_cert *c, const struct iss_plan *p, const char *dir,
    const struct cmd_deploy_opts *o)
{
	struct store_deploy_filter f = { .state = "current", .root = o->root };
	struct deployed dd = { c->serial, 0 };
	struct mc_strv places = { 0 };
	char name[256], *found = NULL, *list = NULL;
	X509 *cert = ca_cert_from_pem(c->pem, strlen(c->pem));
	EVP_PKEY *key = NULL;
	int rc = EXIT_ERR;

	f.profile = c->profile;
	if (cert == NULL || store_deploy_each(ca->db, &f, already_deployed, &dd) < 0)
		goto out;
	iss_leaf_file_name(c, name, sizeof(name));
	if (dd.ok) {
		printf("%s certificate %s is valid, not due and deployed as it was; nothing to do "
		    "(--force issues a new one)\n", c->profile, c->serial);
		rc = EXIT_OK;
		goto out;
	}
	if (dep_key_places(dir, name, c->serial, p->prof, o->root, &places) < 0)
		goto out;
	if ((key = dep_key_find(cert, &places, &found)) == NULL) {
		list = mc_strv_join(&places, "', '");
		cmd_error("%s certificate %s is valid and not due, but its key is in none of '%s' (minica keeps "
		    "no leaf keys): issue a new one with --force, or deploy it with 'minica deploy %s --key FILE'",
		    c->profile, c->serial, list ? list : "?", c->serial);
		goto out;
	}
	printf("%s certificate %s is valid and not due: deploying it with the key in '%s'\n", c->profile, c->serial,
	    found);
	rc = cmd_deploy_cert(ca, c, cert, key, o) == 0 ? EXIT_OK : EXIT_ERR;
out:
	if (rc == EXIT_ERR && cert == NULL)
		cmd_fail();
	EVP_PKEY_free(key);
	X509_free(cert);
	free(found);
	free(list);
	mc_strv_free(&places);
	return rc;
}

int
cmd_issue_current(struct mc_ca *ca, const struct iss_plan *p, const struct iss_req *req,
    const struct cmd_current_opts *o)
{
	struct store_cert c;
	char na[21], why[160];
	int found = iss_find_current(ca, p, time(NULL), &c), rc = EXIT_OK;

	if (found <= 0)
		return found < 0 ? cmd_fail() : -1;
	mc_iso8601(c.not_after, na);
	if (differs(&c, p, req, why, sizeof(why)) < 0) {
		rc = cmd_fail();
	} else if (why[0] != '\0') {
		cmd_error("%s certificate %s for %s is valid until %s, but %s; nothing issued "
		    "(--force issues one as asked)", c.profile, c.serial, c.cn[0] ? c.cn : c.sans.v[0], na, why);
		rc = EXIT_ERR;
	} else if (o->deploy) {
		rc = deploy_current(ca, &c, p, o->dir, o->dep);
	} else {
		if (o->json) {
			struct cmd_json_files w = { 0 };	/* kept: not issued, nothing written */

			cmd_cert_json_result(stdout, &c, &w);
		}
		fprintf(o->json ? stderr : stdout,
		    "%s certificate %s for %s is valid until %s and not due for renewal; nothing issued "
		    "(--force issues anyway)\n", c.profile, c.serial, c.cn[0] ? c.cn : c.sans.v[0], na);
	}
	store_cert_free(&c);
	return rc;
}

/* See iss_leaf_out_name: a new certificate's name never fails. */
void
cmd_leaf_file_name_in(struct mc_ca *ca, const char *dir, const struct store_cert *c, const char *profile,
    char *out, size_t len)
{
	(void)iss_leaf_out_name(ca, dir, c, profile, NULL, out, len);
}
