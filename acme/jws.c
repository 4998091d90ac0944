/* JWS in flattened JSON form (RFC 7515 §7.2.2), as RFC 8555 §6.2 wants. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "acme.h"

void
acme_problem_set(struct acme_problem *p, int status, const char *type, const char *fmt, ...)
{
	va_list ap;

	p->status = status;
	p->type = type;
	va_start(ap, fmt);
	vsnprintf(p->detail, sizeof(p->detail), fmt, ap);
	va_end(ap);
}

static int
b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int
acme_b64url_decode(const char *in, size_t inlen, unsigned char **out, size_t *outlen)
{
	unsigned char *o;
	size_t n = 0;
	uint32_t acc = 0;
	int bits = 0;

	*out = NULL;
	if (inlen % 4 == 1)
		return -1;
	if ((o = malloc(inlen * 3 / 4 + 1)) == NULL)
		return -1;
	for (size_t i = 0; i < inlen; i++) {
		int v = b64url_value((unsigned char)in[i]);

		if (v < 0) {
			free(o);
			return -1;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[n++] = (unsigned char)(acc >> bits);
		}
	}
	/* Leftover bits must be zero: one encoding per value. */
	if ((acc & ((1u << bits) - 1)) != 0) {
		free(o);
		return -1;
	}
	o[n] = '\0';
	*out = o;
	*outlen = n;
	return 0;
}

