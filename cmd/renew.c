/* minica renew [--days N] [--dry-run] [--out DIR] [SERIAL|PROFILE ...] */
#include <stdlib.h>
#include <string.h>

#include "../deploy/deploy.h"
#include "cmd.h"

struct renew_opts {
	char *root;		/* resolved: only deployments under it */
	int no_reload;
	int days;
	int dry_run;
	int force;
	int json;
	char *out;
	const char **only;	/* SERIAL or PROFILE arguments */
	size_t nonly;
	int *matched;		/* per argument: did it select anything */
};

static int
collect_roots(const struct store_deployment *d, void *arg)
{
	struct mc_strv *roots = arg;

	return mc_strv_has(roots, d->root) ? 0 : mc_strv_push(roots, d->root);
}

/* Redeploys to every root the old certificate (or one it renewed, see
 * stranded) is deployed under.  A failed deployment keeps the previous
 * pair in place (deploy rolls back); the new files go to the out folder
 * so the new key is not lost. */
static int
redeploy(struct mc_ca *ca, const struct store_cert *old, struct iss_issued *is, const struct renew_opts *o,
    int *deployed)
{
	struct mc_strv roots = { 0 };
	struct store_deploy_filter f = { .state = "current", .root = o->root, .profile = old->profile,
	    .lineage_of = old->id };
	int rc = 0;

	if (store_deploy_each(ca->db, &f, collect_roots, &roots) < 0) {
		mc_strv_free(&roots);
		return -1;
	}
	for (size_t i = 0; i < roots.n; i++) {
		struct cmd_deploy_opts dopts = { .root = roots.v[i], .no_reload = o->no_reload, .json = o->json };
		/* A CSR's certificate keeps its key: the deployed one serves. */
		EVP_PKEY *key = is->key ? is->key :
		    dep_deployed_key(pol_profile_find(&ca->cfg, is->rec.profile), roots.v[i], is->cert);
		int r = key ? cmd_deploy_cert(ca, &is->rec, is->cert, key, &dopts) : -1;

		if (key != is->key)
			EVP_PKEY_free(key);
		if (r < 0) {
			mc_seterr("renewed as %s, but deploying it under '%s' failed (the previous pair is "
			    "still in place)", is->rec.serial, roots.v[i]);
			rc = -1;
		} else {
			(*deployed)++;
		}
	}
	mc_strv_free(&roots);
	return rc;
}

/* After signing: record (superseding the old one), then redeploy where
 * the old one is deployed, else files in --out. */
static int
finish_one(struct mc_ca *ca, const struct store_cert *old, struct iss_issued *is, const struct renew_opts *o)
{
	char name[256] = "", na[21], err[MC_ERR_MAX] = "";
	const char *dir = o->out ? o->out : ".";
	int deployed = 0, dep_rc;

	if (iss_renew_record(ca, old, is) < 0)
		return -1;
	if ((dep_rc = redeploy(ca, old, is, o, &deployed)) < 0)
		snprintf(err, sizeof(err), "%s", mc_err());
	/* Files also when one of several roots failed: the message says so. */
	if ((deployed == 0 || dep_rc < 0 || o->out != NULL) &&
	    (iss_leaf_out_name(ca, dir, &is->rec, is->rec.profile, old, name, sizeof(name)) < 0 ||
	    iss_leaf_files_replace(ca, dir, name, is) < 0)) {
		mc_preferr("renewed as %s and recorded, but its files could not be written", is->rec.serial);
		return -1;
	}
	if (dep_rc < 0) {
		mc_seterr("%s; its files are in %s/%s.*", err, dir, name);
		return -1;
	}
	mc_iso8601(is->rec.not_after, na);
	if (o->json) {
		cmd_cert_json(stdout, &is->rec, 0);
		fputc('\n', stdout);
	} else {
		printf("renewed %s %s: %s -> %s, valid until %s, %s%s%s%s\n", old->profile,
		    old->cn[0] ? old->cn : old->sans.v[0], old->serial, is->rec.serial, na,
		    deployed ? "redeployed" : "files in ", deployed ? "" : dir, deployed ? "" : "/",
		    deployed ? "" : name);
	}
	return 0;
}

