/* minica issue PROFILE --cn NAME ... */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"

struct issue_opts {
	struct iss_req req;
	char *days_s;
	char *out;
	int force;
	int json;
	int deploy;
	struct cmd_deploy_opts dep;
	char *p12;		/* --p12 FILE */
	int p12_legacy;
	char *p12_pass_file;
	int p12_pass_fd;
	char *batch;		/* --batch FILE */
	int jobs;
	int stats;
};

/* The PKCS#12 passphrase is read and its file checked before anything is
 * signed, so a typo costs nothing. */
static int
p12_prepare(const struct issue_opts *o, const struct iss_plan *plan, struct mc_buf *pass)
{
	struct stat st;

	if (o->p12 == NULL)
		return 0;
	if (plan->csr_key != NULL) {
		mc_seterr("--p12 needs the private key, which a --csr request does not give minica");
		return -1;
	}
	if (lstat(o->p12, &st) == 0) {
		mc_seterr("'%s' already exists; refusing to overwrite it", o->p12);
		return -1;
	}
	return cmd_passphrase_from(o->p12_pass_file, o->p12_pass_fd, "MINICA_P12_PASSPHRASE",
	    "PKCS#12 passphrase", 1, pass);
}

static void
print_issued(const struct iss_issued *is, const char *dir, const char *name, int json, const char *p12)
{
	char na[21];

	if (json) {
		struct cmd_json_files w = { 1, dir, name, is->key != NULL, p12 };

		cmd_cert_json_result(stdout, &is->rec, &w);
		return;
	}
	mc_iso8601(is->rec.not_after, na);
	printf("issued %s certificate %s, valid until %s\n", is->rec.profile, is->rec.serial, na);
	printf("  names        ");
	for (size_t i = 0; i < is->rec.sans.n; i++)
		printf("%s%s", i ? ", " : "", is->rec.sans.v[i]);
	printf("%s\n", is->rec.sans.n ? "" : is->rec.cn);
	if (dir == NULL)
		return;
	printf("  certificate  %s/%s.crt\n", dir, name);
	printf("  full chain   %s/%s-fullchain.crt\n", dir, name);
	if (is->key != NULL)
		printf("  key          %s/%s.key (%s)\n", dir, name, is->rec.key_type);
}

/* --deploy: refused before anything is signed if it cannot work. */
static int
deploy_check(const struct mc_ca *ca, const struct iss_plan *plan, struct issue_opts *o, char **root)
{
	if (plan->csr_key != NULL) {
		mc_seterr("--deploy needs the private key, which stays with the CSR's owner; "
		    "deploy later with 'minica deploy SERIAL --key FILE'");
		return -1;
	}
	if ((*root = dep_root_resolve(o->dep.root)) == NULL)
		return -1;
	/* o->dep.root is popt's copy (run_cmd frees it): use the resolved
	 * one, which run_issue frees. */
	o->dep.root = *root;
	o->dep.json = o->json;
	return dep_preflight(&ca->cfg, plan->prof, *root);
}

/* --deploy alone: the key goes to the current folder if the deploy
 * fails, so that folder must take it; said before anything is signed. */
static int
keep_dir_check(const char *dir, int deploy)
{
	if (iss_out_dir_check(dir) == 0)
		return 0;
	mc_preferr(deploy ? "--deploy keeps the key in the current folder if the deploy fails, but it cannot (give --out DIR)" :
	    "--p12 keeps the key in the current folder if the PKCS#12 file cannot be written, but it cannot (give --out DIR)");
	return -1;
}