char *
acme_b64url_encode(const unsigned char *in, size_t len)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *o = malloc(len * 4 / 3 + 4);
	size_t n = 0;
	uint32_t acc = 0;
	int bits = 0;

	if (o == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			o[n++] = alpha[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		o[n++] = alpha[(acc << (6 - bits)) & 63];
	o[n] = '\0';
	return o;
}

static int
b64_member(const json_t *obj, const char *name, unsigned char **out, size_t *len)
{
	const json_t *v = json_object_get(obj, name);

	if (!json_is_string(v))
		return -1;
	return acme_b64url_decode(json_string_value(v), json_string_length(v), out, len);
}

static int
header_fields(struct acme_jws *jws, struct acme_problem *p)
{
	json_t *h = jws->header, *v;

	if (!json_is_object(h))
		return acme_problem_set(p, 400, "malformed", "the JWS protected header is not a JSON object"), -1;
	if (!json_is_string(v = json_object_get(h, "alg")))
		return acme_problem_set(p, 400, "malformed", "the JWS protected header has no alg"), -1;
	jws->alg = json_string_value(v);
	if (strcmp(jws->alg, "none") == 0 || strncmp(jws->alg, "HS", 2) == 0)
		return acme_problem_set(p, 400, "badSignatureAlgorithm",
		    "JWS alg '%s' is not allowed (RS256, ES256, ES384, EdDSA)", jws->alg), -1;
	if ((v = json_object_get(h, "nonce")) != NULL && json_is_string(v))
		jws->nonce = json_string_value(v);
	if ((v = json_object_get(h, "url")) != NULL && json_is_string(v))
		jws->url = json_string_value(v);
	if (jws->url == NULL)
		return acme_problem_set(p, 400, "malformed", "the JWS protected header has no url"), -1;
	v = json_object_get(h, "kid");
	jws->jwk = json_object_get(h, "jwk");
	if ((v != NULL) == (jws->jwk != NULL))
		return acme_problem_set(p, 400, "malformed", "the JWS protected header needs exactly one of jwk and kid"), -1;
	if (v != NULL && !json_is_string(v))
		return acme_problem_set(p, 400, "malformed", "the JWS kid is not a string"), -1;
	if (jws->jwk != NULL && !json_is_object(jws->jwk))
		return acme_problem_set(p, 400, "malformed", "the JWS jwk is not an object"), -1;
	jws->kid = v != NULL ? json_string_value(v) : NULL;
	return 0;
}

int
acme_jws_parse(const char *body, size_t len, struct acme_jws *jws, struct acme_problem *p)
{
	json_t *root = NULL;
	const json_t *prot, *pay;
	unsigned char *hdr = NULL;
	size_t hdrlen;
	int rc = -1;

	memset(jws, 0, sizeof(*jws));
	if ((root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL)) == NULL || !json_is_object(root)) {
		acme_problem_set(p, 400, "malformed", "the request body is not a JSON object");
		goto out;
	}
	prot = json_object_get(root, "protected");
	pay = json_object_get(root, "payload");
	if (!json_is_string(prot) || !json_is_string(pay) || json_object_get(root, "signatures") != NULL) {
		acme_problem_set(p, 400, "malformed", "the body is not a flattened JWS (protected, payload, signature)");
		goto out;
	}
	if (b64_member(root, "protected", &hdr, &hdrlen) < 0 ||
	    b64_member(root, "payload", &jws->payload, &jws->payloadlen) < 0 ||
	    b64_member(root, "signature", &jws->sig, &jws->siglen) < 0) {
		acme_problem_set(p, 400, "malformed", "a JWS member is not base64url without padding");
		goto out;
	}
	if ((jws->header = json_loadb((char *)hdr, hdrlen, JSON_REJECT_DUPLICATES, NULL)) == NULL) {
		acme_problem_set(p, 400, "malformed", "the JWS protected header is not JSON");
		goto out;
	}
	if (header_fields(jws, p) < 0)
		goto out;
	if (asprintf(&jws->signing_input, "%s.%s", json_string_value(prot), json_string_value(pay)) < 0) {
		jws->signing_input = NULL;
		acme_problem_set(p, 500, "serverInternal", "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(hdr);
	json_decref(root);
	if (rc < 0)
		acme_jws_free(jws);
	return rc;
}

void
acme_jws_free(struct acme_jws *jws)
{
	json_decref(jws->header);
	free(jws->payload);
	free(jws->sig);
	free(jws->signing_input);
	memset(jws, 0, sizeof(*jws));
}

/* JWS ECDSA signatures are r || s, each the curve's size; OpenSSL wants DER. */
static unsigned char *
ecdsa_raw_to_der(const unsigned char *sig, size_t len, size_t half, size_t *derlen)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *der = NULL;
	int n;

	if (len != 2 * half)
		return NULL;
	r = BN_bin2bn(sig, (int)half, NULL);
	s = BN_bin2bn(sig + half, (int)half, NULL);
	if (r == NULL || s == NULL || (es = ECDSA_SIG_new()) == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return NULL;
	}
	if ((n = i2d_ECDSA_SIG(es, &der)) <= 0)
		der = NULL;
	*derlen = n > 0 ? (size_t)n : 0;
	ECDSA_SIG_free(es);
	return der;
}

static int
alg_params(const char *alg, EVP_PKEY *key, const EVP_MD **md, size_t *ec_half)
{
	int id = EVP_PKEY_get_base_id(key);

	*md = NULL;
	*ec_half = 0;
	if (strcmp(alg, "RS256") == 0 && id == EVP_PKEY_RSA && EVP_PKEY_get_bits(key) >= 2048)
		return *md = EVP_sha256(), 0;
	if (strcmp(alg, "ES256") == 0 && id == EVP_PKEY_EC && EVP_PKEY_get_bits(key) == 256)
		return *md = EVP_sha256(), *ec_half = 32, 0;
	if (strcmp(alg, "ES384") == 0 && id == EVP_PKEY_EC && EVP_PKEY_get_bits(key) == 384)
		return *md = EVP_sha384(), *ec_half = 48, 0;
	if (strcmp(alg, "EdDSA") == 0 && id == EVP_PKEY_ED25519)
		return 0;
	return -1;
}

int
acme_jws_verify(const struct acme_jws *jws, EVP_PKEY *key, struct acme_problem *p)
{
	EVP_MD_CTX *ctx = NULL;
	const EVP_MD *md;
	unsigned char *der = NULL;
	const unsigned char *sig = jws->sig;
	size_t siglen = jws->siglen, half;
	int rc = -1;

	if (alg_params(jws->alg, key, &md, &half) < 0) {
		acme_problem_set(p, 400, "badSignatureAlgorithm",
		    "JWS alg '%s' does not fit the account key (RS256 with RSA >= 2048, ES256 with P-256, "
		    "ES384 with P-384, EdDSA with Ed25519)", jws->alg);
		return -1;
	}
	if (half != 0) {
		if ((der = ecdsa_raw_to_der(sig, siglen, half, &siglen)) == NULL)
			goto bad;
		sig = der;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL || EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) != 1)
		goto bad;
	if (EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)jws->signing_input,
	    strlen(jws->signing_input)) != 1)
		goto bad;
	rc = 0;
	goto out;
bad:
	acme_problem_set(p, 400, "malformed", "the JWS signature does not verify");
out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	return rc;
}
