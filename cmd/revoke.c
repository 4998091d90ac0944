/* minica revoke SERIAL [--reason R], minica crl [--out FILE] [--days N] */
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
	if ((found = store_cert_find(ca.db, serial, &c)) <= 0) {
		if (found == 0)
			cmd_error("no certificate with serial '%s' (see 'minica list --all')", serial);
		else
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

static int
do_crl(const char *out, int days)
{
	struct revoked_list l = { 0 };
	struct mc_buf pem = { 0 };
	X509_CRL *crl = NULL;
	struct mc_ca ca;
	int64_t number;
	int rc = EXIT_ERR;

	if (cmd_open_ca(&ca) < 0)
		return EXIT_ERR;
	if (cmd_ca_lock(&ca) < 0 || cmd_ca_unlock(&ca) < 0)
		goto out;
	if (store_begin(ca.db) < 0)
		goto fail;
	if (store_cert_each_revoked(ca.db, collect_revoked, &l) < 0 ||
	    (number = store_crl_next_number(ca.db)) < 0) {
		store_rollback(ca.db);
		goto fail;
	}
	for (size_t i = 0; i < l.n; i++)
		l.r[i].serial_hex = l.serials[i];
	if ((crl = ca_crl_build(ca.cert, ca.key, l.r, l.n, (long)number, days)) == NULL || ca_crl_pem(crl, &pem) < 0 ||
	    store_audit(ca.db, "crl", NULL, "number=%lld revoked=%zu days=%d", (long long)number, l.n, days) < 0 ||
	    store_commit(ca.db) < 0) {
		store_rollback(ca.db);
		goto fail;
	}
	if (ca_file_replace(out, 0644, (uid_t)-1, (gid_t)-1, pem.p, pem.len) < 0)
		goto fail;
	printf("wrote CRL number %lld with %zu revoked certificate%s to %s (next update in %d days)\n",
	    (long long)number, l.n, l.n == 1 ? "" : "s", out, days);
	rc = EXIT_OK;
	goto out;
fail:
	cmd_fail();
out:
	X509_CRL_free(crl);
	mc_buf_free(&pem);
	free(l.r);
	free(l.serials);
	cmd_close_ca(&ca);
	return rc;
}

int
cmd_crl(int argc, const char **argv)
{
	char *out = NULL, *def = NULL;
	int days = 30;
	struct poptOption opts[] = {
		{ "out", 0, POPT_ARG_STRING, &out, 0, "where to write the CRL (default: HOME/crl.pem)", "FILE" },
		{ "days", 0, POPT_ARG_INT, &days, 0, "days until the next update (default 30)", "N" },
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
	else if (out == NULL && (cmd_resolve_home() < 0 || (def = cmd_home_path("crl.pem")) == NULL))
		rc = EXIT_ERR;
	else
		rc = do_crl(out ? out : def, days);
	free(def);
	cmd_parse_done(ctx, opts);
	return rc;
}
