/* minica import: adopt a root CA made by hand (openssl, easy-rsa). */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

struct import_opts {
	char *ca_cert, *ca_key;
	struct cmd_import_certs certs;	/* --cert and --profile, in order */
	char *certs_dir, *easyrsa, *root;
	char *root_dir;		/* --root resolved ("/" for none) */
	int add;		/* --cert/--certs-dir alone: add to the home's CA */
	char *old_pass_file;
	int old_pass_fd;
	/* What is read: --ca-cert/--ca-key, or easy-rsa's defaults. */
	const char *root_path, *key_path;
	char pki_cert[4200], pki_key[4200];
};

static int
record_import(struct store *db, const struct store_ca *rec, void *arg)
{
	struct iss_import_rows *st = arg;

	if (iss_import_rows_record(db, st) < 0)
		return -1;
	return store_audit(db, "import", rec->serial,
	    "subject=%s fingerprint=%s constraints=%s certificates=%zu revoked=%zu deployments=%zu",
	    rec->subject, rec->fingerprint, *rec->constraints ? rec->constraints : "none",
	    st->n, st->revoked, st->ndeps);
}

static int
collect(const struct import_opts *o, struct ca_import_set *set)
{
	for (size_t i = 0; i < o->certs.n; i++)
		if (ca_import_file(set, o->certs.v[i].path) < 0)
			return -1;
	if (o->certs_dir != NULL && ca_import_dir(set, o->certs_dir) < 0)
		return -1;
	if (o->easyrsa != NULL && ca_import_easyrsa(set, o->easyrsa) < 0)
		return -1;
	return 0;
}

/* The root, its key under the old passphrase, and the match. */
static int
load_root(const struct import_opts *o, X509 **root, EVP_PKEY **key)
{
	struct mc_buf pem = { 0 }, old = { 0 };
	int rc = -1, enc;

	if ((*root = ca_cert_load(o->root_path)) == NULL || ca_root_check(*root) < 0)
		goto out;
	if (mc_file_read(o->key_path, 1 << 20, &pem) < 0)
		goto out;
	enc = ca_key_pem_encrypted(pem.p, pem.len);
	if (enc && cmd_passphrase_from(o->old_pass_file, o->old_pass_fd, "MINICA_OLD_PASSPHRASE",
	    "Old CA key passphrase", 0, &old) < 0) {
		mc_preferr("old passphrase");
		goto out;
	}
	if ((*key = ca_key_load_old(o->key_path, enc ? old.p : NULL, old.len)) == NULL)
		goto out;
	if (ca_key_matches_cert(*key, *root) != 1) {
		mc_seterr("'%s' is not the key of '%s'; nothing was imported", o->key_path, o->root_path);
		goto out;
	}
	rc = 0;
out:
	mc_buf_free(&pem);
	mc_buf_free(&old);
	return rc;
}

static void
print_summary(const char *home, X509 *root, const struct iss_import_rows *st, const struct mc_strv *domains, int constrained)
{
	char fpr[CA_FPR_LEN], grouped[CA_FPR_GROUPED_LEN], *subject = ca_cert_subject(root), *list = mc_strv_join(domains, ", ");

	ca_cert_fingerprint(root, fpr);
	printf("imported CA '%s' into %s\n", subject ? subject : "?", home);
	ca_fpr_grouped(fpr, grouped);
	printf("  SHA-256 fingerprint  %s\n", grouped);
	printf("  certificates         %zu (%zu revoked)\n", st->n, st->revoked);
	for (size_t i = 0; i < st->n; i++)
		if (st->has_dep[i])
			printf("  deployed             %s: %s, %s\n", st->deps[i].profile,
			    st->deps[i].cert.path, st->deps[i].key.path);
	printf("  domains              %s%s\n", list && *list ? list : "none",
	    constrained ? " (name constraints)" : " (from the certificates; see minica.conf)");
	printf("  root certificate     %s/ca.crt (the old files are unchanged)\n", home);
	printf("  encrypted key        %s/private/ca.key\n", home);
	free(subject);
	free(list);
}

