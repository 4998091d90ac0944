/* minica root offline --to DIR | root online --from DIR|FILE */
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

int
cmd_root(struct cmd_ctx *ctx)
{
	char *to = NULL, *from = NULL;
	struct poptOption opts[] = {
		{ "to", 0, POPT_ARG_STRING, &to, 0, "offline: the folder to move the root key to", "DIR" },
		{ "from", 0, POPT_ARG_STRING, &from, 0, "online: the folder (or key file) to bring it from", "DIR" },
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};
	const char *what;
	int rc;

	if ((rc = cmd_args(ctx, opts, "offline --to DIR | online --from DIR", -1)) != 0)
		return rc;
	what = ctx->args[0];
	if (ctx->nargs == 1 && strcmp(what, "offline") == 0 && to != NULL && from == NULL)
		return run(ctx, 1, to);
	if (ctx->nargs == 1 && strcmp(what, "online") == 0 && from != NULL && to == NULL)
		return run(ctx, 0, from);
	return cmd_usage_error("root", "give 'offline --to DIR' or 'online --from DIR'");
}
