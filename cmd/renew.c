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
	struct store *db;
	time_t now;
};

static int
selected(struct renew_opts *o, const struct store_cert *c)
{
	int any = o->nonly == 0;

	for (size_t i = 0; i < o->nonly; i++) {
		const char *a = o->only[i], *sp = c->serial;

		/* A serial prefix in any case, with or without colons, as show
		 * and revoke take it. */
		if (strcmp(a, c->profile) != 0) {
			for (; *a != '\0'; a++) {
				if (*a == ':')
					continue;
				if (*sp == '\0' || tolower((unsigned char)*a) != *sp)
					break;
				sp++;
			}
			if (*a != '\0' || sp == c->serial)
				continue;
		}
		o->matched[i] = 1;
		any = 1;
	}
	return any;
}

static int
is_predecessor(const struct store_deployment *d, void *arg)
{
	return d->cert_id != *(const int64_t *)arg;
}

/* A renew cut short between recording the new certificate and deploying
 * it leaves its predecessor deployed: renewing again puts the lineage's
 * newest certificate there, so the stranded one does not expire in use. */
static int
stranded(struct store *db, const struct store_cert *c, const char *root)
{
	struct store_deploy_filter f = { .state = "current", .root = root, .lineage_of = c->id };

	return store_deploy_each(db, &f, is_predecessor, (void *)&c->id);
}

static int
collect_due(const struct store_cert *c, void *arg)
{
	struct due_list *l = arg;
	struct store_cert *copy;
	int due;

	l->current++;
	if (!selected(l->o, c))
		return 0;
	due = l->o->force || pol_cert_due(c->not_before, c->not_after, l->now, l->o->days);
	if (!due && (due = stranded(l->db, c, l->o->root)) < 0)
		return -1;
	if (!due)
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

static int
collect_roots(const struct store_deployment *d, void *arg)
{
	struct mc_strv *roots = arg;

	return mc_strv_has(roots, d->root) ? 0 : mc_strv_push(roots, d->root);
}

/* Redeploys to every root the old certificate (or one it renewed, see
 * stranded) is deployed under.  A
 * failed deployment keeps the previous pair in place (deploy rolls back)
 * and the new files go to the out folder so the new key is not lost. */
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

		if (cmd_deploy_cert(ca, &is->rec, is->cert, is->key, &dopts) < 0) {
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

static void
report_failure(const struct store_cert *old)
{
	cmd_error("cannot renew %s %s (%s): %s", old->profile, old->cn[0] ? old->cn : old->sans.v[0],
	    old->serial, mc_err());
}

/* After signing: record (superseding the old one), then redeploy where
 * the old one is deployed, else files in --out. */
static int
finish_one(struct mc_ca *ca, const struct store_cert *old, struct iss_issued *is, const struct renew_opts *o)
{
	char name[256], na[21], err[MC_ERR_MAX] = "";
	const char *dir = o->out ? o->out : ".";
	int deployed = 0, dep_rc;

	if (iss_renew_record(ca, old, is) < 0)
		return -1;
	if ((dep_rc = redeploy(ca, old, is, o, &deployed)) < 0)
		snprintf(err, sizeof(err), "%s", mc_err());
	iss_leaf_file_name(&is->rec, name, sizeof(name));
	if ((deployed == 0 || o->out != NULL) && iss_leaf_files_replace(ca, dir, name, is) < 0) {
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

/*
 * Everything due is planned, then signed at once on all cores by the
 * batch engine; each certificate is then recorded and deployed on its
 * own, so one failure keeps the others.  If the parallel signing fails
 * (all or nothing), each is signed alone to find and skip the bad one.
 */
static size_t
renew_all(struct mc_ca *ca, const struct due_list *l, const struct renew_opts *o)
{
	struct iss_plan *plans = calloc(l->n, sizeof(*plans));
	struct iss_plan **ready = calloc(l->n, sizeof(*ready));
	struct iss_issued *is = calloc(l->n, sizeof(*is));
	size_t *idx = calloc(l->n, sizeof(*idx)), k = 0, failed = 0;

	if (plans == NULL || ready == NULL || is == NULL || idx == NULL) {
		mc_seterr("out of memory");
		failed = l->n;
		goto out;
	}
	for (size_t i = 0; i < l->n; i++) {
		if (iss_renew_plan(ca, &l->v[i], &plans[i]) < 0) {
			report_failure(&l->v[i]);
			failed++;
			continue;
		}
		ready[k] = &plans[i];
		idx[k++] = i;
	}
	if (k > 1 && iss_sign_many(ca, ready, k, mc_cpu_count(), is, NULL) == 0) {
		for (size_t j = 0; j < k; j++)
			if (finish_one(ca, &l->v[idx[j]], &is[j], o) < 0) {
				report_failure(&l->v[idx[j]]);
				failed++;
			}
		goto out;
	}
	for (size_t j = 0; j < k; j++) {
		if (iss_sign(ca, ready[j], &is[j]) < 0 || finish_one(ca, &l->v[idx[j]], &is[j], o) < 0) {
			report_failure(&l->v[idx[j]]);
			failed++;
		}
	}
out:
	for (size_t i = 0; is != NULL && i < l->n; i++)
		iss_issued_free(&is[i]);
	for (size_t i = 0; plans != NULL && i < l->n; i++)
		iss_plan_free(&plans[i]);
	free(plans);
	free(ready);
	free(is);
	free(idx);
	return failed;
}

static int
run_renew(struct renew_opts *o)
{
	struct due_list l = { .o = o, .now = time(NULL) };
	struct store_cert_filter f = { 0 };
	struct mc_ca ca;
	size_t failed = 0;
	int rc = EXIT_ERR;

	if (cmd_open_ca(&ca) < 0)
		return EXIT_ERR;
	if (!o->dry_run && cmd_ca_lock(&ca) < 0)
		goto out;
	l.db = ca.db;
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
	failed = renew_all(&ca, &l, o);
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
	struct renew_opts o = { .days = POL_RENEW_DAYS_DEFAULT };
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
