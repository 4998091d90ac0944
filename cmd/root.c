/* minica root offline --to DIR | online --from DIR|FILE | rotate [--days N] [--intermediate-key TYPE] */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static int
run(struct cmd_ctx *ctx, int offline, const char *where)
{
	struct mc_ca *ca = &ctx->ca;
	char *path = NULL;

	if (cmd_setup(ctx) != 0)
		return EXIT_ERR;
	if (offline && !ca->two_level) {
		cmd_error("this CA's root signs every certificate itself: with its key offline nothing could "
		    "be issued or renewed; add an intermediate first ('minica intermediate new')");
		return EXIT_ERR;
	}
	if ((offline ? iss_root_offline(ca, where, &path) : iss_root_online(ca, where, &path)) < 0)
		return cmd_fail();
	if (offline)
		printf("moved the root key to %s (verified, synced) and removed it from %s/private\n"
		    "  keep that copy safe and away from this machine; root operations (intermediate rotate,\n"
		    "  crl --root, revoking an intermediate) take --root-key %s or 'minica root online'\n",
		    path, ca->home, path);
	else
		printf("brought the root key back from %s (byte for byte) to %s/" ISS_ROOT_KEY "\n"
		    "  the offline copy was kept; 'minica root offline --to DIR' removes this one again\n",
		    path, ca->home);
	free(path);
	return EXIT_OK;
}

static void
print_rotated(const struct mc_ca *ca)
{
	char fpr[CA_FPR_LEN], na[21];

	ca_cert_fingerprint(ca->root, fpr);
	mc_iso8601(ca->root_rec.not_after, na);
	printf("rotated the root: new root %s (SHA-256 %s), valid until %s\n", ca->root_rec.serial, fpr, na);
	printf("  cross-certificate %s/" ISS_CROSS_CRT ": the new root issued by the old one; every chain\n"
	    "  minica writes ends with it until the old root expires, so devices that trust only the\n"
	    "  old root keep working\n", ca->home);
	printf("  new intermediate %s; the old root, intermediate and their certificates stay valid\n",
	    ca->rec.serial);
	printf("  hand out the new trust kit ('minica bundle --out DIR': it carries both roots) and\n"
	    "  redeploy ('minica renew --force' or 'minica deploy PROFILE') to serve the new chain\n");
	if (iss_root_key_here(ca) == 1)
		printf("  the new root key is in %s/" ISS_ROOT_KEY ": 'minica root offline --to DIR' moves it out\n",
		    ca->home);
}

/* The old root's passphrase encrypts the new root key, the current
 * intermediate's (proved by unlocking it) the new intermediate's. */
static int
rotate(struct cmd_ctx *ctx, int days, const char *inter_key)
{
	struct mc_buf root_pass = { 0 }, pass = { 0 };
	struct iss_root_rotate q = { .days = days, .inter_key = inter_key };
	int rc = EXIT_ERR;

	if (cmd_setup(ctx) != 0 || cmd_unlock_root_keep(ctx, &root_pass) != 0)
		goto out;
	if (ctx->ca.two_level && !ctx->ca.no_issuer && cmd_unlock_keep(ctx, &pass) != 0)
		goto out;
	if (ctx->ca.no_issuer && cmd_passphrase(ctx, "New intermediate passphrase", 1, &pass) < 0) {
		cmd_fail();
		goto out;
	}
	q.root_pass = root_pass.p;
	q.root_passlen = root_pass.len;
	q.pass = pass.p;
	q.passlen = pass.len;
	if (iss_root_rotate(&ctx->ca, &q) < 0) {
		cmd_fail();
		goto out;
	}
	print_rotated(&ctx->ca);
	rc = cmd_crl_refresh(ctx, 0, &pass, 0);
	/* The old root's CRL too: its key is still here (or at --root-key). */
	if (cmd_crl_refresh(ctx, 1, &root_pass, 0) != EXIT_OK)
		rc = EXIT_ERR;
out:
	mc_buf_free(&root_pass);
	mc_buf_free(&pass);
	return rc;
}

int
cmd_root(struct cmd_ctx *ctx)
{
	char *to = NULL, *from = NULL, *inter_key = NULL;
	int days = 0;
	struct poptOption opts[] = {
		{ "to", 0, POPT_ARG_STRING, &to, 0, "offline: the folder to move the root key to", "DIR" },
		{ "from", 0, POPT_ARG_STRING, &from, 0, "online: the folder (or key file) to bring it from", "DIR" },
		{ "days", 0, POPT_ARG_INT, &days, 0, "rotate: the new root's lifetime (default 3650)", "N" },
		{ "intermediate-key", 0, POPT_ARG_STRING, &inter_key, 0,
		  "rotate: the new intermediate's key: ec256 (default), ec384, rsa3072, rsa4096", "TYPE" },
		CMD_ROOT_OPTIONS(ctx),
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};
	const char *what;
	int rc;

	if ((rc = cmd_args(ctx, opts, "offline --to DIR | online --from DIR | rotate", -1)) != 0)
		return rc;
	what = ctx->args[0];
	if (ctx->nargs == 1 && strcmp(what, "rotate") == 0) {
		if (to != NULL || from != NULL)
			return cmd_usage_error("root", "--to and --from are for 'root offline' and 'root online'");
		if (days < 0 || days > 36500)
			return cmd_usage_error("root", "--days must be between 1 and 36500");
		return rotate(ctx, days, inter_key);
	}
	if (days != 0 || inter_key != NULL)
		return cmd_usage_error("root", "--days and --intermediate-key are for 'root rotate'");
	if (ctx->nargs == 1 && strcmp(what, "offline") == 0 && to != NULL && from == NULL)
		return run(ctx, 1, to);
	if (ctx->nargs == 1 && strcmp(what, "online") == 0 && from != NULL && to == NULL)
		return run(ctx, 0, from);
	return cmd_usage_error("root", "give 'offline --to DIR', 'online --from DIR' or 'rotate'");
}
