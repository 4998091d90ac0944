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
	else if (res->not_running)
		fprintf(f, "  %-12s skipped: %s is not running\n", "reload", req->prof->name);
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
	return cmd_deploy_cert2(ca, rec, cert, key, o, NULL);
}

int
cmd_deploy_cert2(struct mc_ca *ca, const struct store_cert *rec, X509 *cert, EVP_PKEY *key,
    const struct cmd_deploy_opts *o, int *in_place)
{
	struct dep_result res = { 0 };
	struct dep_req req = {
		.cfg = &ca->cfg, .root = o->root, .rec = rec, .cert = cert, .key = key, .ca = ca->root,
		.reload = !o->no_reload, .stale_before = ca->locked_at.tv_sec ? &ca->locked_at : NULL,
	};
	int rc = -1;

	/* The leaf's own intermediate (an older one's leaf keeps its own). */
	if ((req.prof = pol_profile_find(&ca->cfg, rec->profile)) == NULL ||
	    iss_chain_of(ca, rec->ca_id, &req.chain, &req.cross) < 0) {
		cmd_fail();
		return -1;
	}
	rc = dep_deploy(ca->db, &req, &res);
	for (size_t i = 0; i < res.repairs.n; i++)
		cmd_warn("%s", res.repairs.v[i]);
	if (rc < 0 && res.in_place) {
		cmd_error("certificate %s is deployed to '%s' and '%s', but: %s", rec->serial, res.cert_path,
		    res.key_path, mc_err());
		goto out;
	}
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
	if (in_place != NULL)
		*in_place = rc == 0 || res.in_place;
	X509_free(req.chain);
	X509_free(req.cross);
	dep_result_free(&res);
	return rc;
}

int
cmd_keep_key(struct mc_ca *ca, const char *dir, const struct iss_issued *is)
{
	char base[256], name[320];

	iss_leaf_file_name(&is->rec, base, sizeof(base));
	snprintf(name, sizeof(name), "%s-%.16s", base, is->rec.serial);
	if (iss_leaf_files_write(ca, dir, name, is) < 0) {
		cmd_error("certificate %s is recorded but not deployed, and writing its key to '%s' failed "
		    "too: %s; issue again with --force", is->rec.serial, dir, mc_err());
		return -1;
	}
	cmd_error("certificate %s is recorded but not deployed; its key is kept in '%s/%s.key' "
	    "(deploy it later with 'minica deploy %s --key %s/%s.key')", is->rec.serial, dir, name,
	    is->rec.serial, dir, name);
	return 0;
}

static int
find_cert(struct mc_ca *ca, const char *what, struct store_cert *out)
{
	const struct pol_profile *prof = NULL;
	char newest[48];
	int found;

	for (size_t i = 0; i < ca->cfg.nprofiles; i++)
		if (strcmp(ca->cfg.profiles[i].name, what) == 0)
			prof = &ca->cfg.profiles[i];
	if (prof != NULL) {
		if ((found = store_cert_newest(ca->db, prof->name, time(NULL), newest)) < 0)
			return cmd_fail(), -1;
		if (found == 0) {
			cmd_error("no valid %s certificate to deploy; issue one with 'minica issue %s --cn NAME --deploy'",
			    prof->name, prof->name);
			return -1;
		}
		what = newest;
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

/* --key FILE, else where issue left it (--from DIR, default the current
 * folder) or the key already deployed at the profile's target (which
 * repairs a deployment whose certificate file was lost). */
static EVP_PKEY *
load_key(struct mc_ca *ca, const struct store_cert *c, X509 *cert, const char *keyfile, const char *from,
    const char *root)
{
	struct mc_strv places = { 0 };
	char name[256], *found = NULL, *list;
	EVP_PKEY *key = NULL;
	int m;

	if (keyfile == NULL) {
		iss_leaf_file_name(c, name, sizeof(name));
		if (dep_key_places(from ? from : ".", name, c->serial, pol_profile_find(&ca->cfg, c->profile), root,
		    &places) < 0 || (key = dep_key_find(cert, &places, &found)) == NULL) {
			list = mc_strv_join(&places, "', '");
			cmd_error("cannot find the key of certificate %s in '%s' (minica keeps no leaf keys); give "
			    "--key FILE or --from DIR, or issue a new one with 'minica issue %s --cn %s --force --deploy'",
			    c->serial, list ? list : "?", c->profile, c->cn[0] ? c->cn : c->sans.n ? c->sans.v[0] : "NAME");
			free(list);
		}
		free(found);
		mc_strv_free(&places);
		return key;
	}
	if ((key = ca_key_load(keyfile, NULL, 0)) == NULL) {
		cmd_error("cannot read the key of certificate %s: %s", c->serial, mc_err());
	} else if ((m = ca_key_matches_cert(key, cert)) != 1) {
		cmd_error(m < 0 ? "cannot compare '%s' with certificate %s: %s" :
		    "'%s' is not the key of certificate %s; nothing deployed%s", keyfile, c->serial,
		    m < 0 ? mc_err() : "");
		EVP_PKEY_free(key);
		key = NULL;
	}
	return key;
}

static int
run_deploy(struct cmd_ctx *ctx, const char *what, struct cmd_deploy_opts *o, const char *keyfile, const char *from)
{
	struct store_cert c = { 0 };
	struct mc_ca *ca = &ctx->ca;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	char *root = NULL;
	int rc = EXIT_ERR;

	if (cmd_setup(ctx) != 0)
		return EXIT_ERR;
	if ((root = dep_root_resolve(o->root)) == NULL) {
		cmd_fail();
		goto out;
	}
	/* o->root is popt's copy (run_cmd frees it): use the resolved one. */
	o->root = root;
	if (find_cert(ca, what, &c) < 0)
		goto out;
	if ((cert = ca_cert_from_pem(c.pem, strlen(c.pem))) == NULL) {
		cmd_fail();
		goto out;
	}
	if ((key = load_key(ca, &c, cert, keyfile, from, o->root)) == NULL)
		goto out;
	if (cmd_deploy_cert(ca, &c, cert, key, o) == 0)
		rc = EXIT_OK;
out:
	EVP_PKEY_free(key);
	X509_free(cert);
	store_cert_free(&c);
	free(root);
	return rc;
}

int
cmd_deploy(struct cmd_ctx *ctx)
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
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};
	int rc;

	if ((rc = cmd_args(ctx, opts, "SERIAL|PROFILE", -1)) != 0)
		return rc;
	if (ctx->nargs != 1)
		return cmd_usage_error("deploy", "give exactly one SERIAL or PROFILE");
	if (keyfile != NULL && from != NULL)
		return cmd_usage_error("deploy", "give --key FILE or --from DIR, not both");
	return run_deploy(ctx, ctx->args[0], &o, keyfile, from);
}
