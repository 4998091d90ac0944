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
cmd_log(struct cmd_ctx *ctx)
{
	struct log_state s = { 0 };
	char *since_s = NULL;
	struct poptOption opts[] = {
		{ "since", 0, POPT_ARG_STRING, &since_s, 0, "only events from this date on", "YYYY-MM-DD" },
		{ "json", 0, POPT_ARG_NONE, &s.json, 0, "print a JSON array", NULL },
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};
	time_t since = 0;
	int rc;

	if ((rc = cmd_args(ctx, opts, NULL, 0)) != 0)
		return rc;
	if (since_s != NULL && mc_parse_time(since_s, &since) < 0)
		return cmd_usage_error("log", "--since: %s", mc_err());
	if ((rc = cmd_setup(ctx)) != 0)
		return rc;
	if (s.json)
		putchar('[');
	rc = store_audit_each(ctx->ca.db, since, print_event, &s) < 0 ? cmd_fail() : EXIT_OK;
	if (s.json)
		fputs(s.n ? "\n]\n" : "]\n", stdout);
	return rc;
}
