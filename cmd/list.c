/* minica list, minica profiles */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

struct list_state {
	int json;
	int n;
	time_t now;
};

static int
list_one(const struct store_cert *c, void *arg)
{
	struct list_state *s = arg;
	char na[21];

	if (s->json) {
		fputs(s->n ? ",\n" : "\n", stdout);
		cmd_cert_json(stdout, c, 0);
	} else {
		if (s->n == 0)
			printf("%-40s  %-8s  %-28s  %-10s  %5s  %-10s  %s\n",
			    "SERIAL", "PROFILE", "CN", "EXPIRES", "DAYS", "STATUS", "NAMES");
		mc_iso8601(c->not_after, na);
		na[10] = '\0';
		printf("%-40s  %-8s  %-28s  %-10s  %5ld  %-10s  ", c->serial, c->profile,
		    c->cn[0] ? c->cn : "-", na, cmd_days_left(c->not_after, s->now),
		    cmd_cert_status(c, s->now));
		for (size_t i = 0; i < c->sans.n; i++) {
			if (i > 0)
				putchar(',');
			fputs(c->sans.v[i], stdout);
		}
		putchar('\n');
	}
	s->n++;
	return 0;
}

int
cmd_list(struct cmd_ctx *ctx)
{
	struct store_cert_filter f = { .no_pem = 1 };
	struct list_state s = { .now = time(NULL) };
	int expiring = -1;
	struct poptOption opts[] = {
		{ "all", 'a', POPT_ARG_NONE, &f.all, 0, "include superseded and revoked certificates", NULL },
		{ "profile", 0, POPT_ARG_STRING, &f.profile, 0, "only this profile", "PROFILE" },
		{ "expiring", 0, POPT_ARG_INT, &expiring, 0, "only those expiring within DAYS", "DAYS" },
		{ "json", 0, POPT_ARG_NONE, &s.json, 0, "print a JSON array", NULL },
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};
	int rc;

	if ((rc = cmd_args(ctx, opts, NULL, 0)) != 0)
		return rc;
	if (expiring != -1 && expiring < 0)
		return cmd_usage_error("list", "--expiring needs a number of days >= 0");
	if (expiring >= 0)
		f.expiring_before = s.now + (time_t)expiring * 86400;
	if ((rc = cmd_setup(ctx)) != 0)
		return rc;
	if (s.json)
		fputc('[', stdout);
	rc = store_cert_each(ctx->ca.db, &f, list_one, &s) < 0 ? cmd_fail() : EXIT_OK;
	if (s.json)
		fputs(s.n ? "\n]\n" : "]\n", stdout);
	else if (rc == EXIT_OK && s.n == 0)
		printf("no certificates%s\n", f.all ? "" : " (--all includes superseded and revoked)");
	return rc;
}

static void
print_target(const char *what, const struct pol_target *t)
{
	if (t->path != NULL)
		printf("  %-12s %s (%04o %s:%s)\n", what, t->path, (unsigned)t->mode,
		    t->owner ? t->owner : "root", t->group ? t->group : "root");
}

int
cmd_profiles(struct cmd_ctx *ctx)
{
	struct poptOption opts[] = {
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};
	const struct pol_config *cfg = &ctx->ca.cfg;
	int rc;

	if ((rc = cmd_args(ctx, opts, NULL, 0)) != 0 || (rc = cmd_setup(ctx)) != 0)
		return rc;
	for (size_t i = 0; i < cfg->nprofiles; i++) {
		const struct pol_profile *p = &cfg->profiles[i];
		char *eku = mc_strv_join(&p->eku, ", "), *reload = mc_strv_join(&p->reload, " ");

		printf("%s%s: %s\n", i ? "\n" : "", p->name, p->description ? p->description : "");
		printf("  lifetime     %d days (at most %d)\n", p->default_days, p->max_days);
		printf("  key          %s\n", p->key_type);
		printf("  usage        %s\n", eku ? eku : "");
		print_target("certificate", &p->cert);
		print_target("key file", &p->key);
		if (reload && *reload)
			printf("  reload       %s\n", reload);
		free(eku);
		free(reload);
	}
	printf("\nconfiguration: %s\n", cfg->path ? cfg->path : "built-in profiles only");
	return EXIT_OK;
}
