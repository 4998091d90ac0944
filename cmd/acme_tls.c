/*
 * The ACME server's own TLS certificate for [acme] hostname: issued from
 * the CA and recorded like any other, kept with its key in one file,
 * private/acme-tls.pem (the leaf, then its key unencrypted: 0600 in the
 * 0700 private/ folder, as a daemon's deployed key is; one file so a
 * rename replaces both at once and they never disagree), reused at the
 * next start while it is current, and renewed by the running server by
 * the rule 'minica renew' follows (pol_cert_due).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509v3.h>

#include "acme_cmd.h"

#define TLS_FILE ISS_ACME_TLS_FILE
#define TLS_FILE_MAX ISS_ACME_TLS_MAX

/* What a handshake gets: the leaf, its intermediate (clients hold the
 * root only) and the cross-certificate while one lives; the key. */
static int
serve_pem(const struct mc_ca *ca, X509 *leaf, EVP_PKEY *key, struct mc_buf *chain, struct mc_buf *keypem)
{
	if (ca_cert_pem(leaf, chain) < 0 || (ca->two_level && ca_cert_pem(ca->cert, chain) < 0) ||
	    (ca->cross != NULL && ca_cert_pem(ca->cross, chain) < 0) || mc_buf_add(chain, "", 1) < 0 ||
	    ca_key_plain_pem(key, keypem) < 0 || mc_buf_add(keypem, "", 1) < 0)
		return -1;
	return 0;
}

/* Why the kept certificate cannot serve hostname now (NULL: it can). */
static const char *
kept_unfit(const struct mc_ca *ca, const struct store_cert *rec, X509 *x, const char *hostname, time_t now)
{
	if (strcmp(rec->status, "valid") != 0)
		return rec->status;
	if (X509_check_host(x, hostname, 0, 0, NULL) != 1)
		return "for another hostname";
	if (X509_check_issued(ca->cert, x) != X509_V_OK)
		return "not from the current issuing CA";
	if (pol_cert_due(rec->not_before, rec->not_after, now, POL_RENEW_DAYS_DEFAULT))
		return "due for renewal";
	return NULL;
}

/* Reads private/acme-tls.pem: 1 and *x, *key, t->cur (its store row)
 * filled; 0 when there is none, or it is not minica's or not private
 * (a warning says why); -1 on error. */
static int
kept_read(struct acme_issuing *ai, struct acme_tls *t, X509 **x, EVP_PKEY **key)
{
	struct mc_buf pem = { 0 };
	struct stat st;
	char serial[CA_SERIAL_LEN];
	int rc = -1, found;

	if (lstat(t->path, &st) < 0)
		return errno == ENOENT ? 0 : (mc_seterr("cannot stat '%s': %s", t->path, strerror(errno)), -1);
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0 || st.st_uid != geteuid()) {
		iss_warn(ai->ca, "'%s' is not a private file of this user (0600): not used, a new certificate replaces it",
		    t->path);
		return 0;
	}
	if (mc_file_read(t->path, TLS_FILE_MAX, &pem) < 0)
		return -1;
	rc = 0;
	if ((*x = ca_cert_from_pem(pem.p, pem.len)) == NULL || (*key = ca_key_from_pem(pem.p, pem.len, NULL, 0)) == NULL ||
	    ca_key_matches_cert(*key, *x) != 1 || ca_cert_serial_hex(*x, serial) < 0) {
		iss_warn(ai->ca, "'%s' does not hold a certificate and its key: a new certificate replaces it", t->path);
		goto out;
	}
	if ((found = store_cert_find(ai->ca->db, serial, &t->cur)) < 0) {
		rc = -1;
		goto out;
	}
	if (found == 0) {
		iss_warn(ai->ca, "the certificate in '%s' (%s) is not in the store: a new one replaces it", t->path, serial);
		goto out;
	}
	rc = 1;
out:
	mc_buf_free(&pem);
	if (rc != 1) {
		X509_free(*x);
		EVP_PKEY_free(*key);
		*x = NULL;
		*key = NULL;
	}
	return rc;
}

/* Whether a new certificate can be recorded as c's renewal: a valid one
 * is superseded by it, a revoked one linked to it (iss_renew_record); a
 * certificate someone else renewed already starts no second lineage. */
static int
renewable(const struct store_cert *c)
{
	return strcmp(c->status, "valid") == 0 || (strcmp(c->status, "revoked") == 0 && c->superseded_by == 0);
}

