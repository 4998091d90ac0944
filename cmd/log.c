/* minica log [--since DATE] [--serial S] [--action A] [--json]: the
 * audit trail.  Details are "key=value ..." text in the store; the output
 * turns epoch seconds into ISO dates and, in JSON, the pairs into an
 * object. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

struct log_state {
	int json;
	int n;
	const char *serial;	/* a prefix, as typed */
	const char *action;
};

/* Where the next " key=" starts in details (a key is [a-z0-9_]+), or the end. */
static const char *
next_key(const char *p)
{
	for (; *p; p++) {
		const char *k = p + 1;

		if (*p != ' ')
			continue;
		while (*k == '_' || islower((unsigned char)*k) || isdigit((unsigned char)*k))
			k++;
		if (k > p + 1 && *k == '=')
			return p;
	}
	return p;
}

static int
is_time_key(const char *k, size_t n)
{
	return (n == 9 && strncmp(k, "not_after", 9) == 0) || (n == 10 && strncmp(k, "not_before", 10) == 0);
}

/* One value: epoch seconds under a time key become an ISO date. */
static void
put_value(FILE *f, const char *k, size_t kn, const char *v, size_t vn, int json)
{
	char buf[1024], when[21];

	snprintf(buf, sizeof(buf), "%.*s", (int)vn, v);
	if (is_time_key(k, kn) && vn > 0 && strspn(buf, "0123456789") == vn) {
		mc_iso8601((time_t)strtoll(buf, NULL, 10), when);
		snprintf(buf, sizeof(buf), "%s", when);
	}
	if (json)
		cmd_json_str(f, buf);
	else
		fputs(buf, f);
}

/* details as text or as a JSON object; text without key=value pairs is
 * {"message": text}. */
static void
put_details(FILE *f, const char *d, int json)
{
	const char *p = d;
	int first = 1;

	size_t kn = 0;

	while (d[kn] == '_' || islower((unsigned char)d[kn]) || isdigit((unsigned char)d[kn]))
		kn++;
	if (kn == 0 || d[kn] != '=') {	/* not "key=value ...": plain text */
		if (json) {
			fputs("{\"message\":", f);
			cmd_json_str(f, d);
			fputc('}', f);
		} else {
			fputs(d, f);
		}
		return;
	}
	if (json)
		fputc('{', f);
	while (*p) {
		const char *eq = strchr(p, '='), *end;

		if (eq == NULL)
			break;
		end = next_key(eq + 1);
		if (json) {
			fprintf(f, "%s\"%.*s\":", first ? "" : ",", (int)(eq - p), p);
			put_value(f, p, (size_t)(eq - p), eq + 1, (size_t)(end - eq - 1), 1);
		} else {
			fprintf(f, "%s%.*s=", first ? "" : " ", (int)(eq - p), p);
			put_value(f, p, (size_t)(eq - p), eq + 1, (size_t)(end - eq - 1), 0);
		}
		first = 0;
		p = *end ? end + 1 : end;
	}
	if (json)
		fputc('}', f);
}

static int
print_event(const struct store_event *ev, void *arg)
{
	struct log_state *s = arg;
	char when[21];

	if (s->action != NULL && strcmp(ev->action, s->action) != 0)
		return 0;
	if (s->serial != NULL && (ev->serial == NULL || !store_serial_has_prefix(ev->serial, s->serial)))
		return 0;
	mc_iso8601(ev->time, when);
	if (s->json) {
		printf("%s{\"time\":\"%s\",\"user\":", s->n ? ",\n" : "\n", when);
		cmd_json_str(stdout, ev->user);
		printf(",\"action\":");
		cmd_json_str(stdout, ev->action);
		printf(",\"serial\":");
		cmd_json_str(stdout, ev->serial);
		printf(",\"details\":");
		put_details(stdout, ev->details, 1);
		putchar('}');
	} else {
		printf("%s  %-8s  %-16s  %s%s", when, ev->action, ev->user, ev->serial ? ev->serial : "",
		    ev->serial ? "  " : "");
		put_details(stdout, ev->details, 0);
		putchar('\n');
	}
	s->n++;
	return 0;
}

int
cmd_log(struct cmd_ctx *ctx)
{
	struct log_state s = { 0 };
	char *since_s = NULL, *serial = NULL, *action = NULL;
	struct poptOption opts[] = {
		{ "since", 0, POPT_ARG_STRING, &since_s, 0, "only events from this date on", "YYYY-MM-DD" },
		{ "serial", 0, POPT_ARG_STRING, &serial, 0, "only events of this certificate (any unique prefix)", "SERIAL" },
		{ "action", 0, POPT_ARG_STRING, &action, 0, "only these events: init, issue, renew, revoke, crl, deploy, ...",
		  "ACTION" },
		{ "json", 0, POPT_ARG_NONE, &s.json, 0, "print a JSON array (details as an object)", NULL },
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};
	time_t since = 0;
	int rc;

	if ((rc = cmd_args(ctx, opts, NULL, 0)) != 0)
		return rc;
	if (since_s != NULL && mc_parse_time(since_s, &since) < 0)
		return cmd_usage_error("log", "--since: %s", mc_err());
	if (serial != NULL && serial[strspn(serial, "0123456789abcdefABCDEF:")] != '\0')
		return cmd_usage_error("log", "--serial '%s' is not a serial (hex digits, colons allowed)", serial);
	s.serial = serial;
	s.action = action;
	if ((rc = cmd_setup(ctx)) != 0)
		return rc;
	if (s.json)
		putchar('[');
	rc = store_audit_each(ctx->ca.db, since, print_event, &s) < 0 ? cmd_fail() : EXIT_OK;
	if (s.json)
		fputs(s.n ? "\n]\n" : "]\n", stdout);
	return rc;
}