struct finish_arg {
	struct mc_ca *ca;
	const struct renew_opts *o;
};

static int
finish_cb(void *arg, const struct store_cert *old, struct iss_issued *is)
{
	struct finish_arg *f = arg;

	return finish_one(f->ca, old, is, f->o);
}

static void
fail_cb(void *arg, const struct store_cert *old)
{
	(void)arg;
	cmd_error("cannot renew %s %s (%s): %s", old->profile, old->cn[0] ? old->cn : old->sans.v[0],
	    old->serial, mc_err());
}

/* --dry-run: what would be renewed, and nothing else. */
static void
say_due(struct cmd_ctx *ctx, const struct iss_due *l, time_t now)
{
	for (size_t i = 0; i < l->n; i++) {
		/* --json: the certificates that would be renewed, one a line. */
		if (ctx->json) {
			cmd_cert_json(stdout, &l->v[i], 0);
			fputc('\n', stdout);
		}
		cmd_say(ctx, "would renew %s %s (%s), expires in %ld days\n", l->v[i].profile,
		    l->v[i].cn[0] ? l->v[i].cn : l->v[i].sans.v[0], l->v[i].serial, mc_days_left(l->v[i].not_after, now));
	}
}

/* Due, but ordered over ACME: the client holds the key and renews it (a
 * renewal here would supersede its certificate behind its back); or the
 * ACME server's own, which the server renews.  Said by dry runs and
 * renewals alike; not a failure. */
static int
say_acme(struct cmd_ctx *ctx, const struct iss_due *l, time_t now)
{
	char who[512];

	for (size_t i = 0; i < l->nacme; i++) {
		const struct store_cert *c = &l->acme[i].cert;

		cmd_say(ctx, "not renewing %s %s (%s), expires in %ld days: ", c->profile, c->cn[0] ? c->cn :
		    c->sans.v[0], c->serial, mc_days_left(c->not_after, now));
		if (l->acme[i].account_id == 0) {
			cmd_say(ctx, "the certificate of 'minica acme serve' (%s), which renews it while it runs "
			    "and replaces it at its next start\n", ISS_ACME_TLS_FILE);
			continue;
		}
		if (iss_acme_account_text(&ctx->ca, l->acme[i].account_id, who, sizeof(who)) < 0)
			return -1;
		cmd_say(ctx, "issued over ACME to %s, whose client holds its key and renews it\n", who);
	}
	return 0;
}

/* Unlocks the key (left unlocked, *pass kept, for the CRLs) and renews l->v[] (their
 * DANE keys staged first); *err set when nothing could be tried. */
static size_t
renew_all(struct cmd_ctx *ctx, const struct iss_due *l, struct renew_opts *o, struct mc_buf *pass, int *err)
{
	struct mc_ca *ca = &ctx->ca;
	struct iss_dane_renew dane = { 0 };
	struct iss_dane_renew_req dr;
	struct finish_arg fa = { ca, o };
	long refused;
	size_t failed = 0;

	*err = 1;
	/* Renewals of certificates not deployed write there: known before signing. */
	if (iss_out_dir_check(o->out ? o->out : ".") < 0) {
		cmd_fail();
		goto out;
	}
	/* The passphrase opens the staged DANE keys too (dane --next). */
	if (cmd_unlock_keep(ctx, pass) != 0)
		goto out;
	dr = (struct iss_dane_renew_req){ pass->p, pass->len, o->force };
	if ((refused = iss_dane_renew_prepare(ca, l->v, l->n, &dr, fail_cb, NULL, &dane)) < 0) {
		cmd_fail();
		goto out;
	}
	*err = 0;
	failed = (size_t)refused + iss_renew_each_dane(ca, l->v, &dane, mc_cpu_count(), finish_cb, fail_cb, &fa);
	if (failed > 0)
		cmd_error("%zu of %zu renewals failed; the others were kept", failed, l->n);
out:
	iss_dane_renew_free(&dane);
	return failed;
}

