/*
 * minica intermediate new|rotate [--key TYPE] [--days N]: root
 * operations that make the issuing intermediate, or replace it (the old
 * one keeps verifying what it signed until that expires).
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

struct inter_opts {
	int rotate;
	char *key;		/* owned by popt */
	int days;
};

/* The intermediate's passphrase: rotate keeps the current one (proved by
 * unlocking the current key with it), new asks for one; either way it
 * must not be the root's. */
static int
inter_passphrase(struct cmd_ctx *ctx, const struct inter_opts *o, const struct mc_buf *root_pass,
    struct mc_buf *pass)
{
	struct mc_ca *ca = &ctx->ca;

	if (o->rotate && !ca->no_issuer) {
		if (cmd_passphrase(ctx, "intermediate passphrase", 0, pass) < 0 ||
		    iss_ca_unlock(ca, pass->p, pass->len) < 0)
			return cmd_fail(), -1;
	} else if (cmd_passphrase(ctx, "New intermediate passphrase", 1, pass) < 0) {
		return cmd_fail(), -1;
	}
	if (pass->len == root_pass->len && memcmp(pass->p, root_pass->p, pass->len) == 0) {
		cmd_error("the intermediate's passphrase must differ from the root's (it may be kept in a "
		    "file for unattended renewal); nothing was changed");
		return -1;
	}
	return 0;
}

static void
print_done(struct mc_ca *ca, const char *old)
{
	char na[21];

	mc_iso8601(ca->rec.not_after, na);
	printf("%s intermediate %s: %s (%s), valid until %s\n", old[0] ? "rotated to" : "created", ca->rec.serial,
	    ca->rec.subject, ca->rec.key_type, na);
	if (old[0])
		printf("  %s is retired: what it signed stays valid; new certificates come from %s\n", old,
		    ca->rec.serial);
	printf("  certificate %s/" ISS_INTER_CRT ", key %s/" ISS_INTER_KEY "\n", ca->home, ca->home);
	if (iss_root_key_here(ca) == 1)
		printf("  the root key is in the home: 'minica root offline --to DIR' moves it out\n");
}

static int
run(struct cmd_ctx *ctx, const struct inter_opts *o)
{
	struct mc_buf pass = { 0 }, root_pass = { 0 };
	struct mc_ca *ca = &ctx->ca;
	char old[48] = "";
	int rc = EXIT_ERR, was_flat;

	if (cmd_setup(ctx) != 0)
		return EXIT_ERR;
	was_flat = !ca->two_level;
	if (!o->rotate && ca->two_level && !ca->no_issuer) {
		cmd_error("this CA already has an intermediate (%s); replace it with 'minica intermediate rotate'",
		    ca->rec.serial);
		goto out;
	}
	if (o->rotate && !ca->two_level) {
		cmd_error("this CA has no intermediate yet (the root signs); add one with 'minica intermediate new'");
		goto out;
	}
	if (ca->two_level && !ca->no_issuer)
		snprintf(old, sizeof(old), "%s", ca->rec.serial);
	if (cmd_unlock_root_keep(ctx, &root_pass) != 0 || inter_passphrase(ctx, o, &root_pass, &pass) < 0)
		goto out;
	if (iss_inter_new(ca, o->key, o->days, pass.p, pass.len) < 0) {
		cmd_fail();
		goto out;
	}
	print_done(ca, old);
	rc = cmd_crl_refresh(ctx, 0, &pass, 0);
	/* A root that signed leaves itself now publishes them on its own
	 * CRL, a root operation from here on: written now, and watched. */
	if (was_flat && rc == EXIT_OK && cmd_crl_in_use(ctx, 0) == 1)
		rc = cmd_crl_refresh(ctx, 1, &root_pass, 1);
out:
	mc_buf_free(&pass);
	mc_buf_free(&root_pass);
	return rc;
}

int
cmd_intermediate(struct cmd_ctx *ctx)
{
	struct inter_opts o = { 0 };
	struct poptOption opts[] = {
		{ "key", 0, POPT_ARG_STRING, &o.key, 0, "ec256 (default), ec384, rsa3072 or rsa4096", "TYPE" },
		{ "days", 0, POPT_ARG_INT, &o.days, 0, "lifetime (default 1825, never past the root)", "N" },
		CMD_ROOT_OPTIONS(ctx),
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};
	const char *what;
	int rc;

	if ((rc = cmd_args(ctx, opts, "new|rotate", -1)) != 0)
		return rc;
	what = ctx->args[0];
	if (ctx->nargs != 1 || (strcmp(what, "new") != 0 && strcmp(what, "rotate") != 0))
		return cmd_usage_error("intermediate", "give 'new' or 'rotate'");
	if (o.days < 0 || o.days > 36500)
		return cmd_usage_error("intermediate", "--days must be between 1 and 36500");
	o.rotate = strcmp(what, "rotate") == 0;
	return run(ctx, &o);
}
