/*
 * Store rows for certificates a root issued before minica, shaped like
 * the ones the issuing pipeline writes (profile, CN, names in SAN order
 * with the CN first) so list, check and renew treat them alike.
 */
#include <stdlib.h>
#include <string.h>

#include "issue.h"

static int
push_new(struct mc_strv *sv, const char *s)
{
	return mc_strv_has(sv, s) ? 0 : mc_strv_push(sv, s);
}

/* Hostnames as the pipeline normalises them; one it would refuse is kept
 * as written, so renew names the problem instead of dropping the name. */
static int
push_dns(struct mc_strv *sans, const char *raw)
{
	char *n = pol_hostname_normalize(raw, strlen(raw), 1);
	int rc = push_new(sans, n ? n : raw);

	mc_clearerr();
	free(n);
	return rc;
}

static int
push_cn(struct mc_strv *sans, const char *cn)
{
	char *n;
	int rc = 0;

	if (strchr(cn, '@') != NULL) {
		if ((n = pol_email_normalize(cn, strlen(cn))) != NULL)
			rc = push_new(sans, n);
	} else if (strchr(cn, ' ') == NULL && strchr(cn, '.') != NULL &&
	    (n = pol_hostname_normalize(cn, strlen(cn), 1)) != NULL) {
		rc = push_new(sans, n);
	} else {
		n = NULL;	/* a person's or service's plain name: CN only */
	}
	mc_clearerr();
	free(n);
	return rc;
}

static int
fill_names(X509 *x, struct store_cert *r)
{
	struct mc_strv dns = { 0 }, ips = { 0 }, emails = { 0 };
	char *cn = NULL;
	int rc = -1;

	if (ca_cert_names(x, &cn, &dns, &ips, &emails) < 0)
		goto out;
	if ((r->cn = mc_strdup(cn ? cn : "")) == NULL || (cn != NULL && push_cn(&r->sans, cn) < 0))
		goto out;
	for (size_t i = 0; i < dns.n; i++)
		if (push_dns(&r->sans, dns.v[i]) < 0)
			goto out;
	for (size_t i = 0; i < ips.n; i++)
		if (push_new(&r->sans, ips.v[i]) < 0)
			goto out;
	for (size_t i = 0; i < emails.n; i++)
		if (push_new(&r->sans, emails.v[i]) < 0)
			goto out;
	rc = 0;
out:
	free(cn);
	mc_strv_free(&dns);
	mc_strv_free(&ips);
	mc_strv_free(&emails);
	return rc;
}

static void
key_type_of(X509 *x, char *out, size_t len)
{
	EVP_PKEY *pub = X509_get0_pubkey(x);
	const char *kt = pub ? ca_key_type_name(pub) : NULL;

	if (kt != NULL)
		snprintf(out, len, "%s", kt);
	else if (pub != NULL && EVP_PKEY_is_a(pub, "RSA"))
		snprintf(out, len, "rsa%d", EVP_PKEY_get_bits(pub));
	else
		snprintf(out, len, "other");
}

int
iss_import_row(const struct ca_imported *e, const char *profile, struct store_cert *r)
{
	struct mc_buf pem = { 0 };
	char *subj = NULL;

	memset(r, 0, sizeof(*r));
	if (profile == NULL && (profile = ca_cert_role(e->cert)) == NULL) {
		subj = ca_cert_subject(e->cert);
		mc_seterr("'%s': certificate '%s' (serial %s) is for neither TLS servers nor clients "
		    "(see its extendedKeyUsage); give --profile", e->source, subj ? subj : "?", e->serial);
		goto fail;
	}
	if ((r->profile = mc_strdup(profile)) == NULL || (r->subject = ca_cert_subject(e->cert)) == NULL ||
	    fill_names(e->cert, r) < 0 || ca_cert_pem(e->cert, &pem) < 0 ||
	    ca_cert_validity(e->cert, &r->not_before, &r->not_after) < 0)
		goto fail;
	r->pem = pem.p;
	pem.p = NULL;
	memcpy(r->serial, e->serial, sizeof(e->serial));
	memcpy(r->fingerprint, e->fingerprint, sizeof(e->fingerprint));
	key_type_of(e->cert, r->key_type, sizeof(r->key_type));
	snprintf(r->status, sizeof(r->status), "%s", e->revoked ? "revoked" : "valid");
	r->revoked_at = e->revoked ? e->revoked_at : 0;
	if (e->revoked && (r->revocation_reason = mc_strdup(e->reason ? e->reason : "unspecified")) == NULL)
		goto fail;
	r->imported = 1;
	r->created_at = time(NULL);
	return 0;
fail:
	free(subj);
	mc_buf_free(&pem);
	store_cert_free(r);
	return -1;
}
