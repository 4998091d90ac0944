/* minica bundle --out DIR [--name NAME]: the trust kit for client machines. */
#include <stdlib.h>

#include "cmd.h"

static void
print_kit(const char *dir, const char *name, X509 *root)
{
	struct mc_strv files = { 0 };
	char fpr[CA_FPR_LEN], colon[CA_FPR_COLON_LEN];

	ca_cert_fingerprint(root, fpr);
	ca_fpr_colon(fpr, colon);
	printf("trust kit written to %s:\n", dir);
	if (ca_bundle_files(name, &files) == 0)
		for (size_t i = 0; i < files.n; i++)
			printf("  %s\n", files.v[i]);
	mc_strv_free(&files);
	printf("SHA-256 fingerprint %s\n", colon);
	printf("Give clients this fingerprint through another channel; README.txt says how to check it.\n");
}

int
cmd_bundle(int argc, const char **argv)
{
	char *out = NULL, *name = NULL;
	struct poptOption opts[] = {
		{ "out", 'o', POPT_ARG_STRING, &out, 0, "folder to write the kit into (created 0755)", "DIR" },
		{ "name", 'n', POPT_ARG_STRING, &name, 0,
		    "base name of the certificate files (default " CA_BUNDLE_NAME_DEFAULT ")", "NAME" },
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, cmd_common_options, 0, "Common options:", NULL },
		POPT_AUTOHELP
		POPT_TABLEEND
	};
	struct mc_ca ca;
	poptContext ctx = NULL;
	const char *kit;
	int rc;

	if ((rc = cmd_parse(&ctx, argc, argv, opts, "--out DIR [--name NAME]")) != 0)
		return rc;
	kit = name != NULL ? name : CA_BUNDLE_NAME_DEFAULT;
	rc = EXIT_USAGE;
	if (poptPeekArg(ctx) != NULL) {
		cmd_usage_error("bundle", "unexpected argument '%s'", poptPeekArg(ctx));
		goto out;
	}
	if (out == NULL || *out == '\0') {
		cmd_usage_error("bundle", "--out DIR is required");
		goto out;
	}
	if (ca_bundle_name_check(kit) < 0) {
		cmd_usage_error("bundle", "%s", mc_err());
		goto out;
	}
	rc = EXIT_ERR;
	/* The kit is public: the root certificate only, no passphrase.  Not
	 * the intermediate: the root's fingerprint survives every rotation,
	 * so no device ever needs the kit again for one. */
	if (cmd_open_ca(&ca) < 0)
		goto out;
	if (ca_bundle_write(ca.root, out, kit) < 0)
		cmd_fail();
	else {
		print_kit(out, kit, ca.root);
		rc = EXIT_OK;
	}
	cmd_close_ca(&ca);
out:
	cmd_parse_done(ctx, opts);
	return rc;
}
