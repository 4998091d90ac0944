/* JSON Web Keys (RFC 7517/7518/8037) to OpenSSL keys, and thumbprints (RFC 7638). */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "acme.h"

static const char *
jwk_str(const json_t *jwk, const char *name)
{
	const json_t *v = json_object_get(jwk, name);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static BIGNUM *
jwk_bn(const json_t *jwk, const char *name)
{
	const char *s = jwk_str(jwk, name);
	unsigned char *raw = NULL;
	size_t len;
	BIGNUM *bn;

	if (s == NULL || acme_b64url_decode(s, strlen(s), &raw, &len) < 0 || len == 0 || len > 1024) {
		free(raw);
		return NULL;
	}
	bn = BN_bin2bn(raw, (int)len, NULL);
	free(raw);
	return bn;
}

static EVP_PKEY *
from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *key = NULL;

	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		key = NULL;
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	return key;
}

static EVP_PKEY *
rsa_key(const json_t *jwk)
{
	BIGNUM *n = jwk_bn(jwk, "n"), *e = jwk_bn(jwk, "e");
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *key = NULL;

	if (n != NULL && e != NULL && bld != NULL &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) == 1)
		key = from_params("RSA", bld);
	BN_free(n);
	BN_free(e);
	OSSL_PARAM_BLD_free(bld);
	return key;
}

static EVP_PKEY *
ec_key(const json_t *jwk)
{
	const char *crv = jwk_str(jwk, "crv"), *x = jwk_str(jwk, "x"), *y = jwk_str(jwk, "y");
	unsigned char *xb = NULL, *yb = NULL, pt[1 + 2 * 48];
	size_t xl = 0, yl = 0, size;
	const char *group;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *key = NULL;

	if (crv == NULL || x == NULL || y == NULL)
		return NULL;
	if (strcmp(crv, "P-256") == 0)
		group = "prime256v1", size = 32;
	else if (strcmp(crv, "P-384") == 0)
		group = "secp384r1", size = 48;
	else
		return NULL;
	if (acme_b64url_decode(x, strlen(x), &xb, &xl) < 0 || acme_b64url_decode(y, strlen(y), &yb, &yl) < 0 ||
	    xl != size || yl != size)
		goto out;
	pt[0] = 0x04;
	memcpy(pt + 1, xb, size);
	memcpy(pt + 1 + size, yb, size);
	if ((bld = OSSL_PARAM_BLD_new()) != NULL &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) == 1 &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, 1 + 2 * size) == 1)
		key = from_params("EC", bld);
out:
	free(xb);
	free(yb);
	OSSL_PARAM_BLD_free(bld);
	return key;
}

static EVP_PKEY *
okp_key(const json_t *jwk)
{
	const char *crv = jwk_str(jwk, "crv"), *x = jwk_str(jwk, "x");
	unsigned char *xb = NULL;
	size_t xl = 0;
	EVP_PKEY *key = NULL;

	if (crv == NULL || x == NULL || strcmp(crv, "Ed25519") != 0)
		return NULL;
	if (acme_b64url_decode(x, strlen(x), &xb, &xl) == 0 && xl == 32)
		key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, xb, xl);
	free(xb);
	return key;
}

EVP_PKEY *
acme_jwk_to_pkey(const json_t *jwk)
{
	const char *kty = jwk_str(jwk, "kty");
	EVP_PKEY *key = NULL;

	if (kty == NULL)
		key = NULL;
	else if (strcmp(kty, "RSA") == 0)
		key = rsa_key(jwk);
	else if (strcmp(kty, "EC") == 0)
		key = ec_key(jwk);
	else if (strcmp(kty, "OKP") == 0)
		key = okp_key(jwk);
	ERR_clear_error();
	if (key == NULL)
		mc_seterr("unsupported or malformed JWK (RSA, EC P-256/P-384 or Ed25519 wanted)");
	return key;
}

/* RFC 7638 §3: the required members only, in lexicographic order, no
 * white space.  jansson's JSON_SORT_KEYS|JSON_COMPACT writes exactly that. */
int
acme_jwk_thumbprint(const json_t *jwk, char out[64])
{
	static const char *const rsa[] = { "e", "kty", "n", NULL }, *const ec[] = { "crv", "kty", "x", "y", NULL },
	    *const okp[] = { "crv", "kty", "x", NULL };
	const char *kty = jwk_str(jwk, "kty");
	const char *const *members;
	json_t *req = json_object();
	unsigned char md[32];
	char *text = NULL, *b64 = NULL;
	int rc = -1;

	if (kty == NULL || req == NULL)
		goto out;
	members = strcmp(kty, "RSA") == 0 ? rsa : strcmp(kty, "EC") == 0 ? ec : strcmp(kty, "OKP") == 0 ? okp : NULL;
	if (members == NULL)
		goto out;
	for (size_t i = 0; members[i] != NULL; i++) {
		const char *v = jwk_str(jwk, members[i]);

		if (v == NULL || json_object_set_new(req, members[i], json_string(v)) < 0)
			goto out;
	}
	if ((text = json_dumps(req, JSON_SORT_KEYS | JSON_COMPACT)) == NULL ||
	    EVP_Digest(text, strlen(text), md, NULL, EVP_sha256(), NULL) != 1 ||
	    (b64 = acme_b64url_encode(md, sizeof(md))) == NULL)
		goto out;
	snprintf(out, 64, "%s", b64);
	rc = 0;
out:
	if (rc < 0)
		mc_seterr("cannot compute the JWK thumbprint");
	json_decref(req);
	free(text);
	free(b64);
	return rc;
}

int
acme_jwk_matches(const json_t *jwk, EVP_PKEY *pkey)
{
	EVP_PKEY *k = acme_jwk_to_pkey(jwk);
	int eq = k != NULL && EVP_PKEY_eq(k, pkey) == 1;

	EVP_PKEY_free(k);
	ERR_clear_error();
	return eq;
}
