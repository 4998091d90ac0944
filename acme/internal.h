/* Internal to acme/: the server, one request, one response. */
#ifndef MINICA_ACME_INTERNAL_H
#define MINICA_ACME_INTERNAL_H

#include <pthread.h>

#include <microhttpd.h>

#include "acme.h"

#define ACME_KEY_CACHE 64		/* account keys kept parsed */

struct acme_server {
	struct MHD_Daemon *daemon;
	struct store *db;		/* used on the daemon's one thread only */
	struct acme_config cfg;
	/* tls.c: the pair new handshakes get (NULL: plain HTTP) */
	pthread_mutex_t tls_mu;
	int tls_mu_ok;
	struct acme_tls_pair *tls;
	char *eab_dir;			/* the home's private/eab: EAB HMAC keys */
	struct acme_validators *val;	/* worker.c */
	struct acme_nonces *nonces;	/* nonce.c */
	/* Account keys made from their stored JWK, by account and JWK text
	 * (a keyChange misses); the daemon's one thread only. */
	struct acme_key_slot {
		int64_t id;
		char *jwk;
		EVP_PKEY *key;
	} keys[ACME_KEY_CACHE];
	size_t keys_next;
};

struct acme_resp {
	int status;
	json_t *json;			/* body (owned), or */
	char *text;			/* body (owned), with ctype */
	const char *ctype;
	char location[512];
	char link[512];			/* an extra Link header (rel="up", "alternate") */
	int retry_after;		/* seconds; 0: none */
};

/* A verified POST: the account is loaded unless the JWS carried a jwk. */
struct acme_post {
	struct acme_jws jws;
	json_t *payload;		/* NULL for POST-as-GET */
	struct store_acme_account acct;	/* id 0: none (jwk requests) */
	EVP_PKEY *key;			/* the key that signed */
};

/* replaces.c (RFC 9773) */
/* The stored certificate whose ARI certID is certid: 1 (c filled), 0 none, -1. */
int acme_ari_lookup(struct store *db, const char *certid, struct store_cert *c);
/* newOrder's replaces: 0, or -1 with p set (malformed, unauthorized,
 * alreadyReplaced). */
int acme_replaces_check(struct acme_server *s, int64_t account_id, const char *certid, const json_t *ids,
    struct acme_problem *p);

/* server.c */
void acme_resp_problem(struct acme_resp *r, const struct acme_problem *p);
void acme_resp_json(struct acme_resp *r, int status, json_t *body);
/* base_url + fmt, into out. */
void acme_url(const struct acme_server *s, char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The same, as a new JSON string. */
json_t *acme_url_json(const struct acme_server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void acme_internal_error(struct acme_resp *r);

/* tls.c: the pair from PEM text, and the options (two items at opts)
 * that make the daemon ask for it at each handshake; nothing when
 * cert_pem is NULL. */
int acme_tls_init(struct acme_server *s, const char *cert_pem, const char *key_pem, struct MHD_OptionItem *opts);
void acme_tls_free(struct acme_server *s);

/* account.c */
void acme_new_account(struct acme_server *s, struct acme_post *req, struct acme_resp *r);
void acme_account(struct acme_server *s, struct acme_post *req, int64_t id, struct acme_resp *r);
json_t *acme_account_json(const struct acme_server *s, const struct store_acme_account *a);

/* keyChange (§7.3.5). */
void acme_key_change(struct acme_server *s, struct acme_post *req, struct acme_resp *r);

/* eab.c */
/* The newAccount's binding: its JWS, an unused, unrevoked kid, the MAC
 * with that kid's key.  kid: the key id to bind. */
int acme_eab_check(struct acme_server *s, const struct acme_post *req, const json_t *eab, char kid[64],
    struct acme_problem *p);
/* The key file of kid, once it is bound. */
void acme_eab_forget(struct acme_server *s, const char *kid);
/* rejectedIdentifier unless every identifier is in the domains of the
 * account's binding (if it has one and they are limited). */
int acme_eab_check_order(struct acme_server *s, int64_t account_id, const json_t *ids, struct acme_problem *p);

/* order.c */
void acme_new_order(struct acme_server *s, struct acme_post *req, struct acme_resp *r);
void acme_order(struct acme_server *s, struct acme_post *req, int64_t id, struct acme_resp *r);
void acme_authz(struct acme_server *s, struct acme_post *req, int64_t id, struct acme_resp *r);
void acme_challenge(struct acme_server *s, struct acme_post *req, int64_t id, struct acme_resp *r);
/* finalize.c */
void acme_finalize(struct acme_server *s, struct acme_post *req, int64_t id, struct acme_resp *r);
void acme_certificate(struct acme_server *s, struct acme_post *req, int64_t id, struct acme_resp *r);
void acme_revoke(struct acme_server *s, struct acme_post *req, struct acme_resp *r);
void acme_renewal_info(struct acme_server *s, const char *certid, struct acme_resp *r);
/* The order's status from its authorizations (pending -> ready, or invalid):
 * next says the new one (NULL: unchanged), refresh also records it. */
int acme_order_next(struct acme_server *s, const struct store_acme_order *o, const char **next);
int acme_order_refresh(struct acme_server *s, struct store_acme_order *o);

/* worker.c: challenge validation on ACME_VALIDATORS threads of their own. */
#define ACME_VALIDATORS 4
#define ACME_VALIDATE_QUEUE 256		/* challenges waiting; past it, rateLimited */
/* nonce.c: replay nonces in memory (RFC 8555 §6.5), safe from any thread.
 * take returns 1 if v was issued and unused (and is now used up), else 0. */
#define ACME_NONCE_LEN 24		/* 22 base64url characters of 128 bits, NUL */
struct acme_nonces *acme_nonces_new(void);
void acme_nonces_free(struct acme_nonces *n);
int acme_nonce_new(struct acme_nonces *n, char out[ACME_NONCE_LEN]);
int acme_nonce_take(struct acme_nonces *n, const char *v);

int acme_validators_start(struct acme_server *s, const char *dbpath);
void acme_validators_stop(struct acme_server *s);
/* Marks the challenge processing (in the store and in *c) and queues it. */
int acme_validate_start(struct acme_server *s, struct store_acme_chall *c, struct acme_problem *p);

#endif
