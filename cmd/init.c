/* minica init: the root CA and (unless --no-intermediate) its issuing intermediate. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"

struct init_opts {
	const char **domains;
	const char **permit_ip;
	char *name_opt;		/* --name, owned by popt */
	const char *name;	/* the name used */
	int days;
	int no_nc;
	int allow_ps;	/* --allow-public-suffix */
	int no_inter;		/* --no-intermediate: the root signs leaves */
	char *inter_key;	/* --intermediate-key */
};

/* On a terminal: one labelled line that turns while primes are tried. */
static int
progress(EVP_PKEY_CTX *ctx)
{
	static const char spin[] = "|/-\\";
	static unsigned n;

	if (EVP_PKEY_CTX_get_keygen_info(ctx, 0) == 0 && n++ % 8 == 0) {
		fprintf(stderr, "\rgenerating the 4096-bit root key (a few seconds) %c", spin[(n / 8) % 4]);
		fflush(stderr);
	}
	return 1;
}

static int
normalize_domains(const struct init_opts *o, struct mc_strv *domains, struct mc_strv *ips)
{
	for (size_t i = 0; o->domains && o->domains[i]; i++) {
		char *d = pol_hostname_normalize(o->domains[i], strlen(o->domains[i]), 0);

		if (d == NULL || (!o->allow_ps && pol_domain_scope_check(d) < 0) ||
		    mc_strv_push(domains, d) < 0) {
			free(d);
			mc_preferr("--domain");
			return -1;
		}
		free(d);
	}
	for (size_t i = 0; o->permit_ip && o->permit_ip[i]; i++) {
		char *conf = ca_cidr_to_conf(o->permit_ip[i]);

		if (conf == NULL || mc_strv_push(ips, o->permit_ip[i]) < 0) {
			free(conf);
			mc_preferr("--permit-ip");
			return -1;
		}
		free(conf);
	}
	return 0;
}

static int
record_init(struct store *db, const struct store_ca *rec, void *arg)
{
	(void)arg;
	return store_audit(db, "init", rec->serial, "subject=%s fingerprint=%s constraints=%s",
	    rec->subject, rec->fingerprint, *rec->constraints ? rec->constraints : "none");
}

/* The issuing intermediate under the new root, while its key is still
 * in memory: the root passphrase is not asked for twice. */
static int
create_intermediate(struct cmd_ctx *ctx, const struct init_opts *o, EVP_PKEY *root_key, const struct mc_buf *pass)
{
	int rc = -1;

	ctx->flags |= NEEDS_CA | LOCKS_CA;
	if (cmd_setup(ctx) != 0)
		goto out;
	if (!EVP_PKEY_up_ref(root_key)) {
		mc_seterr("out of memory");
		cmd_fail();
		goto out;
	}
	ctx->ca.root_key = root_key;
	if (iss_inter_new(&ctx->ca, o->inter_key, 0, pass->p, pass->len) < 0) {
		cmd_fail();
		goto out;
	}
	printf("  issuing intermediate %s (%s), %s/" ISS_INTER_CRT "\n", ctx->ca.rec.subject, ctx->ca.rec.key_type,
	    ctx->home);
	printf("  its encrypted key    %s/" ISS_INTER_KEY "\n", ctx->home);
	rc = 0;
out:
	/* Closed before a failed init removes the home. */
	iss_ca_close(&ctx->ca);
	return rc;
}

static int
create_ca(const struct cmd_ctx *ctx, const struct init_opts *o, const struct mc_strv *domains, const struct mc_strv *ips,
    const struct mc_buf *pass, X509 **certp, EVP_PKEY **keyp)
{
	struct ca_root_req req = { o->name, o->days, domains, ips, !o->no_nc };
	struct iss_new_ca n = { .pass = pass, .record = record_init };
	struct mc_buf conf = { 0 };
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int rc = -1;

	if (isatty(2))
		fprintf(stderr, "generating the 4096-bit root key (a few seconds)  ");
	key = ca_key_generate("rsa4096", isatty(2) ? progress : NULL);
	if (isatty(2))
		fprintf(stderr, "\rgenerating the 4096-bit root key: %s\n", key != NULL ? "done          " : "failed        ");
	if (key == NULL ||
	    (cert = ca_root_build(key, &req)) == NULL || pol_config_default_text(domains, &conf) < 0)
		goto out;
	n.key = key;
	n.cert = cert;
	n.conf = &conf;
	n.home = ctx->home;
	if (iss_new_ca_write(&n) < 0)
		goto out;
	*certp = cert;
	cert = NULL;
	*keyp = key;
	key = NULL;
	rc = 0;
out:
	mc_buf_free(&conf);
	EVP_PKEY_free(key);
	X509_free(cert);
	return rc;
}

static void
print_root(const struct cmd_ctx *ctx, X509 *cert)
{
	char fpr[CA_FPR_LEN], grouped[CA_FPR_GROUPED_LEN], nb[21], na[21];
	char *subject = ca_cert_subject(cert), *nc = ca_cert_constraints_text(cert);
	time_t b = 0, a = 0;

	ca_cert_fingerprint(cert, fpr);
	ca_fpr_grouped(fpr, grouped);
	ca_cert_validity(cert, &b, &a);
	mc_iso8601(b, nb);
	mc_iso8601(a, na);
	printf("created CA '%s' in %s\n", subject ? subject : "?", ctx->home);
	printf("  SHA-256 fingerprint  %s\n", grouped);
	printf("  valid                %s to %s\n", nb, na);
	printf("  name constraints     %s\n", nc && *nc ? nc : "none");
	printf("  root certificate     %s/ca.crt\n", ctx->home);
	printf("  encrypted root key   %s/private/ca.key\n", ctx->home);
	free(subject);
	free(nc);
}