static int
run_issue(struct cmd_ctx *ctx, struct issue_opts *o)
{
	struct iss_plan plan = { 0 };
	struct iss_issued is = { 0 };
	struct mc_buf p12pass = { 0 };
	struct mc_ca *ca = &ctx->ca;
	const char *dir = o->out ? o->out : ".";
	/* --deploy alone: targets only; --p12 alone: only the PKCS#12 file. */
	int files = o->out != NULL || (!o->deploy && o->p12 == NULL);
	char name[256], *root = NULL;
	int rc = EXIT_ERR, cur, in_place = 0, prev_found = 0;
	struct store_cert prev = { 0 };

	if (cmd_setup(ctx) != 0)
		return EXIT_ERR;
	if (iss_plan_make(ca, &o->req, &plan) < 0) {
		cmd_fail();
		goto out;
	}
	if (o->deploy && deploy_check(ca, &plan, o, &root) < 0) {
		cmd_fail();
		goto out;
	}
	if (!o->force) {
		struct cmd_current_opts co = { o->deploy, o->json, dir, &o->dep };

		if ((cur = cmd_issue_current(ca, &plan, &o->req, &co)) >= 0) {
			rc = cur;
			goto out;
		}
	}
	{
		struct store_cert probe = { .cn = plan.cn ? plan.cn : "", .sans = plan.names };

		cmd_leaf_file_name_in(ca, dir, &probe, plan.prof->name, name, sizeof(name));
	}
	if ((files && iss_leaf_files_check(dir, name, plan.csr_key == NULL) < 0) ||
	    (!files && keep_dir_check(dir, o->deploy) < 0) ||
	    p12_prepare(o, &plan, &p12pass) < 0) {
		cmd_fail();
		goto out;
	}
	if (cmd_unlock(ctx) != 0)
		goto out;
	if (o->force && (prev_found = store_cert_find_current(ca->db, plan.prof->name, plan.cn, &plan.names, &prev)) < 0) {
		cmd_fail();
		goto out;
	}
	if (iss_sign(ca, &plan, &is) < 0 || (prev_found ? iss_record_superseding(ca, &is, &prev) :
	    iss_record(ca, &is, "issue")) < 0) {
		cmd_fail();
		goto out;
	}
	/* Recorded; only now may the certificate leave the process. */
	if (files && iss_leaf_files_write(ca, dir, name, &is) < 0) {
		cmd_error("certificate %s is recorded but its files could not be written: %s", is.rec.serial, mc_err());
		goto out;
	}
	if (o->p12 != NULL && ca_p12_write(o->p12, is.key, is.cert, ca->cert, p12pass.p, p12pass.len, o->p12_legacy) < 0) {
		cmd_error("certificate %s is recorded but '%s' could not be written: %s", is.rec.serial, o->p12, mc_err());
		if (!files)
			cmd_keep_key(ca, dir, &is);	/* a key minica signed for is never lost */
		goto out;
	}
	print_issued(&is, files ? dir : NULL, name, o->json, o->p12);
	if (o->p12 != NULL && !o->json)
		printf("  PKCS#12      %s (%s)\n", o->p12, o->p12_legacy ? "legacy 3DES/SHA-1" : "AES-256, PBKDF2");
	if (o->deploy && cmd_deploy_cert2(ca, &is.rec, is.cert, is.key, &o->dep, &in_place) < 0) {
		/* A key minica signed for is never lost. */
		if (!files && !in_place)
			cmd_keep_key(ca, dir, &is);
		goto out;
	}
	rc = EXIT_OK;
out:
	if (prev_found > 0)
		store_cert_free(&prev);
	mc_buf_free(&p12pass);
	iss_issued_free(&is);
	iss_plan_free(&plan);
	free(root);
	return rc;
}

static int
parse_days(const char *s, int *out)
{
	char *end;
	long v;

	if (s == NULL)
		return 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 1 || v > 100000)
		return -1;
	*out = (int)v;
	return 0;
}

/* --batch takes everything per certificate from its file. */
static int
issue_batch(struct cmd_ctx *ctx, const struct issue_opts *o)
{
	struct batch_opts bo = { o->batch, o->out, o->jobs, o->force, o->json, o->deploy, o->dep, o->stats };

	if (o->batch == NULL)
		return cmd_usage_error("issue", "--jobs and --stats go with --batch FILE");
	if (o->req.profile != NULL || o->req.cn || o->req.sans || o->req.ips || o->days_s || o->req.key_type ||
	    o->req.csr_path)
		return cmd_usage_error("issue", "--batch takes profiles, names, days= and key= from its file; "
		    "drop the PROFILE, --cn, --san, --ip, --days, --key and --csr");
	if (o->p12 != NULL)
		return cmd_usage_error("issue", "--p12 makes one kit; issue client kits one at a time");
	if (!o->deploy && (o->dep.root || o->dep.no_reload || o->dep.system_trust))
		return cmd_usage_error("issue", "--root, --no-reload and --system-trust go with --deploy");
	if (o->jobs == -1)
		bo.jobs = mc_cpu_count();
	else if (o->jobs < 1 || o->jobs > MC_POOL_MAX)
	{
		char v[16];

		snprintf(v, sizeof(v), "%d", o->jobs);
		return cmd_number_error("issue", "--jobs", v, 1, MC_POOL_MAX);
	}
	return cmd_issue_batch(ctx, &bo);
}

