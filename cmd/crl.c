/*
 * minica crl [--root] [--out FILE] [--days N]: one CRL per CA that still
 * has valid children (issue/crls.c), and renew's and the rotations'
 * refresh of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

/* What one run writes: the level, the lifetime (0: each CA's last one),
 * only the due ones, and where the current CA's goes (NULL: the level's
 * recorded or default path). */
struct crl_run {
	int root_level;
	int days;
	int only_due;
	int dry_run;
	int asked_tty;		/* the passphrase came from the terminal */
	const char *out;
	const char *key_file;
	const struct mc_buf *pass;
	FILE *report;
	size_t tried;		/* out: how many CRLs were tried */
};

/* A retired intermediate's key that the current passphrase does not
 * open: asked for on the terminal, only when the first one came from it. */
static EVP_PKEY *
ask_retired(struct cmd_ctx *ctx, const struct crl_run *r, const struct iss_crl_ca *e)
{
	struct mc_buf p = { 0 };
	char prompt[128];
	EVP_PKEY *k = NULL;
	int64_t ver = 0;
	int paused;

	if (e->root_level || !r->asked_tty)
		return NULL;
	snprintf(prompt, sizeof(prompt), "passphrase of the retired intermediate %.40s", e->rec.serial);
	if ((paused = cmd_lock_pause(ctx, 1, &ver)) >= 0 && cmd_tty_passphrase(prompt, "MINICA_PASSPHRASE", 0, &p) == 0 &&
	    cmd_lock_resume(ctx, paused, ver) == 0)
		k = iss_crl_key(&ctx->ca, e, NULL, p.p, p.len);
	mc_buf_free(&p);
	return k;
}

static int
publish_one(struct cmd_ctx *ctx, const struct crl_run *r, const struct iss_crl_ca *e)
{
	const char *legacy = e->current ? (r->out ? r->out : e->legacy.path) : NULL;
	int days = r->days ? r->days : e->days;
	EVP_PKEY *key;
	long number;
	size_t n;
	int rc;

	if (r->dry_run) {
		cmd_say(ctx, "would refresh the CRL at %s\n", legacy ? legacy : e->file.path);
		return 0;
	}
	key = iss_crl_key(&ctx->ca, e, r->key_file, r->pass->p, r->pass->len);
	if (key == NULL && strstr(mc_err(), "wrong passphrase") != NULL && r->asked_tty)
		key = ask_retired(ctx, r, e);
	if (key == NULL || iss_crl_publish(&ctx->ca, e, key, days, legacy, &number, &n) < 0) {
		mc_preferr("the CRL of %s %s was not written", e->current ? "the current" : "the retired",
		    e->rec.role);
		rc = -1;
	} else {
		fprintf(r->report, "wrote CRL number %ld (%s%s %s) with %zu revoked certificate%s to %s%s%s (next "
		    "update in %d days)\n", number, e->current ? "" : "retired ", e->rec.role, e->rec.serial, n,
		    n == 1 ? "" : "s", legacy ? legacy : e->file.path, legacy ? " and " : "", legacy ? e->file.path : "",
		    days);
		rc = 0;
	}
	EVP_PKEY_free(key);
	return rc;
}

/* Every CRL of the level (only the due ones with r->only_due): how many
 * failed (each printed), or -1 when none could be tried. */
static int
publish_level(struct cmd_ctx *ctx, struct crl_run *r)
{
	struct iss_crl_set s;
	int failed = 0;

	if (iss_crl_set_load(&ctx->ca, r->root_level, time(NULL), &s) < 0)
		return cmd_fail(), -1;
	for (size_t i = 0; i < s.n; i++) {
		if (r->only_due && !iss_crl_due(&s.v[i]))
			continue;
		r->tried++;
		if (publish_one(ctx, r, &s.v[i]) < 0)
			failed += cmd_fail() != 0;
	}
	iss_crl_set_free(&s);
	return failed;
}

int
cmd_crl_due(struct cmd_ctx *ctx)
{
	struct iss_crl_set s;
	int n = 0;

	if (iss_crl_set_load(&ctx->ca, 0, time(NULL), &s) < 0)
		return cmd_fail(), -1;
	for (size_t i = 0; s.in_use && i < s.n; i++)
		n += iss_crl_due(&s.v[i]);
	iss_crl_set_free(&s);
	return n;
}

int
cmd_crl_renew(struct cmd_ctx *ctx, int dry_run, const struct mc_buf *pass, FILE *report)
{
	struct crl_run r = { .only_due = 1, .dry_run = dry_run, .pass = pass, .report = report };

	return publish_level(ctx, &r);
}

