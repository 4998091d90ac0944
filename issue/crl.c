/*
 * A CRL of one CA, signed by that CA: the leaves it signed and revoked,
 * and the CA certificates it signed and revoked (a root's intermediates
 * and cross-certificates).  Which CAs need one, their keys and files:
 * crls.c.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "issue.h"

static const struct {
	const char *name;
	int code;
} reasons[] = {
	{ "unspecified", CRL_REASON_UNSPECIFIED },
	{ "keyCompromise", CRL_REASON_KEY_COMPROMISE },
	{ "affiliationChanged", CRL_REASON_AFFILIATION_CHANGED },
	{ "superseded", CRL_REASON_SUPERSEDED },
	{ "cessationOfOperation", CRL_REASON_CESSATION_OF_OPERATION },
	{ "caCompromise", CRL_REASON_CA_COMPROMISE },
};

int
iss_reason_code(const char *name)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strcmp(reasons[i].name, name) == 0)
			return reasons[i].code;
	return -1;
}

struct revoked_list {
	struct ca_revoked *r;
	char (*serials)[48];
	size_t n, cap;
	int64_t issuer_id;
};

static int
push(struct revoked_list *l, const char *serial, time_t when, const char *reason)
{
	int code;

	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 16;
		struct ca_revoked *nr = realloc(l->r, ncap * sizeof(*nr));
		char (*ns)[48] = realloc(l->serials, ncap * sizeof(*ns));

		if (nr != NULL)
			l->r = nr;
		if (ns != NULL)
			l->serials = ns;
		if (nr == NULL || ns == NULL) {
			mc_seterr("out of memory");
			return -1;
		}
		l->cap = ncap;
	}
	snprintf(l->serials[l->n], sizeof(l->serials[0]), "%s", serial);
	l->r[l->n].when = when;
	code = iss_reason_code(reason ? reason : "unspecified");
	l->r[l->n].reason = code < 0 ? CRL_REASON_UNSPECIFIED : code;
	l->n++;
	return 0;
}

static int
cert_cb(const struct store_cert *c, void *arg)
{
	return push(arg, c->serial, c->revoked_at, c->revocation_reason);
}

static int
ca_cb(const struct store_ca *c, void *arg)
{
	struct revoked_list *l = arg;

	if (strcmp(c->status, "revoked") != 0 || c->parent_id != l->issuer_id)
		return 0;
	return push(l, c->serial, c->revoked_at, c->revocation_reason);
}

/* The files go after the commit: a kill in between leaves an older CRL
 * in place (check says so), never one the store does not know. */
static int
put_files(struct mc_ca *ca, const struct iss_crl_ca *e, X509_CRL *crl, const char *legacy)
{
	struct mc_buf pem = { 0 }, der = { 0 };
	char *dir = iss_home_path(ca->home, ISS_CRL_DIR), *pp = iss_crl_path(ca, e, "pem"), *dp = iss_crl_path(ca, e, "crl");
	int rc = -1;

	if (dir == NULL || pp == NULL || dp == NULL || ca_crl_pem(crl, &pem) < 0 || ca_crl_der(crl, &der) < 0)
		goto out;
	if (mc_mkdir_p(dir, 0755) < 0 || mc_file_replace(pp, 0644, (uid_t)-1, (gid_t)-1, pem.p, pem.len) < 0 ||
	    mc_file_replace(dp, 0644, (uid_t)-1, (gid_t)-1, der.p, der.len) < 0 ||
	    (legacy != NULL && mc_file_replace(legacy, 0644, (uid_t)-1, (gid_t)-1, pem.p, pem.len) < 0))
		goto out;
	rc = 0;
out:
	mc_buf_free(&pem);
	mc_buf_free(&der);
	free(dir);
	free(pp);
	free(dp);
	return rc;
}

int
iss_crl_publish(struct mc_ca *ca, const struct iss_crl_ca *e, EVP_PKEY *key, int days, const char *legacy,
    long *numberp, size_t *count)
{
	struct revoked_list l = { .issuer_id = e->rec.id };
	struct store_cert_filter f = { .status = "revoked", .no_pem = 1, .ca_id = e->rec.id };
	char *file = iss_crl_path(ca, e, "pem");
	X509_CRL *crl = NULL;
	int64_t number;
	int rc = -1;

	if (file == NULL)
		return -1;
	if (legacy != NULL && legacy[0] != '/') {
		mc_seterr("the CRL's path '%s' is not absolute", legacy);
		goto out;
	}
	if (store_begin(ca->db) < 0)
		goto out;
	if (store_cert_each(ca->db, &f, cert_cb, &l) < 0 || store_ca_each(ca->db, ca_cb, &l) < 0 ||
	    (number = store_ca_crl_next(ca->db, e->rec.id)) < 0)
		goto fail;
	for (size_t i = 0; i < l.n; i++)
		l.r[i].serial_hex = l.serials[i];
	/* path= last (it may hold blanks): where check and renew find the
	 * current CA's CRL; file= is the CA's own, derived from its key. */
	if ((crl = ca_crl_build(e->cert, key, l.r, l.n, (long)number, days)) == NULL ||
	    store_audit(ca->db, e->root_level ? "crl-root" : "crl", e->rec.serial,
	    "number=%lld revoked=%zu days=%d ca=%s file=%s%s%s", (long long)number, l.n, days, e->rec.role,
	    file, legacy ? " path=" : "", legacy ? legacy : "") < 0 || store_commit(ca->db) < 0)
		goto fail;
	if (put_files(ca, e, crl, legacy) < 0)
		goto out;
	*numberp = (long)number;
	*count = l.n;
	rc = 0;
	goto out;
fail:
	store_rollback(ca->db);
out:
	X509_CRL_free(crl);
	free(l.r);
	free(l.serials);
	free(file);
	return rc;
}
