/* minica revoke SERIAL [--reason R], minica crl [--root] [--out FILE] [--days N] */
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
	printf("revoked %s certificate %s (%s); publish with 'minica crl'\n", c.profile, c.serial, reason);
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

/* With ca locked and the key unlocked (the root's with root): the CRL
 * signed, recorded (with where it went, which check and renew read back)
 * and written to out. */
static int
crl_write(struct mc_ca *ca, const char *out, int days, int root, FILE *report)
{
	struct mc_buf pem = { 0 };
	char cwd[4096], *abs = NULL;
	long number;
	size_t n;
	int rc = -1;

	/* Recorded absolute, so check and renew find it from any folder. */
	if (out[0] != '/') {
		if (getcwd(cwd, sizeof(cwd)) == NULL || asprintf(&abs, "%s/%s", cwd, out) < 0) {
			mc_seterr("cannot name the current folder");
			abs = NULL;
			goto out;
		}
		out = abs;
	}
	if (iss_crl_make(ca, root, days, out, &pem, &number, &n) < 0 ||
	    mc_file_replace(out, 0644, (uid_t)-1, (gid_t)-1, pem.p, pem.len) < 0)
		goto out;
	fprintf(report, "wrote %sCRL number %ld with %zu revoked certificate%s to %s (next update in %d days)\n",
	    root && ca->two_level ? "the root's " : "", number, n, n == 1 ? "" : "s", out, days);
	rc = 0;
out:
	free(abs);
	mc_buf_free(&pem);
	return rc;
}

int
cmd_crl_write(struct mc_ca *ca, const char *out, int days, FILE *report)
{
	return crl_write(ca, out, days, 0, report);
}

int
cmd_crl_last(struct mc_ca *ca, struct cmd_crl_info *info)
{
	char *details = NULL, *path, *d;
	time_t when;
	int found;

	memset(info, 0, sizeof(*info));
	if ((found = store_audit_last(ca->db, "crl", &details, &when)) <= 0)
		return found;
	/* A CRL written before its path was recorded: HOME/crl.pem, the default. */
	path = strstr(details, " path=");
	d = strstr(details, "days=");
	info->days = d != NULL ? atoi(d + 5) : 30;
	if (info->days < 1 || info->days > 3650)
		info->days = 30;
	info->path = path != NULL ? mc_strdup(path + 6) : iss_home_path(ca->home, "crl.pem");
	free(details);
	if (info->path == NULL)
		return -1;
	if (ca_crl_file_next_update(info->path, ca->cert, &info->next_update) < 0) {
		snprintf(info->problem, sizeof(info->problem), "%s", mc_err());
		info->state = POL_CRL_DUE;
		mc_clearerr();
		return 1;
	}
	info->state = pol_crl_due(info->next_update, time(NULL));
	return 1;
}

/* The cron line keeps the CRL fresh: past nextUpdate, every verifier that
 * checks it refuses every certificate. */
int
cmd_crl_due(struct cmd_ctx *ctx, int dry_run, struct cmd_crl_info *info)
{
	int found = cmd_crl_last(&ctx->ca, info);

	if (found < 0) {
		cmd_fail();
		return -1;
	}
	if (found == 0 || info->state == POL_CRL_OK)
		return 0;
	if (dry_run)
		cmd_say(ctx, "would refresh the CRL at %s\n", info->path);
	return 1;
}

/* The CRL 'minica crl' last wrote (the one check watches and the cron
 * line refreshes) now comes from the new issuer: written at once, so
 * check does not find a CRL of another CA there. */
int
cmd_crl_refresh(struct mc_ca *ca)
{
	struct cmd_crl_info info;
	int found = cmd_crl_last(ca, &info), rc = EXIT_OK;

	if (found < 0)
		return cmd_fail();
	if (found > 0 && cmd_crl_write(ca, info.path, info.days, stdout) < 0) {
		mc_preferr("the new intermediate is in place, but its CRL was not written");
		rc = cmd_fail();
	}
	if (found > 0)
		free(info.path);
	return rc;
}

static int
do_crl(struct cmd_ctx *ctx, const char *out, int days, int root)
{
	if (cmd_setup(ctx) != 0 || (root ? cmd_unlock_root(ctx) : cmd_unlock(ctx)) != 0)
		return EXIT_ERR;
	if (crl_write(&ctx->ca, out, days, root, stdout) < 0)
		return cmd_fail();
	return EXIT_OK;
}

int
cmd_crl(struct cmd_ctx *ctx)
{
	char *out = NULL, *def = NULL;
	int days = 30, root = 0;
	struct poptOption opts[] = {
		{ "out", 0, POPT_ARG_STRING, &out, 0, "where to write the CRL (default: HOME/crl.pem, "
		  "with --root HOME/root-crl.pem)", "FILE" },
		{ "days", 0, POPT_ARG_INT, &days, 0, "days until the next update (default 30)", "N" },
		{ "root", 0, POPT_ARG_NONE, &root, 0, "the root's CRL (revoked intermediates; a root operation)", NULL },
		CMD_ROOT_OPTIONS(ctx),
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};
	int rc;

	if ((rc = cmd_args(ctx, opts, NULL, 0)) != 0)
		return rc;
	if (days < 1 || days > 3650)
		rc = cmd_usage_error("crl", "--days must be between 1 and 3650");
	else if (out == NULL && (cmd_resolve_home(ctx) < 0 || (def = cmd_home_path(ctx, root ? "root-crl.pem" : "crl.pem")) == NULL))
		rc = EXIT_ERR;
	else
		rc = do_crl(ctx, out ? out : def, days, root);
	free(def);
	return rc;
}
