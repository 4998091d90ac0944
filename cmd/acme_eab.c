/* minica acme eab new [--name NAME] [--domain D]... [--json] | list [--json] | revoke KID */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "acme_cmd.h"

#define EAB_NAME_MAX 100

static int
check_name_text(const char *name)
{
	if (strlen(name) > EAB_NAME_MAX)
		return -1;
	for (const unsigned char *c = (const unsigned char *)name; *c != '\0'; c++)
		if (*c < 0x20 || *c == 0x7f)
			return -1;
	return 0;
}

/* Each --domain normalised, inside the CA's domains, one a line in *out. */
static int
eab_domains(struct cmd_ctx *ctx, const char **in, char **out)
{
	struct acme_issuing ai = { .ca = &ctx->ca, .profile = "server" };
	struct mc_strv norm = { 0 };
	int rc = EXIT_ERR;

	*out = NULL;
	for (size_t i = 0; in != NULL && in[i] != NULL; i++) {
		char *d = pol_hostname_normalize(in[i], strlen(in[i]), 0);

		if (d == NULL) {
			rc = cmd_usage_error("acme eab new", "--domain '%s': %s", in[i], mc_err());
			goto out;
		}
		if (acme_cmd_check_name(&ai, d) < 0) {
			cmd_error("--domain '%s' is not a name this CA issues for: %s", d, mc_err());
			free(d);
			goto out;
		}
		if (!mc_strv_has(&norm, d) && mc_strv_push(&norm, d) < 0) {
			free(d);
			rc = cmd_fail();
			goto out;
		}
		free(d);
	}
	if ((*out = norm.n > 0 ? mc_strv_join(&norm, "\n") : mc_strdup("")) == NULL) {
		rc = cmd_fail();
		goto out;
	}
	rc = 0;
out:
	mc_strv_free(&norm);
	return rc;
}

static void
print_domains_json(const char *domains)
{
	const char *d = domains;

	printf("[");
	while (*d != '\0') {
		size_t n = strcspn(d, "\n");
		char one[256];

		snprintf(one, sizeof(one), "%.*s", (int)n, d);
		printf("%s", d == domains ? "" : ", ");
		cmd_json_str(stdout, one);
		d += n;
		if (*d == '\n')
			d++;
	}
	printf("]");
}

static int
eab_new(struct cmd_ctx *ctx, const char *name, const char **domains)
{
	struct store_acme_eab e = { 0 };
	char hmac[64], *dir = NULL, *dtext = NULL;
	int rc;

	if ((rc = eab_domains(ctx, domains, &dtext)) != 0)
		return rc;
	rc = EXIT_ERR;
	snprintf(e.name, sizeof(e.name), "%s", name != NULL ? name : "");
	e.domains = dtext;
	if ((dir = cmd_home_path(ctx, "private/eab")) == NULL || acme_eab_create(ctx->ca.db, dir, &e, hmac) < 0) {
		cmd_fail();
		goto out;
	}
	if (ctx->json) {
		printf("{\"kid\": ");
		cmd_json_str(stdout, e.kid);
		printf(", \"hmac\": \"%s\", \"name\": ", hmac);
		cmd_json_str(stdout, e.name);
		printf(", \"domains\": ");
		print_domains_json(e.domains);
		printf("}\n");
	} else {
		printf("kid  %s\nhmac %s\n", e.kid, hmac);
		fprintf(stderr, "minica: the HMAC key is shown this once; give both to the client "
		    "(certbot --eab-kid KID --eab-hmac-key HMAC, lego --eab --kid KID --hmac HMAC)\n");
	}
	if (!ctx->ca.cfg.acme.eab_required)
		cmd_warn("minica.conf has eab = no: the server also takes accounts without a binding");
	OPENSSL_cleanse(hmac, sizeof(hmac));
	rc = EXIT_OK;
out:
	free(dir);
	free(dtext);
	return rc;
}

static const char *
eab_state(const struct store_acme_eab *e)
{
	return e->revoked_at != 0 ? "revoked" : e->account_id != 0 ? "bound" : "unused";
}

