/* minica import: adopt a root CA made by hand (openssl, easy-rsa). */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

struct import_opts {
	char *ca_cert, *ca_key;
	const char **certs;
	char *certs_dir, *easyrsa, *profile;
	char *old_pass_file;
	int old_pass_fd;
	/* What is read: --ca-cert/--ca-key, or easy-rsa's defaults. */
	const char *root_path, *key_path;
	char pki_cert[4200], pki_key[4200];
};

/* What the import writes inside the CA row's transaction. */
struct import_state {
	struct store_cert *rows;
	size_t n, revoked;
	size_t long_lived, no_san;	/* valid server certificates clients may refuse */
};

static int
record_import(struct store *db, const struct store_ca *rec, void *arg)
{
	struct import_state *st = arg;

	for (size_t i = 0; i < st->n; i++)
		if (store_cert_insert(db, &st->rows[i]) < 0)
			return -1;
	return store_audit(db, "import", rec->serial,
	    "subject=%s fingerprint=%s constraints=%s certificates=%zu revoked=%zu",
	    rec->subject, rec->fingerprint, *rec->constraints ? rec->constraints : "none",
	    st->n, st->revoked);
}

static void
rows_free(struct import_state *st)
{
	for (size_t i = 0; i < st->n; i++)
		store_cert_free(&st->rows[i]);
	free(st->rows);
	st->rows = NULL;
	st->n = 0;
}

static int
collect(const struct import_opts *o, struct ca_import_set *set)
{
	for (size_t i = 0; o->certs && o->certs[i]; i++)
		if (ca_import_file(set, o->certs[i]) < 0)
			return -1;
	if (o->certs_dir != NULL && ca_import_dir(set, o->certs_dir) < 0)
		return -1;
	if (o->easyrsa != NULL && ca_import_easyrsa(set, o->easyrsa) < 0)
		return -1;
	return 0;
}

static int
make_rows(const struct import_opts *o, const struct ca_import_set *set, struct import_state *st,
    struct mc_strv *names)
{
	if (set->n > 0 && (st->rows = calloc(set->n, sizeof(*st->rows))) == NULL) {
		mc_seterr("out of memory");
		return -1;
	}
	for (size_t i = 0; i < set->n; i++) {
		if (iss_import_row(&set->v[i], o->profile, &st->rows[st->n]) < 0)
			return -1;
		st->n++;
		st->revoked += set->v[i].revoked != 0;
		if (!set->v[i].revoked && strcmp(st->rows[i].profile, "server") == 0) {
			st->long_lived += st->rows[i].not_after - st->rows[i].not_before >
			    (time_t)POL_SERVER_MAX_DAYS * 86400;
			st->no_san += X509_get_ext_by_NID(set->v[i].cert, NID_subject_alt_name, -1) < 0;
		}
		for (size_t k = 0; k < st->rows[i].sans.n; k++)
			if (!mc_strv_has(names, st->rows[i].sans.v[k]) && mc_strv_push(names, st->rows[i].sans.v[k]) < 0)
				return -1;
	}
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
	if (ca_file_read(o->key_path, 1 << 20, &pem) < 0)
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
print_summary(X509 *root, const struct import_state *st, const struct mc_strv *domains, int constrained)
{
	char fpr[CA_FPR_LEN], *subject = ca_cert_subject(root), *list = mc_strv_join(domains, ", ");

	ca_cert_fingerprint(root, fpr);
	printf("imported CA '%s' into %s\n", subject ? subject : "?", g.home);
	printf("  SHA-256 fingerprint  %s\n", fpr);
	printf("  certificates         %zu (%zu revoked)\n", st->n, st->revoked);
	printf("  domains              %s%s\n", list && *list ? list : "none",
	    constrained ? " (name constraints)" : " (from the certificates; see minica.conf)");
	printf("  root certificate     %s/ca.crt (the old files are unchanged)\n", g.home);
	printf("  encrypted key        %s/private/ca.key\n", g.home);
	free(subject);
	free(list);
}

static int
check_opts(struct import_opts *o)
{
	struct pol_config cfg;
	int ok;

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
	if (o->root_path == NULL || o->key_path == NULL)
		return cmd_usage_error("import", "give --ca-cert FILE and --ca-key FILE (or --easyrsa PKI_DIR)");
	if (o->old_pass_file != NULL && o->old_pass_fd >= 0)
		return cmd_usage_error("import", "give --old-passphrase-file or --old-passphrase-fd, not both");
	if (o->profile == NULL)
		return 0;
	if (pol_config_load(NULL, &cfg) < 0)
		return cmd_fail();
	ok = pol_profile_find(&cfg, o->profile) != NULL;
	pol_config_free(&cfg);
	return ok ? 0 : cmd_usage_error("import", "unknown profile '%s' (see 'minica profiles')", o->profile);
}

/* Everything that can fail before a file is written. */
static int
prepare(const struct import_opts *o, X509 **root, EVP_PKEY **key, struct import_state *st,
    struct mc_strv *domains, int *constrained)
{
	struct ca_import_set set = { 0 };
	struct mc_strv names = { 0 }, findings = { 0 };
	int rc = -1;

