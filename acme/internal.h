/* Internal to acme/: the server, one request, one response. */
#ifndef MINICA_ACME_INTERNAL_H
#define MINICA_ACME_INTERNAL_H

#include <pthread.h>
#include <stddef.h>

#include <microhttpd.h>
#include <openssl/x509.h>

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

/* alpn.c: tls-alpn-01 (RFC 8737) and IP identifiers (RFC 8738): the
 * validator's TLS handshake, the check of the certificate the client
 * presents, and the text forms of IP addresses.  Functions set the
 * problem (or mc_err) and return 0/-1; they never print. */
#define ACME_TLSALPN01_TIMEOUT 10	/* seconds for connect and handshake together */
#define ACME_TLSALPN01_PROTO "acme-tls/1"

/*
 * Connects to the identifier (type "dns": its addresses through the
 * system's resolver; "ip": the address itself) on port, offers ALPN
 * acme-tls/1 alone with SNI the name (for an IP its reverse-DNS name,
 * RFC 8738 §6), TLS 1.2 or later, within timeout_ms for connect and
 * handshake together, requires acme-tls/1 negotiated and then checks the
 * presented certificate with acme_tlsalpn01_cert_check.  No other
 * verification: the certificate is the answer, not a credential.
 */
int acme_tlsalpn01_check(const char *type, const char *value, int port, const char *keyauth, int timeout_ms,
    struct acme_problem *p);

/* The certificate alone: a subjectAltName with exactly one name, the
 * identifier (a dNSName equal to it ignoring ASCII case, or an iPAddress
 * of the same octets), and exactly one id-pe-acmeIdentifier extension
 * (1.3.6.1.5.5.7.1.31), critical, whose value is the DER OCTET STRING of
 * SHA-256(keyauth). */
int acme_tlsalpn01_cert_check(X509 *x, const char *type, const char *value, const char *keyauth,
    struct acme_problem *p);

/* The identifier's canonical text (RFC 8738 §3: RFC 1123 dotted quad,
 * RFC 5952 for IPv6) into canon (64 bytes); -1 (mc_err) for text that is
 * no address.  Whether in was already canonical is strcmp(in, canon). */
int acme_ip_canonical(const char *in, char canon[64]);

/* The reverse-DNS name of an IP address (RFC 1035 §3.5 in-addr.arpa,
 * RFC 3596 §2.5 ip6.arpa nibbles), without the final dot. */
int acme_ip_reverse_name(const char *ip, char *out, size_t len);

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