static int
run_renew(struct cmd_ctx *ctx, struct renew_opts *o)
{
	struct iss_due l = { 0 };
	struct iss_due_sel sel = { o->root, o->days, o->force, time(NULL), o->only, o->nonly, o->matched };
	struct mc_buf pass = { 0 };
	size_t failed;
	int rc = EXIT_ERR, crl_due, err, crl_failed;

	/* A dry run changes nothing: no lock, no key. */
	if (o->dry_run)
		ctx->flags &= ~(unsigned)(LOCKS_CA | NEEDS_KEY);
	if (cmd_setup(ctx) != 0)
		return EXIT_ERR;
	if (iss_renew_due(&ctx->ca, &sel, &l) < 0) {
		cmd_fail();
		goto out;
	}
	for (size_t i = 0; i < o->nonly; i++) {
		if (!o->matched[i]) {
			cmd_error("'%s' is neither a profile nor the serial of a current (or revoked and deployed) "
			    "certificate", o->only[i]);
			goto out;
		}
	}
	if ((crl_due = o->nonly ? 0 : cmd_crl_due(ctx)) < 0)
		goto out;
	if (say_acme(ctx, &l, sel.now) < 0) {
		cmd_fail();
		goto out;
	}
	if (l.n == 0 && !crl_due) {
		cmd_say(ctx, "nothing %sdue for renewal (%zu current certificate%s; due means within %d days of expiry "
		    "or past two thirds of its lifetime)\n", l.nacme ? "else " : "", l.current,
		    l.current == 1 ? "" : "s", o->days);
		rc = EXIT_OK;
		goto out;
	}
	if (o->dry_run) {
		say_due(ctx, &l, sel.now);
		rc = crl_due && cmd_crl_renew(ctx, 1, &pass, cmd_human(ctx)) != 0 ? EXIT_ERR : EXIT_OK;
		goto out;
	}
	/* Also with only the CRL due: signing it needs the key. */
	failed = renew_all(ctx, &l, o, &pass, &err);
	if (err)
		goto out;
	crl_failed = crl_due ? cmd_crl_renew(ctx, 0, &pass, cmd_human(ctx)) : 0;
	rc = failed || crl_failed ? EXIT_ERR : EXIT_OK;
out:
	mc_buf_free(&pass);
	iss_due_free(&l);
	return rc;
}

int
cmd_renew(struct cmd_ctx *ctx)
{
	struct renew_opts o = { .days = POL_RENEW_DAYS_DEFAULT };
	struct poptOption opts[] = {
		{ "days", 0, POPT_ARG_INT, &o.days, 0, "renew what expires within N days (default 30)", "N" },
		{ "dry-run", 'n', POPT_ARG_NONE, &o.dry_run, 0, "say what would be renewed; change nothing", NULL },
		{ "force", 0, POPT_ARG_NONE, &o.force, 0, "renew the selected certificates even if not due", NULL },
		{ "root", 0, POPT_ARG_STRING, &o.root, 0, "only redeploy deployments under DIR (default: all recorded)", "DIR" },
		{ "no-reload", 0, POPT_ARG_NONE, &o.no_reload, 0, "redeploy without reloading the services", NULL },
		{ "out", 0, POPT_ARG_STRING, &o.out, 0, "folder for files of certificates never deployed (default: .)", "DIR" },
		{ "json", 0, POPT_ARG_NONE, &o.json, 0, "print each new certificate as JSON (one per line)", NULL },
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};
	char *resolved = NULL;
	int rc;

	if ((rc = cmd_args(ctx, opts, "[SERIAL|PROFILE ...]", -1)) != 0)
		return rc;
	ctx->json = o.json;
	o.only = ctx->args;
	o.nonly = (size_t)ctx->nargs;
	if (o.days < 0 || o.days > 3650)
		rc = cmd_usage_error("renew", "--days must be between 0 and 3650");
	else if ((o.matched = calloc(o.nonly + 1, sizeof(int))) == NULL)
		rc = EXIT_ERR;
	else if (o.root != NULL && (resolved = dep_root_resolve(o.root)) == NULL)
		rc = cmd_fail();
	else {
		if (resolved != NULL)
			o.root = resolved;
		rc = run_renew(ctx, &o);
	}
	free(resolved);
	free(o.matched);
	return rc;
}
