/* minica revoke SERIAL [--reason R], minica crl [--root] [--out FILE] [--days N] */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "cmd.h"

static const struct {
	const char *name;
	int code;
} reasons[] = {
	{ "unspecified", CRL_REASON_UNSPECIFIED },
	{ "keyCompromise", CRL_REASON_KEY_COMPROMISE },
	{ "affiliationChanged", CRL_REASON_AFFILIATION_CHANGED },
	{ "superseded", CRL_REASON_SUPERSEDED },
	{ "cessationOfOperation", CRL_REASON_CESSATION_OF_OPERATION },
};

static int
reason_code(const char *name)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strcmp(reasons[i].name, name) == 0)
			return reasons[i].code;
	return -1;
}

/* An intermediate: a root operation, published by the root's CRL. */
static int
revoke_intermediate(struct mc_ca *ca, const struct store_ca *inter, const char *reason)
{
	if (cmd_ca_unlock_root(ca) < 0)
		return EXIT_ERR;
	if (iss_inter_revoke(ca, inter, reason) < 0) {
		mc_preferr("cannot revoke %s", inter->serial);
		return cmd_fail();
	}
	printf("revoked intermediate %s (%s); publish with 'minica crl --root'%s\n", inter->serial, reason,
	    ca->no_issuer ? "; nothing can be issued until 'minica intermediate rotate'" : "");
	return EXIT_OK;
}

static int
do_revoke(const char *serial, const char *reason)
{
	struct store_cert c = { 0 };
	struct mc_ca ca;
	int rc = EXIT_ERR, found;

	if (cmd_open_ca(&ca) < 0)
		return EXIT_ERR;
	if (cmd_ca_lock(&ca) < 0)
		goto out;
	if ((found = store_cert_find(ca.db, serial, &c)) == 0) {
		struct store_ca inter;

		if ((found = store_ca_find(ca.db, serial, &inter)) == 1) {
			rc = revoke_intermediate(&ca, &inter, reason);
			store_ca_free(&inter);
			goto out;
		}
		if (found == 0)
			cmd_error("no certificate with serial '%s' (see 'minica list --all')", serial);
	}
	if (found <= 0) {
		if (found < 0)
			cmd_fail();
		goto out;
	}
	if (store_begin(ca.db) < 0 || store_cert_revoke(ca.db, c.id, time(NULL), reason) < 0 ||
	    store_audit(ca.db, "revoke", c.serial, "profile=%s cn=%s reason=%s", c.profile, c.cn, reason) < 0 ||
	    store_commit(ca.db) < 0) {
		store_rollback(ca.db);
		mc_preferr("cannot revoke %s", c.serial);
		cmd_fail();
		goto out;
	}
	printf("revoked %s certificate %s (%s); publish with 'minica crl'\n", c.profile, c.serial, reason);
	rc = EXIT_OK;
out:
	store_cert_free(&c);
	cmd_close_ca(&ca);
	return rc;
}

int
cmd_revoke(int argc, const char **argv)
{
	char *reason = NULL;
	struct poptOption opts[] = {
		{ "reason", 0, POPT_ARG_STRING, &reason, 0,
		  "unspecified (default), keyCompromise, superseded, cessationOfOperation, affiliationChanged", "REASON" },
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, cmd_root_options, 0, "Root key (to revoke an intermediate):", NULL },
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, cmd_common_options, 0, "Common options:", NULL },
		POPT_AUTOHELP
		POPT_TABLEEND
	};
	poptContext ctx = NULL;
	const char *serial;
	int rc;

	if ((rc = cmd_parse(&ctx, argc, argv, opts, "SERIAL")) != 0)
		return rc;
	if ((serial = poptGetArg(ctx)) == NULL || poptPeekArg(ctx) != NULL)
		rc = cmd_usage_error("revoke", "give exactly one SERIAL");
	else if (reason != NULL && reason_code(reason) < 0)
		rc = cmd_usage_error("revoke", "unknown reason '%s'", reason);
	else
		rc = do_revoke(serial, reason ? reason : "unspecified");
	cmd_parse_done(ctx, opts);
	return rc;
}

static int
do_crl(const char *out, int days, int root)
{
	struct mc_buf pem = { 0 };
	struct mc_ca ca;
	long number;
	size_t n;
	int rc = EXIT_ERR;

	if (cmd_open_ca(&ca) < 0)
		return EXIT_ERR;
	if (cmd_ca_lock(&ca) < 0 || (root ? cmd_ca_unlock_root(&ca) : cmd_ca_unlock(&ca)) < 0)
		goto out;
	if (iss_crl_make(&ca, root, days, &pem, &number, &n) < 0 ||
	    ca_file_replace(out, 0644, (uid_t)-1, (gid_t)-1, pem.p, pem.len) < 0) {
		cmd_fail();
		goto out;
	}
	printf("wrote %sCRL number %ld with %zu revoked certificate%s to %s (next update in %d days)\n",
	    root && ca.two_level ? "the root's " : "", number, n, n == 1 ? "" : "s", out, days);
	rc = EXIT_OK;
out:
	mc_buf_free(&pem);
	cmd_close_ca(&ca);
	return rc;
}

int
cmd_crl(int argc, const char **argv)
{
	char *out = NULL, *def = NULL;
	int days = 30, root = 0;
	struct poptOption opts[] = {
		{ "out", 0, POPT_ARG_STRING, &out, 0, "where to write the CRL (default: HOME/crl.pem, "
		  "with --root HOME/root-crl.pem)", "FILE" },
		{ "days", 0, POPT_ARG_INT, &days, 0, "days until the next update (default 30)", "N" },
		{ "root", 0, POPT_ARG_NONE, &root, 0, "the root's CRL (revoked intermediates; a root operation)", NULL },
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, cmd_root_options, 0, "Root key:", NULL },
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, cmd_common_options, 0, "Common options:", NULL },
		POPT_AUTOHELP
		POPT_TABLEEND
	};
	poptContext ctx = NULL;
	int rc;

	if ((rc = cmd_parse(&ctx, argc, argv, opts, NULL)) != 0)
		return rc;
	if (poptPeekArg(ctx) != NULL)
		rc = cmd_usage_error("crl", "unexpected argument '%s'", poptPeekArg(ctx));
	else if (days < 1 || days > 3650)
		rc = cmd_usage_error("crl", "--days must be between 1 and 3650");
	else if (out == NULL && (cmd_resolve_home() < 0 ||
	    (def = cmd_home_path(root ? "root-crl.pem" : "crl.pem")) == NULL))
		rc = EXIT_ERR;
	else
		rc = do_crl(out ? out : def, days, root);
	free(def);
	cmd_parse_done(ctx, opts);
	return rc;
}