int
cmd_crl_in_use(struct cmd_ctx *ctx, int root_level)
{
	struct iss_crl_set s;
	int in_use;

	if (iss_crl_set_load(&ctx->ca, root_level, time(NULL), &s) < 0)
		return cmd_fail(), -1;
	in_use = s.in_use;
	iss_crl_set_free(&s);
	return in_use;
}

int
cmd_crl_refresh(struct cmd_ctx *ctx, int root_level, const struct mc_buf *pass, int force)
{
	struct crl_run r = { .root_level = root_level, .pass = pass, .key_file = ctx->opt.root_key, .report = stdout };
	int in_use = force ? 1 : cmd_crl_in_use(ctx, root_level);

	if (in_use < 0)
		return EXIT_ERR;
	if (in_use && publish_level(ctx, &r) != 0) {
		cmd_error("the new %s is in place, but not every CRL was written (see above); run 'minica crl%s'",
		    root_level ? "root" : "intermediate", root_level ? " --root" : "");
		return EXIT_ERR;
	}
	return EXIT_OK;
}

/* The root passphrase for the roots' keys, after saying the current
 * root's key is missing (before asking for its passphrase). */
static int
root_pass(struct cmd_ctx *ctx, struct mc_buf *pass)
{
	struct mc_ca *ca = &ctx->ca;
	int64_t ver = 0;
	int here = 0, paused;

	if (ctx->opt.root_key == NULL && (here = iss_root_key_here(ca)) <= 0) {
		if (here == 0)
			iss_ca_unlock_root(ca, NULL, "", 0);
		return -1;
	}
	paused = cmd_lock_pause(ctx, cmd_passphrase_asks_tty(ctx->opt.root_pass_file, ctx->opt.root_pass_fd,
	    "MINICA_ROOT_PASSPHRASE"), &ver);
	if (paused < 0 || cmd_root_passphrase(ctx, "root passphrase", 0, pass) < 0 || cmd_lock_resume(ctx, paused, ver) < 0)
		return -1;
	/* A rotation a crash interrupted puts the new root key in place first. */
	return ca->two_level ? iss_root_roll_forward(ca) : 0;
}

static int
do_crl(struct cmd_ctx *ctx, const char *out, int days, int root)
{
	struct mc_buf pass = { 0 };
	struct crl_run r = { .root_level = root, .days = days, .out = out, .key_file = ctx->opt.root_key,
	    .pass = &pass, .report = stdout };
	int rc = EXIT_ERR, failed;

	if (cmd_setup(ctx) != 0)
		return EXIT_ERR;
	r.asked_tty = !root && cmd_passphrase_asks_tty(ctx->opt.pass_file, ctx->opt.pass_fd, "MINICA_PASSPHRASE");
	if (root ? root_pass(ctx, &pass) < 0 : cmd_unlock_keep(ctx, &pass) != 0) {
		if (root)
			cmd_fail();
		goto out;
	}
	if ((failed = publish_level(ctx, &r)) == 0)
		rc = EXIT_OK;
	else if (failed > 0 && r.tried > 1)
		cmd_error("%d CRL%s not written; the others were", failed, failed == 1 ? " was" : "s were");
out:
	mc_buf_free(&pass);
	return rc;
}

int
cmd_crl(struct cmd_ctx *ctx)
{
	char *out = NULL, *abs = NULL, cwd[4096];
	int days = 30, root = 0;
	struct poptOption opts[] = {
		{ "out", 0, POPT_ARG_STRING, &out, 0, "where the current CA's CRL goes too (default: HOME/crl.pem, "
		  "with --root HOME/root-crl.pem; every CA's goes to HOME/crl/)", "FILE" },
		{ "days", 0, POPT_ARG_INT, &days, 0, "days until the next update (default 30)", "N" },
		{ "root", 0, POPT_ARG_NONE, &root, 0, "the roots' CRLs (revoked intermediates; a root operation)", NULL },
		CMD_ROOT_OPTIONS(ctx),
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};
	int rc;

	if ((rc = cmd_args(ctx, opts, NULL, 0)) != 0)
		return rc;
	if (days < 1 || days > 3650)
		return cmd_usage_error("crl", "--days must be between 1 and 3650");
	if (out == NULL) {
		if (cmd_resolve_home(ctx) < 0 || (abs = cmd_home_path(ctx, root ? "root-crl.pem" : "crl.pem")) == NULL)
			return EXIT_ERR;
		out = abs;
	} else if (out[0] != '/') {
		/* Recorded absolute, so check and renew find it from any folder. */
		if (getcwd(cwd, sizeof(cwd)) == NULL || asprintf(&abs, "%s/%s", cwd, out) < 0) {
			cmd_error("cannot name the current folder");
			return EXIT_ERR;
		}
		out = abs;
	}
	rc = do_crl(ctx, out, days, root);
	free(abs);
	return rc;
}
