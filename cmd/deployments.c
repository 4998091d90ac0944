/* minica deployments [--root DIR] [--all] [--json]: the inventory of
 * what is deployed where, in what state; and show's "deployed" lines. */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

struct inv {
	struct mc_ca *ca;
	int json;
	size_t n;
	const char *only_serial;	/* show: this certificate's rows only */
};

/* What the reload did, from the recorded detail. */
static const char *
reload_state(const struct store_deployment *d)
{
	if (strcmp(d->detail, "reloaded") == 0)
		return "reloaded";
	if (strcmp(d->detail, "not running") == 0)
		return "not running";
	if (strncmp(d->detail, "reload failed", 13) == 0)
		return "reload failed";
	if (strcmp(d->state, "pending") == 0 || strcmp(d->state, "retired") == 0)
		return "-";
	return "not reloaded";
}

/* ok, or the first problem on disk, or what became of the certificate. */
static int
row_state(struct inv *s, const struct store_deployment *d, char *out, size_t len)
{
	struct dep_report r = { 0 };
	struct store_cert c = { 0 };
	int found;

	if (strcmp(d->state, "current") != 0 && strcmp(d->state, "pending") != 0) {
		snprintf(out, len, "%s", d->state);
		return 0;
	}
	if (dep_inspect(d, &r) < 0 || (found = store_cert_find(s->ca->db, d->serial, &c)) < 0) {
		dep_report_free(&r);
		return -1;
	}
	if (r.n > 0)
		snprintf(out, len, "%s", r.v[0].kind == DEP_MISMATCH ? "mismatch" : dep_problem_name(r.v[0].kind));
	else if (found && strcmp(cmd_cert_status(&c, time(NULL)), "valid") != 0)
		snprintf(out, len, "%s", cmd_cert_status(&c, time(NULL)));
	else
		snprintf(out, len, "ok");
	store_cert_free(&c);
	dep_report_free(&r);
	return 0;
}

static void
json_row(const struct store_deployment *d, const char *ca, const char *when, const char *state, int first)
{
	printf("%s\n  {\"id\": %lld, \"profile\": ", first ? "" : ",", (long long)d->id);
	cmd_json_str(stdout, d->profile);
	printf(", \"serial\": \"%s\", \"root\": ", d->serial);
	cmd_json_str(stdout, d->root);
	printf(", \"cert_path\": ");
	cmd_json_str(stdout, d->cert.path);
	printf(", \"key_path\": ");
	cmd_json_str(stdout, d->key.path);
	printf(", \"ca_path\": ");
	if (ca != NULL)
		cmd_json_str(stdout, ca);
	else
		fputs("null", stdout);
	printf(", \"deployed_at\": \"%s\", \"reload\": \"%s\", \"state\": \"%s\"}", when, reload_state(d), state);
}

static int
inv_one(const struct store_deployment *d, void *arg)
{
	struct inv *s = arg;
	const struct pol_target *t = &s->ca->cfg.ca_cert;
	char when[21], state[32], *ca = NULL;

	if (s->only_serial != NULL && strcmp(d->serial, s->only_serial) != 0)
		return 0;
	if (row_state(s, d, state, sizeof(state)) < 0)
		return -1;
	if (t->path != NULL && (ca = dep_path(d->root, t->path)) == NULL)
		return -1;
	mc_iso8601(d->deployed_at, when);
	if (s->only_serial != NULL)
		printf("  deployed     %s, %s (%s, %s, %s)\n", d->cert.path, d->key.path, when, reload_state(d), state);
	else if (s->json)
		json_row(d, ca, when, state, s->n == 0);
	else
		printf("%s%-8s  %-16.16s  %-20s  %-13s  %-10s  %s  %s  %s\n", s->n ? "" :
		    "PROFILE   SERIAL            DEPLOYED              RELOAD         STATE       CERTIFICATE  KEY  ROOT FILE\n",
		    d->profile, d->serial, when, reload_state(d), state, d->cert.path, d->key.path, ca ? ca : "-");
	free(ca);
	s->n++;
	return 0;
}

int
cmd_print_deployed_at(struct mc_ca *ca, const struct store_cert *c)
{
	struct inv s = { .ca = ca, .only_serial = c->serial };
	const char *states[] = { "current", "pending" };

	for (size_t i = 0; i < 2; i++) {
		struct store_deploy_filter f = { .state = states[i] };

		if (store_deploy_each(ca->db, &f, inv_one, &s) < 0)
			return -1;
	}
	if (s.n == 0)
		printf("  deployed     nowhere\n");
	return 0;
}

static int
run_inventory(struct cmd_ctx *ctx, const char *root_opt, int all, int json)
{
	struct inv s = { .json = json, .ca = &ctx->ca };
	char *root = NULL;
	const char *states[] = { "current", "pending", NULL };
	int rc = EXIT_ERR;

	if (cmd_setup(ctx) != 0)
		return EXIT_ERR;
	if (root_opt != NULL && (root = dep_root_resolve(root_opt)) == NULL) {
		cmd_fail();
		goto out;
	}
	if (json)
		fputc('[', stdout);
	for (size_t i = 0; i < (all ? 1 : 2); i++) {
		struct store_deploy_filter f = { .state = all ? NULL : states[i], .root = root };

		if (store_deploy_each(ctx->ca.db, &f, inv_one, &s) < 0) {
			cmd_fail();
			goto out;
		}
	}
	if (json)
		fputs(s.n ? "\n]\n" : "]\n", stdout);
	else if (s.n == 0)
		printf("no deployments%s%s (deploy with 'minica issue PROFILE --cn NAME --deploy')\n",
		    root ? " under " : "", root ? root : "");
	rc = EXIT_OK;
out:
	free(root);
	return rc;
}

int
cmd_deployments(struct cmd_ctx *ctx)
{
	char *root = NULL;
	int all = 0, json = 0, rc;
	struct poptOption opts[] = {
		{ "root", 0, POPT_ARG_STRING, &root, 0, "only deployments under DIR", "DIR" },
		{ "all", 'a', POPT_ARG_NONE, &all, 0, "also replaced, failed and retired ones", NULL },
		{ "json", 0, POPT_ARG_NONE, &json, 0, "print a JSON array", NULL },
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};

	if ((rc = cmd_args(ctx, opts, "", 0)) != 0)
		return rc;
	ctx->json = json;
	return run_inventory(ctx, root, all, json);
}
