/*
 * CRLs, one per signing CA: the issuing CA's lists the leaves it signed
 * and revoked; the root's lists the intermediates it revoked (and, in a
 * home that started root-only, the leaves the root signed itself).
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
	int64_t root_id;
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

	if (strcmp(c->status, "revoked") != 0 || c->parent_id != l->root_id)
		return 0;
	return push(l, c->serial, c->revoked_at, c->revocation_reason);
}

int
iss_crl_make(struct mc_ca *ca, int root, int days, const char *path, struct mc_buf *pem, long *numberp,
    size_t *count)
{
	struct revoked_list l = { .root_id = ca->root_rec.id };
	int64_t id = root ? ca->root_rec.id : ca->rec.id, number;
	struct store_cert_filter f = { .status = "revoked", .no_pem = 1, .ca_id = id };
	X509 *issuer = root ? ca->root : ca->cert;
	EVP_PKEY *key = root ? ca->root_key : ca->key;
	X509_CRL *crl = NULL;
	int rc = -1;

	if (key == NULL) {
		mc_seterr("the %s key is not unlocked", root ? "root" : "issuing");
		return -1;
	}
	if (store_begin(ca->db) < 0)
		return -1;
	if (store_cert_each(ca->db, &f, cert_cb, &l) < 0 || (root && store_ca_each(ca->db, ca_cb, &l) < 0) ||
	    (number = store_ca_crl_next(ca->db, id)) < 0)
		goto fail;
	for (size_t i = 0; i < l.n; i++)
		l.r[i].serial_hex = l.serials[i];
	if ((crl = ca_crl_build(issuer, key, l.r, l.n, (long)number, days)) == NULL || ca_crl_pem(crl, pem) < 0 ||
	    store_audit(ca->db, root ? "crl-root" : "crl", NULL, "number=%lld revoked=%zu days=%d path=%s",
	    (long long)number, l.n, days, path) < 0 || store_commit(ca->db) < 0)
		goto fail;
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
	return rc;
}
