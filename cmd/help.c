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
	int argc = ctx->argc;
	const char **argv = ctx->argv;

	if (argc > 1 && strcmp(argv[1], "help") != 0) {
		for (const struct cmd *c = cmd_table; c->name != NULL; c++) {
			if (strcmp(c->name, argv[1]) == 0) {
				const char *sub[] = { c->name, "--help", NULL };

				return run_cmd(c, 2, sub, ctx->global_home);
			}
		}
		cmd_error("unknown command '%s'; see 'minica help'", argv[1]);
		return EXIT_USAGE;
	}
	printf("usage: minica [--home DIR] COMMAND [options]\n\n"
	    "A private certificate authority for your own mail and web servers.\n\n"
	    "commands:\n");
	for (const struct cmd *c = cmd_table; c->name != NULL; c++)
		printf("  %-10s %s\n", c->name, c->summary);
	printf("\nEvery command accepts --passphrase-file FILE and --passphrase-fd N;\n"
	    "MINICA_PASSPHRASE is read too.  'minica COMMAND --help' for its options;\n"
	    "the CA home is --home, MINICA_HOME, or /var/lib/minica for root.\n");
	return EXIT_OK;
}
