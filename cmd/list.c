/* minica list, minica profiles */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

struct list_state {
	int json;
	int wide;
	int cols;		/* a terminal's width (0: not a terminal, or --wide) */
	int n;
	time_t now;
};

/* Serials on a terminal: their first 12 hex digits, as git shortens
 * hashes (any unique prefix names a certificate). */
#define SHORT_SERIAL 12

/* s cut to width w characters (UTF-8 aware), "..." marking the cut. */
static void
put_cut(const char *s, int w, int pad)
{
	int n = 0;
	const char *p = s;

	for (const char *q = s; *q; q++)
		n += ((unsigned char)*q & 0xC0) != 0x80;
	if (n <= w) {
		printf("%s%*s", s, pad ? w - n : 0, "");
		return;
	}
	for (n = 0; *p && n < w - 3; p++) {
		n += ((unsigned char)*p & 0xC0) != 0x80;
		putchar(*p);
	}
	while (((unsigned char)*p & 0xC0) == 0x80)
		putchar(*p++);
	fputs("...", stdout);
}

static void
list_text(const struct store_cert *c, struct list_state *s)
{
	int sw = s->cols ? SHORT_SERIAL : 40, cnw = s->cols ? 24 : 28;
	struct mc_buf names = { 0 };
	char na[21];

	if (s->n == 0)
		printf("%-*s  %-8s  %-*s  %-10s  %5s  %-10s  %s\n", sw, "SERIAL", "PROFILE", cnw, "CN",
		    "EXPIRES", "DAYS", "STATUS", "NAMES");
	mc_iso8601(c->not_after, na);
	na[10] = '\0';
	printf("%-*.*s  %-8s  ", sw, s->cols ? SHORT_SERIAL : (int)strlen(c->serial), c->serial, c->profile);
	if (s->cols)
		put_cut(c->cn[0] ? c->cn : "-", cnw, 1);
	else
		printf("%-*s", cnw, c->cn[0] ? c->cn : "-");
	printf("  %-10s  %5ld  %-10s  ", na, mc_days_left(c->not_after, s->now), cmd_cert_status(c, s->now));
	for (size_t i = 0; i < c->sans.n; i++)
		if (mc_buf_printf(&names, "%s%s", i ? "," : "", c->sans.v[i]) < 0)
			break;
	/* What is left of the line: 12+8+24+10+5+10 and six gaps of 2. */
	if (s->cols)
		put_cut(names.p != NULL ? names.p : "", s->cols - 81 > 10 ? s->cols - 81 : 10, 0);
	else
		fputs(names.p != NULL ? names.p : "", stdout);
	putchar('\n');
	mc_buf_free(&names);
}

static int
list_one(const struct store_cert *c, void *arg)
{
	struct list_state *s = arg;

	if (s->json) {
		fputs(s->n ? ",\n" : "\n", stdout);
		cmd_cert_json(stdout, c, 0);
	} else {
		list_text(c, s);
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
		{ "json", 0, POPT_ARG_NONE, &s.json, 0, "print a JSON array (full serials)", NULL },
		{ "wide", 'w', POPT_ARG_NONE, &s.wide, 0, "full serials and names on a terminal too", NULL },
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};
	int rc;

	if ((rc = cmd_args(ctx, opts, NULL, 0)) != 0)
		return rc;
	if (expiring != -1 && expiring < 0)
	{
		char v[16];

		snprintf(v, sizeof(v), "%d", expiring);
		return cmd_number_error("list", "--expiring", v, 0, 36500);
	}
	s.cols = s.wide ? 0 : cmd_term_columns();
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
