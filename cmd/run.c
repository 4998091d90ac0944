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

/* popt returns these for single-valued options so repeats are seen. */
#define OPT_VAL_BASE 0x4000
#define OPT_MAX 64

const struct cmd *
cmd_find(const char *name)
{
	for (const struct cmd *c = cmd_table; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static void
fill_common_tab(struct cmd_ctx *ctx)
{
	const struct poptOption t[] = {
		{ "home", 0, POPT_ARG_STRING, &ctx->opt.home_opt, 0,
		  "CA home folder (default $MINICA_HOME or /var/lib/minica)", "DIR" },
		{ "passphrase-file", 0, POPT_ARG_STRING, &ctx->opt.pass_file, 0, "read the CA passphrase from FILE", "FILE" },
		{ "passphrase-fd", 0, POPT_ARG_INT, &ctx->opt.pass_fd, 0, "read the CA passphrase from file descriptor N", "N" },
		POPT_TABLEEND
	};

	memcpy(ctx->common_tab, t, sizeof(t));
}

static int
single_valued(const struct poptOption *o)
{
	switch (o->argInfo & POPT_ARG_MASK) {
	case POPT_ARG_STRING:
	case POPT_ARG_INT:
	case POPT_ARG_LONG:
	case POPT_ARG_LONGLONG:
	case POPT_ARG_SHORT:
	case POPT_ARG_FLOAT:
	case POPT_ARG_DOUBLE:
		return o->arg != NULL && o->val == 0;
	default:
		return 0;
	}
}

static int
is_end(const struct poptOption *o)
{
	return o->longName == NULL && o->shortName == '\0' && o->argInfo == 0;
}

/* Gives each single-valued option (opts and the common table) a return
 * value; *map[k] is the option behind OPT_VAL_BASE + k. */
static int
number_options(struct cmd_ctx *ctx, struct poptOption *opts, const struct poptOption **map)
{
	struct poptOption *tabs[2] = { opts, ctx->common_tab };
	int k = 0;

	for (int t = 0; t < 2; t++) {
		for (struct poptOption *o = tabs[t]; !is_end(o); o++) {
			if ((o->argInfo & POPT_ARG_MASK) == POPT_ARG_INCLUDE_TABLE && o->arg == NULL)
				o->arg = ctx->common_tab;
			if (!single_valued(o) || k == OPT_MAX)
				continue;
			o->val = OPT_VAL_BASE + k;
			map[k++] = o;
		}
	}
	return k;
}

/* popt's heap copies: owned by ctx from now on. */
static int
own_value(struct cmd_ctx *ctx, const struct poptOption *o)
{
	if ((o->argInfo & POPT_ARG_MASK) != POPT_ARG_STRING || *(char **)o->arg == NULL)
		return 0;
	if (mc_strv_push(&ctx->owned, *(char **)o->arg) < 0)
		return -1;
	free(*(char **)o->arg);
	*(char **)o->arg = ctx->owned.v[ctx->owned.n - 1];
	return 0;
}

static int
own_argv(struct cmd_ctx *ctx, struct poptOption *opts)
{
	for (struct poptOption *o = opts; !is_end(o); o++) {
		void **nv;

		if ((o->argInfo & POPT_ARG_MASK) != POPT_ARG_ARGV || o->arg == NULL || *(char ***)o->arg == NULL)
			continue;
		if ((nv = realloc(ctx->owned_v, (ctx->nowned_v + 1) * sizeof(*nv))) == NULL)
			return -1;
		ctx->owned_v = nv;
		ctx->owned_v[ctx->nowned_v++] = *(char ***)o->arg;
	}
	return 0;
}

static const char *
opt_name(const struct poptOption *o, char *buf, size_t len)
{
	if (o->longName != NULL)
		snprintf(buf, len, "--%s", o->longName);
	else
		snprintf(buf, len, "-%c", o->shortName);
	return buf;
}

int
cmd_args(struct cmd_ctx *ctx, struct poptOption *opts, const char *args_help, int max_args)
{
	const struct poptOption *map[OPT_MAX];
	unsigned char seen[OPT_MAX] = { 0 };
	const char *name = ctx->cmd->name;
	char pname[64], oname[64];
	int rc, n = number_options(ctx, opts, map);

	snprintf(pname, sizeof(pname), "minica %s", name);
	ctx->popt = poptGetContext(pname, ctx->argc, ctx->argv, opts, 0);
	if (args_help != NULL)
		poptSetOtherOptionHelp(ctx->popt, args_help);
	while ((rc = poptGetNextOpt(ctx->popt)) > 0) {
		int k = rc - OPT_VAL_BASE;

		if (k < 0 || k >= n)
			continue;
		if (own_value(ctx, map[k]) < 0 || seen[k]++)
			break;
	}
	/* Whatever popt handed out so far is ctx's, on every path. */
	if (own_argv(ctx, opts) < 0 || (rc > 0 && !seen[rc - OPT_VAL_BASE])) {
		cmd_error("out of memory");
		return EXIT_ERR;
	}
	if (rc > 0)
		return cmd_usage_error(name, "%s given more than once; give it once",
		    opt_name(map[rc - OPT_VAL_BASE], oname, sizeof(oname)));
	if (rc < -1)
		return cmd_usage_error(name, "%s: %s", poptBadOption(ctx->popt, POPT_BADOPTION_NOALIAS),
		    poptStrerror(rc));
	if ((ctx->args = poptGetArgs(ctx->popt)) == NULL) {
		static const char *none[] = { NULL };

		ctx->args = none;
	}
	for (ctx->nargs = 0; ctx->args[ctx->nargs] != NULL; ctx->nargs++)
		;
	if (max_args >= 0 && ctx->nargs > max_args)
		return cmd_usage_error(name, "unexpected argument '%s'", ctx->args[max_args]);
	return 0;
}

int
cmd_unlock_keep(struct cmd_ctx *ctx, struct mc_buf *pass)
{
	int64_t ver = 0;
	int paused = cmd_lock_pause(ctx, cmd_passphrase_asks_tty(ctx->opt.pass_file, ctx->opt.pass_fd,
	    "MINICA_PASSPHRASE"), &ver);

	if (paused < 0 || cmd_passphrase(ctx, "CA passphrase", 0, pass) < 0 ||
	    cmd_lock_resume(ctx, paused, ver) < 0 || iss_ca_unlock(&ctx->ca, pass->p, pass->len) < 0) {
		mc_buf_free(pass);
		return cmd_fail();
	}
	return 0;
}

int
cmd_unlock(struct cmd_ctx *ctx)
{
	struct mc_buf pass = { 0 };
	int rc = cmd_unlock_keep(ctx, &pass);

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

	ctx.opt.pass_fd = -1;
	ctx.opt.root_pass_fd = -1;
	ctx.args = none;
	ctx.ca.lock_fd = -1;	/* a closed handle (0 would be stdin) */
	fill_common_tab(&ctx);
	rc = c->fn(&ctx);
	iss_ca_close(&ctx.ca);
	if (ctx.popt != NULL)
		poptFreeContext(ctx.popt);
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
