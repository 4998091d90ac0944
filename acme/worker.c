/*
 * Challenge validation off the HTTP thread (RFC 8555 §7.5.1): a POST to a
 * challenge marks it processing and queues it; a few validator threads,
 * each with its own store connection, fetch or look up, then record the
 * result.  A target that answers slowly, redirects in circles or sends a
 * huge body costs a validator (bounded by validate.c's limits), never
 * the server's answers to other requests.  Challenges a killed server
 * left processing are queued again at start.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct acme_validators {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int64_t queue[ACME_VALIDATE_QUEUE];
	size_t head, n;
	int stop;
	pthread_t th[ACME_VALIDATORS];
	int nth;
	const struct acme_config *cfg;
	char *dbpath;
};

/* The key authorization of a challenge: token "." the account key's thumbprint. */
static int
key_authz(struct store *db, const struct store_acme_chall *c, const struct store_acme_authz *a, char *out,
    size_t len)
{
	struct store_acme_order o;
	struct store_acme_account acct;
	char thumb[64];
	json_t *jwk = NULL;
	int rc = -1;

	if (store_acme_order_get(db, a->order_id, &o) != 1)
		return -1;
	if (store_acme_account_get(db, o.account_id, NULL, &acct) == 1 &&
	    (jwk = json_loads(acct.jwk, 0, NULL)) != NULL && acme_jwk_thumbprint(jwk, thumb) == 0) {
		snprintf(out, len, "%s.%s", c->token, thumb);
		rc = 0;
	}
	json_decref(jwk);
	store_acme_account_free(&acct);
	store_acme_order_free(&o);
	return rc;
}

/* The check itself, by challenge type. */
static int
check(const struct acme_config *cfg, const struct store_acme_chall *c, const struct store_acme_authz *a,
    const char *keyauth, struct acme_problem *p)
{
	if (strcmp(c->type, "dns-01") == 0)
		return acme_dns01_check(cfg->resolver, a->value, keyauth, p);
	if (strcmp(c->type, "http-01") == 0)
		return acme_http01_check(a->value, cfg->http01_port, c->token, keyauth, p);
	if (strcmp(c->type, "tls-alpn-01") == 0)
		return acme_tlsalpn01_check(a->type, a->value, cfg->tlsalpn01_port, keyauth,
		    ACME_TLSALPN01_TIMEOUT * 1000, p);
	acme_problem_set(p, 400, "malformed", "challenge type '%.20s' is not supported", c->type);
	return -1;
}

/* One queued challenge: check, then the challenge and its authorization
 * in one transaction (the authorization only while still pending). */
static int
validate_one(struct store *db, const struct acme_config *cfg, int64_t id)
{
	struct store_acme_chall c;
	struct store_acme_authz a;
	struct acme_problem p;
	char keyauth[160], *err = NULL;
	int ok, rc;

	if (store_acme_chall_get(db, id, &c) != 1 || strcmp(c.status, "processing") != 0 ||
	    store_acme_authz_get(db, c.authz_id, &a) != 1 || key_authz(db, &c, &a, keyauth, sizeof(keyauth)) < 0)
		return -1;
	if (!(ok = check(cfg, &c, &a, keyauth, &p) == 0)) {
		json_t *pj = json_pack("{s:s+, s:s, s:i}", "type", "urn:ietf:params:acme:error:", p.type,
		    "detail", p.detail, "status", p.status);

		err = json_dumps(pj, JSON_COMPACT);
		json_decref(pj);
	}
	if (store_begin(db) < 0)
		return free(err), -1;
	rc = store_acme_chall_set(db, c.id, ok ? "valid" : "invalid", time(NULL), err) < 0 ||
	    store_acme_authz_get(db, a.id, &a) != 1 ||
	    (strcmp(a.status, "pending") == 0 && store_acme_authz_set(db, a.id, ok ? "valid" : "invalid") < 0) ||
	    store_audit(db, "acme-validate", NULL, "authz=%lld %s %s %s", (long long)a.id, a.value, c.type,
		ok ? "valid" : "invalid") < 0 || store_commit(db) < 0 ? -1 : 0;
	if (rc < 0)
		store_rollback(db);
	free(err);
	return rc;
}