	if (load_root(o, root, key) < 0)
		goto out;
	set.root = *root;
	if (collect(o, &set) < 0 || make_rows(o, &set, st, &names) < 0 ||
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
	ca_import_set_free(&set);
	mc_strv_free(&names);
	mc_strv_free(&findings);
	return rc;
}

int
cmd_import(int argc, const char **argv)
{
	struct import_opts o = { .old_pass_fd = -1 };
	struct poptOption opts[] = {
		{ "ca-cert", 0, POPT_ARG_STRING, &o.ca_cert, 0, "the root certificate (cacert.pem)", "FILE" },
		{ "ca-key", 0, POPT_ARG_STRING, &o.ca_key, 0, "the root's private key (cakey.pem)", "FILE" },
		{ "cert", 0, POPT_ARG_ARGV, &o.certs, 0, "a certificate the root issued (repeatable)", "FILE" },
		{ "certs-dir", 0, POPT_ARG_STRING, &o.certs_dir, 0, "a folder of issued certificates (*.pem, *.crt)", "DIR" },
		{ "easyrsa", 0, POPT_ARG_STRING, &o.easyrsa, 0, "an easy-rsa pki/ folder (index.txt, issued/)", "PKI_DIR" },
		{ "profile", 0, POPT_ARG_STRING, &o.profile, 0, "profile for every imported certificate (default: from its usage)", "PROFILE" },
		{ "old-passphrase-file", 0, POPT_ARG_STRING, &o.old_pass_file, 0, "read the old key's passphrase from FILE", "FILE" },
		{ "old-passphrase-fd", 0, POPT_ARG_INT, &o.old_pass_fd, 0, "read the old key's passphrase from file descriptor N", "N" },
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, cmd_common_options, 0, "Common options:", NULL },
		POPT_AUTOHELP
		POPT_TABLEEND
	};
	struct import_state st = { 0 };
	struct cmd_home_made made = { 0 };
	struct mc_strv domains = { 0 };
	struct mc_buf pass = { 0 }, conf = { 0 };
	struct iss_new_ca n = { .pass = &pass, .conf = &conf, .imported = 1, .record = record_import, .arg = &st };
	poptContext ctx = NULL;
	EVP_PKEY *key = NULL;
	X509 *root = NULL;
	int rc, constrained = 0;

	if ((rc = cmd_parse(&ctx, argc, argv, opts, NULL)) != 0)
		return rc;
	if (poptPeekArg(ctx) != NULL) {
		rc = cmd_usage_error("import", "unexpected argument '%s'", poptPeekArg(ctx));
		goto out;
	}
	if ((rc = check_opts(&o)) != 0)
		goto out;
	rc = EXIT_ERR;
	if (cmd_resolve_home() < 0 || cmd_home_refuse_existing())
		goto out;
	if (prepare(&o, &root, &key, &st, &domains, &constrained) < 0 ||
	    pol_config_import_text(&domains, constrained, &conf) < 0 ||
	    cmd_passphrase("New CA passphrase", 1, &pass) < 0) {
		cmd_fail();
		goto out;
	}
	if (cmd_home_make(&made) < 0)
		goto cleanup;
	n.key = key;
	n.cert = root;
	n.home = g.home;
	if (iss_new_ca_write(&n) < 0) {
		cmd_fail();
		goto cleanup;
	}
	print_summary(root, &st, &domains, constrained);
	rc = EXIT_OK;
	goto out;
cleanup:
	cmd_home_remove_partial(&made);
out:
	rows_free(&st);
	mc_strv_free(&domains);
	mc_buf_free(&pass);
	mc_buf_free(&conf);
	EVP_PKEY_free(key);
	X509_free(root);
	cmd_parse_done(ctx, opts);
	return rc;
}
