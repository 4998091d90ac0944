/*
 * The ACME server's issuer: acme/'s function-pointer interface wired to
 * the issuing pipeline 'minica issue' uses (plan -> sign -> record).
 * The CA key is unlocked once at start; the CA lock is taken for each
 * signing only, so 'minica issue' and friends run while the server does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acme_cmd.h"

/* Held for one signing or revocation, never between requests. */
int
acme_cmd_lock(struct mc_ca *ca)
{
	return iss_ca_lock(ca, "minica acme serve", ISS_LOCK_WAIT_MS);
}

void
acme_cmd_unlock(struct mc_ca *ca)
{
	if (ca->lock_fd >= 0)
		close(ca->lock_fd);
	ca->lock_fd = -1;
	memset(&ca->locked_at, 0, sizeof(ca->locked_at));
}

/* Inside the certificate's transaction: the order is valid with it. */
static int
link_order(struct store *db, const struct store_cert *rec, void *arg)
{
	int64_t order_id = *(int64_t *)arg;

	return order_id > 0 ? acme_order_link_cert(db, order_id, rec) : 0;
}

/* Sign and record under the CA lock; -2 (the server's trouble) on failure. */
static int
sign_record(struct acme_issuing *ai, const struct iss_plan *plan, const char *action, int64_t order_id,
    struct iss_issued *is)
{
	int rc = -2;

	if (acme_cmd_lock(ai->ca) < 0)
		return -2;
	if (iss_sign(ai->ca, plan, is) < 0 || iss_record_with(ai->ca, is, action, link_order, &order_id) < 0)
		goto out;
	rc = 0;
out:
	acme_cmd_unlock(ai->ca);
	return rc;
}

int
acme_cmd_issue(void *arg, const unsigned char *csr, size_t len, int64_t order_id, char serial[48])
{
	struct acme_issuing *ai = arg;
	/* The CSR from memory: no temporary file a kill could leave behind. */
	struct iss_req req = { .profile = ai->profile, .csr_path = "the order's CSR", .csr_mem = csr, .csr_memlen = len };
	struct iss_plan plan = { 0 };
	struct iss_issued is = { 0 };
	int rc = -1;

	pthread_mutex_lock(&ai->mu);
	if (iss_plan_make(ai->ca, &req, &plan) < 0)
		goto out;
	if ((rc = sign_record(ai, &plan, "acme-issue", order_id, &is)) < 0)
		goto out;
	snprintf(serial, 48, "%s", is.rec.serial);
	rc = 0;
out:
	pthread_mutex_unlock(&ai->mu);
	iss_plan_free(&plan);
	iss_issued_free(&is);
	return rc;
}

int
acme_cmd_check_name(void *arg, const char *name)
{
	struct acme_issuing *ai = arg;
	struct iss_req req = { .profile = ai->profile, .cn = name };
	struct iss_plan plan = { 0 };
	unsigned char ip[16];
	size_t iplen;
	int rc;

	pthread_mutex_lock(&ai->mu);
	/* An IP: the pipeline's own test for --ip (the root's IP name
	 * constraints), which iss_plan_make runs only beside a CN. */
	if (pol_ip_parse(name, ip, &iplen, NULL) == 0)
		rc = pol_profile_find(&ai->ca->cfg, ai->profile) == NULL ? -1
		    : ca_cert_ip_check(ai->ca->cert, ip, iplen, name);
	else
		rc = iss_plan_make(ai->ca, &req, &plan);
	pthread_mutex_unlock(&ai->mu);
	iss_plan_free(&plan);
	return rc;
}

int
acme_cmd_revoke(void *arg, const char *serial, const char *reason)
{
	struct acme_issuing *ai = arg;
	struct store_cert c = { 0 };
	int rc = -1;

	pthread_mutex_lock(&ai->mu);
	if (acme_cmd_lock(ai->ca) < 0) {
		pthread_mutex_unlock(&ai->mu);
		return -1;
	}
	if (store_cert_find(ai->ca->db, serial, &c) <= 0)
		goto out;
	if (store_begin(ai->ca->db) < 0 || store_cert_revoke(ai->ca->db, c.id, time(NULL), reason) < 0 ||
	    store_audit(ai->ca->db, "revoke", c.serial, "profile=%s cn=%s reason=%s via=acme", c.profile, c.cn,
		reason) < 0 || store_commit(ai->ca->db) < 0) {
		store_rollback(ai->ca->db);
		goto out;
	}
	rc = 0;
out:
	acme_cmd_unlock(ai->ca);
	pthread_mutex_unlock(&ai->mu);
	store_cert_free(&c);
	return rc;
}
