/*
 * acme: an RFC 8555 ACME server with RFC 9773 renewal information.
 * HTTP from libmicrohttpd, JSON from jansson, JWS checked with OpenSSL,
 * http-01 fetched with libcurl.  It signs only through the issuer it is
 * handed (the issuing pipeline) and stores only through store/.  No
 * globals: everything lives in the struct acme_server.  Functions set
 * mc_err and return 0/-1 (or a pointer/NULL); they never print.
 */
#ifndef MINICA_ACME_H
#define MINICA_ACME_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "../store/store.h"
#include "../util/util.h"

#define ACME_BODY_MAX (64 * 1024)	/* bytes of a request body */
#define ACME_NONCES_MAX 10000		/* unused nonces kept; the oldest go first */
#define ACME_HTTP01_TIMEOUT 10		/* seconds for one http-01 fetch */
#define ACME_HTTP01_MAX_BYTES 8192	/* bytes read from a challenge target */
#define ACME_HTTP01_MAX_REDIRS 10

/*
 * Where certificates come from: the issuing pipeline behind a function
 * pointer, so the server never signs by itself.  issue() takes a DER CSR
 * whose names the server has already matched against a valid order, runs
 * it through the same policy as 'minica issue', signs, records it in the
 * store (durably, before returning) and gives back the serial (lowercase
 * hex, as the store keeps it).  The order's row gets that serial and
 * the status valid in the same transaction as the certificate's
 * (store_acme_order_set), so a kill never leaves a certificate no
 * order can fetch.  Returns -1 when policy refuses the CSR, -2 on the
 * server's trouble.  It takes the CA lock for the signing only.
 */
struct acme_issuer {
	int (*issue)(void *arg, const unsigned char *csr, size_t csrlen, int64_t order_id, char serial[48]);
	/* Whether the CA may issue for a DNS name (its domains, hostname
	 * rules) or an IP address in canonical text (the root's IP name
	 * constraints): 0, or -1 with mc_err saying why not. */
	int (*check_name)(void *arg, const char *name);
	/* Revokes a stored certificate (one transaction with its audit event). */
	int (*revoke)(void *arg, const char *serial, const char *reason);
	void *arg;
};

/* Inside the transaction recording rec, the certificate of order_id: the
 * order becomes valid with it, and the certificate the order replaces
 * (RFC 9773) is marked superseded by rec (or, if revoked, linked to it). */
int acme_order_link_cert(struct store *db, int64_t order_id, const struct store_cert *rec);

struct acme_config {
	const char *listen_addr;	/* "127.0.0.1" */
	int port;
	const char *base_url;		/* "https://acme.example.org:14000", no trailing slash */
	const char *tls_cert_pem;	/* NULL: plain HTTP (behind a proxy, loopback only) */
	const char *tls_key_pem;
	const char *chain_pem;		/* issuing CA certificates after the leaf ("" for none) */
	int http01_port;		/* 80 */
	const char *resolver;		/* HOST:PORT for dns-01 lookups; NULL: the system's */
	int eab_required;		/* newAccount needs an External Account Binding (eab.c) */
	int tlsalpn01_port;		/* 443 */
	struct acme_issuer issuer;
};

struct acme_server;

/* Starts the HTTP(S) server on its own thread, with the store at dbpath
 * opened for that thread alone. */
struct acme_server *acme_server_start(const struct acme_config *cfg, const char *dbpath);
void acme_server_stop(struct acme_server *srv);
/* Replaces the server's TLS pair (cert_pem: the leaf then its issuers)
 * for every handshake from now on; connections already open keep the
 * old one.  Safe from any thread while the server runs. */
int acme_server_set_tls(struct acme_server *srv, const char *cert_pem, const char *key_pem);