/* A new certificate for t->hostname, recorded as the renewal of old
 * (when there is one of the same name), written to
 * private/acme-tls.pem, and its PEM for serving. */
static int
issue_new(struct acme_issuing *ai, struct acme_tls *t, const struct store_cert *old, struct mc_buf *chain,
    struct mc_buf *key)
{
	struct iss_req req = { .profile = "server", .cn = t->hostname };
	struct iss_plan plan = { 0 };
	struct iss_issued is = { 0 };
	struct mc_buf file = { 0 };
	int rc = -1, locked = 0;

	if (iss_plan_make(ai->ca, &req, &plan) < 0 || acme_cmd_lock(ai->ca) < 0)
		goto out;
	locked = 1;
	if (iss_sign(ai->ca, &plan, &is) < 0 || (old != NULL ? iss_renew_record(ai->ca, old, &is) :
	    iss_record(ai->ca, &is, "acme-tls")) < 0)
		goto out;
	if (serve_pem(ai->ca, is.cert, is.key, chain, key) < 0)
		goto out;
	/* Recorded: from here on the certificate is served even if the file
	 * cannot be written (the next start then issues another). */
	if (ca_cert_pem(is.cert, &file) < 0 || ca_key_plain_pem(is.key, &file) < 0 ||
	    mc_file_replace(t->path, 0600, (uid_t)-1, (gid_t)-1, file.p, file.len) < 0)
		iss_warn(ai->ca, "%s; the certificate %s is served but not kept for the next start", mc_err(), is.rec.serial);
	store_cert_free(&t->cur);
	if (store_cert_dup(&t->cur, &is.rec) < 0)
		goto out;
	rc = 0;
out:
	if (locked)
		acme_cmd_unlock(ai->ca);
	mc_buf_free(&file);
	iss_plan_free(&plan);
	iss_issued_free(&is);
	return rc;
}

int
acme_cmd_tls_start(struct acme_issuing *ai, const char *hostname, struct acme_tls *t, struct mc_buf *chain,
    struct mc_buf *key)
{
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	const char *why = NULL;
	int rc = -1, kept;

	memset(t, 0, sizeof(*t));
	t->hostname = hostname;
	if ((t->path = iss_home_path(ai->ca->home, TLS_FILE)) == NULL)
		return -1;
	pthread_mutex_lock(&ai->mu);
	if ((kept = kept_read(ai, t, &x, &k)) < 0)
		goto out;
	if (kept == 1 && (why = kept_unfit(ai->ca, &t->cur, x, hostname, time(NULL))) == NULL) {
		t->reused = 1;
		rc = serve_pem(ai->ca, x, k, chain, key);
		goto out;
	}
	/* A renewal of the kept one when it is of the same name, so 'minica
	 * list' shows it superseded; else a new lineage. */
	rc = issue_new(ai, t, kept == 1 && renewable(&t->cur) && X509_check_host(x, hostname, 0, 0, NULL) == 1 ?
	    &t->cur : NULL, chain, key);
out:
	pthread_mutex_unlock(&ai->mu);
	X509_free(x);
	EVP_PKEY_free(k);
	return rc;
}

int
acme_cmd_tls_renew(struct acme_issuing *ai, struct acme_tls *t, time_t now, struct mc_buf *chain,
    struct mc_buf *key)
{
	struct store_cert rec = { 0 };
	int rc = -1, found;

	pthread_mutex_lock(&ai->mu);
	/* The store, not only the dates: a revocation from the command line
	 * replaces the certificate at the next check too. */
	if ((found = store_cert_find(ai->ca->db, t->cur.serial, &rec)) < 0)
		goto out;
	if (found == 1 && strcmp(rec.status, "valid") == 0 &&
	    !pol_cert_due(rec.not_before, rec.not_after, now, POL_RENEW_DAYS_DEFAULT)) {
		rc = 0;
		goto out;
	}
	rc = issue_new(ai, t, found == 1 && renewable(&rec) ? &rec : NULL, chain, key) < 0 ? -1 : 1;
out:
	pthread_mutex_unlock(&ai->mu);
	store_cert_free(&rec);
	return rc;
}

void
acme_cmd_tls_free(struct acme_tls *t)
{
	free(t->path);
	store_cert_free(&t->cur);
	memset(t, 0, sizeof(*t));
}
