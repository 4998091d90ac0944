/* minica dane [PROFILE] [--port N] [--next] [--json]: the TLSA records to
 * publish for what a profile has deployed (default smtpd, port 25). */
#include <stdlib.h>
#include <string.h>

#include "../deploy/deploy.h"
#include "cmd.h"

struct dane_opts {
	const char *profile;
	char *root;
	int port;		/* 0: the profile's dane_port */
	int next;
	int json;
};

static void
print_json(const struct dep_tlsa_set *s)
{
	printf("[");
	for (size_t i = 0; i < s->n; i++) {
		const struct dep_tlsa *t = &s->v[i];

		printf("%s{\"name\":", i ? "," : "");
		cmd_json_str(stdout, t->host);
		printf(",\"port\":%d,\"usage\":%d,\"selector\":%d,\"mtype\":%d,\"data\":\"%s\","
		    "\"next\":%s,\"rr\":", t->port, t->usage, t->selector, t->mtype, t->data,
		    t->next ? "true" : "false");
		cmd_json_str(stdout, t->rr);
		printf("}");
	}
	printf("]\n");
}

static void
print_zone(const struct dep_tlsa_set *s, int made)
{
	printf("; Publish both: \"2 1 1\" (the minica root) stays valid across every renewal;"
	    " \"3 1 1\" (this key) does not unless the next key was published first"
	    " ('minica dane --next').\n");
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i].next && (i == 0 || !s->v[i - 1].next))
			printf("; the next key (%s): publish it now; the next 'minica renew' uses it\n",
			    made ? "made now" : "staged before");
		printf("%s\n", s->v[i].rr);
	}
}

/* The passphrase must be the CA's (renew decrypts the staged key with
 * it), so the CA key is unlocked with it before anything is made. */
static EVP_PKEY *
stage_next(struct cmd_ctx *ctx, const struct pol_profile *p, const struct store_cert *c, int *made)
{
	struct mc_buf pass = { 0 };
	char *dir = iss_home_path(ctx->ca.home, "private/dane-next");
	struct dep_next_req r = { .dir = dir, .serial = c->serial, .key_type = p->key_type };
	EVP_PKEY *next = NULL;

	if (dir == NULL) {
		cmd_fail();
		goto out;
	}
	if (cmd_unlock_keep(ctx, &pass) != 0)
		goto out;
	r.pass = pass.p;
	r.passlen = pass.len;
	if ((next = dep_dane_next_stage(&r, made)) == NULL)
		cmd_fail();
	else if (*made)
		(void)store_audit(ctx->ca.db, "dane-next", c->serial, "next key staged for %s (%s)",
		    p->name, p->key_type);
out:
	mc_buf_free(&pass);
	free(dir);
	return next;
}

static int
run_dane(struct cmd_ctx *ctx, struct dane_opts *o)
{
	struct dep_tlsa_set set = { 0 };
	struct store_cert c = { 0 };
	const struct pol_profile *p;
	struct dep_dane_req r = { 0 };
	char *root = NULL, *dir = NULL;
	X509 *leaf = NULL;
	struct mc_ca *ca = &ctx->ca;
	int rc = EXIT_ERR, found, made = 0;

	if (!o->next)
		ctx->flags &= ~(unsigned)LOCKS_CA;
	if (cmd_setup(ctx) != 0)
		return EXIT_ERR;
	if ((o->root != NULL && (root = dep_root_resolve(o->root)) == NULL) ||
	    (p = pol_profile_find(&ca->cfg, o->profile)) == NULL ||
	    (found = dep_dane_deployed(ca->db, p->name, root, &c, NULL)) < 0) {
		cmd_fail();
		goto out;
	}
	if (!p->dane) {
		cmd_error("profile '%s' has dane = no; set 'dane = yes' under [profile.%s] in minica.conf",
		    p->name, p->name);
		goto out;
	}
	if (!found) {
		cmd_error("no %s certificate is deployed%s%s; TLSA records are for what a server serves: "
		    "run 'minica deploy %s' first", p->name, root ? " under " : "", root ? root : "", p->name);
		goto out;
	}
	r.cn = c.cn;
	r.names = &c.sans;
	r.port = o->port ? o->port : p->dane_port;
	r.ta = ca->root;	/* 2 1 1: what clients trust, not the intermediate */
	if ((leaf = ca_cert_from_pem(c.pem, strlen(c.pem))) == NULL || (r.leaf = leaf) == NULL ||
	    (dir = iss_home_path(ca->home, "private/dane-next")) == NULL) {
		cmd_fail();
		goto out;
	}
	if (o->next) {
		if ((r.next = stage_next(ctx, p, &c, &made)) == NULL)
			goto out;	/* printed */
	} else if ((r.next = dep_dane_next_pub(dir, c.serial, &found)) == NULL && found) {
		cmd_fail();
		goto out;
	}
	if (dep_dane_records(&r, &set) < 0) {
		cmd_fail();
		goto out;
	}
	if (o->json)
		print_json(&set);
	else
		print_zone(&set, made);
	rc = EXIT_OK;
out:
	dep_tlsa_set_free(&set);
	EVP_PKEY_free(r.next);
	X509_free(leaf);
	store_cert_free(&c);
	free(root);
	free(dir);
	return rc;
}

int
cmd_dane(struct cmd_ctx *ctx)
{
	struct dane_opts o = { .profile = "smtpd" };
	struct poptOption opts[] = {
		{ "port", 0, POPT_ARG_INT, &o.port, 0, "the port of the records (default: the profile's dane_port, 25)", "N" },
		{ "next", 0, POPT_ARG_NONE, &o.next, 0,
		  "stage the key the next renewal will use and print its record to publish now", NULL },
		{ "root", 0, POPT_ARG_STRING, &o.root, 0, "the deployment under DIR (default: the newest anywhere)", "DIR" },
		{ "json", 0, POPT_ARG_NONE, &o.json, 0, "print a JSON list", NULL },
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};
	int rc;

	if ((rc = cmd_args(ctx, opts, "[PROFILE]", 1)) != 0)
		return rc;
	if (ctx->nargs == 1)
		o.profile = ctx->args[0];
	if (o.port < 0 || o.port > 65535)
		return cmd_usage_error("dane", "--port must be between 1 and 65535");
	return run_dane(ctx, &o);
}
