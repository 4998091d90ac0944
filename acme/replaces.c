/*
 * RFC 9773 §5: an order that replaces a certificate.  newOrder's
 * replaces names a certificate of this CA, issued to the same account,
 * sharing a name with the order, and not already replaced by another
 * order that is not invalid (409 alreadyReplaced).  When the order's
 * certificate is recorded, the one it replaces is marked superseded by
 * it, in the same transaction, as 'minica renew' does; 'minica check'
 * then stops watching the old one.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "internal.h"
#include "../ca/ca.h"

int
acme_ari_lookup(struct store *db, const char *certid, struct store_cert *c)
{
	char serial[48], *id = NULL;
	unsigned char *der = NULL;
	X509 *x = NULL;
	int n, found;

	memset(c, 0, sizeof(*c));
	if (acme_ari_serial(certid, serial) < 0)
		return 0;
	if ((found = store_cert_find(db, serial, c)) != 1)
		return found;
	found = strcmp(c->serial, serial) == 0 && (x = ca_cert_from_pem(c->pem, strlen(c->pem))) != NULL &&
	    (n = i2d_X509(x, &der)) > 0 && (id = acme_ari_cert_id(der, (size_t)n)) != NULL &&
	    strcmp(id, certid) == 0;
	ERR_clear_error();
	free(id);
	OPENSSL_free(der);
	X509_free(x);
	if (!found)
		store_cert_free(c);
	return found;
}

/* Whether one of the order's identifiers is among the certificate's names. */
static int
shares_name(const struct store_cert *c, const json_t *ids)
{
	size_t i;
	const json_t *v;

	json_array_foreach(ids, i, v) {
		const char *value = json_string_value(json_object_get(v, "value"));

		for (size_t k = 0; value != NULL && k < c->sans.n; k++)
			if (strcasecmp(c->sans.v[k], value) == 0)
				return 1;
	}
	return 0;
}

int
acme_replaces_check(struct acme_server *s, int64_t account_id, const char *certid, const json_t *ids,
    struct acme_problem *p)
{
	struct store_cert c;
	struct store_acme_order o;
	int found = acme_ari_lookup(s->db, certid, &c), rc = -1;

	if (found < 0)
		return acme_problem_set(p, 500, "serverInternal", "cannot read the store"), -1;
	if (found == 0)
		return acme_problem_set(p, 400, "malformed", "replaces: no certificate of this CA has that certID"), -1;
	if ((found = store_acme_order_by_cert(s->db, c.serial, &o)) < 0) {
		acme_problem_set(p, 500, "serverInternal", "cannot read the store");
		goto out;
	}
	if (found == 0 || o.account_id != account_id) {
		acme_problem_set(p, 403, "unauthorized", "replaces: that certificate was not issued to this account");
		goto out;
	}
	if (!shares_name(&c, ids)) {
		acme_problem_set(p, 400, "malformed", "replaces: the order shares no name with that certificate");
		goto out;
	}
	if ((found = store_acme_order_replacing(s->db, certid)) != 0) {
		if (found < 0)
			acme_problem_set(p, 500, "serverInternal", "cannot read the store");
		else
			acme_problem_set(p, 409, "alreadyReplaced", "another order already replaces that certificate");
		goto out;
	}
	rc = 0;
out:
	store_acme_order_free(&o);
	store_cert_free(&c);
	return rc;
}

int
acme_order_link_cert(struct store *db, int64_t order_id, const struct store_cert *rec)
{
	struct store_acme_order o;
	struct store_cert old;
	int found, rc = -1;

	if (store_acme_order_set(db, order_id, "valid", rec->serial, NULL) < 0)
		return -1;
	if ((found = store_acme_order_get(db, order_id, &o)) <= 0) {
		if (found == 0)
			mc_seterr("ACME order %lld is gone", (long long)order_id);
		return -1;
	}
	/* 'minica log' shows which account the certificate went to. */
	if (store_audit(db, "acme-valid", rec->serial, "account=%lld order=%lld", (long long)o.account_id,
	    (long long)order_id) < 0)
		goto out;
	if (o.replaces == NULL) {
		rc = 0;
		goto out;
	}
	if ((found = acme_ari_lookup(db, o.replaces, &old)) < 0)
		goto out;
	rc = 0;
	/* Renewed or replaced meanwhile (by 'minica renew', say): left as it is. */
	if (found == 1 && strcmp(old.status, "valid") == 0)
		rc = store_cert_supersede(db, old.id, rec->id);
	else if (found == 1 && strcmp(old.status, "revoked") == 0 && old.superseded_by == 0)
		rc = store_cert_replace_revoked(db, old.id, rec->id);
	if (found == 1)
		store_cert_free(&old);
out:
	store_acme_order_free(&o);
	return rc;
}
