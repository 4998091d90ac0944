/* A command's --help: popt's option list, examples, and for issue the
 * profiles of the CA at hand (built-in ones when there is none). */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

struct examples {
	const char *cmd;
	const char *ex[3];
};

static const struct examples examples[] = {
	{ "init", { "minica init --domain example.org",
		    "minica init --domain example.org --domain example.net --passphrase-file /root/ca.pass", NULL } },
	{ "import", { "minica import --ca-cert ca.crt --ca-key ca.key",
		      "minica import --easyrsa /etc/easy-rsa/pki", NULL } },
	{ "issue", { "minica issue nginx --cn www.example.org --san example.org",
		     "minica issue smtpd --cn mail.example.org --deploy",
		     "minica issue client --cn alice@example.org --p12 alice.p12" } },
	{ "list", { "minica list", "minica list --expiring 30", "minica list --wide --json" } },
	{ "show", { "minica show ca", "minica show 1458b0b5", NULL } },
	{ "deploy", { "minica deploy smtpd", "minica deploy 1458b0b5 --root /tmp/test", NULL } },
	{ "deployments", { "minica deployments", "minica deployments --json", NULL } },
	{ "undeploy", { "minica undeploy smtpd", NULL, NULL } },
	{ "snippet", { "minica snippet postfix", "minica snippet nginx", NULL } },
	{ "dane", { "minica dane", NULL, NULL } },
	{ "profiles", { "minica profiles", NULL, NULL } },
	{ "bundle", { "minica bundle --out /tmp/kit", NULL, NULL } },
	{ "check", { "minica check", "minica check --quiet || minica renew", "minica check --json" } },
	{ "renew", { "minica renew --dry-run", "minica renew", "minica renew smtpd --force" } },
	{ "revoke", { "minica revoke 1458b0b5", "minica revoke 1458b0b5 --reason keyCompromise --yes", NULL } },
	{ "crl", { "minica crl", "minica crl --out /var/www/ca.crl", NULL } },
	{ "intermediate", { "minica intermediate rotate", "minica intermediate new --key ec384", NULL } },
	{ "root", { "minica root offline --to /media/usb/minica-root", "minica root online --from /media/usb/minica-root",
		    "minica root rotate" } },
	{ "log", { "minica log", "minica log --serial 1458b0b5", "minica log --action revoke --json" } },
	{ "acme", { "minica acme serve --listen 127.0.0.1:8555", "minica acme eab new --name web1 --domain web1.example.org",
		    "minica acme accounts" } },
	{ "help", { "minica help", "minica help issue", NULL } },
	{ "version", { "minica version", NULL, NULL } },
};

static void
print_profiles(struct cmd_ctx *ctx, FILE *f)
{
	struct pol_config cfg = { 0 };
	char *conf = NULL;

	/* The CA's own minica.conf when there is one; a broken one or none
	 * leaves the built-in profiles. */
	if (cmd_resolve_home(ctx) == 0)
		conf = cmd_home_path(ctx, "minica.conf");
	if (pol_config_load(conf, &cfg) < 0) {
		pol_config_free(&cfg);
		memset(&cfg, 0, sizeof(cfg));
		if (pol_config_load(NULL, &cfg) < 0)
			goto out;
	}
	fprintf(f, "\nProfiles:\n");
	for (size_t i = 0; i < cfg.nprofiles; i++)
		fprintf(f, "  %-12s %s\n", cfg.profiles[i].name,
		    cfg.profiles[i].description != NULL ? cfg.profiles[i].description : "");
out:
	pol_config_free(&cfg);
	free(conf);
}

void
cmd_help_command(struct cmd_ctx *ctx, FILE *f)
{
	const char *name = ctx->cmd->name;

	poptPrintHelp(ctx->popt, f, 0);
	if (strcmp(name, "issue") == 0)
		print_profiles(ctx, f);
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		if (strcmp(examples[i].cmd, name) != 0)
			continue;
		fprintf(f, "\nExamples:\n");
		for (int j = 0; j < 3 && examples[i].ex[j] != NULL; j++)
			fprintf(f, "  %s\n", examples[i].ex[j]);
	}
	fprintf(f, "\nSee minica(1) for the details.\n");
}
