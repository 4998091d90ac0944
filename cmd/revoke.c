/* minica revoke SERIAL [--reason R], minica crl [--out FILE] [--days N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static int
do_revoke(struct cmd_ctx *ctx, const char *serial, const char *reason, int yes)
{
	struct store_cert c = { 0 };
	struct mc_ca *ca = &ctx->ca;
	int rc = EXIT_ERR, found;

	if (cmd_setup(ctx) != 0)
		return EXIT_ERR;
	if ((found = store_cert_find(ca->db, serial, &c)) <= 0) {
		if (found == 0)
			cmd_error("no certificate with serial '%s' (see 'minica list --all')", serial);
		else
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
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};
	int rc;

	if ((rc = cmd_args(ctx, opts, "SERIAL", -1)) != 0)
		return rc;
	if (ctx->nargs != 1)
		return cmd_usage_error("revoke", "give exactly one SERIAL");
	if (reason != NULL && reason_code(reason) < 0)
		return cmd_usage_error("revoke", "unknown reason '%s'", reason);
	return do_revoke(ctx, ctx->args[0], reason ? reason : "unspecified", yes);
}

struct revoked_list {
	struct ca_revoked *r;
	char (*serials)[48];
	size_t n, cap;
};

static int
collect_revoked(const struct store_cert *c, void *arg)
{
	struct revoked_list *l = arg;

	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 16;
		struct ca_revoked *nr = realloc(l->r, ncap * sizeof(*nr));
		char (*ns)[48] = realloc(l->serials, ncap * sizeof(*ns));

		if (nr != NULL)
			l->r = nr;
		if (ns != NULL)
			l->serials = ns;
		if (nr == NULL || ns == NULL) {
			mc_seterr("out of memory");
			return -1;
		}
		l->cap = ncap;
	}
	snprintf(l->serials[l->n], sizeof(l->serials[0]), "%s", c->serial);
	l->r[l->n].when = c->revoked_at;
	l->r[l->n].reason = reason_code(c->revocation_reason ? c->revocation_reason : "unspecified");
	l->n++;
	return 0;
}

/* With ca locked and unlocked: the CRL signed, recorded (with where it
 * went, which check and renew read back) and written to out. */
int
cmd_crl_write(struct mc_ca *ca, const char *out, int days, FILE *report)
{
	struct revoked_list l = { 0 };
	struct mc_buf pem = { 0 };
	X509_CRL *crl = NULL;
	char cwd[4096], *abs = NULL;
	int64_t number;
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
	if (store_begin(ca->db) < 0)
		goto out;
	if (store_cert_each_revoked(ca->db, collect_revoked, &l) < 0 ||
	    (number = store_crl_next_number(ca->db)) < 0) {
		store_rollback(ca->db);
		goto out;
	}
	for (size_t i = 0; i < l.n; i++)
		l.r[i].serial_hex = l.serials[i];
	/* path= last: it runs to the end of the details. */
	if ((crl = ca_crl_build(ca->cert, ca->key, l.r, l.n, (long)number, days)) == NULL ||
	    ca_crl_pem(crl, &pem) < 0 ||
	    store_audit(ca->db, "crl", NULL, "number=%lld revoked=%zu days=%d path=%s",
	    (long long)number, l.n, days, out) < 0 || store_commit(ca->db) < 0) {
		store_rollback(ca->db);
		goto out;
	}
	if (mc_file_replace(out, 0644, (uid_t)-1, (gid_t)-1, pem.p, pem.len) < 0)
		goto out;
	fprintf(report, "wrote CRL number %lld with %zu revoked certificate%s to %s (next update in %d days)\n",
	    (long long)number, l.n, l.n == 1 ? "" : "s", out, days);
	rc = 0;
out:
	free(abs);
	X509_CRL_free(crl);
	mc_buf_free(&pem);
	free(l.r);
	free(l.serials);
	return rc;
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

static int
do_crl(struct cmd_ctx *ctx, const char *out, int days)
{
	if (cmd_setup(ctx) != 0)
		return EXIT_ERR;
	if (cmd_crl_write(&ctx->ca, out, days, stdout) < 0)
		return cmd_fail();
	return EXIT_OK;
}

int
cmd_crl(struct cmd_ctx *ctx)
{
	char *out = NULL, *def = NULL;
	int days = 30;
	struct poptOption opts[] = {
		{ "out", 0, POPT_ARG_STRING, &out, 0, "where to write the CRL (default: HOME/crl.pem)", "FILE" },
		{ "days", 0, POPT_ARG_INT, &days, 0, "days until the next update (default 30)", "N" },
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};
	int rc;

	if ((rc = cmd_args(ctx, opts, NULL, 0)) != 0)
		return rc;
	if (days < 1 || days > 3650)
		rc = cmd_usage_error("crl", "--days must be between 1 and 3650");
	else if (out == NULL && (cmd_resolve_home(ctx) < 0 || (def = cmd_home_path(ctx, "crl.pem")) == NULL))
		rc = EXIT_ERR;
	else
		rc = do_crl(ctx, out ? out : def, days);
	free(def);
	return rc;
}
