/* minica check: what expires, what drifted.  Exit codes are the
 * monitoring-plugin convention (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN). */
#include <stdlib.h>
#include <string.h>

#include "../deploy/deploy.h"
#include "cmd.h"

#define ROOT_WARN_DAYS 365	/* a year: every device gets the new kit in time */

struct check_state {
	struct mc_ca *ca;
	char served[48];	/* the ACME server's own certificate, "" none */
	struct iss_findings f;
	int days;
	time_t now;
	size_t count;
	size_t deployments;
	char *root;		/* --root: only deployments under it */
	char *root_buf;		/* the resolved --root */
	int probe;
	int dane;
	time_t next;		/* soonest expiry among certificates still valid */
	char next_what[128];
};

static void
cert_what(const struct store_cert *c, char *out, size_t len)
{
	snprintf(out, len, "%s %s", c->profile, c->cn[0] ? c->cn : (c->sans.n ? c->sans.v[0] : c->serial));
}

/* The soonest expiry among certificates still valid, for the summary. */
static void
note_next(struct check_state *s, const struct store_cert *c, const char *what)
{
	if (c->not_after > s->now && (s->next == 0 || c->not_after < s->next)) {
		s->next = c->not_after;
		snprintf(s->next_what, sizeof(s->next_what), "%s", what);
	}
}

static int
check_cert(const struct store_cert *c, void *arg)
{
	struct check_state *s = arg;
	char what[128], date[21];
	long left = mc_days_left(c->not_after, s->now);
	int due = pol_cert_due(c->not_before, c->not_after, s->now, s->days), r;
	struct iss_acme_held held = { s->served, s->now, s->days, due };

	s->count++;
	cert_what(c, what, sizeof(what));
	mc_iso8601(c->not_after, date);
	date[10] = '\0';
	/* Asked only where it matters: due, expired, or the next expiry. */
	if ((due || c->not_after <= s->now || s->next == 0) &&
	    (r = iss_check_acme(s->ca, &held, c, what, &s->f)) != 0) {
		if (r == 1)
			note_next(s, c, what);
		return r < 0 ? -1 : 0;
	}
	if (c->not_after <= s->now)
		return iss_finding_add(&s->f, SEV_CRITICAL, c->serial, what, "expired on %s", date);
	note_next(s, c, what);
	/* WARNING means exactly "renew would renew this": the same rule. */
	if (due)
		return iss_finding_add(&s->f, SEV_WARNING, c->serial, what,
		    "due for renewal: expires in %ld day%s, on %s; run 'minica renew'", left, left == 1 ? "" : "s",
		    date);
	return 0;
}

static int
check_root(struct mc_ca *ca, struct check_state *s)
{
	const struct store_ca *r = &ca->root_rec, *i = &ca->rec;
	long left = mc_days_left(r->not_after, s->now);
	char date[21];

	mc_iso8601(r->not_after, date);
	date[10] = '\0';
	if (r->not_after <= s->now)
		return iss_finding_add(&s->f, SEV_CRITICAL, r->serial, "root", "the root expired on %s", date);
	if (left < ROOT_WARN_DAYS && iss_finding_add(&s->f, SEV_WARNING, r->serial, "root",
	    "the root expires in %ld days, on %s; run 'minica root rotate' and hand out the new trust kit",
	    left, date) < 0)
		return -1;
	if (!ca->two_level)
		return 0;
	if (ca->no_issuer)
		return iss_finding_add(&s->f, SEV_CRITICAL, "", "intermediate",
		    "no current intermediate (revoked or retired): nothing can be issued or renewed; "
		    "run 'minica intermediate rotate'");
	left = mc_days_left(i->not_after, s->now);
	mc_iso8601(i->not_after, date);
	date[10] = '\0';
	if (i->not_after <= s->now)
		return iss_finding_add(&s->f, SEV_CRITICAL, i->serial, "intermediate",
		    "the intermediate expired on %s; run 'minica intermediate rotate'", date);
	if (left < ISS_INTER_WARN_DAYS)
		return iss_finding_add(&s->f, SEV_WARNING, i->serial, "intermediate",
		    "the intermediate expires in %ld days, on %s; run 'minica intermediate rotate' "
		    "(new leaves are cut short until then)", left, date);
	return 0;
}

/* Findings at OK are information ("no TLSA records"), not problems. */
static size_t
problems(const struct check_state *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->f.n; i++)
		n += s->f.v[i].sev != SEV_OK;
	return n;
}

static void
summary(const struct check_state *s, char *out, size_t len)
{
	size_t np = problems(s);
	int n = snprintf(out, len, "MINICA %s - %zu certificate%s", iss_sev_name(s->f.worst), s->count,
	    s->count == 1 ? "" : "s");

	if (s->deployments > 0)
		n += snprintf(out + n, len - (size_t)n, ", %zu deployment%s", s->deployments,
		    s->deployments == 1 ? "" : "s");
	if (np > 0)
		n += snprintf(out + n, len - (size_t)n, ", %zu problem%s", np, np == 1 ? "" : "s");
	if (s->next != 0)
		snprintf(out + n, len - (size_t)n, ", next expiry in %ld days (%s)",
		    mc_days_left(s->next, s->now), s->next_what);
}

