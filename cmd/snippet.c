/* minica snippet postfix|dovecot|nginx: configuration lines for what is deployed. */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

struct found {
	char *cert;
	char *key;
};

static int
take_newest(const struct store_deployment *d, void *arg)
{
	struct found *f = arg;

	f->cert = mc_strdup(d->cert.path);
	f->key = mc_strdup(d->key.path);
	return 1;
}

/* The paths of the current deployment under root, else the profile's
 * configured targets (with a warning: nothing is there yet). */
static int
paths(struct mc_ca *ca, const struct pol_profile *p, const char *root, struct found *f)
{
	struct store_deploy_filter flt = { .state = "current", .root = root, .profile = p->name };

	if (store_deploy_each(ca->db, &flt, take_newest, f) < 0)
		return -1;
	if (f->cert != NULL && f->key != NULL)
		return 0;
	if (p->cert.path == NULL || p->key.path == NULL) {
		mc_seterr("profile '%s' has no deploy targets (cert_file and key_file are none)", p->name);
		return -1;
	}
	cmd_warn("no %s certificate is deployed under '%s' yet; these lines name the profile's targets",
	    p->name, root);
	free(f->cert);
	free(f->key);
	f->cert = dep_path(root, p->cert.path);
	f->key = dep_path(root, p->key.path);
	return f->cert && f->key ? 0 : -1;
}

static int
run_snippet(const char *daemon, const char *profile, const char *root_opt)
{
	const struct pol_profile *p;
	struct found f = { NULL, NULL };
	struct mc_buf out = { 0 };
	char *root = NULL, *ca_path = NULL;
	struct mc_ca ca;
	int rc = EXIT_ERR;

	if (profile == NULL && (profile = dep_snippet_profile(daemon)) == NULL)
		return cmd_fail();
	if (cmd_open_ca(&ca) < 0)
		return EXIT_ERR;
	if ((root = dep_root_resolve(root_opt)) == NULL || (p = pol_profile_find(&ca.cfg, profile)) == NULL ||
	    paths(&ca, p, root, &f) < 0 ||
	    (ca.cfg.ca_cert.path != NULL && (ca_path = dep_path(root, ca.cfg.ca_cert.path)) == NULL) ||
	    dep_snippet(daemon, f.cert, f.key, ca_path, &out) < 0) {
		cmd_fail();
		goto out;
	}
	fwrite(out.p, 1, out.len, stdout);
	rc = EXIT_OK;
out:
	mc_buf_free(&out);
	free(f.cert);
	free(f.key);
	free(ca_path);
	free(root);
	cmd_close_ca(&ca);
	return rc;
}

int
cmd_snippet(int argc, const char **argv)
{
	char *root = NULL, *profile = NULL;
	struct poptOption opts[] = {
		{ "root", 0, POPT_ARG_STRING, &root, 0, "the --root the files were deployed under", "DIR" },
		{ "profile", 0, POPT_ARG_STRING, &profile, 0,
		  "the profile deployed for it (default: smtpd, dovecot, nginx)", "P" },
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, cmd_common_options, 0, "Common options:", NULL },
		POPT_AUTOHELP
		POPT_TABLEEND
	};
	poptContext ctx = NULL;
	const char *daemon;
	int rc;

	if ((rc = cmd_parse(&ctx, argc, argv, opts, "postfix|dovecot|nginx")) != 0)
		return rc;
	daemon = poptGetArg(ctx);
	if (daemon == NULL || poptPeekArg(ctx) != NULL)
		rc = cmd_usage_error("snippet", "give one of postfix, dovecot, nginx");
	else if (dep_snippet_profile(daemon) == NULL)
		rc = cmd_usage_error("snippet", "%s", mc_err());
	else
		rc = run_snippet(daemon, profile, root);
	cmd_parse_done(ctx, opts);
	return rc;
}
