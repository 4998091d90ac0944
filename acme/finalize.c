/* finalize, certificate download, revokeCert (RFC 8555 §7.4, §7.4.2, §7.6) and ARI (RFC 9773). */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "../ca/ca.h"
#include "internal.h"

/* The order's identifiers, lowercased: names in dns, addresses in ips. */
static int
order_names(const struct store_acme_order *o, struct mc_strv *dns, struct mc_strv *ips)
{
	json_t *ids = json_loads(o->identifiers, 0, NULL);
	size_t i;
	json_t *v;
	int rc = ids != NULL ? 0 : -1;

	json_array_foreach(ids, i, v) {
		const char *type = json_string_value(json_object_get(v, "type"));
		struct mc_strv *out = type != NULL && strcmp(type, "ip") == 0 ? ips : dns;
		char name[256];

		snprintf(name, sizeof(name), "%s", json_string_value(json_object_get(v, "value")));
		for (char *c = name; *c != '\0'; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		if (!mc_strv_has(out, name) && mc_strv_push(out, name) < 0)
			rc = -1;
	}
	json_decref(ids);
	return rc;
}

/* Every name of want in got and every one of got in want. */
static int
same_names(const struct mc_strv *want, const struct mc_strv *got, const char *kind, struct acme_problem *p)
{
	for (size_t i = 0; i < want->n; i++)
		if (!mc_strv_has(got, want->v[i]))
			return acme_problem_set(p, 400, "badCSR", "the CSR does not ask for %s'%.200s'", kind,
			    want->v[i]), -1;
	for (size_t i = 0; i < got->n; i++)
		if (!mc_strv_has(want, got->v[i]))
			return acme_problem_set(p, 400, "badCSR", "the CSR asks for %s'%.200s', which is not in the "
			    "order", kind, got->v[i]), -1;
	return 0;
}

/* §7.4: the CSR must ask for exactly the order's names, no other kinds. */
static int
check_csr(const unsigned char *der, size_t len, const struct store_acme_order *o, struct acme_problem *p)
{
	const unsigned char *q = der;
	X509_REQ *csr = d2i_X509_REQ(NULL, &q, (long)len);
	struct mc_strv want = { 0 }, want_ip = { 0 }, dns = { 0 }, ips = { 0 }, emails = { 0 };
	EVP_PKEY *pub;
	char *cn = NULL;
	int rc = -1;

	if (csr == NULL || q != der + len || (pub = X509_REQ_get0_pubkey(csr)) == NULL ||
	    X509_REQ_verify(csr, pub) != 1) {
		acme_problem_set(p, 400, "badCSR", "the CSR is not DER, or its signature does not verify");
		goto out;
	}
	if (ca_csr_names(csr, &cn, &dns, &ips, &emails) < 0 || order_names(o, &want, &want_ip) < 0) {
		acme_problem_set(p, 400, "badCSR", "cannot read the CSR's names: %.200s", mc_err());
		goto out;
	}
	for (size_t i = 0; i < dns.n; i++)
		for (char *c = dns.v[i]; *c != '\0'; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
	/* iPAddress SANs come as inet_ntop writes them, the order's IPs are
	 * canonical (RFC 8738 §3): equal text is the same address. */
	if (same_names(&want, &dns, "", p) < 0 || same_names(&want_ip, &ips, "the IP address ", p) < 0)
		goto out;
	if (cn != NULL && *cn != '\0' && mc_strv_has(&want_ip, cn)) {
		acme_problem_set(p, 400, "badCSR", "the CSR's CN is the IP address '%.100s': put IP addresses in "
		    "the subjectAltName only", cn);
		goto out;
	}
	if (emails.n > 0 || (cn != NULL && *cn != '\0' && !mc_strv_has(&want, cn))) {
		acme_problem_set(p, 400, "badCSR", "the CSR asks for names outside the order (e-mail or CN)");
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	free(cn);
	mc_strv_free(&want);
	mc_strv_free(&want_ip);
	mc_strv_free(&dns);
	mc_strv_free(&ips);
	mc_strv_free(&emails);
	X509_REQ_free(csr);
	return rc;
}

static int
get_order(struct acme_server *s, struct acme_post *req, int64_t id, struct store_acme_order *o,
    struct acme_resp *r)
{
	struct acme_problem p;
	int found = store_acme_order_get(s->db, id, o);

	if (found < 0)
		return acme_internal_error(r), -1;
	if (found == 0 || o->account_id != req->acct.id) {
		store_acme_order_free(o);
		acme_problem_set(&p, 404, "malformed", "no such order for this account");
		return acme_resp_problem(r, &p), -1;
	}
	return 0;
}

/* Signs through the issuer and records the serial on the order. */
static int
issue(struct acme_server *s, struct acme_post *req, struct store_acme_order *o, const unsigned char *der,
    size_t len, struct acme_problem *p)
{
	char serial[48] = "", *err;
	int rc;

	(void)req;
	if (store_acme_order_set(s->db, o->id, "processing", NULL, NULL) < 0)
		return acme_problem_set(p, 500, "serverInternal", "cannot update the order"), -1;
	rc = s->cfg.issuer.issue(s->cfg.issuer.arg, der, len, o->id, serial);
	if (rc == -2) {
		/* The server's trouble (CA busy, disk): the client may finalize again. */
		store_acme_order_set(s->db, o->id, "ready", NULL, NULL);
		return acme_problem_set(p, 500, "serverInternal", "cannot issue now: %.200s", mc_err()), -1;
	}
	if (rc < 0) {
		json_t *pj;

		acme_problem_set(p, 400, "badCSR", "%.250s", mc_err());
		pj = json_pack("{s:s, s:s, s:i}", "type", "urn:ietf:params:acme:error:badCSR", "detail", p->detail,
		    "status", 400);
		err = json_dumps(pj, JSON_COMPACT);
		json_decref(pj);
		store_acme_order_set(s->db, o->id, "invalid", NULL, err);
		free(err);
		return -1;
	}
	snprintf(o->status, sizeof(o->status), "valid");
	snprintf(o->cert_serial, sizeof(o->cert_serial), "%s", serial);
	return 0;
}

void
acme_finalize(struct acme_server *s, struct acme_post *req, int64_t id, struct acme_resp *r)
{
	struct store_acme_order o;
	struct acme_problem p;
	const char *csr64 = req->payload != NULL ? json_string_value(json_object_get(req->payload, "csr")) : NULL;
	unsigned char *der = NULL;
	const char *next;
	size_t len;

	if (get_order(s, req, id, &o, r) < 0)
		return;
	/* A pending order whose authorizations are all valid goes to
	 * processing in one commit (issue()), not through a commit of ready
	 * first; where it is not issued, its new status is recorded as
	 * refresh would. */
	if (acme_order_next(s, &o, &next) < 0) {
		acme_internal_error(r);
		goto out;
	}
	if (next != NULL)
		snprintf(o.status, sizeof(o.status), "%s", next);
	if (strcmp(o.status, "ready") != 0) {
		acme_problem_set(&p, 403, "orderNotReady", "the order is %s, not ready", o.status);
		goto record;
	}
	if (csr64 == NULL || acme_b64url_decode(csr64, strlen(csr64), &der, &len) < 0) {
		acme_problem_set(&p, 400, "malformed", "finalize needs csr, base64url DER");
		goto record;
	}
	if (check_csr(der, len, &o, &p) < 0)
		goto record;
	if (issue(s, req, &o, der, len, &p) < 0)
		goto problem;
	acme_order(s, req, id, r);
	goto out;
record:
	if (next != NULL && store_acme_order_set(s->db, o.id, next, NULL, NULL) < 0) {
		acme_internal_error(r);
		goto out;
	}
problem:
	acme_resp_problem(r, &p);
out:
	free(der);
	store_acme_order_free(&o);
}

void
acme_certificate(struct acme_server *s, struct acme_post *req, int64_t id, struct acme_resp *r)
{
	struct store_acme_order o;
	struct store_cert c = { 0 };
	struct acme_problem p;
	int found;

	if (get_order(s, req, id, &o, r) < 0)
		return;
	if (o.cert_serial[0] == '\0') {
		acme_problem_set(&p, 404, "malformed", "the order has no certificate yet");
		acme_resp_problem(r, &p);
	} else if ((found = store_cert_find(s->db, o.cert_serial, &c)) <= 0) {
		acme_internal_error(r);
	} else if (asprintf(&r->text, "%s%s", c.pem, s->cfg.chain_pem != NULL ? s->cfg.chain_pem : "") < 0) {
		r->text = NULL;
		acme_internal_error(r);
	} else {
		r->status = 200;
		r->ctype = "application/pem-certificate-chain";
	}
	store_cert_free(&c);
	store_acme_order_free(&o);
}
