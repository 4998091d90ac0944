/*
 * The issuing pipeline: plan (policy) -> sign (ca) -> record (store) ->
 * files.  Shared by issue, renew and batch so they cannot drift apart.
 */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509v3.h>

#include "issue.h"

static int
add_name(struct iss_plan *p, struct mc_strv *kind, const char *name)
{
	if (mc_strv_has(&p->names, name))
		return 0;
	if (mc_strv_push(kind, name) < 0 || mc_strv_push(&p->names, name) < 0)
		return -1;
	return 0;
}

static int
add_dns(struct iss_plan *p, const char *raw, const struct pol_scope *scope)
{
	char *n = pol_hostname_normalize(raw, strlen(raw), p->prof->server);
	int rc = -1;

	if (n == NULL)
		return -1;
	if (pol_scope_check(scope, n, n) == 0)
		rc = add_name(p, &p->dns, n);
	free(n);
	return rc;
}

static int
add_email(struct iss_plan *p, const char *raw, const struct pol_scope *scope)
{
	char *n = pol_email_normalize(raw, strlen(raw));
	int rc = -1;

	if (n == NULL)
		return -1;
	if (pol_scope_check(scope, strchr(n, '@') + 1, n) == 0)
		rc = add_name(p, &p->emails, n);
	free(n);
	return rc;
}

static int
add_ip(struct iss_plan *p, const char *raw, X509 *root)
{
	unsigned char bin[16];
	char canon[64];
	size_t len;

	if (pol_ip_parse(raw, bin, &len, canon) < 0)
		return -1;
	if (ca_cert_ip_check(root, bin, len, canon) < 0)
		return -1;
	return add_name(p, &p->ips, canon);
}

/* The CN: a hostname, or for profiles that allow it an e-mail address
 * or a person's plain name (which gets no SAN). */
static int
plan_cn(struct iss_plan *p, const char *cn, const struct pol_scope *scope)
{
	size_t before = p->names.n;

	if (p->prof->email_cn && strchr(cn, '@') != NULL) {
		if (add_email(p, cn, scope) < 0)
			return -1;
	} else if (p->prof->email_cn && (strchr(cn, ' ') != NULL || strchr(cn, '.') == NULL)) {
		if (pol_cn_text_check(cn) < 0)
			return -1;
		return (p->cn = mc_strdup(cn)) ? 0 : -1;
	} else if (add_dns(p, cn, scope) < 0) {
		return -1;
	}
	/* RFC 5280 ub-common-name: a longer name lives only in the SAN. */
	if (p->names.n > before && strlen(p->names.v[before]) <= POL_CN_MAX)
		p->cn = mc_strdup(p->names.v[before]);
	return 0;
}

static int
plan_from_csr(struct iss_plan *p, const struct iss_req *req, const struct pol_scope *scope, X509 *root)
{
	struct mc_strv dns = { 0 }, ips = { 0 }, emails = { 0 };
	X509_REQ *csr = req->csr_mem != NULL ? ca_csr_from_mem(req->csr_mem, req->csr_memlen) :
	    ca_csr_load(req->csr_path);
	char *cn = NULL;
	int rc = -1;

	if (csr == NULL)
		return -1;
	if ((p->csr_key = X509_REQ_get_pubkey(csr)) == NULL) {
		mc_seterr_ssl("cannot read the public key of '%s'", req->csr_path);
		goto out;
	}
	/* With --cn the CSR gives only its key; its names are ignored. */
	if (req->cn != NULL) {
		rc = 0;
		goto out;
	}
	if (ca_csr_names(csr, &cn, &dns, &ips, &emails) < 0)
		goto out;
	if (cn != NULL && plan_cn(p, cn, scope) < 0)
		goto out;
	for (size_t i = 0; i < dns.n; i++)
		if (add_dns(p, dns.v[i], scope) < 0)
			goto out;
	for (size_t i = 0; i < ips.n; i++)
		if (add_ip(p, ips.v[i], root) < 0)
			goto out;
	for (size_t i = 0; i < emails.n; i++)
		if (add_email(p, emails.v[i], scope) < 0)
			goto out;
	rc = 0;
out:
	if (rc < 0)
		mc_preferr("CSR '%s'", req->csr_path);
	free(cn);
	mc_strv_free(&dns);
	mc_strv_free(&ips);
	mc_strv_free(&emails);
	X509_REQ_free(csr);
	return rc;
}

