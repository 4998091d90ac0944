/* minica bundle --out DIR [--name NAME]: the trust kit for client machines. */
#include <stdlib.h>

#include "cmd.h"

static void
print_kit(const char *dir, const char *name, X509 *root)
{
	struct mc_strv files = { 0 };
	char fpr[CA_FPR_LEN], grouped[CA_FPR_GROUPED_LEN];

	ca_cert_fingerprint(root, fpr);
	ca_fpr_grouped(fpr, grouped);
	printf("trust kit written to %s:\n", dir);
	if (ca_bundle_files(name, &files) == 0)
		for (size_t i = 0; i < files.n; i++)
			printf("  %s\n", files.v[i]);
	mc_strv_free(&files);
	printf("SHA-256 fingerprint  %s\n", grouped);
	printf("Give clients this fingerprint through another channel; README.txt says how to check it.\n");
}

int
cmd_bundle(struct cmd_ctx *ctx)
{
	char *out = NULL, *name = NULL;
	struct poptOption opts[] = {
		{ "out", 'o', POPT_ARG_STRING, &out, 0, "folder to write the kit into (created 0755)", "DIR" },
		{ "name", 'n', POPT_ARG_STRING, &name, 0,
		    "base name of the certificate files (default " CA_BUNDLE_NAME_DEFAULT ")", "NAME" },
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};
	const char *kit;
	int rc;

	if ((rc = cmd_args(ctx, opts, "--out DIR [--name NAME]", 0)) != 0)
		return rc;
	kit = name != NULL ? name : CA_BUNDLE_NAME_DEFAULT;
	if (out == NULL || *out == '\0')
		return cmd_usage_error("bundle", "--out DIR is required");
	if (ca_bundle_name_check(kit) < 0)
		return cmd_usage_error("bundle", "%s", mc_err());
	/* The kit is public: the root certificate only, no passphrase.  Not
	 * the intermediate: the root's fingerprint survives every rotation,
	 * so no device ever needs the kit again for one. */
	if ((rc = cmd_setup(ctx)) != 0)
		return rc;
	/* After a root rotation, until the old root expires, its files too
	 * (NAME-previous.*: what leaves not yet renewed chain to); written
	 * first, so README.txt and the install scripts are the new root's. */
	if (ctx->ca.prev_root != NULL) {
		char prev[CA_BUNDLE_NAME_MAX + 16];

		snprintf(prev, sizeof(prev), "%s-previous", kit);
		if (ca_bundle_name_check(prev) < 0 || ca_bundle_write(ctx->ca.prev_root, out, prev) < 0)
			return cmd_fail();
		printf("the previous root (until it expires), as %s.*:\n", prev);
		print_kit(out, prev, ctx->ca.prev_root);
	}
	if (ca_bundle_write(ctx->ca.root, out, kit) < 0)
		return cmd_fail();
	print_kit(out, kit, ctx->ca.root);
	return EXIT_OK;
}