static void
print_json(const struct check_state *s, const char *line, int root_key)
{
	printf("{\"status\":\"%s\",\"code\":%d,\"summary\":", iss_sev_name(s->f.worst), (int)s->f.worst);
	cmd_json_str(stdout, line);
	if (root_key >= 0)
		printf(",\"root_key\":\"%s\"", root_key ? "here" : "offline");
	printf(",\"certificates\":%zu,\"deployments\":%zu,\"problems\":[", s->count, s->deployments);
	for (size_t i = 0; i < s->f.n; i++) {
		const struct iss_finding *x = &s->f.v[i];

		printf("%s{\"severity\":\"%s\",\"serial\":", i ? "," : "", iss_sev_name(x->sev));
		cmd_json_str(stdout, x->serial[0] ? x->serial : NULL);
		printf(",\"what\":");
		cmd_json_str(stdout, x->what);
		printf(",\"message\":");
		cmd_json_str(stdout, x->message);
		putchar('}');
	}
	printf("]}\n");
}

static int
run_check(struct cmd_ctx *ctx, struct check_state *s, int json, int quiet)
{
	struct store_cert_filter filter = { .no_pem = 1 };
	struct mc_ca *ca = &ctx->ca;
	char line[512];
	int rc, root_key;

	if (s->root != NULL) {
		char *r = dep_root_resolve(s->root);

		if (r == NULL) {
			cmd_fail();
			printf("MINICA UNKNOWN - %s\n", mc_err());
			return SEV_UNKNOWN;
		}
		s->root = s->root_buf = r;
	}
	rc = cmd_setup(ctx);
	if (rc == 0)
		iss_acme_tls_serial(ca, s->served);
	/* A damaged store is reported here even when no write found it. */
	if (rc == 0 && store_verify(ca->db, STORE_VERIFY_EVERY, NULL) < 0)
		rc = cmd_fail();
	if (rc != 0) {
		if (json)
			printf("{\"status\":\"UNKNOWN\",\"code\":3,\"summary\":\"MINICA UNKNOWN - cannot read the CA\"}\n");
		else
			printf("MINICA UNKNOWN - cannot read the CA (see the error above)\n");
		return SEV_UNKNOWN;
	}
	if (check_root(ca, s) < 0 || iss_check_crls(ca, s->now, &s->f) < 0 ||
	    store_cert_each(ca->db, &filter, check_cert, s) < 0 ||
	    iss_check_deployments(ca, s->root, s->probe, &s->f, &s->deployments) < 0 ||
	    (s->dane && iss_check_dane(ca, s->root, s->probe, &s->f) < 0)) {
		cmd_fail();
		printf("MINICA UNKNOWN - %s\n", mc_err());
		return SEV_UNKNOWN;
	}
	root_key = ca->two_level ? iss_root_key_here(ca) : -1;
	summary(s, line, sizeof(line));
	if (json) {
		print_json(s, line, root_key);
	} else if (!quiet || s->f.worst != SEV_OK) {
		printf("%s\n", line);
		for (size_t i = 0; i < s->f.n; i++)
			printf("%s: %s%s%s: %s\n", s->f.v[i].sev == SEV_OK ? "INFO" : iss_sev_name(s->f.v[i].sev),
			    s->f.v[i].what,
			    s->f.v[i].serial[0] ? " " : "", s->f.v[i].serial, s->f.v[i].message);
		/* Information, not a finding: offline is where it belongs. */
		if (root_key >= 0)
			printf("info: root key %s\n", root_key ? "in the CA home (move it out with "
			    "'minica root offline --to DIR')" : "offline");
	}
	return (int)s->f.worst;
}

int
cmd_check(struct cmd_ctx *ctx)
{
	struct check_state s = { .ca = &ctx->ca, .days = POL_RENEW_DAYS_DEFAULT, .now = time(NULL) };
	int json = 0, quiet = 0;
	struct poptOption opts[] = {
		{ "days", 0, POPT_ARG_INT, &s.days, 0, "warn about certificates renew would renew: within N days of expiry (default 30) or past two thirds of their life", "N" },
		{ "root", 0, POPT_ARG_STRING, &s.root, 0, "only deployments under DIR (default: all recorded)", "DIR" },
		{ "probe", 0, POPT_ARG_NONE, &s.probe, 0, "compare what the daemons serve with what is deployed", NULL },
		{ "dane", 0, POPT_ARG_NONE, &s.dane, 0, "look up the TLSA records of DANE profiles (DNSSEC-validated)", NULL },
		{ "json", 0, POPT_ARG_NONE, &json, 0, "print one JSON object", NULL },
		{ "quiet", 'q', POPT_ARG_NONE, &quiet, 0, "print nothing when everything is OK (for cron)", NULL },
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};
	int rc;

	/* Usage errors keep minica's 64, which monitoring treats as UNKNOWN
	 * too (anything above 3 is). */
	if ((rc = cmd_args(ctx, opts, NULL, 0)) != 0)
		return rc;
	if (s.days < 0 || s.days > 3650) {
		rc = cmd_usage_error("check", "--days must be between 0 and 3650");
	} else {
		rc = run_check(ctx, &s, json, quiet);
	}
	iss_findings_free(&s.f);
	free(s.root_buf);
	return rc;
}