int
cmd_issue(struct cmd_ctx *ctx)
{
	struct issue_opts o = { .p12_pass_fd = -1, .jobs = -1 };
	struct poptOption opts[] = {
		{ "cn", 0, POPT_ARG_STRING, &o.req.cn, 0, "common name: a hostname (or, for client, an e-mail address or name)", "NAME" },
		{ "san", 0, POPT_ARG_ARGV, &o.req.sans, 0, "another DNS name (repeatable)", "NAME" },
		{ "ip", 0, POPT_ARG_ARGV, &o.req.ips, 0, "an IP address (repeatable)", "ADDR" },
		{ "days", 0, POPT_ARG_STRING, &o.days_s, 0, "lifetime in days (default: the profile's)", "N" },
		{ "key", 0, POPT_ARG_STRING, &o.req.key_type, 0, "rsa2048 (default), rsa3072, rsa4096, ec256, ec384", "TYPE" },
		{ "csr", 0, POPT_ARG_STRING, &o.req.csr_path, 0, "sign this CSR's public key instead of making a key", "FILE" },
		{ "out", 0, POPT_ARG_STRING, &o.out, 0, "folder for the files (default: current folder)", "DIR" },
		{ "force", 0, POPT_ARG_NONE, &o.force, 0, "issue even if a valid certificate exists", NULL },
		{ "any-domain", 0, POPT_ARG_NONE, &o.req.any_domain, 0,
		  "issue for a name outside the domains minica.conf records (imported roots)", NULL },
		{ "deploy", 0, POPT_ARG_NONE, &o.deploy, 0, "install into the profile's targets (not the current folder unless --out)", NULL },
		{ "root", 0, POPT_ARG_STRING, &o.dep.root, 0, "with --deploy: prefix every target path with DIR", "DIR" },
		{ "no-reload", 0, POPT_ARG_NONE, &o.dep.no_reload, 0, "with --deploy: do not reload the service", NULL },
		{ "system-trust", 0, POPT_ARG_NONE, &o.dep.system_trust, 0, "with --deploy: also install the root system-wide", NULL },
		{ "json", 0, POPT_ARG_NONE, &o.json, 0, "print the certificate as JSON (with --batch: an array)", NULL },
		{ "p12", 0, POPT_ARG_STRING, &o.p12, 0, "also write a PKCS#12 kit (key, certificate, root)", "FILE" },
		{ "p12-legacy", 0, POPT_ARG_NONE, &o.p12_legacy, 0, "3DES/SHA-1 PKCS#12 for old macOS, iOS, Windows importers", NULL },
		{ "p12-passphrase-file", 0, POPT_ARG_STRING, &o.p12_pass_file, 0, "read the PKCS#12 passphrase from FILE", "FILE" },
		{ "p12-passphrase-fd", 0, POPT_ARG_INT, &o.p12_pass_fd, 0, "read the PKCS#12 passphrase from fd N", "N" },
		{ "batch", 0, POPT_ARG_STRING, &o.batch, 0, "issue every line of FILE: PROFILE CN [NAME ...] [days=N] [key=TYPE]", "FILE" },
		{ "jobs", 'j', POPT_ARG_INT, &o.jobs, 0, "with --batch: threads (default: one per processor)", "N" },
		{ "stats", 0, POPT_ARG_NONE, &o.stats, 0, "with --batch: CPU time per stage and wall time per phase, on stderr", NULL },
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};
	int rc;

	if ((rc = cmd_args(ctx, opts, "PROFILE", -1)) != 0)
		return rc;
	o.req.profile = ctx->args[0];
	if (o.batch != NULL || o.jobs != -1 || o.stats)
		return issue_batch(ctx, &o);
	if (ctx->nargs != 1)
		return cmd_usage_error("issue", "give exactly one PROFILE (see 'minica profiles')");
	if (o.req.cn == NULL && o.req.csr_path == NULL)
		return cmd_usage_error("issue", "give --cn NAME (or --csr FILE)");
	if (!o.deploy && (o.dep.root || o.dep.no_reload || o.dep.system_trust))
		return cmd_usage_error("issue", "--root, --no-reload and --system-trust go with --deploy");
	if (o.req.csr_path != NULL && o.req.key_type != NULL)
		return cmd_usage_error("issue", "--key makes a new key, --csr brings its own; give one of them");
	if (parse_days(o.days_s, &o.req.days) < 0)
		return cmd_number_error("issue", "--days", o.days_s, 1, 100000);
	return run_issue(ctx, &o);
}