static int
plan_key_type(struct iss_plan *p, const struct iss_req *req)
{
	const char *kt = req->key_type ? req->key_type : p->prof->key_type;

	if (p->csr_key != NULL) {
		kt = ca_key_type_name(p->csr_key);
		if (kt == NULL) {
			mc_seterr("the CSR's key is not one of " CA_KEY_TYPES_TEXT);
			return -1;
		}
	} else if (!pol_key_type_valid(kt)) {
		mc_seterr("unknown key type '%s' (use rsa2048, rsa3072, rsa4096, ec256 or ec384)", kt);
		return -1;
	}
	snprintf(p->key_type, sizeof(p->key_type), "%s", kt);
	return 0;
}

int
iss_plan_make(struct mc_ca *ca, const struct iss_req *req, struct iss_plan *p)
{
	struct mc_strv permitted = { 0 };
	struct pol_scope scope;
	int rc = -1;

	memset(p, 0, sizeof(*p));
	if ((p->prof = pol_profile_find(&ca->cfg, req->profile)) == NULL)
		return -1;	/* pol's message: the known ones, a near one */
	if (req->cn == NULL && req->csr_path == NULL) {
		mc_seterr("give --cn NAME (or --csr FILE)");
		return -1;
	}
	if (ca_cert_permitted_dns(ca->cert, &permitted) < 0)
		goto out;
	pol_scope_init(&scope, &ca->cfg, &permitted, ca->rec.imported, req->any_domain);
	if (req->csr_path != NULL && plan_from_csr(p, req, &scope, ca->cert) < 0)
		goto out;
	if (req->cn != NULL && plan_cn(p, req->cn, &scope) < 0)
		goto out;
	for (size_t i = 0; req->sans && req->sans[i]; i++)
		if ((strchr(req->sans[i], '@') && p->prof->email_cn ? add_email(p, req->sans[i], &scope)
		    : add_dns(p, req->sans[i], &scope)) < 0)
			goto out;
	for (size_t i = 0; req->ips && req->ips[i]; i++)
		if (add_ip(p, req->ips[i], ca->cert) < 0)
			goto out;
	if (p->cn == NULL && p->names.n == 0) {
		mc_seterr("no name to issue for");
		goto out;
	}
	if (plan_key_type(p, req) < 0)
		goto out;
	if (ca->two_level) {
		/* An intermediate near its end shortens leaves (check has
		 * warned for 90 days) instead of stopping cron's renewals. */
		int clamped;

		if (pol_lifetime_clamped(p->prof, req->days, time(NULL), ca->rec.not_after, &p->days, &clamped) < 0)
			goto out;
		if (clamped)
			iss_warn(ca, "lifetime cut to %d days: the issuing intermediate expires then; "
			    "replace it with 'minica intermediate rotate'", p->days);
	} else if (pol_lifetime(p->prof, req->days, time(NULL), ca->rec.not_after, &p->days) < 0) {
		goto out;
	}
	rc = 0;
out:
	mc_strv_free(&permitted);
	if (rc < 0)
		iss_plan_free(p);
	return rc;
}

void
iss_plan_free(struct iss_plan *p)
{
	free(p->cn);
	mc_strv_free(&p->dns);
	mc_strv_free(&p->ips);
	mc_strv_free(&p->emails);
	mc_strv_free(&p->names);
	EVP_PKEY_free(p->csr_key);
	EVP_PKEY_free(p->key);
	memset(p, 0, sizeof(*p));
}

int
iss_find_current(struct mc_ca *ca, const struct iss_plan *p, time_t now, struct store_cert *out)
{
	int found = store_cert_find_current(ca->db, p->prof->name, p->cn, &p->names, out);

	if (found <= 0)
		return found;
	if (pol_cert_due(out->not_before, out->not_after, now, POL_RENEW_DAYS_DEFAULT)) {
		store_cert_free(out);
		return 0;
	}
	return 1;
}

static const char *
purpose_of(const struct pol_profile *prof)
{
	if (prof->server)
		return "sslserver";
	return mc_strv_has(&prof->eku, "clientAuth") ? "sslclient" : NULL;
}

