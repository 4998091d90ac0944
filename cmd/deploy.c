/* minica deploy SERIAL|PROFILE, and the deploy step of issue --deploy. */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static void
print_target(const char *what, const char *path, const struct pol_target *t)
{
	printf("  %-12s %s (%04o %s:%s)\n", what, path, (unsigned)t->mode, t->owner ? t->owner : "root",
	    t->group ? t->group : "root");
}

static void
print_deployed(const struct dep_req *req, const struct dep_result *res, int json)
{
	char *cmd = mc_strv_join(&req->prof->reload, " ");
	FILE *f = json ? stderr : stdout;

	fprintf(f, "deployed %s certificate %s\n", req->prof->name, req->rec->serial);
	if (!json) {
		print_target("certificate", res->cert_path, &req->prof->cert);
		print_target("key", res->key_path, &req->prof->key);
		if (res->ca_path != NULL)
			print_target("root", res->ca_path, &req->cfg->ca_cert);
	}
	if (res->reloaded)
		fprintf(f, "  %-12s %s\n", "reloaded", cmd ? cmd : "");
	else if (!req->reload)
		fprintf(f, "  %-12s not reloaded (--no-reload); reload the service yourself\n", "reload");
	else
		fprintf(f, "  %-12s none configured for profile %s\n", "reload", req->prof->name);
	for (size_t i = 0; i < res->notes.n; i++)
		if (strncmp(res->notes.v[i], "reloaded: ", 10) != 0 || strchr(res->notes.v[i], '\n'))
			fprintf(f, "  %s\n", res->notes.v[i]);
	free(cmd);
}

int
cmd_deploy_cert(struct mc_ca *ca, const struct store_cert *rec, X509 *cert, EVP_PKEY *key,
    const struct cmd_deploy_opts *o)
{
	struct dep_result res = { 0 };
	struct dep_req req = {
		.cfg = &ca->cfg, .root = o->root, .rec = rec, .cert = cert, .key = key, .ca = ca->root,
		.chain = ca->two_level ? ca->cert : NULL,
		.reload = !o->no_reload, .stale_before = ca->locked_at.tv_sec ? &ca->locked_at : NULL,
	};
	int rc = -1;

	if ((req.prof = pol_profile_find(&ca->cfg, rec->profile)) == NULL) {
		cmd_fail();
		return -1;
	}
	rc = dep_deploy(ca->db, &req, &res);
	for (size_t i = 0; i < res.repairs.n; i++)
		cmd_warn("%s", res.repairs.v[i]);
	if (rc < 0) {
		cmd_error("cannot deploy certificate %s: %s", rec->serial, mc_err());
		goto out;
	}
	if (o->system_trust && dep_system_trust(o->root, ca->root, ca->cfg.reload_timeout, &res.notes) < 0) {
		cmd_error("certificate %s is deployed, but installing the root for the system failed: %s",
		    rec->serial, mc_err());
		rc = -1;
	}
	print_deployed(&req, &res, o->json);
out:
	dep_result_free(&res);
	return rc;
}

struct pick {
	struct store_cert best;
	int found;
};

/* The newest (latest notBefore, then latest row) valid, unexpired one. */
static int
pick_newest(const struct store_cert *c, void *arg)
{
	struct pick *p = arg;
	struct store_cert copy = { 0 };

	if (c->not_after <= time(NULL))
		return 0;
	if (p->found && (c->not_before < p->best.not_before ||
	    (c->not_before == p->best.not_before && c->id < p->best.id)))
		return 0;
	/* The row is freed after the callback: keep our own by serial. */
	memcpy(copy.serial, c->serial, sizeof(copy.serial));
	copy.id = c->id;
	copy.not_before = c->not_before;
	store_cert_free(&p->best);
	p->best = copy;
	p->found = 1;
	return 0;
}

static int
find_cert(struct mc_ca *ca, const char *what, struct store_cert *out)
{
	const struct pol_profile *prof = NULL;
	struct pick pk = { .found = 0 };
	int found;

	for (size_t i = 0; i < ca->cfg.nprofiles; i++)
		if (strcmp(ca->cfg.profiles[i].name, what) == 0)
			prof = &ca->cfg.profiles[i];
	if (prof != NULL) {
		struct store_cert_filter f = { .profile = prof->name };

		if (store_cert_each(ca->db, &f, pick_newest, &pk) < 0)
			return cmd_fail(), -1;
		if (!pk.found) {
			cmd_error("no valid %s certificate to deploy; issue one with 'minica issue %s --cn NAME --deploy'",
			    prof->name, prof->name);
			return -1;
		}
		what = pk.best.serial;
	}
	found = store_cert_find(ca->db, what, out);
	if (found <= 0) {
		if (found < 0)
			cmd_fail();
		else
			cmd_error("no certificate with serial '%s' and no profile of that name "
			    "(see 'minica list' and 'minica profiles')", what);
		return -1;
	}
	if (strcmp(out->status, "valid") != 0 || out->not_after <= time(NULL)) {
		cmd_error("certificate %s is %s%s%s; only a valid certificate is deployed", out->serial,
		    cmd_cert_status(out, time(NULL)), out->superseded_by_serial[0] ? " by " : "",
		    out->superseded_by_serial);
		store_cert_free(out);
		return -1;
	}
	return 0;
}