static int
print_eab(const struct store_acme_eab *e, void *arg)
{
	int json = *(int *)arg;
	char when[21];

	mc_iso8601(e->created_at, when);
	if (json) {
		printf("{\"kid\": ");
		cmd_json_str(stdout, e->kid);
		printf(", \"name\": ");
		cmd_json_str(stdout, e->name);
		printf(", \"status\": \"%s\", \"account\": ", eab_state(e));
		if (e->account_id != 0)
			printf("%lld", (long long)e->account_id);
		else
			printf("null");
		printf(", \"domains\": ");
		print_domains_json(e->domains);
		printf(", \"created\": \"%s\"}\n", when);
		return 0;
	}
	printf("%-22s %-7s ", e->kid, eab_state(e));
	if (e->account_id != 0)
		printf("%-7lld", (long long)e->account_id);
	else
		printf("%-7s", "-");
	printf(" %s %s ", when, e->name[0] != '\0' ? e->name : "-");
	if (e->domains[0] == '\0')
		printf("(any name)");
	for (const char *d = e->domains; *d != '\0'; d++)
		putchar(*d == '\n' ? ',' : *d);
	putchar('\n');
	return 0;
}

static int
eab_revoke(struct cmd_ctx *ctx, const char *kid)
{
	char *dir = cmd_home_path(ctx, "private/eab");
	int done = dir != NULL ? acme_eab_revoke(ctx->ca.db, dir, kid) : -1;

	free(dir);
	if (done <= 0)
		return cmd_fail();
	printf("revoked external account key id %s\n", kid);
	return EXIT_OK;
}

int
cmd_acme_eab(struct cmd_ctx *ctx)
{
	const char *sub = ctx->argc >= 2 ? ctx->argv[1] : "";
	char *name = NULL;
	const char **domain = NULL;
	int json = 0, rc, is_new = strcmp(sub, "new") == 0;
	struct poptOption new_opts[] = {
		{ "name", 0, POPT_ARG_STRING, &name, 0, "who the key is for (shown in list and accounts)", "NAME" },
		{ "domain", 0, POPT_ARG_ARGV, &domain, 0, "names its account may order (repeatable; default any)",
		  "D" },
		{ "json", 0, POPT_ARG_NONE, &json, 0, "print kid and hmac as JSON", NULL },
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};
	struct poptOption list_opts[] = {
		{ "json", 0, POPT_ARG_NONE, &json, 0, "one JSON object a line", NULL },
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};

	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "-?") == 0) {
		printf("Usage: minica acme eab new [--name NAME] [--domain D]... [--json] | list [--json] | revoke KID\n"
		    "  'minica acme eab new --help' and so on for each one's options.\n");
		return EXIT_OK;
	}
	if (!is_new && strcmp(sub, "list") != 0 && strcmp(sub, "revoke") != 0)
		return cmd_usage_error("acme eab", "give one of: new, list, revoke KID");
	ctx->argc--;
	ctx->argv++;
	ctx->flags &= ~(unsigned)(NEEDS_KEY | LATE_KEY);
	if (strcmp(sub, "list") == 0)
		ctx->flags &= ~(unsigned)LOCKS_CA;
	if (is_new)
		rc = cmd_args(ctx, new_opts, "", 0);
	else
		rc = cmd_args(ctx, list_opts, strcmp(sub, "revoke") == 0 ? "KID" : "", strcmp(sub, "revoke") == 0);
	if (rc != 0)
		return rc;
	if (strcmp(sub, "revoke") == 0 && ctx->nargs != 1)
		return cmd_usage_error("acme eab revoke", "give the KID to revoke (see 'minica acme eab list')");
	if (name != NULL && check_name_text(name) < 0)
		return cmd_usage_error("acme eab new", "--name: at most %d characters, no control characters",
		    EAB_NAME_MAX);
	ctx->json = json;
	if ((rc = cmd_setup(ctx)) != 0)
		return rc;
	if (is_new)
		return eab_new(ctx, name, domain);
	if (strcmp(sub, "revoke") == 0)
		return eab_revoke(ctx, ctx->args[0]);
	return store_acme_eab_each(ctx->ca.db, print_eab, &json) < 0 ? cmd_fail() : EXIT_OK;
}