static void *
validator(void *arg)
{
	struct acme_validators *v = arg;
	struct store *db = NULL;

	pthread_mutex_lock(&v->mu);
	for (;;) {
		int64_t id;

		while (!v->stop && v->n == 0)
			pthread_cond_wait(&v->cv, &v->mu);
		if (v->stop)
			break;
		id = v->queue[v->head];
		v->head = (v->head + 1) % ACME_VALIDATE_QUEUE;
		v->n--;
		pthread_mutex_unlock(&v->mu);
		/* The connection is opened at the first challenge and again
		 * after one that could not be (the store busy or damaged), so
		 * one failure does not drop every later challenge.  A failure
		 * here leaves the challenge processing: the next start queues
		 * it again. */
		if (db == NULL)
			db = store_open(v->dbpath, 0);
		if (db != NULL)
			(void)validate_one(db, v->cfg, id);
		pthread_mutex_lock(&v->mu);
	}
	pthread_mutex_unlock(&v->mu);
	store_close(db);
	return NULL;
}

static int
enqueue(struct acme_validators *v, int64_t id)
{
	int rc = -1;

	pthread_mutex_lock(&v->mu);
	if (v->n < ACME_VALIDATE_QUEUE) {
		v->queue[(v->head + v->n) % ACME_VALIDATE_QUEUE] = id;
		v->n++;
		pthread_cond_signal(&v->cv);
		rc = 0;
	}
	pthread_mutex_unlock(&v->mu);
	return rc;
}

static int
requeue(int64_t id, void *arg)
{
	/* More left over than the queue holds: the rest wait for a re-POST. */
	(void)enqueue(arg, id);
	return 0;
}

int
acme_validators_start(struct acme_server *s, const char *dbpath)
{
	struct acme_validators *v = calloc(1, sizeof(*v));

	if (v == NULL || (v->dbpath = mc_strdup(dbpath)) == NULL) {
		free(v);
		mc_seterr("out of memory");
		return -1;
	}
	pthread_mutex_init(&v->mu, NULL);
	pthread_cond_init(&v->cv, NULL);
	v->cfg = &s->cfg;
	s->val = v;
	if (store_acme_chall_processing_each(s->db, requeue, v) < 0)
		return -1;
	for (; v->nth < ACME_VALIDATORS; v->nth++)
		if (pthread_create(&v->th[v->nth], NULL, validator, v) != 0) {
			mc_seterr("cannot start a validation thread");
			return -1;
		}
	return 0;
}

void
acme_validators_stop(struct acme_server *s)
{
	struct acme_validators *v = s->val;

	if (v == NULL)
		return;
	pthread_mutex_lock(&v->mu);
	v->stop = 1;
	pthread_cond_broadcast(&v->cv);
	pthread_mutex_unlock(&v->mu);
	for (int i = 0; i < v->nth; i++)
		pthread_join(v->th[i], NULL);
	pthread_cond_destroy(&v->cv);
	pthread_mutex_destroy(&v->mu);
	free(v->dbpath);
	free(v);
	s->val = NULL;
}

int
acme_validate_start(struct acme_server *s, struct store_acme_chall *c, struct acme_problem *p)
{
	if (store_acme_chall_set(s->db, c->id, "processing", 0, NULL) < 0)
		return acme_problem_set(p, 500, "serverInternal", "cannot update the challenge"), -1;
	if (enqueue(s->val, c->id) < 0) {
		store_acme_chall_set(s->db, c->id, "pending", 0, NULL);
		return acme_problem_set(p, 503, "rateLimited", "%d validations are waiting; try again shortly",
		    ACME_VALIDATE_QUEUE), -1;
	}
	snprintf(c->status, sizeof(c->status), "processing");
	return 0;
}
