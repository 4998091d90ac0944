/*
 * cmd_args: a command's options and operands through popt, with the
 * rules every command shares: a repeated single-valued option is
 * refused, popt's strings are owned by the context, --help / -h / -?
 * print the command's help with examples, and an unknown option gets a
 * "did you mean".
 */
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

struct cmd_globals cmd_globals = { NULL, -1 };

/* --help, -h, -? and --usage for every command (popt's own would exit). */
struct poptOption cmd_help_options[] = {
	{ "help", 'h', POPT_ARG_NONE, NULL, CMD_OPT_HELP, "show this help", NULL },
	{ NULL, '?', POPT_ARG_NONE | POPT_ARGFLAG_DOC_HIDDEN, NULL, CMD_OPT_HELP, "show this help", NULL },
	{ "usage", 0, POPT_ARG_NONE, NULL, CMD_OPT_USAGE, "show a short usage line", NULL },
	POPT_TABLEEND
};

void
cmd_fill_common(struct cmd_ctx *ctx)
{
	/* Accepted everywhere (scripts pass them to every command), shown
	 * only where a passphrase is read. */
	unsigned hide = ctx->flags & (NEEDS_KEY | ASKS_PASS) ? 0 : POPT_ARGFLAG_DOC_HIDDEN;
	const struct poptOption t[] = {
		{ "home", 0, POPT_ARG_STRING, &ctx->opt.home_opt, 0,
		  "CA home folder (default $MINICA_HOME or /var/lib/minica)", "DIR" },
		{ "passphrase-file", 0, POPT_ARG_STRING | hide, &ctx->opt.pass_file, 0, "read the CA passphrase from FILE", "FILE" },
		{ "passphrase-fd", 0, POPT_ARG_INT | hide, &ctx->opt.pass_fd, 0, "read the CA passphrase from file descriptor N", "N" },
		POPT_TABLEEND
	};

	memcpy(ctx->common_tab, t, sizeof(t));
	/* Before the command (minica --passphrase-file F issue ...): defaults. */
	/* argv's string: popt never frees what it replaces. */
	ctx->opt.pass_file = (char *)cmd_globals.pass_file;
	ctx->opt.pass_fd = cmd_globals.pass_fd;
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

/* After popt's last option: operands, or the message for what stopped it. */
static int
args_end(struct cmd_ctx *ctx, struct poptOption *opts, int rc, const struct poptOption *rep, int max_args)
{
	const char *name = ctx->cmd->name;
	char oname[64];

	if (rep != NULL)
		return cmd_usage_error(name, "%s given more than once; give it once",
		    opt_name(rep, oname, sizeof(oname)));
	if (rc == CMD_OPT_HELP || rc == CMD_OPT_USAGE) {
		if (rc == CMD_OPT_HELP)
			cmd_help_command(ctx, stdout);
		else
			poptPrintUsage(ctx->popt, stdout, 0);
		return CMD_HELPED;
	}
	if (rc < -1)
		return cmd_bad_option(ctx, opts, rc);
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
cmd_args(struct cmd_ctx *ctx, struct poptOption *opts, const char *args_help, int max_args)
{
	const struct poptOption *map[OPT_MAX], *rep = NULL;
	unsigned char seen[OPT_MAX] = { 0 };
	int rc, n = number_options(ctx, opts, map);

	/* popt's help starts with argv[0]: "Usage: minica issue ...". */
	snprintf(ctx->pname, sizeof(ctx->pname), "minica %s", ctx->cmd->name);
	if ((ctx->pargv = calloc((size_t)ctx->argc + 1, sizeof(*ctx->pargv))) == NULL) {
		cmd_error("out of memory");
		return EXIT_ERR;
	}
	memcpy(ctx->pargv, ctx->argv, (size_t)ctx->argc * sizeof(*ctx->pargv));
	ctx->pargv[0] = ctx->pname;
	ctx->popt = poptGetContext(ctx->pname, ctx->argc, ctx->pargv, opts, 0);
	if (args_help != NULL)
		poptSetOtherOptionHelp(ctx->popt, args_help);
	while ((rc = poptGetNextOpt(ctx->popt)) > 0) {
		int k = rc - OPT_VAL_BASE;

		if (rc == CMD_OPT_HELP || rc == CMD_OPT_USAGE)
			break;
		if (k < 0 || k >= n)
			continue;
		if (own_value(ctx, map[k]) < 0)
			break;
		if (seen[k]++) {
			rep = map[k];
			break;
		}
	}
	/* Whatever popt handed out so far is ctx's, on every path. */
	if (own_argv(ctx, opts) < 0 || (rc >= OPT_VAL_BASE && rep == NULL)) {
		cmd_error("out of memory");
		return EXIT_ERR;
	}
	return args_end(ctx, opts, rc, rep, max_args);
}
