/* minica renew [--days N] [--dry-run] [--out DIR] [SERIAL|PROFILE ...] */
#include <ctype.h>
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

struct due_list {
	struct store_cert *v;
	size_t n, cap;
	size_t current;		/* valid certificates seen */
	struct renew_opts *o;
	time_t now;
};

static int
selected(struct renew_opts *o, const struct store_cert *c)
{
	int any = o->nonly == 0;

	for (size_t i = 0; i < o->nonly; i++) {
		const char *a = o->only[i];
		size_t k = 0;

		if (strcmp(a, c->profile) != 0) {
			while (a[k] && c->serial[k] && tolower((unsigned char)a[k]) == c->serial[k])
				k++;
			if (a[k] != '\0')
				continue;
		}
		o->matched[i] = 1;
		any = 1;
	}
	return any;
}

static int
collect_due(const struct store_cert *c, void *arg)
{
	struct due_list *l = arg;
	struct store_cert *copy;

	l->current++;
	if (!selected(l->o, c) || !(l->o->force || cmd_cert_due(c, l->now, l->o->days)))
		return 0;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? 2 * l->cap : 8;
		struct store_cert *nv = realloc(l->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			mc_seterr("out of memory");
			return -1;
		}
		l->v = nv;
		l->cap = ncap;
	}
	copy = &l->v[l->n];
	*copy = *c;
	/* Take ownership of the row's strings: store_cert_each frees c. */
	copy->profile = mc_strdup(c->profile);
	copy->subject = mc_strdup(c->subject);
	copy->cn = mc_strdup(c->cn);
	copy->pem = mc_strdup(c->pem);
	copy->revocation_reason = NULL;
	memset(&copy->sans, 0, sizeof(copy->sans));
	for (size_t i = 0; i < c->sans.n; i++)
		if (mc_strv_push(&copy->sans, c->sans.v[i]) < 0)
			return -1;
	l->n++;
	return copy->profile && copy->subject && copy->cn && copy->pem ? 0 : -1;
}

struct old_deploys {
	int64_t cert_id;
	struct mc_strv roots;
};

static int
collect_roots(const struct store_deployment *d, void *arg)
{
	struct old_deploys *od = arg;

	if (d->cert_id != od->cert_id || mc_strv_has(&od->roots, d->root))
		return 0;
	return mc_strv_push(&od->roots, d->root);
}

/* Redeploys to every root the old certificate is deployed under.  A
 * failed deployment keeps the previous pair in place (deploy rolls back)
 * and the new files go to the out folder so the new key is not lost. */
static int
redeploy(struct cmd_ca *ca, const struct store_cert *old, struct issued *is, const struct renew_opts *o,
    int *deployed)
{
	struct old_deploys od = { .cert_id = old->id };
	struct store_deploy_filter f = { .state = "current", .root = o->root, .profile = old->profile };
	int rc = 0;

	if (store_deploy_each(ca->db, &f, collect_roots, &od) < 0) {
		mc_strv_free(&od.roots);
		return -1;
	}
	for (size_t i = 0; i < od.roots.n; i++) {
		struct cmd_deploy_opts dopts = { .root = od.roots.v[i], .no_reload = o->no_reload, .json = o->json };

		if (cmd_deploy_cert(ca, &is->rec, is->cert, is->key, &dopts) < 0) {
			mc_seterr("renewed as %s, but deploying it under '%s' failed (the previous pair is "
			    "still in place)", is->rec.serial, od.roots.v[i]);
			rc = -1;
		} else {
			(*deployed)++;
		}
	}
	mc_strv_free(&od.roots);
	return rc;
}

/* One certificate: plan, sign, record (superseding the old one), then
 * redeploy where the old one is deployed, else files in --out. */
static int
renew_one(struct cmd_ca *ca, const struct store_cert *old, const struct renew_opts *o)
{
	struct issue_plan plan = { 0 };
	struct issued is = { 0 };
	char name[256], na[21], err[MC_ERR_MAX] = "";
	const char *dir = o->out ? o->out : ".";
	int rc = -1, deployed = 0, dep_rc;

	if (cmd_renew_plan(ca, old, &plan) < 0 || cmd_issue_sign(ca, &plan, &is) < 0 ||
	    cmd_renew_record(ca, old, &is) < 0)
		goto out;
	if ((dep_rc = redeploy(ca, old, &is, o, &deployed)) < 0)
		snprintf(err, sizeof(err), "%s", mc_err());
	cmd_leaf_file_name(&is.rec, name, sizeof(name));
	if ((deployed == 0 || o->out != NULL) && cmd_leaf_files_replace(dir, name, &is, ca->cert) < 0) {
		mc_preferr("renewed as %s and recorded, but its files could not be written", is.rec.serial);
		goto out;
	}
	if (dep_rc < 0) {
		mc_seterr("%s; its files are in %s/%s.*", err, dir, name);
		goto out;
	}
	mc_iso8601(is.rec.not_after, na);
	if (o->json) {
		cmd_cert_json(stdout, &is.rec, 0);
		fputc('\n', stdout);
	} else {
		printf("renewed %s %s: %s -> %s, valid until %s, %s%s%s%s\n", old->profile,
		    old->cn[0] ? old->cn : old->sans.v[0], old->serial, is.rec.serial, na,
		    deployed ? "redeployed" : "files in ", deployed ? "" : dir, deployed ? "" : "/",
		    deployed ? "" : name);
	}
	rc = 0;
out:
	cmd_issued_free(&is);
	cmd_issue_plan_free(&plan);
	return rc;
}

