/* minica undeploy PROFILE|SERIAL [--root DIR] [--remove-files] [--restore] */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static int
run_undeploy(struct cmd_ctx *ctx, const char *what, struct dep_undeploy_req *r, const char *root_opt)
{
	struct mc_strv notes = { 0 };
	struct store_cert c = { 0 };
	struct mc_ca *ca = &ctx->ca;
	char *root = NULL;
	size_t n = 0;
	int rc = EXIT_ERR, found;

	if (cmd_setup(ctx) != 0)
		return EXIT_ERR;
	/* A deleted --root is what undeploy is for: no realpath of it then. */
	if (root_opt != NULL && (root = dep_root_resolve(root_opt)) == NULL) {
		char *copy = mc_strdup(root_opt);

		if (copy == NULL || copy[0] != '/') {
			free(copy);
			cmd_error("--root '%s' is missing; give it as the absolute path 'minica deployments' shows",
			    root_opt);
			goto out;
		}
		while (strlen(copy) > 1 && copy[strlen(copy) - 1] == '/')
			copy[strlen(copy) - 1] = '\0';
		root = copy;
	}
	r->root = root;
	if (pol_profile_find(&ca->cfg, what) != NULL) {
		r->profile = what;
	} else if ((found = store_cert_find(ca->db, what, &c)) > 0) {
		r->serial = c.serial;
	} else {
		if (found < 0)
			cmd_fail();
		else
			cmd_error("'%s' is neither a profile nor the serial of a certificate (see 'minica deployments')", what);
		goto out;
	}
	if (dep_undeploy(ca->db, r, &notes, &n) < 0) {
		for (size_t i = 0; i < notes.n; i++)
			cmd_warn("%s", notes.v[i]);
		cmd_fail();
		goto out;
	}
	for (size_t i = 0; i < notes.n; i++)
		printf("  %s\n", notes.v[i]);
	if (n == 0) {
		cmd_error("no current deployment of %s%s%s (see 'minica deployments')", what,
		    root ? " under " : "", root ? root : "");
		goto out;
	}
	printf("undeployed %zu deployment%s of %s; check no longer watches %s\n", n, n == 1 ? "" : "s", what,
	    n == 1 ? "it" : "them");
	if (r->restore || r->remove_files)
		printf("  minica reloads nothing here: reload or stop the service yourself\n");
	rc = EXIT_OK;
out:
	mc_strv_free(&notes);
	store_cert_free(&c);
	free(root);
	return rc;
}

int
cmd_undeploy(struct cmd_ctx *ctx)
{
	struct dep_undeploy_req r = { 0 };
	char *root = NULL;
	struct poptOption opts[] = {
		{ "root", 0, POPT_ARG_STRING, &root, 0, "only deployments under DIR (it may be gone)", "DIR" },
		{ "remove-files", 0, POPT_ARG_NONE, &r.remove_files, 0,
		  "also remove the certificate and key minica wrote there (never a changed file)", NULL },
		{ "restore", 0, POPT_ARG_NONE, &r.restore, 0,
		  "put back the NAME.pre-minica files minica kept before its first deploy", NULL },
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};
	int rc;

	if ((rc = cmd_args(ctx, opts, "PROFILE|SERIAL", -1)) != 0)
		return rc;
	if (ctx->nargs != 1)
		return cmd_usage_error("undeploy", "give exactly one PROFILE or SERIAL");
	return run_undeploy(ctx, ctx->args[0], &r, root);
}