/* --key FILE, else NAME.key in --from DIR (where issue wrote it). */
static EVP_PKEY *
load_key(const struct store_cert *c, X509 *cert, const char *keyfile, const char *from)
{
	char name[256], *path = NULL;
	EVP_PKEY *key = NULL;
	int m;

	iss_leaf_file_name(c, name, sizeof(name));
	if (keyfile != NULL)
		path = mc_strdup(keyfile);
	else if (asprintf(&path, "%s/%s.key", from ? from : ".", name) < 0)
		path = NULL;
	if (path == NULL) {
		cmd_error("out of memory");
		return NULL;
	}
	if ((key = ca_key_load(path, NULL, 0)) == NULL) {
		cmd_error("cannot read the key of certificate %s: %s (minica keeps no leaf keys; "
		    "give --key FILE or --from DIR)", c->serial, mc_err());
	} else if ((m = ca_key_matches_cert(key, cert)) != 1) {
		cmd_error(m < 0 ? "cannot compare '%s' with certificate %s: %s" :
		    "'%s' is not the key of certificate %s; nothing deployed%s", path, c->serial,
		    m < 0 ? mc_err() : "");
		EVP_PKEY_free(key);
		key = NULL;
	}
	free(path);
	return key;
}

static int
run_deploy(const char *what, struct cmd_deploy_opts *o, const char *keyfile, const char *from)
{
	struct store_cert c = { 0 };
	struct mc_ca ca;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	char *root = NULL;
	int rc = EXIT_ERR;

	if (cmd_open_ca(&ca) < 0)
		return EXIT_ERR;
	if (cmd_ca_lock(&ca) < 0)
		goto out;
	if ((root = dep_root_resolve(o->root)) == NULL) {
		cmd_fail();
		goto out;
	}
	/* o->root is popt's copy, freed by cmd_parse_done: swap in the
	 * resolved one, which it then frees. */
	free(o->root);
	o->root = root;
	root = NULL;
	if (find_cert(&ca, what, &c) < 0)
		goto out;
	if ((cert = ca_cert_from_pem(c.pem, strlen(c.pem))) == NULL) {
		cmd_fail();
		goto out;
	}
	if ((key = load_key(&c, cert, keyfile, from)) == NULL)
		goto out;
	if (cmd_deploy_cert(&ca, &c, cert, key, o) == 0)
		rc = EXIT_OK;
out:
	EVP_PKEY_free(key);
	X509_free(cert);
	store_cert_free(&c);
	free(root);
	cmd_close_ca(&ca);
	return rc;
}

int
cmd_deploy(int argc, const char **argv)
{
	struct cmd_deploy_opts o = { 0 };
	char *keyfile = NULL, *from = NULL;
	struct poptOption opts[] = {
		{ "root", 0, POPT_ARG_STRING, &o.root, 0, "prefix every target path with DIR (default /)", "DIR" },
		{ "no-reload", 0, POPT_ARG_NONE, &o.no_reload, 0, "do not run the profile's reload command", NULL },
		{ "system-trust", 0, POPT_ARG_NONE, &o.system_trust, 0,
		  "also install the root in the system trust store", NULL },
		{ "key", 0, POPT_ARG_STRING, &keyfile, 0, "the certificate's private key", "FILE" },
		{ "from", 0, POPT_ARG_STRING, &from, 0, "folder where issue wrote NAME.key (default: current)", "DIR" },
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, cmd_common_options, 0, "Common options:", NULL },
		POPT_AUTOHELP
		POPT_TABLEEND
	};
	poptContext ctx = NULL;
	const char *what;
	int rc;

	if ((rc = cmd_parse(&ctx, argc, argv, opts, "SERIAL|PROFILE")) != 0)
		return rc;
	what = poptGetArg(ctx);
	if (what == NULL || poptPeekArg(ctx) != NULL)
		rc = cmd_usage_error("deploy", "give exactly one SERIAL or PROFILE");
	else if (keyfile != NULL && from != NULL)
		rc = cmd_usage_error("deploy", "give --key FILE or --from DIR, not both");
	else
		rc = run_deploy(what, &o, keyfile, from);
	cmd_parse_done(ctx, opts);
	return rc;
}
