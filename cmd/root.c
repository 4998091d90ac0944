/* minica root offline --to DIR | root online --from DIR|FILE */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static int
run(int offline, const char *where)
{
	char *path = NULL;
	struct mc_ca ca;
	int rc = EXIT_ERR;

	if (cmd_open_ca(&ca) < 0)
		return EXIT_ERR;
	if (cmd_ca_lock(&ca) < 0)
		goto out;
	if (offline && !ca.two_level) {
		cmd_error("this CA's root signs every certificate itself: with its key offline nothing could "
		    "be issued or renewed; add an intermediate first ('minica intermediate new')");
		goto out;
	}
	if ((offline ? iss_root_offline(&ca, where, &path) : iss_root_online(&ca, where, &path)) < 0) {
		cmd_fail();
		goto out;
	}
	if (offline)
		printf("moved the root key to %s (verified, synced) and removed it from %s/private\n"
		    "  keep that copy safe and away from this machine; root operations (intermediate rotate,\n"
		    "  crl --root, revoking an intermediate) take --root-key %s or 'minica root online'\n",
		    path, g.home, path);
	else
		printf("brought the root key back from %s (byte for byte) to %s/" ISS_ROOT_KEY "\n"
		    "  the offline copy was kept; 'minica root offline --to DIR' removes this one again\n",
		    path, g.home);
	rc = EXIT_OK;
out:
	free(path);
	cmd_close_ca(&ca);
	return rc;
}

int
cmd_root(int argc, const char **argv)
{
	char *to = NULL, *from = NULL;
	struct poptOption opts[] = {
		{ "to", 0, POPT_ARG_STRING, &to, 0, "offline: the folder to move the root key to", "DIR" },
		{ "from", 0, POPT_ARG_STRING, &from, 0, "online: the folder (or key file) to bring it from", "DIR" },
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, cmd_common_options, 0, "Common options:", NULL },
		POPT_AUTOHELP
		POPT_TABLEEND
	};
	poptContext ctx = NULL;
	const char *what;
	int rc;

	if ((rc = cmd_parse(&ctx, argc, argv, opts, "offline --to DIR | online --from DIR")) != 0)
		return rc;
	what = poptGetArg(ctx);
	if (what == NULL || poptPeekArg(ctx) != NULL)
		rc = cmd_usage_error("root", "give 'offline --to DIR' or 'online --from DIR'");
	else if (strcmp(what, "offline") == 0 && to != NULL && from == NULL)
		rc = run(1, to);
	else if (strcmp(what, "online") == 0 && from != NULL && to == NULL)
		rc = run(0, from);
	else if (strcmp(what, "rotate") == 0)
		rc = cmd_usage_error("root", "'root rotate' is not implemented yet");
	else
		rc = cmd_usage_error("root", "give 'offline --to DIR' or 'online --from DIR'");
	cmd_parse_done(ctx, opts);
	return rc;
}
