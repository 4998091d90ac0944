/* minica help [COMMAND], minica --version */
#include <string.h>

#include "cmd.h"

int
cmd_version(struct cmd_ctx *ctx)
{
	(void)ctx;
	printf("minica %s\n", MINICA_VERSION);
	return EXIT_OK;
}

int
cmd_help(struct cmd_ctx *ctx)
{
	struct poptOption opts[] = {
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};
	const struct cmd *c;
	int rc;

	if ((rc = cmd_args(ctx, opts, "[COMMAND]", 1)) != 0)
		return rc;
	if (ctx->nargs == 1 && strcmp(ctx->args[0], "help") != 0) {
		const char *sub[] = { ctx->args[0], "--help", NULL };
		const char *near;

		if ((c = cmd_find(ctx->args[0])) != NULL)
			return run_cmd(c, 2, sub, ctx->global_home);
		if ((near = cmd_suggest_command(ctx->args[0])) != NULL)
			cmd_error("unknown command '%s'; did you mean '%s'? (see 'minica help')", ctx->args[0], near);
		else
			cmd_error("unknown command '%s'; see 'minica help'", ctx->args[0]);
		return EXIT_USAGE;
	}
	printf("usage: minica [--home DIR] [--passphrase-file FILE | --passphrase-fd N] COMMAND [options]\n\n"
	    "A private certificate authority for your own mail and web servers.\n\n"
	    "commands:\n");
	for (c = cmd_table; c->name != NULL; c++)
		printf("  %-11s %s\n", c->name, c->summary);
	printf("\nExamples:\n  minica init --domain example.org\n"
	    "  minica issue nginx --cn www.example.org --deploy\n  minica check --quiet || minica renew\n"
	    "\nThe passphrase options and MINICA_PASSPHRASE serve the commands that use\n"
	    "the CA key.  'minica COMMAND --help' (or -h) for a command's options;\n"
	    "the CA home is --home, MINICA_HOME, or /var/lib/minica for root.\n");
	return EXIT_OK;
}
