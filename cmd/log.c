/* minica log [--since DATE] [--json]: the audit trail. */
#include <string.h>

#include "cmd.h"

struct log_state {
	int json;
	int n;
};

static int
print_event(const struct store_event *ev, void *arg)
{
	struct log_state *s = arg;
	char when[21];

	mc_iso8601(ev->time, when);
	if (s->json) {
		printf("%s{\"time\":\"%s\",\"user\":", s->n ? ",\n" : "\n", when);
		cmd_json_str(stdout, ev->user);
		printf(",\"action\":");
		cmd_json_str(stdout, ev->action);
		printf(",\"serial\":");
		cmd_json_str(stdout, ev->serial);
		printf(",\"details\":");
		cmd_json_str(stdout, ev->details);
		putchar('}');
	} else {
		printf("%s  %-8s  %-16s  %s%s%s\n", when, ev->action, ev->user, ev->serial ? ev->serial : "",
		    ev->serial ? "  " : "", ev->details);
	}
	s->n++;
	return 0;
}

int
cmd_log(int argc, const char **argv)
{
	struct log_state s = { 0 };
	char *since_s = NULL;
	struct poptOption opts[] = {
		{ "since", 0, POPT_ARG_STRING, &since_s, 0, "only events from this date on", "YYYY-MM-DD" },
		{ "json", 0, POPT_ARG_NONE, &s.json, 0, "print a JSON array", NULL },
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, cmd_common_options, 0, "Common options:", NULL },
		POPT_AUTOHELP
		POPT_TABLEEND
	};
	poptContext ctx = NULL;
	struct mc_ca ca;
	time_t since = 0;
	int rc;

	if ((rc = cmd_parse(&ctx, argc, argv, opts, NULL)) != 0)
		return rc;
	if (poptPeekArg(ctx) != NULL) {
		rc = cmd_usage_error("log", "unexpected argument '%s'", poptPeekArg(ctx));
	} else if (since_s != NULL && mc_parse_time(since_s, &since) < 0) {
		rc = cmd_usage_error("log", "--since: %s", mc_err());
	} else if (cmd_open_ca(&ca) < 0) {
		rc = EXIT_ERR;
	} else {
		if (s.json)
			putchar('[');
		rc = store_audit_each(ca.db, since, print_event, &s) < 0 ? cmd_fail() : EXIT_OK;
		if (s.json)
			fputs(s.n ? "\n]\n" : "]\n", stdout);
		cmd_close_ca(&ca);
	}
	cmd_parse_done(ctx, opts);
	return rc;
}