/* ---- problems (RFC 7807) ---- */
struct acme_problem {
	int status;			/* HTTP status */
	const char *type;		/* "badNonce", ... (urn:ietf:params:acme:error: is added) */
	char detail[256];
};
void acme_problem_set(struct acme_problem *p, int status, const char *type, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- base64url (RFC 4648 §5, no padding) ---- */
/* Decodes into *out (malloc'd, *outlen bytes); -1 on any character
 * outside the alphabet, padding, or a length no encoding has. */
int acme_b64url_decode(const char *in, size_t inlen, unsigned char **out, size_t *outlen);
/* malloc'd NUL-terminated text. */
char *acme_b64url_encode(const unsigned char *in, size_t len);

/* ---- JWS (RFC 7515 flattened JSON serialisation, as RFC 8555 §6.2 wants) ---- */
struct acme_jws {
	json_t *header;			/* the decoded protected header */
	const char *alg;		/* in header */
	const char *nonce;		/* in header; NULL if absent */
	const char *url;		/* in header; NULL if absent */
	const char *kid;		/* NULL: the header has jwk */
	json_t *jwk;			/* borrowed from header; NULL: kid */
	unsigned char *payload;		/* decoded, NUL-terminated; "" for POST-as-GET */
	size_t payloadlen;
	unsigned char *sig;
	size_t siglen;
	char *signing_input;		/* "protected.payload" as sent */
};
/* Parses body into jws.  Checks the form RFC 8555 asks for: exactly one
 * of jwk/kid, alg present and not "none" or a MAC, nonce and url strings. */
int acme_jws_parse(const char *body, size_t len, struct acme_jws *jws, struct acme_problem *p);
/* Checks jws->sig over the signing input with key, for jws->alg (RS256,
 * ES256, ES384, EdDSA); the alg must fit the key's type. */
int acme_jws_verify(const struct acme_jws *jws, EVP_PKEY *key, struct acme_problem *p);
void acme_jws_free(struct acme_jws *jws);
/* A public key from a JWK (RSA, EC P-256/P-384, OKP Ed25519). */
EVP_PKEY *acme_jwk_to_pkey(const json_t *jwk);
/* RFC 7638 thumbprint, base64url of the SHA-256 (43 characters + NUL). */
int acme_jwk_thumbprint(const json_t *jwk, char out[64]);
/* Whether the JWK is the public half of pkey. */
int acme_jwk_matches(const json_t *jwk, EVP_PKEY *pkey);

/* ---- challenge validation (validate.c) ---- */
/* Fetches http://DOMAIN:PORT/.well-known/acme-challenge/TOKEN and
 * compares it with keyauth (bounded time, bytes and redirects). */
int acme_http01_check(const char *domain, int port, const char *token, const char *keyauth,
    struct acme_problem *p);

/* Looks up TXT _acme-challenge.DOMAIN (RFC 8555 §8.4) through resolver
 * (HOST:PORT; NULL: the system's) for base64url(SHA-256(keyauth)). */
int acme_dns01_check(const char *resolver, const char *domain, const char *keyauth, struct acme_problem *p);

/* ---- ARI (RFC 9773) ---- */
/* The certID of a certificate: base64url(AKI keyIdentifier) "."
 * base64url(serial DER content octets); malloc'd. */
char *acme_ari_cert_id(const unsigned char *der, size_t len);
/* Splits a certID into the serial as the store writes it (lowercase
 * hex, leading zero octets dropped). */
int acme_ari_serial(const char *certid, char serial[48]);

/* ---- External Account Binding (eab.c, RFC 8555 §7.3.4) ---- */
/* A new key id (e->kid, set here) with e->name and e->domains, and its
 * 256-bit HMAC key: written to DIR/KID (0600; dir is the home's
 * private/eab), then the row and its audit event committed.  hmac gets
 * the key in base64url without padding, to be shown once. */
int acme_eab_create(struct store *db, const char *dir, struct store_acme_eab *e, char hmac[64]);
/* 1: kid revoked and its key file removed; 0: no usable kid (mc_err). */
int acme_eab_revoke(struct store *db, const char *dir, const char *kid);
/* The binding's JWS, its header's fields borrowed from header. */
struct acme_eab_jws {
	json_t *header;
	const char *alg;		/* HS256, HS384, HS512 */
	const char *kid;
	unsigned char *payload, *sig;
	size_t payloadlen, siglen;
	char *signing_input;
};
/* The form §7.3.4 asks for: flattened JWS, alg HS256/384/512, a kid, url
 * equal to url (the newAccount URL), no nonce, and the payload the JWK of
 * acct_key (the outer JWS's key). */
int acme_eab_parse(const json_t *eab, const char *url, EVP_PKEY *acct_key, struct acme_eab_jws *e,
    struct acme_problem *p);
/* The MAC, compared in constant time. */
int acme_eab_verify_mac(const struct acme_eab_jws *e, const unsigned char *key, size_t keylen,
    struct acme_problem *p);
void acme_eab_jws_free(struct acme_eab_jws *e);
/* Whether name (a "*." prefix is dropped) is one of domains (one a line)
 * or below one; "" allows every name. */
int acme_eab_name_allowed(const char *domains, const char *name);

#endif
