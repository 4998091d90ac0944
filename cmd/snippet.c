/* minica snippet postfix|dovecot|nginx: configuration lines for what is deployed
 * (nginx-acme: snippet_acme.c). */
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
print_check(const char *daemon, const char *root, const struct found *f, const char *ca_path)
{
	struct dep_paths d = { f->cert, f->key, ca_path };
	struct mc_strv out = { 0 };
	int rc = EXIT_ERR;

	if (dep_snippet_check(daemon, root, &d, &out) < 0) {
		cmd_fail();
	} else if (out.n == 0) {
		printf("%s: every TLS setting names what minica deployed (%s, %s)\n", daemon, f->cert, f->key);
		rc = EXIT_OK;
	} else {
		for (size_t i = 0; i < out.n; i++)
			printf("%s: %s\n", daemon, out.v[i]);
		cmd_error("%zu %s setting%s do%s not point at what is deployed; see 'minica snippet %s'", out.n,
		    daemon, out.n == 1 ? "" : "s", out.n == 1 ? "es" : "", daemon);
	}
	mc_strv_free(&out);
	return rc;
}

static int
run_snippet(struct cmd_ctx *ctx, const char *daemon, const char *profile, const char *root_opt, int check)
{
	const struct pol_profile *p;
	struct found f = { NULL, NULL };
	struct mc_buf out = { 0 };
	char *root = NULL, *ca_path = NULL;
	struct mc_ca *ca = &ctx->ca;
	int rc = EXIT_ERR;

	if (profile == NULL && (profile = dep_snippet_profile(daemon)) == NULL)
		return cmd_fail();
	if (cmd_setup(ctx) != 0)
		return EXIT_ERR;
	if ((root = dep_root_resolve(root_opt)) == NULL || (p = pol_profile_find(&ca->cfg, profile)) == NULL ||
	    paths(ca, p, root, &f) < 0 ||
	    (ca->cfg.ca_cert.path != NULL && (ca_path = dep_path(root, ca->cfg.ca_cert.path)) == NULL) ||
	    (!check && dep_snippet(daemon, f.cert, f.key, ca_path, &out) < 0)) {
		cmd_fail();
		goto out;
	}
	if (check) {
		rc = print_check(daemon, root, &f, ca_path);
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
	return rc;
}

int
cmd_snippet(struct cmd_ctx *ctx)
{
	char *root = NULL, *profile = NULL;
	int check = 0;
	struct poptOption opts[] = {
		{ "check", 0, POPT_ARG_NONE, &check, 0,
		  "compare the daemon's live configuration with what is deployed", NULL },
		{ "root", 0, POPT_ARG_STRING, &root, 0, "the --root the files were deployed under", "DIR" },
		{ "profile", 0, POPT_ARG_STRING, &profile, 0,
		  "the profile deployed for it (default: smtpd, dovecot, nginx)", "P" },
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};
	int rc;

	if ((rc = cmd_args(ctx, opts, "postfix|dovecot|nginx|nginx-acme", -1)) != 0)
		return rc;
	if (ctx->nargs != 1)
		return cmd_usage_error("snippet", "give one of postfix, dovecot, nginx, nginx-acme");
	if (strcmp(ctx->args[0], "nginx-acme") == 0) {
		if (check || root != NULL || profile != NULL)
			return cmd_usage_error("snippet", "nginx-acme takes no --check, --root or --profile");
		return cmd_snippet_nginx_acme(ctx);
	}
	if (dep_snippet_profile(ctx->args[0]) == NULL)
		return cmd_usage_error("snippet", "%s", mc_err());
	return run_snippet(ctx, ctx->args[0], profile, root, check);
}
