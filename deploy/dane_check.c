/*
 * dane_check.c: what check --dane reports for one DANE deployment: the
 * TLSA records DNS publishes for each of its hosts (DNSSEC-validated by
 * libunbound), compared with the deployed chain and the staged next key
 * and, with a probe endpoint, with what the server serves through
 * OpenSSL's DANE verifier.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy.h"

#define NEXT_KEY_WARN_DAYS 30

static int
note(struct dep_dane_notes *o, enum dep_dane_sev sev, const char *host, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
note(struct dep_dane_notes *o, enum dep_dane_sev sev, const char *host, const char *fmt, ...)
{
	struct dep_dane_note *x;
	va_list ap;
	int n;

	if (o->n == o->cap) {
		size_t ncap = o->cap ? 2 * o->cap : 8;
		struct dep_dane_note *nv = realloc(o->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			mc_seterr("out of memory");
			return -1;
		}
		o->v = nv;
		o->cap = ncap;
	}
	x = &o->v[o->n];
	x->sev = sev;
	if ((x->host = mc_strdup(host)) == NULL)
		return -1;
	va_start(ap, fmt);
	n = vasprintf(&x->text, fmt, ap);
	va_end(ap);
	if (n < 0) {
		free(x->host);
		mc_seterr("out of memory");
		return -1;
	}
	o->n++;
	return 0;
}

void
dep_dane_notes_free(struct dep_dane_notes *o)
{
	for (size_t i = 0; i < o->n; i++) {
		free(o->v[i].host);
		free(o->v[i].text);
	}
	free(o->v);
	memset(o, 0, sizeof(*o));
}

/* The usable records, in DNS order, for matching and the probe. */
static size_t
usable_records(const struct dep_tlsa_answer *a, struct ca_tlsa_rr *out)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n; i++)
		if (dep_tlsa_usable(&a->v[i]))
			out[n++] = a->v[i];
	return n;
}

/* 1 if any usable record matches the chain (mode 0) or the next key
 * (mode 1); -1 on an internal error. */
static int
any_match(const struct dep_dane_check_req *r, const struct ca_tlsa_rr *rr, size_t n, int next)
{
	int m;

	for (size_t i = 0; i < n; i++) {
		m = next ? dep_tlsa_match_key(&rr[i], r->next) :
		    dep_tlsa_match_chain(&rr[i], r->leaf, r->tas, r->ntas);
		if (m != 0)
			return m;
	}
	return 0;
}

static int
probe_host(const struct dep_dane_check_req *r, const char *host, const struct dep_tlsa_answer *a,
    const struct ca_tlsa_rr *rr, size_t n, struct dep_dane_notes *o)
{
	const struct pol_probe *pr = r->probe;
	struct dep_dane_result res;

	if (dep_probe_dane(pr->host, pr->port, pr->starttls, host, rr, n, r->timeout_ms, &res) < 0)
		return note(o, DEP_DANE_CRITICAL, host, "DANE probe of %s: %s", host, mc_err());
	if (!res.verified)
		return note(o, DEP_DANE_CRITICAL, host, "%s:%d serves a chain OpenSSL's DANE verifier rejects "
		    "for %s: %s; DANE senders will not deliver mail", pr->host, pr->port, a->qname, res.why);
	return note(o, DEP_DANE_INFO, host, "%s:%d verified by OpenSSL's DANE verifier against %s "
	    "(record %d %d %d, depth %d)", pr->host, pr->port, a->qname, res.usage, res.selector,
	    res.mtype, res.depth);
}

/* The published records against what is deployed and staged. */
static int
judge_records(const struct dep_dane_check_req *r, const char *host, const struct dep_tlsa_answer *a,
    struct ca_tlsa_rr *rr, size_t n, struct dep_dane_notes *o)
{
	int m;

	if (n == 0)
		return note(o, DEP_DANE_WARNING, host, "none of the %zu TLSA records at %s is usable by "
		    "SMTP clients (RFC 7672: usages 2 and 3 only), so DANE senders treat %s as "
		    "unauthenticated", a->n, a->qname, host);
	if ((m = any_match(r, rr, n, 0)) < 0)
		return -1;
	if (m == 0 && note(o, DEP_DANE_CRITICAL, host, "no TLSA record at %s matches the deployed "
	    "certificate or its chain: DANE senders will not deliver mail to %s; publish the "
	    "records 'minica dane' prints", a->qname, host) < 0)
		return -1;
	if (r->next != NULL && (m = any_match(r, rr, n, 1)) < 0)
		return -1;
	if (r->next == NULL || m != 0 || r->renew_in_days > NEXT_KEY_WARN_DAYS)
		return 0;
	if (r->renew_in_days <= 0)
		return note(o, DEP_DANE_WARNING, host, "the staged next key is not published at %s and "
		    "renewal is due now: publish its 3 1 1 record ('minica dane') first", a->qname);
	return note(o, DEP_DANE_WARNING, host, "the staged next key is not published at %s and "
	    "renewal is due in %d day%s: publish its 3 1 1 record ('minica dane') before then",
	    a->qname, r->renew_in_days, r->renew_in_days == 1 ? "" : "s");
}