static int
check_opts(struct import_opts *o)
{
	struct pol_config cfg;
	const char *bad;

	o->root_path = o->ca_cert;
	o->key_path = o->ca_key;
	if (o->easyrsa != NULL && o->ca_cert == NULL) {
		snprintf(o->pki_cert, sizeof(o->pki_cert), "%s/ca.crt", o->easyrsa);
		o->root_path = o->pki_cert;
	}
	if (o->easyrsa != NULL && o->ca_key == NULL) {
		snprintf(o->pki_key, sizeof(o->pki_key), "%s/private/ca.key", o->easyrsa);
		o->key_path = o->pki_key;
	}
	if (o->key_path == NULL && o->easyrsa == NULL && (o->certs.n > 0 || o->certs_dir != NULL))
		o->add = 1;	/* into the CA already in the home */
	else if (o->root_path == NULL || o->key_path == NULL)
		return cmd_usage_error("import", "give --ca-cert FILE and --ca-key FILE (or --easyrsa PKI_DIR)");
	if (o->old_pass_file != NULL && o->old_pass_fd >= 0)
		return cmd_usage_error("import", "give --old-passphrase-file or --old-passphrase-fd, not both");
	if (o->certs.failed || (o->root_dir = dep_root_resolve(o->root ? o->root : "/")) == NULL)
		return cmd_fail();
	if (pol_config_load(NULL, &cfg) < 0)
		return cmd_fail();
	bad = cmd_import_profiles_check(&o->certs, &cfg);
	pol_config_free(&cfg);
	return bad == NULL ? 0 : cmd_usage_error("import", "unknown profile '%s' (see 'minica profiles')", bad);
}

/* import --cert FILE with a CA in the home: what the first import missed.
 * No key is needed: only certificates the root signed are recorded. */
static int
import_add(struct cmd_ctx *ctx, const struct import_opts *o)
{
	struct iss_import_req q = { cmd_import_profile, &o->certs, NULL, o->root_dir };
	struct ca_import_set set = { 0 };
	struct iss_import_rows r = { 0 };
	struct mc_ca *ca = &ctx->ca;
	X509 *given = NULL;
	char *subj = NULL;
	size_t known = 0;
	int rc = EXIT_ERR;

	ctx->flags |= NEEDS_CA | LOCKS_CA;
	if (cmd_setup(ctx) != 0)
		return EXIT_ERR;
	q.cfg = &ca->cfg;
	set.root = ca->root;
	if (o->root_path != NULL && ((given = ca_cert_load(o->root_path)) == NULL ||
	    X509_cmp(given, ca->root) != 0)) {
		if (given != NULL)
			mc_seterr("'%s' is not the root of the CA in '%s'; nothing was imported",
			    o->root_path, ctx->home);
		goto fail;
	}
	if (collect(o, &set) < 0 || iss_import_add(ca, &q, &set, &r, &known) < 0)
		goto fail;
	for (size_t i = 0; i < set.skipped.n; i++)
		cmd_warn("%s", set.skipped.v[i]);
	subj = ca_cert_subject(ca->root);
	printf("added %zu certificate%s (%zu revoked, %zu deployed) to CA '%s'; %zu already recorded\n",
	    r.n, r.n == 1 ? "" : "s", r.revoked, r.ndeps, subj ? subj : "?", known);
	rc = EXIT_OK;
	goto out;
fail:
	cmd_fail();
out:
	free(subj);
	X509_free(given);
	iss_import_rows_free(&r);
	ca_import_set_free(&set);
	return rc;
}

/* Everything that can fail before a file is written. */
static int
prepare(const struct import_opts *o, X509 **root, EVP_PKEY **key, struct iss_import_rows *st,
    struct mc_strv *domains, int *constrained)
{
	struct ca_import_set set = { 0 };
	struct mc_strv names = { 0 }, findings = { 0 };
	struct iss_import_req q = { cmd_import_profile, &o->certs, NULL, o->root_dir };
	struct pol_config cfg = { 0 };
	int rc = -1;

	if (load_root(o, root, key) < 0 || pol_config_load(NULL, &cfg) < 0)
		goto out;
	set.root = *root;
	q.cfg = &cfg;
	if (collect(o, &set) < 0 || iss_import_rows_make(&q, &set, st, &names) < 0 ||
	    ca_cert_permitted_dns(*root, domains) < 0)
		goto out;
	*constrained = domains->n > 0;
	if (!*constrained && pol_domains_from_names(&names, domains) < 0)
		goto out;
	if (ca_root_findings(*root, time(NULL), &findings) < 0)
		goto out;
	for (size_t i = 0; i < set.skipped.n; i++)
		cmd_warn("%s", set.skipped.v[i]);
	for (size_t i = 0; i < findings.n; i++)
		cmd_warn("%s", findings.v[i]);
	if (st->no_san > 0)
		cmd_warn("%zu imported server certificate(s) name the host only in the CN: browsers and "
		    "Apple devices ignore it; 'minica renew --force SERIAL' reissues with a SAN", st->no_san);
	if (st->long_lived > 0)
		cmd_warn("%zu imported server certificate(s) are valid for more than %d days, which Apple "
		    "devices refuse; 'minica renew --force SERIAL' reissues within the limit",
		    st->long_lived, POL_SERVER_MAX_DAYS);
	rc = 0;
out:
	pol_config_free(&cfg);
	ca_import_set_free(&set);
	mc_strv_free(&names);
	mc_strv_free(&findings);
	return rc;
}

