/* "Did you mean": commands and options (profiles: pol_profile_find). */
#include <string.h>

#include "cmd.h"

#define NAMES_MAX 96

const char *
cmd_suggest_command(const char *name)
{
	const char *names[NAMES_MAX];
	size_t n = 0;

	for (const struct cmd *c = cmd_table; c->name != NULL && n < NAMES_MAX; c++)
		names[n++] = c->name;
	return mc_suggest(name, names, n);
}

static void
collect(const struct poptOption *t, const char **names, size_t *n, int depth)
{
	for (; t->longName != NULL || t->shortName != '\0' || t->argInfo != 0; t++) {
		if ((t->argInfo & POPT_ARG_MASK) == POPT_ARG_INCLUDE_TABLE) {
			if (t->arg != NULL && depth < 3)
				collect(t->arg, names, n, depth + 1);
		} else if (t->longName != NULL && *n < NAMES_MAX &&
		    !(t->argInfo & POPT_ARGFLAG_DOC_HIDDEN)) {
			names[(*n)++] = t->longName;
		}
	}
}

/* The option whose value bad is, as typed: "--days x". */
static void
option_of_value(const struct cmd_ctx *ctx, const char *bad, char *out, size_t len)
{
	snprintf(out, len, "%s", "value");
	for (int i = 1; i < ctx->argc; i++) {
		const char *a = ctx->argv[i];

		if (strcmp(a, bad) == 0 && i > 1 && ctx->argv[i - 1][0] == '-') {
			snprintf(out, len, "%s", ctx->argv[i - 1]);
			return;
		}
	}
}

int
cmd_number_error(const char *cmdname, const char *opt, const char *val, long min, long max)
{
	if (min > max)
		return cmd_usage_error(cmdname, "%s: '%s' is not a whole number", opt, val);
	return cmd_usage_error(cmdname, "%s: '%s' is not a whole number from %ld to %ld", opt, val, min, max);
}

int
cmd_bad_option(struct cmd_ctx *ctx, const struct poptOption *opts, int rc)
{
	const char *bad = poptBadOption(ctx->popt, POPT_BADOPTION_NOALIAS), *near = NULL;
	const char *names[NAMES_MAX];
	char word[128];
	size_t n = 0;

	if (rc == POPT_ERROR_BADNUMBER || rc == POPT_ERROR_OVERFLOW) {
		const char *eq = strchr(bad, '=');

		/* popt names the value ("x") or the whole "--days=x" / "-jx". */
		if (bad[0] == '-' && eq != NULL) {
			snprintf(word, sizeof(word), "%.*s", (int)(eq - bad), bad);
			return cmd_number_error(ctx->cmd->name, word, eq + 1, 1, 0);
		}
		if (bad[0] == '-' && bad[1] != '-' && bad[1] != '\0') {
			snprintf(word, sizeof(word), "-%c", bad[1]);
			return cmd_number_error(ctx->cmd->name, word, bad + 2, 1, 0);
		}
		option_of_value(ctx, bad, word, sizeof(word));
		return cmd_number_error(ctx->cmd->name, word, bad, 1, 0);
	}
	if (rc == POPT_ERROR_BADOPT && strncmp(bad, "--", 2) == 0) {
		snprintf(word, sizeof(word), "%s", bad + 2);
		word[strcspn(word, "=")] = '\0';
		collect(opts, names, &n, 0);
		near = mc_suggest(word, names, n);
	}
	if (near != NULL)
		return cmd_usage_error(ctx->cmd->name, "%s: %s; did you mean '--%s'?", bad, poptStrerror(rc), near);
	return cmd_usage_error(ctx->cmd->name, "%s: %s", bad, poptStrerror(rc));
}