static int
fill_record(const struct mc_ca *ca, const struct iss_plan *p, struct iss_issued *is)
{
	struct store_cert *r = &is->rec;
	struct mc_buf pem = { 0 };

	(void)ca;
	if (ca_cert_serial_hex(is->cert, r->serial) < 0 || ca_cert_pem(is->cert, &pem) < 0 ||
	    ca_cert_validity(is->cert, &r->not_before, &r->not_after) < 0)
		goto fail;
	r->pem = pem.p;
	pem.p = NULL;
	if ((r->profile = mc_strdup(p->prof->name)) == NULL ||
	    (r->subject = ca_cert_subject(is->cert)) == NULL ||
	    (r->cn = mc_strdup(p->cn ? p->cn : "")) == NULL)
		goto fail;
	for (size_t i = 0; i < p->names.n; i++)
		if (mc_strv_push(&r->sans, p->names.v[i]) < 0)
			goto fail;
	snprintf(r->key_type, sizeof(r->key_type), "%s", p->key_type);
	snprintf(r->status, sizeof(r->status), "valid");
	r->key_from_csr = p->csr_key != NULL;
	ca_cert_fingerprint(is->cert, r->fingerprint);
	r->created_at = time(NULL);
	return 0;
fail:
	mc_buf_free(&pem);
	return -1;
}

/* A random serial not yet in the store.  159 random bits never collide
 * in practice; the store has the final word (the column is UNIQUE). */
static int
pick_serial(struct mc_ca *ca, ASN1_INTEGER *serial)
{
	for (int tries = 0; tries < 4; tries++) {
		char hex[CA_SERIAL_LEN];
		BIGNUM *bn;
		int exists, rc;

		if ((ca->serial_rng != NULL ? ca->serial_rng(ca->serial_rng_arg, serial) : ca_serial_random(serial)) < 0)
			return -1;
		if ((bn = ASN1_INTEGER_to_BN(serial, NULL)) == NULL) {
			mc_seterr_ssl("ASN1_INTEGER_to_BN");
			return -1;
		}
		rc = ca_bn_serial_hex(bn, hex);
		BN_free(bn);
		if (rc < 0 || (exists = store_cert_serial_exists(ca->db, hex)) < 0)
			return -1;
		if (exists == 0)
			return 0;
	}
	/* Four 159-bit collisions in a row: the random source is broken. */
	mc_seterr("four random serials in a row were already taken; the random number generator is not to be trusted");
	return -1;
}

/* The strict self-check, up to the root that clients trust (through the
 * intermediate when there is one). */