static int
run_renew(struct renew_opts *o)
{
	struct due_list l = { .o = o, .now = time(NULL) };
	struct store_cert_filter f = { 0 };
	struct cmd_ca ca;
	size_t failed = 0;
	int rc = EXIT_ERR;

	if (cmd_open_ca(&ca) < 0)
		return EXIT_ERR;
	if (!o->dry_run && cmd_ca_lock(&ca) < 0)
		goto out;
	if (store_cert_each(ca.db, &f, collect_due, &l) < 0) {
		cmd_fail();
		goto out;
	}
	for (size_t i = 0; i < o->nonly; i++) {
		if (!o->matched[i]) {
			cmd_error("'%s' is neither a profile nor the serial of a current certificate", o->only[i]);
			goto out;
		}
	}
	if (l.n == 0) {
		printf("nothing due for renewal (%zu current certificate%s; due means within %d days of expiry "
		    "or past two thirds of its lifetime)\n", l.current, l.current == 1 ? "" : "s", o->days);
		rc = EXIT_OK;
		goto out;
	}
	for (size_t i = 0; o->dry_run && i < l.n; i++)
		printf("would renew %s %s (%s), expires in %ld days\n", l.v[i].profile,
		    l.v[i].cn[0] ? l.v[i].cn : l.v[i].sans.v[0], l.v[i].serial, cmd_days_left(l.v[i].not_after, l.now));
	if (o->dry_run) {
		rc = EXIT_OK;
		goto out;
	}
	if (cmd_ca_unlock(&ca) < 0)
		goto out;
	/* Each renewal stands alone: one failure keeps the others. */
	for (size_t i = 0; i < l.n; i++) {
		if (renew_one(&ca, &l.v[i], o) < 0) {
			cmd_error("cannot renew %s %s (%s): %s", l.v[i].profile,
			    l.v[i].cn[0] ? l.v[i].cn : l.v[i].sans.v[0], l.v[i].serial, mc_err());
			failed++;
		}
	}
	if (failed > 0)
		cmd_error("%zu of %zu renewals failed; the others were kept", failed, l.n);
	rc = failed ? EXIT_ERR : EXIT_OK;
out:
	for (size_t i = 0; i < l.n; i++)
		store_cert_free(&l.v[i]);
	free(l.v);
	cmd_close_ca(&ca);
	return rc;
}

int
cmd_renew(int argc, const char **argv)
{
	struct renew_opts o = { .days = RENEW_DAYS_DEFAULT };
	struct poptOption opts[] = {
		{ "days", 0, POPT_ARG_INT, &o.days, 0, "renew what expires within N days (default 30)", "N" },
		{ "dry-run", 'n', POPT_ARG_NONE, &o.dry_run, 0, "say what would be renewed; change nothing", NULL },
		{ "force", 0, POPT_ARG_NONE, &o.force, 0, "renew the selected certificates even if not due", NULL },
		{ "root", 0, POPT_ARG_STRING, &o.root, 0, "only redeploy deployments under DIR (default: all recorded)", "DIR" },
		{ "no-reload", 0, POPT_ARG_NONE, &o.no_reload, 0, "redeploy without reloading the services", NULL },
		{ "out", 0, POPT_ARG_STRING, &o.out, 0, "folder for files of certificates never deployed (default: .)", "DIR" },
		{ "json", 0, POPT_ARG_NONE, &o.json, 0, "print each new certificate as JSON (one per line)", NULL },
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, cmd_common_options, 0, "Common options:", NULL },
		POPT_AUTOHELP
		POPT_TABLEEND
	};
	poptContext ctx = NULL;
	char *resolved = NULL;
	int rc;

	if ((rc = cmd_parse(&ctx, argc, argv, opts, "[SERIAL|PROFILE ...]")) != 0)
		return rc;
	o.only = poptGetArgs(ctx);
	while (o.only && o.only[o.nonly])
		o.nonly++;
	if (o.days < 0 || o.days > 3650)
		rc = cmd_usage_error("renew", "--days must be between 0 and 3650");
	else if ((o.matched = calloc(o.nonly + 1, sizeof(int))) == NULL)
		rc = EXIT_ERR;
	else if (o.root != NULL && (resolved = dep_root_resolve(o.root)) == NULL)
		rc = cmd_fail();
	else {
		if (resolved != NULL) {
			free(o.root);
			o.root = resolved;
		}
		rc = run_renew(&o);
	}
	free(o.matched);
	cmd_parse_done(ctx, opts);
	return rc;
}