static int
check_host(const struct dep_dane_check_req *r, const char *host, struct dep_dane_notes *o)
{
	struct dep_tlsa_answer a;
	struct ca_tlsa_rr *rr = NULL;
	size_t n;
	int rc = -1;

	if (dep_dns_tlsa(r->dns, host, r->port, &a) < 0)
		return note(o, DEP_DANE_UNKNOWN, host, "%s", mc_err());
	if (a.bogus) {
		rc = note(o, DEP_DANE_CRITICAL, host, "DNSSEC validation of %s fails (%s): DANE senders "
		    "defer all mail to %s", a.qname, a.why, host);
		goto out;
	}
	if (a.n == 0) {
		rc = note(o, DEP_DANE_INFO, host, "no TLSA records at %s%s: DANE is not in use for %s",
		    a.qname, a.secure ? " (validated)" : "", host);
		goto out;
	}
	if (!a.secure) {
		rc = note(o, DEP_DANE_WARNING, host, "the TLSA records at %s are not DNSSEC-validated "
		    "(unsigned zone or a broken chain of trust): DANE senders ignore them", a.qname);
		goto out;
	}
	if ((rr = calloc(a.n, sizeof(*rr))) == NULL) {
		mc_seterr("out of memory");
		goto out;
	}
	n = usable_records(&a, rr);
	if (judge_records(r, host, &a, rr, n, o) < 0)
		goto out;
	rc = n > 0 && r->probe != NULL ? probe_host(r, host, &a, rr, n, o) : 0;
out:
	free(rr);
	dep_tlsa_answer_free(&a);
	return rc;
}

int
dep_dane_check(const struct dep_dane_check_req *r, struct dep_dane_notes *out)
{
	struct mc_strv hosts = { 0 };
	int rc = -1;

	if (dep_dane_hosts(r->cn, r->names, &hosts) < 0)
		goto out;
	if (hosts.n == 0 && note(out, DEP_DANE_WARNING, "", "the certificate names no DNS host, "
	    "so no TLSA record can name it") < 0)
		goto out;
	for (size_t i = 0; i < hosts.n; i++)
		if (check_host(r, hosts.v[i], out) < 0)
			goto out;
	rc = 0;
out:
	mc_strv_free(&hosts);
	return rc;
}

/* ---- before renew replaces the key ---- */

/* 1 if the records at a still let DANE senders in after the leaf key
 * changes: a usable DANE-TA record matching the chain, or a DANE-EE
 * record of the staged next key. */
static int
survives_renewal(const struct dep_dane_renew_req *r, const struct dep_tlsa_answer *a)
{
	int m;

	for (size_t i = 0; i < a->n; i++) {
		const struct ca_tlsa_rr *rr = &a->v[i];

		if (!dep_tlsa_usable(rr))
			continue;
		if (rr->usage == CA_TLSA_DANE_TA &&
		    (m = dep_tlsa_match_chain(rr, NULL, r->tas, r->ntas)) != 0)
			return m;
		if (rr->usage == CA_TLSA_DANE_EE && r->next != NULL &&
		    (m = dep_tlsa_match_key(rr, r->next)) != 0)
			return m;
	}
	return 0;
}

int
dep_dane_renew_check(const struct dep_dane_renew_req *r, struct mc_strv *notes)
{
	struct mc_strv hosts = { 0 };
	struct dep_tlsa_answer a;
	struct mc_buf msg = { 0 };
	int rc = -1, refuse = 0, ok;

	if (dep_dane_hosts(r->cn, r->names, &hosts) < 0)
		goto out;
	for (size_t i = 0; i < hosts.n; i++) {
		if (dep_dns_tlsa(r->dns, hosts.v[i], r->port, &a) < 0) {
			/* A DNS outage must not let the certificate expire. */
			if (mc_buf_printf(&msg, "DANE not checked before renewal: %s", mc_err()) < 0 ||
			    mc_strv_push(notes, msg.p) < 0)
				goto out;
			msg.len = 0;
			continue;
		}
		ok = !a.secure || a.bogus || a.n == 0 || survives_renewal(r, &a);
		dep_tlsa_answer_free(&a);
		if (ok < 0)
			goto out;
		if (ok)
			continue;
		refuse = 1;
		if (r->next != NULL)
			mc_seterr("renewing would break DANE for %s: %s holds no 2 1 1 record of the root and "
			    "no record of the staged next key; publish the next key's 3 1 1 record ('minica dane' "
			    "prints it), wait for its TTL, then renew (or renew --force)", hosts.v[i], a.qname);
		else
			mc_seterr("renewing would break DANE for %s: %s publishes only records of the current "
			    "key; run 'minica dane --next', publish the record it prints (or the 2 1 1 record of "
			    "the root), wait for its TTL, then renew (or renew --force)", hosts.v[i], a.qname);
		break;
	}
	rc = refuse;
out:
	mc_buf_free(&msg);
	mc_strv_free(&hosts);
	return rc;
}
