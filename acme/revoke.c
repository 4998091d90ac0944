/* revokeCert (RFC 8555 §7.6) and renewal information (RFC 9773). */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "../ca/ca.h"
#include "../policy/policy.h"
#include "internal.h"

#define ARI_RETRY_AFTER (6 * 3600)

/* RFC 5280 CRLReason codes minica's CRL keeps (as 'minica revoke' does). */
static const char *
reason_name(json_int_t code)
{
	switch (code) {
	case 0: return "unspecified";
	case 1: return "keyCompromise";
	case 3: return "affiliationChanged";
	case 4: return "superseded";
	case 5: return "cessationOfOperation";
	default: return NULL;
	}
}

/* §7.6: the account that ordered it, or the certificate's own key. */
static int
may_revoke(struct acme_server *s, struct acme_post *req, X509 *x, const char *serial, struct acme_problem *p)
{
	struct store_acme_order o;
	int found, ok;

	if (req->jws.jwk != NULL) {
		if (EVP_PKEY_eq(X509_get0_pubkey(x), req->key) == 1)
			return 0;
		return acme_problem_set(p, 403, "unauthorized", "the JWS key is not the certificate's key"), -1;
	}
	if ((found = store_acme_order_by_cert(s->db, serial, &o)) < 0)
		return acme_problem_set(p, 500, "serverInternal", "cannot read orders"), -1;
	ok = found == 1 && o.account_id == req->acct.id;
	store_acme_order_free(&o);
	if (!ok)
		return acme_problem_set(p, 403, "unauthorized", "this account did not order the certificate"), -1;
	return 0;
}

static int
find_ours(struct acme_server *s, X509 *x, const unsigned char *der, size_t len, struct store_cert *c,
    struct acme_problem *p)
{
	char serial[CA_SERIAL_LEN];
	unsigned char *ours = NULL;
	int n, found;

	if (ca_cert_serial_hex(x, serial) < 0)
		return acme_problem_set(p, 400, "malformed", "cannot read the certificate's serial"), -1;
	if ((found = store_cert_find(s->db, serial, c)) < 0 && strstr(mc_err(), "ambiguous") == NULL)
		return acme_problem_set(p, 500, "serverInternal", "cannot read certificates"), -1;
	if (found == 1) {
		X509 *stored = ca_cert_from_pem(c->pem, strlen(c->pem));

		n = stored != NULL ? i2d_X509(stored, &ours) : -1;
		X509_free(stored);
		if (n > 0 && (size_t)n == len && memcmp(ours, der, len) == 0) {
			OPENSSL_free(ours);
			return 0;
		}
		OPENSSL_free(ours);
	}
	store_cert_free(c);
	return acme_problem_set(p, 404, "malformed", "this CA did not issue the certificate"), -1;
}

void
acme_revoke(struct acme_server *s, struct acme_post *req, struct acme_resp *r)
{
	const char *b64 = req->payload != NULL ? json_string_value(json_object_get(req->payload, "certificate")) : NULL;
	const json_t *rj = req->payload != NULL ? json_object_get(req->payload, "reason") : NULL;
	const char *reason = rj == NULL ? "unspecified" : json_is_integer(rj) ? reason_name(json_integer_value(rj)) : NULL;
	struct store_cert c = { 0 };
	struct acme_problem p;
	unsigned char *der = NULL;
	const unsigned char *q;
	size_t len;
	X509 *x = NULL;

	if (b64 == NULL || acme_b64url_decode(b64, strlen(b64), &der, &len) < 0 ||
	    (q = der, x = d2i_X509(NULL, &q, (long)len)) == NULL) {
		acme_problem_set(&p, 400, "malformed", "revokeCert needs certificate, base64url DER");
		goto problem;
	}
	if (reason == NULL) {
		acme_problem_set(&p, 400, "badRevocationReason", "reason must be 0, 1, 3, 4 or 5");
		goto problem;
	}
	if (find_ours(s, x, der, len, &c, &p) < 0 || may_revoke(s, req, x, c.serial, &p) < 0)
		goto problem;
	if (strcmp(c.status, "revoked") == 0) {
		acme_problem_set(&p, 400, "alreadyRevoked", "the certificate is already revoked");
		goto problem;
	}
	if (s->cfg.issuer.revoke(s->cfg.issuer.arg, c.serial, reason) < 0) {
		acme_internal_error(r);
		goto out;
	}
	r->status = 200;
	goto out;
problem:
	acme_resp_problem(r, &p);
out:
	ERR_clear_error();
	store_cert_free(&c);
	X509_free(x);
	free(der);
}

static json_t *
iso(time_t t)
{
	char buf[21];

	mc_iso8601(t, buf);
	return json_string(buf);
}

/* RFC 9773 §4.2: a window; in the past for a revoked certificate, so
 * clients renew at once, else over the sixth of the lifetime after the
 * two-thirds point (where 'minica renew' finds it due). */
void
acme_renewal_info(struct acme_server *s, const char *certid, struct acme_resp *r)
{
	struct store_cert c;
	struct acme_problem p;
	time_t start, end, now = time(NULL);
	int found = acme_ari_lookup(s->db, certid, &c);

	if (found != 1) {
		if (found < 0)
			acme_problem_set(&p, 500, "serverInternal", "cannot read the store");
		else
			acme_problem_set(&p, 404, "malformed", "no certificate of this CA has that certID");
		acme_resp_problem(r, &p);
		return;
	}
	if (strcmp(c.status, "revoked") == 0) {
		start = now - 86400;
		end = now - 1;
	} else {
		pol_acme_renewal_window(c.not_before, c.not_after, &start, &end);
	}
	acme_resp_json(r, 200, json_pack("{s:{s:o, s:o}}", "suggestedWindow", "start", iso(start), "end", iso(end)));
	r->retry_after = ARI_RETRY_AFTER;
	store_cert_free(&c);
}
