/*
 * run_cmd: one command from its table line to its exit status.  Option
 * parsing (cmd_args), the CA's open/lock/unlock (cmd_setup), the clean-up
 * and the output rules live here so handlers do not repeat them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* At a terminal a wrong passphrase gets three tries, as ssh and sudo give. */
int
cmd_unlock_keep(struct cmd_ctx *ctx, struct mc_buf *pass)
{
	int asks = cmd_passphrase_asks_tty(ctx->opt.pass_file, ctx->opt.pass_fd, "MINICA_PASSPHRASE");
	int tries = asks ? 3 : 1;

	for (int i = 0; i < tries; i++) {
		int64_t ver = 0;
		int paused = cmd_lock_pause(ctx, asks, &ver);

		if (paused >= 0 && cmd_passphrase(ctx, "CA passphrase", 0, pass) == 0 &&
		    cmd_lock_resume(ctx, paused, ver) == 0 && iss_ca_unlock(&ctx->ca, pass->p, pass->len) == 0)
			return 0;
		mc_buf_free(pass);
		if (i + 1 == tries || strstr(mc_err(), "wrong passphrase") == NULL)
			break;
		fprintf(stderr, "minica: wrong passphrase; try again\n");
	}
	return cmd_fail();
}

int
cmd_unlock(struct cmd_ctx *ctx)
{
	struct mc_buf pass = { 0 };
	int rc = cmd_unlock_keep(ctx, &pass);

	mc_buf_free(&pass);
	return rc;
}

/* The root key (root operations): where it is said before its passphrase is asked for. */
int
cmd_unlock_root_keep(struct cmd_ctx *ctx, struct mc_buf *pass)
{
	int64_t ver = 0;
	int here = 0, paused;

	/* Say the key is missing before asking for its passphrase. */
	if (ctx->opt.root_key == NULL && (here = iss_root_key_here(&ctx->ca)) <= 0) {
		if (here == 0)
			iss_ca_unlock_root(&ctx->ca, NULL, "", 0);
		return cmd_fail();
	}
	paused = cmd_lock_pause(ctx, cmd_passphrase_asks_tty(ctx->opt.root_pass_file, ctx->opt.root_pass_fd,
	    "MINICA_ROOT_PASSPHRASE"), &ver);
	if (paused < 0 || cmd_root_passphrase(ctx, "root passphrase", 0, pass) < 0 ||
	    cmd_lock_resume(ctx, paused, ver) < 0 ||
	    iss_ca_unlock_root(&ctx->ca, ctx->opt.root_key, pass->p, pass->len) < 0) {
		mc_buf_free(pass);
		return cmd_fail();
	}
	return 0;
}

int
cmd_unlock_root(struct cmd_ctx *ctx)
{
	struct mc_buf pass = { 0 };
	int rc = cmd_unlock_root_keep(ctx, &pass);

	mc_buf_free(&pass);
	return rc;
}

int
cmd_setup(struct cmd_ctx *ctx)
{
	char who[80];
	size_t npending = 0;
	int wait_ms;

	if (!(ctx->flags & (NEEDS_CA | LOCKS_CA | NEEDS_KEY)))
		return 0;
	if (cmd_resolve_home(ctx) < 0)
		return EXIT_ERR;
	if (iss_ca_open(&ctx->ca, ctx->home) < 0)
		return cmd_fail();
	ctx->ca.warn = cmd_print_warning;
	snprintf(who, sizeof(who), "minica %s", ctx->cmd->name);
	/* Any command settles an interrupted deployment first (issue 14.5),
	 * so check, renew and deploy all see a finished one. */
	if (dep_pending_count(ctx->ca.db, &npending) == 0 && npending > 0 && cmd_lock_wait_ms(&wait_ms) == 0)
		iss_ca_settle(&ctx->ca, who, wait_ms);
	if (ctx->flags & LOCKS_CA) {
		if (cmd_lock_wait_ms(&wait_ms) < 0)
			return EXIT_ERR;
		if (iss_ca_lock(&ctx->ca, who, wait_ms) < 0)
			return cmd_fail();
	}
	if ((ctx->flags & NEEDS_KEY) && !(ctx->flags & LATE_KEY))
		return cmd_unlock(ctx);
	return 0;
}

int
run_cmd(const struct cmd *c, int argc, const char **argv, const char *global_home)
{
	struct cmd_ctx ctx = { .cmd = c, .argc = argc, .argv = argv, .flags = c->flags, .global_home = global_home };
	static const char *none[] = { NULL };
	int rc;

	ctx.opt.root_pass_fd = -1;	/* pass_fd: cmd_fill_common */
	ctx.args = none;
	ctx.ca.lock_fd = -1;	/* a closed handle (0 would be stdin) */
	cmd_fill_common(&ctx);
	if ((rc = c->fn(&ctx)) == CMD_HELPED)
		rc = EXIT_OK;
	iss_ca_close(&ctx.ca);
	if (ctx.popt != NULL)
		poptFreeContext(ctx.popt);
	free(ctx.pargv);
	mc_strv_free(&ctx.owned);
	for (size_t i = 0; i < ctx.nowned_v; i++) {
		char **v = ctx.owned_v[i];

		for (size_t j = 0; v[j] != NULL; j++)
			free(v[j]);
		free(v);
	}
	free(ctx.owned_v);
	return rc;
}

int
cmd_finish(const struct cmd *c, int rc)
{
	/* A full disk must be an error, not silence. */
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		cmd_error("cannot write output: %s", strerror(errno ? errno : EIO));
		return c != NULL && c->out_fail ? c->out_fail : EXIT_ERR;
	}
	return rc;
}

FILE *
cmd_human(const struct cmd_ctx *ctx)
{
	return ctx != NULL && ctx->json ? stderr : stdout;
}

void
cmd_say(const struct cmd_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(cmd_human(ctx), fmt, ap);
	va_end(ap);
}