static void
print_next_steps(const struct cmd_ctx *ctx, const char *domain)
{
	printf("\nnext steps:\n"
	    "  1. issue a certificate    minica issue nginx --cn www.%s --deploy\n"
	    "  2. trust it on clients    minica bundle --out ./kit  (an install script per system)\n"
	    "  3. back up %s and the passphrase, in two separate places: the key is\n"
	    "     useless without the passphrase, and neither can be recovered\n", domain, ctx->home);
}

/* Root-only: the one passphrase of today.  Two levels: the root's and
 * the intermediate's, which must differ (the intermediate's is the one
 * that may end up in a file for cron). */
static int
read_passphrases(const struct cmd_ctx *ctx, const struct init_opts *o, struct mc_buf *pass, struct mc_buf *root_pass)
{
	if (cmd_passphrase(ctx, o->no_inter ? "New CA passphrase" : "New intermediate passphrase", 1, pass) < 0)
		return cmd_fail(), -1;
	if (!o->no_inter && cmd_root_passphrase(ctx, "New root passphrase", 1, root_pass) < 0)
		return cmd_fail(), -1;
	if (!o->no_inter && pass->len == root_pass->len && memcmp(pass->p, root_pass->p, pass->len) == 0) {
		cmd_error("the root and the intermediate need different passphrases: the intermediate's "
		    "may be kept in a file for unattended renewal, the root's never; nothing was created");
		return -1;
	}
	return 0;
}

int
cmd_init(struct cmd_ctx *ctx)
{
	struct init_opts o = { .days = 3650 };
	struct poptOption opts[] = {
		{ "domain", 'd', POPT_ARG_ARGV, &o.domains, 0, "a domain the CA may issue for (repeatable)", "DOMAIN" },
		{ "permit-ip", 0, POPT_ARG_ARGV, &o.permit_ip, 0, "an IP range the CA may issue for (repeatable)", "CIDR" },
		{ "name", 0, POPT_ARG_STRING, &o.name_opt, 0, "the CA's name (subject CN and O)", "NAME" },
		{ "days", 0, POPT_ARG_INT, &o.days, 0, "root lifetime in days (default 3650)", "N" },
		{ "no-name-constraints", 0, POPT_ARG_NONE, &o.no_nc, 0, "allow the CA to issue for any name", NULL },
		{ "allow-public-suffix", 0, POPT_ARG_NONE, &o.allow_ps, 0,
		  "accept a public suffix or single-label --domain", NULL },
		{ "no-intermediate", 0, POPT_ARG_NONE, &o.no_inter, 0, "root only: the root signs leaves itself", NULL },
		{ "intermediate-key", 0, POPT_ARG_STRING, &o.inter_key, 0,
		  "the intermediate's key: ec256 (default), ec384, rsa3072, rsa4096", "TYPE" },
		CMD_ROOT_OPTIONS(ctx),
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};
	struct mc_strv domains = { 0 }, ips = { 0 };
	struct mc_buf pass = { 0 }, root_pass = { 0 };
	struct cmd_home_made made = { 0 };
	EVP_PKEY *key = NULL;
	char defname[300];
	int rc = EXIT_ERR;
	X509 *cert = NULL;

	if ((rc = cmd_args(ctx, opts, NULL, 0)) != 0)
		return rc;
	rc = EXIT_USAGE;
	if (o.domains == NULL && !o.no_nc) {
		cmd_usage_error("init", "give at least one --domain (or --no-name-constraints)");
		goto out;
	}
	if (o.days < 1 || o.days > 36500) {
		snprintf(defname, sizeof(defname), "%d", o.days);
		cmd_number_error("init", "--days", defname, 1, 36500);
		goto out;
	}
	if (o.no_nc && o.permit_ip != NULL) {
		cmd_usage_error("init", "--permit-ip makes no sense with --no-name-constraints");
		goto out;
	}
	if (o.no_inter && o.inter_key != NULL) {
		cmd_usage_error("init", "--intermediate-key makes no sense with --no-intermediate");
		goto out;
	}
	rc = EXIT_ERR;
	if (normalize_domains(&o, &domains, &ips) < 0) {
		cmd_fail();
		goto out;
	}
	o.name = o.name_opt;
	if (o.name == NULL) {
		snprintf(defname, sizeof(defname), "%s Private CA", domains.n ? domains.v[0] : "minica");
		o.name = defname;
	}
	if (cmd_resolve_home(ctx) < 0 || cmd_home_refuse_existing(ctx))
		goto out;
	if (read_passphrases(ctx, &o, &pass, &root_pass) < 0)
		goto out;
	if (cmd_home_make(ctx, &made) < 0)
		goto cleanup;
	if (create_ca(ctx, &o, &domains, &ips, o.no_inter ? &pass : &root_pass, &cert, &key) < 0) {
		cmd_fail();
		goto cleanup;
	}
	print_root(ctx, cert);
	if (!o.no_inter && create_intermediate(ctx, &o, key, &pass) < 0)
		goto cleanup;
	print_next_steps(ctx, domains.n ? domains.v[0] : "example.org");
	rc = EXIT_OK;
	goto out;
cleanup:
	cmd_home_remove_partial(ctx, &made);
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	mc_buf_free(&pass);
	mc_buf_free(&root_pass);
	mc_strv_free(&domains);
	mc_strv_free(&ips);
	return rc;
}