int
cmd_import(struct cmd_ctx *ctx)
{
	struct import_opts o = { .old_pass_fd = -1 };
	/* In command-line order, so a --profile goes with the --cert before it. */
	struct poptOption ordered[] = {
		{ NULL, 0, POPT_ARG_CALLBACK, (void *)cmd_import_order_cb, 0, (const char *)&o.certs, NULL },
		{ "cert", 0, POPT_ARG_STRING, NULL, 0, "a certificate the root issued (repeatable)", "FILE" },
		{ "profile", 0, POPT_ARG_STRING, NULL, 0, "profile of the --cert before it; before any "
		  "--cert: of every certificate (default: from its usage)", "PROFILE" },
		POPT_TABLEEND
	};
	struct poptOption opts[] = {
		{ "ca-cert", 0, POPT_ARG_STRING, &o.ca_cert, 0, "the root certificate (cacert.pem)", "FILE" },
		{ "ca-key", 0, POPT_ARG_STRING, &o.ca_key, 0, "the root's private key (cakey.pem)", "FILE" },
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, ordered, 0, NULL, NULL },
		{ "certs-dir", 0, POPT_ARG_STRING, &o.certs_dir, 0, "a folder of issued certificates (*.pem, *.crt)", "DIR" },
		{ "easyrsa", 0, POPT_ARG_STRING, &o.easyrsa, 0, "an easy-rsa pki/ folder (index.txt, issued/)", "PKI_DIR" },
		{ "root", 0, POPT_ARG_STRING, &o.root, 0, "deploy targets are under DIR (default /)", "DIR" },
		{ "old-passphrase-file", 0, POPT_ARG_STRING, &o.old_pass_file, 0, "read the old key's passphrase from FILE", "FILE" },
		{ "old-passphrase-fd", 0, POPT_ARG_INT, &o.old_pass_fd, 0, "read the old key's passphrase from file descriptor N", "N" },
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};
	struct iss_import_rows st = { 0 };
	struct cmd_home_made made = { 0 };
	struct mc_strv domains = { 0 };
	struct mc_buf pass = { 0 }, conf = { 0 };
	struct iss_new_ca n = { .pass = &pass, .conf = &conf, .imported = 1, .record = record_import, .arg = &st };
	EVP_PKEY *key = NULL;
	X509 *root = NULL;
	int rc, constrained = 0;

	if ((rc = cmd_args(ctx, opts, NULL, 0)) != 0) {
		cmd_import_certs_free(&o.certs);
		return rc;
	}
	if ((rc = check_opts(&o)) != 0)
		goto out;
	rc = EXIT_ERR;
	if (o.add) {
		rc = import_add(ctx, &o);
		goto out;
	}
	if (cmd_resolve_home(ctx) < 0 || cmd_home_refuse_existing(ctx))
		goto out;
	if (prepare(&o, &root, &key, &st, &domains, &constrained) < 0 ||
	    pol_config_import_text(&domains, constrained, &conf) < 0 ||
	    cmd_passphrase(ctx, "New CA passphrase", 1, &pass) < 0) {
		cmd_fail();
		goto out;
	}
	if (cmd_home_make(ctx, &made) < 0)
		goto cleanup;
	n.key = key;
	n.cert = root;
	n.home = ctx->home;
	if (iss_new_ca_write(&n) < 0) {
		cmd_fail();
		goto cleanup;
	}
	print_summary(ctx->home, root, &st, &domains, constrained);
	rc = EXIT_OK;
	goto out;
cleanup:
	cmd_home_remove_partial(ctx, &made);
out:
	iss_import_rows_free(&st);
	mc_strv_free(&domains);
	mc_buf_free(&pass);
	mc_buf_free(&conf);
	EVP_PKEY_free(key);
	X509_free(root);
	cmd_import_certs_free(&o.certs);
	free(o.root_dir);
	return rc;
}
