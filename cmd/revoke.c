/* minica revoke SERIAL [--reason R] (the CRLs: crl.c) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

/* An intermediate: a root operation, published by the root's CRL. */
static int
revoke_intermediate(struct cmd_ctx *ctx, const struct store_ca *inter, const char *reason)
{
	struct mc_ca *ca = &ctx->ca;

	if (cmd_unlock_root(ctx) != 0)
		return EXIT_ERR;
	if (iss_inter_revoke(ca, inter, reason) < 0) {
		mc_preferr("cannot revoke %s", inter->serial);
		return cmd_fail();
	}
	printf("revoked intermediate %s (%s); publish with 'minica crl --root'%s\n", inter->serial, reason,
	    ca->no_issuer ? "; nothing can be issued until 'minica intermediate rotate'" : "");
	return EXIT_OK;
}

/* Which CRL lists it: its own issuer's, also after a rotation. */
static void
say_where(struct mc_ca *ca, const struct store_cert *c, const char *reason)
{
	struct store_ca issuer;
	char stem[40] = "";
	X509 *x = NULL;
	int root;

	if (c->ca_id == 0 || c->ca_id == ca->rec.id || store_ca_by_id(ca->db, c->ca_id, &issuer) != 1) {
		printf("revoked %s certificate %s (%s); publish with 'minica crl'\n", c->profile, c->serial, reason);
		return;
	}
	root = ca->two_level && strcmp(issuer.role, "root") == 0;
	if ((x = ca_cert_from_pem(issuer.pem, strlen(issuer.pem))) == NULL || iss_crl_stem(x, issuer.role, stem, sizeof(stem)) < 0)
		mc_clearerr();
	printf("revoked %s certificate %s (%s); it goes on the CRL of its issuer, the %s %s %s%s%s%s: publish with "
	    "'minica crl%s'\n", c->profile, c->serial, reason, issuer.status, issuer.role, issuer.serial,
	    stem[0] ? ", " ISS_CRL_DIR "/" : "", stem, stem[0] ? ".pem" : "", root ? " --root" : "");
	X509_free(x);
	store_ca_free(&issuer);
}

static int
do_revoke(struct cmd_ctx *ctx, const char *serial, const char *reason, int yes)
{
	struct store_cert c = { 0 };
	struct mc_ca *ca = &ctx->ca;
	int rc = EXIT_ERR, found;

	if (cmd_setup(ctx) != 0)
		return EXIT_ERR;
	if ((found = store_cert_find(ca->db, serial, &c)) == 0) {
		struct store_ca inter;

		if ((found = store_ca_find(ca->db, serial, &inter)) == 1) {
			rc = revoke_intermediate(ctx, &inter, reason);
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
	if ((rc = cmd_revoke_confirm(ctx, &c, yes)) != 0)
		goto out;
	rc = EXIT_ERR;
	if (store_begin(ca->db) < 0 || store_cert_revoke(ca->db, c.id, time(NULL), reason) < 0 ||
	    store_audit(ca->db, "revoke", c.serial, "profile=%s cn=%s reason=%s", c.profile, c.cn, reason) < 0 ||
	    store_commit(ca->db) < 0) {
		store_rollback(ca->db);
		mc_preferr("cannot revoke %s", c.serial);
		cmd_fail();
		goto out;
	}
	say_where(ca, &c, reason);
	rc = EXIT_OK;
out:
	store_cert_free(&c);
	return rc;
}

int
cmd_revoke(struct cmd_ctx *ctx)
{
	char *reason = NULL;
	int yes = 0;
	struct poptOption opts[] = {
		{ "reason", 0, POPT_ARG_STRING, &reason, 0,
		  "unspecified (default), keyCompromise, superseded, cessationOfOperation, affiliationChanged", "REASON" },
		{ "yes", 'y', POPT_ARG_NONE, &yes, 0, "do not ask before revoking a deployed certificate", NULL },
		CMD_ROOT_OPTIONS(ctx),
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};
	int rc;

	if ((rc = cmd_args(ctx, opts, "SERIAL", -1)) != 0)
		return rc;
	if (ctx->nargs != 1)
		return cmd_usage_error("revoke", "give exactly one SERIAL");
	if (reason != NULL && iss_reason_code(reason) < 0)
		return cmd_usage_error("revoke", "unknown reason '%s'", reason);
	return do_revoke(ctx, ctx->args[0], reason ? reason : "unspecified", yes);
}