static int
verify_issued(const struct mc_ca *ca, const struct ca_leaf_cache *cache, X509 *leaf, const char *purpose)
{
	STACK_OF(X509) *u = NULL, *r = NULL;
	int rc = -1;

	if (cache != NULL)
		return ca_leaf_cache_verify(cache, leaf, purpose);
	if (!ca->two_level)
		return ca_verify_leaf(leaf, ca->cert, purpose);
	if ((u = sk_X509_new_null()) == NULL || (r = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(u, ca->cert) || !sk_X509_push(r, ca->root))
		mc_seterr("out of memory");
	else
		rc = ca_verify_chain(leaf, u, r, purpose, 0);
	sk_X509_free(u);
	sk_X509_free(r);
	return rc;
}

/* The same chain as verify_issued's, made once for many leaves. */
static struct ca_leaf_cache *
leaf_cache(const struct mc_ca *ca)
{
	STACK_OF(X509) *u = sk_X509_new_null(), *r = sk_X509_new_null();
	struct ca_leaf_cache *c = NULL;

	if (u == NULL || r == NULL || (ca->two_level && !sk_X509_push(u, ca->cert)) ||
	    !sk_X509_push(r, ca->two_level ? ca->root : ca->cert))
		mc_seterr("out of memory");
	else
		c = ca_leaf_cache_new(ca->cert, u, r);
	sk_X509_free(u);
	sk_X509_free(r);
	return c;
}

/* Key, signature, self-check and the row to record.  No store access,
 * so batch runs it on several threads at once. */
static int
sign_with_serial(const struct mc_ca *ca, const struct ca_leaf_cache *cache, const struct iss_plan *p,
    const ASN1_INTEGER *serial, struct iss_issued *is)
{
	struct ca_leaf_req lr = { 0 };
	struct iss_stats *st = ca->stats;
	char url[2048];
	int has_url;
	int64_t t;

	memset(is, 0, sizeof(*is));
	if ((has_url = iss_crl_url(ca, url, sizeof(url))) < 0)
		return -1;
	/* A key staged for this renewal (DANE: its TLSA record is already
	 * published) is used instead of a new one. */
	if (p->csr_key == NULL && p->key != NULL) {
		if (!EVP_PKEY_up_ref(p->key)) {
			mc_seterr("out of memory");
			goto fail;
		}
		is->key = p->key;
	} else if (p->csr_key == NULL) {
		t = iss_stats_clock(st);
		if ((is->key = ca_leaf_cache_keygen(cache, p->key_type)) == NULL)
			goto fail;
		iss_stats_add(st, ISS_ST_KEYGEN, t);
	}
	lr.pubkey = p->csr_key ? p->csr_key : is->key;
	lr.cn = p->cn;
	lr.dns = &p->dns;
	lr.ips = &p->ips;
	lr.emails = &p->emails;
	lr.eku = &p->prof->eku;
	lr.days = p->days;
	lr.serial = serial;
	lr.crl_url = has_url ? url : NULL;
	lr.cache = cache;
	t = iss_stats_clock(st);
	if ((is->cert = ca_leaf_sign(&lr, ca->cert, ca->key)) == NULL)
		goto fail;
	iss_stats_add(st, ISS_ST_SIGN, t);
	t = iss_stats_clock(st);
	if (verify_issued(ca, cache, is->cert, purpose_of(p->prof)) < 0)
		goto fail;
	iss_stats_add(st, ISS_ST_VERIFY, t);
	t = iss_stats_clock(st);
	if (fill_record(ca, p, is) < 0)
		goto fail;
	iss_stats_add(st, ISS_ST_ENCODE, t);
	return 0;
fail:
	iss_issued_free(is);
	return -1;
}

int
iss_sign(struct mc_ca *ca, const struct iss_plan *p, struct iss_issued *is)
{
	ASN1_INTEGER *serial = ASN1_INTEGER_new();
	int rc = -1;

	memset(is, 0, sizeof(*is));
	if (serial == NULL) {
		mc_seterr("out of memory");
		return -1;
	}
	if (pick_serial(ca, serial) == 0)
		rc = sign_with_serial(ca, NULL, p, serial, is);
	ASN1_INTEGER_free(serial);
	return rc;
}

struct sign_many {
	const struct mc_ca *ca;
	struct iss_plan *const *plans;
	ASN1_INTEGER **serials;
	struct iss_issued *out;
	struct ca_leaf_cache *cache;
};

static int
sign_many_one(void *arg, size_t i)
{
	struct sign_many *sm = arg;

	return sign_with_serial(sm->ca, sm->cache, sm->plans[i], sm->serials[i], &sm->out[i]);
}

/* With consume, each leaf is handed to it on this thread, in order, as
 * soon as it is signed (mc_pool_run_ordered). */
static int
sign_many_run(struct mc_ca *ca, struct iss_plan *const *plans, size_t n, int jobs, struct iss_issued *out,
    size_t *failed_at, int (*consume)(void *carg, size_t i), void *carg, int *in_consume)
{
	struct sign_many sm = { ca, plans, NULL, out, NULL };
	size_t i = 0;
	int rc = -1;

	memset(out, 0, n * sizeof(*out));
	if ((sm.serials = calloc(n ? n : 1, sizeof(*sm.serials))) == NULL) {
		mc_seterr("out of memory");
		goto out;
	}
	/* The store is read on this thread only: workers never touch the
	 * shared SQLite connection. */
	for (i = 0; i < n; i++) {
		if ((sm.serials[i] = ASN1_INTEGER_new()) == NULL) {
			mc_seterr("out of memory");
			goto out;
		}
		if (pick_serial(ca, sm.serials[i]) < 0)
			goto out;
	}
	i = 0;
	/* One plan: as iss_sign does it, nothing to share. */
	if (n > 1 && (sm.cache = leaf_cache(ca)) == NULL)
		goto out;
	if ((consume == NULL ? mc_pool_run(n, jobs, sign_many_one, &sm, &i) :
	    mc_pool_run_ordered(n, jobs, sign_many_one, &sm, consume, carg, &i, in_consume)) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0) {
		if (failed_at != NULL)
			*failed_at = i;
		for (size_t j = 0; j < n; j++)
			iss_issued_free(&out[j]);
	}
	for (size_t j = 0; sm.serials != NULL && j < n; j++)
		ASN1_INTEGER_free(sm.serials[j]);
	free(sm.serials);
	ca_leaf_cache_free(sm.cache);
	return rc;
}

int
iss_sign_many(struct mc_ca *ca, struct iss_plan *const *plans, size_t n, int jobs,
    struct iss_issued *out, size_t *failed_at)
{
	return sign_many_run(ca, plans, n, jobs, out, failed_at, NULL, NULL, NULL);
}

static int record_one(struct mc_ca *ca, struct iss_issued *is, const char *action);

struct record_each {
	struct mc_ca *ca;
	struct iss_issued *out;
	const char *action;
};

static int
record_each_one(void *arg, size_t i)
{
	struct record_each *re = arg;
	int64_t t = iss_stats_clock(re->ca->stats);

	if (record_one(re->ca, &re->out[i], re->action) < 0)
		return -1;
	iss_stats_add(re->ca->stats, ISS_ST_STORE, t);
	return 0;
}

int
iss_sign_record_many(struct mc_ca *ca, struct iss_plan *const *plans, size_t n, int jobs,
    struct iss_issued *out, const char *action, size_t *failed_at, int *in_record)
{
	struct record_each re = { ca, out, action };
	int64_t t, w;

	*in_record = 0;
	*failed_at = 0;
	memset(out, 0, n * sizeof(*out));
	if (store_begin(ca->db) < 0) {
		*in_record = 1;
		return -1;
	}
	if (sign_many_run(ca, plans, n, jobs, out, failed_at, record_each_one, &re, in_record) < 0) {
		store_rollback(ca->db);
		return -1;
	}
	t = iss_stats_clock(ca->stats);
	w = iss_wall_ns();
	if (store_commit(ca->db) < 0) {
		store_rollback(ca->db);
		*in_record = 1;
		for (size_t i = 0; i < n; i++)
			iss_issued_free(&out[i]);
		return -1;
	}
	iss_stats_add(ca->stats, ISS_ST_STORE, t);
	if (ca->stats != NULL)
		ca->stats->wall_ns[ISS_PH_COMMIT] += iss_wall_ns() - w;
	return 0;
}

static int
record_one(struct mc_ca *ca, struct iss_issued *is, const char *action)
{
	char *names = mc_strv_join(&is->rec.sans, ",");
	int rc = -1;

	if (names == NULL)
		return -1;
	if (store_cert_insert(ca->db, &is->rec) == 0 &&
	    store_audit(ca->db, action, is->rec.serial, "profile=%s cn=%s names=%s key=%s not_after=%lld sha256=%s",
	    is->rec.profile, is->rec.cn, names, is->rec.key_type, (long long)is->rec.not_after,
	    is->rec.fingerprint) == 0)
		rc = 0;
	free(names);
	return rc;
}

int
iss_record_superseding(struct mc_ca *ca, struct iss_issued *is, const struct store_cert *old)
{
	if (store_begin(ca->db) < 0)
		return -1;
	if (record_one(ca, is, "issue") < 0 || store_cert_supersede(ca->db, old->id, is->rec.id) < 0 ||
	    store_audit(ca->db, "supersede", old->serial, "superseded_by=%s reason=issue --force",
	    is->rec.serial) < 0 || store_commit(ca->db) < 0) {
		store_rollback(ca->db);
		return -1;
	}
	return 0;
}

int
iss_record(struct mc_ca *ca, struct iss_issued *is, const char *action)
{
	return iss_record_many(ca, is, 1, action);
}

int
iss_record_many(struct mc_ca *ca, struct iss_issued *is, size_t n, const char *action)
{
	int64_t t = iss_stats_clock(ca->stats);

	if (store_begin(ca->db) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (record_one(ca, &is[i], action) < 0) {
			store_rollback(ca->db);
			return -1;
		}
	}
	if (store_commit(ca->db) < 0) {
		store_rollback(ca->db);
		return -1;
	}
	iss_stats_add(ca->stats, ISS_ST_STORE, t);
	return 0;
}

int
iss_record_with(struct mc_ca *ca, struct iss_issued *is, const char *action,
    int (*extra)(struct store *db, const struct store_cert *rec, void *arg), void *arg)
{
	if (store_begin(ca->db) < 0)
		return -1;
	if (record_one(ca, is, action) < 0 || extra(ca->db, &is->rec, arg) < 0 || store_commit(ca->db) < 0) {
		store_rollback(ca->db);
		return -1;
	}
	return 0;
}

void
iss_issued_free(struct iss_issued *is)
{
	X509_free(is->cert);
	EVP_PKEY_free(is->key);
	store_cert_free(&is->rec);
	memset(is, 0, sizeof(*is));
}

static int
keep_csr_key(const struct store_cert *c, struct iss_plan *plan)
{
	X509 *x = ca_cert_from_pem(c->pem, strlen(c->pem));

	if (x == NULL)
		return -1;
	plan->csr_key = X509_get_pubkey(x);
	X509_free(x);
	if (plan->csr_key == NULL) {
		mc_seterr_ssl("cannot read the public key of certificate %s", c->serial);
		return -1;
	}
	return 0;
}

/* The request that re-issues c: same profile, names and key type, the
 * same lifetime where policy still allows it. */
int
iss_renew_plan(struct mc_ca *ca, const struct store_cert *c, struct iss_plan *plan)
{
	const struct pol_profile *prof = pol_profile_find(&ca->cfg, c->profile);
	/* Names the CA already issued for: the domains record does not
	 * stand in the way of renewing them. */
	struct iss_req req = { .profile = c->profile, .key_type = c->key_type, .any_domain = 1 };
	const char **sans = calloc(c->sans.n + 1, sizeof(char *)), **ips = calloc(c->sans.n + 1, sizeof(char *));
	size_t ns = 0, ni = 0;
	long left = (long)((ca->rec.not_after - time(NULL)) / 86400);
	int rc = -1;

	if (sans == NULL || ips == NULL) {
		mc_seterr("out of memory");
		goto out;
	}
	if (prof == NULL) {
		mc_seterr("profile '%s' no longer exists in minica.conf", c->profile);
		goto out;
	}
	req.cn = c->cn[0] ? c->cn : (c->sans.n ? c->sans.v[0] : NULL);
	for (size_t i = 0; i < c->sans.n; i++) {
		unsigned char bin[16];
		size_t len;

		if (req.cn != NULL && strcmp(c->sans.v[i], req.cn) == 0)
			continue;
		if (pol_ip_parse(c->sans.v[i], bin, &len, NULL) == 0)
			ips[ni++] = c->sans.v[i];
		else
			sans[ns++] = c->sans.v[i];
	}
	req.sans = sans;
	req.ips = ips;
	req.days = (int)pol_cert_days(c->not_before, c->not_after);
	if (req.days > prof->max_days)
		req.days = prof->max_days;
	/* A root near its end still renews, for as long as it lives, and
	 * says so: issue refuses such a lifetime outright. */
	if (left >= 1 && req.days > left) {
		char na[21];

		mc_iso8601(ca->rec.not_after, na);
		na[10] = '\0';
		iss_warn(ca, "%s %s: renewed for %ld days, not %d: the root expires on %s", c->profile,
		    req.cn ? req.cn : c->serial, left, req.days, na);
		req.days = (int)left;
	}
	if (!pol_key_type_valid(req.key_type))
		req.key_type = NULL;
	if ((rc = iss_plan_make(ca, &req, plan)) == 0 && c->key_from_csr)
		rc = keep_csr_key(c, plan);
out:
	free(sans);
	free(ips);
	return rc;
}

int
iss_renew_record(struct mc_ca *ca, const struct store_cert *old, struct iss_issued *is)
{
	char *names = mc_strv_join(&is->rec.sans, ",");
	int rc = -1;

	if (names == NULL || store_begin(ca->db) < 0)
		goto out;
	if (store_cert_insert(ca->db, &is->rec) < 0 ||
	    (strcmp(old->status, "revoked") == 0 ? store_cert_replace_revoked(ca->db, old->id, is->rec.id) :
	    store_cert_supersede(ca->db, old->id, is->rec.id)) < 0 ||
	    store_audit(ca->db, "renew", is->rec.serial, "renews=%s profile=%s names=%s key=%s not_after=%lld sha256=%s",
	    old->serial, is->rec.profile, names, is->rec.key_type, (long long)is->rec.not_after,
	    is->rec.fingerprint) < 0 ||
	    store_commit(ca->db) < 0) {
		store_rollback(ca->db);
		goto out;
	}
	rc = 0;
out:
	free(names);
	return rc;
}
