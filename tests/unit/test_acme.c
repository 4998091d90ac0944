/*
 * acme/: base64url, JWS parsing and verification (RS256, ES256, ES384,
 * EdDSA), JWK import and RFC 7638 thumbprints, ARI certIDs.  Signatures
 * are made here with OpenSSL directly, so a verifier that accepted
 * anything, or refused everything, fails.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "../../acme/acme.h"

static char *
b64(const void *p, size_t n)
{
	return acme_b64url_encode(p, n);
}

static char *
bn_b64(EVP_PKEY *k, const char *name)
{
	BIGNUM *bn = NULL;
	unsigned char buf[600];
	int n;
	char *s;

	cr_assert_eq(EVP_PKEY_get_bn_param(k, name, &bn), 1);
	n = BN_bn2bin(bn, buf);
	BN_free(bn);
	s = b64(buf, (size_t)n);
	return s;
}

/* The public JWK of k (RSA, EC P-256/P-384, Ed25519). */
static json_t *
jwk_of(EVP_PKEY *k)
{
	int id = EVP_PKEY_get_base_id(k);
	unsigned char pt[200];
	size_t len = 0;

	if (id == EVP_PKEY_RSA) {
		char *n = bn_b64(k, OSSL_PKEY_PARAM_RSA_N), *e = bn_b64(k, OSSL_PKEY_PARAM_RSA_E);
		json_t *j = json_pack("{s:s, s:s, s:s}", "kty", "RSA", "n", n, "e", e);

		free(n);
		free(e);
		return j;
	}
	if (id == EVP_PKEY_ED25519) {
		char *x;
		json_t *j;

		len = 32;
		cr_assert_eq(EVP_PKEY_get_raw_public_key(k, pt, &len), 1);
		x = b64(pt, len);
		j = json_pack("{s:s, s:s, s:s}", "kty", "OKP", "crv", "Ed25519", "x", x);
		free(x);
		return j;
	}
	cr_assert_eq(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &len), 1);
	size_t half = (len - 1) / 2;
	char *x = b64(pt + 1, half), *y = b64(pt + 1 + half, half);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "kty", "EC", "crv", half == 32 ? "P-256" : "P-384", "x", x,
	    "y", y);

	free(x);
	free(y);
	return j;
}

/* A flattened JWS over header/payload, signed by k for alg. */
static char *
jws_body(EVP_PKEY *k, const char *alg, json_t *header, const char *payload)
{
	char *htext = json_dumps(header, JSON_COMPACT), *h64 = b64(htext, strlen(htext));
	char *p64 = b64(payload, strlen(payload)), *input, *s64, *body;
	unsigned char sig[1024], raw[96];
	size_t siglen = sizeof(sig);
	const EVP_MD *md = strcmp(alg, "EdDSA") == 0 ? NULL : strcmp(alg, "ES384") == 0 ? EVP_sha384() : EVP_sha256();
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	cr_assert_geq(asprintf(&input, "%s.%s", h64, p64), 0);
	cr_assert_eq(EVP_DigestSignInit(ctx, NULL, md, NULL, k), 1);
	cr_assert_eq(EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)input, strlen(input)), 1);
	if (alg[0] == 'E' && alg[1] == 'S') {
		const unsigned char *q = sig;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &q, (long)siglen);
		int half = strcmp(alg, "ES384") == 0 ? 48 : 32;

		BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, half);
		BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + half, half);
		ECDSA_SIG_free(es);
		s64 = b64(raw, (size_t)(2 * half));
	} else {
		s64 = b64(sig, siglen);
	}
	cr_assert_geq(asprintf(&body, "{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}", h64, p64, s64), 0);
	EVP_MD_CTX_free(ctx);
	free(htext);
	free(h64);
	free(p64);
	free(input);
	free(s64);
	return body;
}

static json_t *
header(const char *alg, json_t *jwk)
{
	return json_pack("{s:s, s:s, s:s, s:o}", "alg", alg, "nonce", "n0nce", "url", "https://a.test/acme/new-order",
	    "jwk", jwk);
}

static void
roundtrip(EVP_PKEY *k, const char *alg)
{
	json_t *jwk = jwk_of(k), *h = header(alg, json_incref(jwk));
	char *body = jws_body(k, alg, h, "{\"a\":1}");
	struct acme_jws jws;
	struct acme_problem p;
	EVP_PKEY *pub;

	cr_assert_eq(acme_jws_parse(body, strlen(body), &jws, &p), 0, "%s: %s", alg, p.detail);
	cr_assert_str_eq(jws.url, "https://a.test/acme/new-order");
	cr_assert_str_eq(jws.nonce, "n0nce");
	cr_assert_str_eq((char *)jws.payload, "{\"a\":1}");
	cr_assert_not_null(pub = acme_jwk_to_pkey(jws.jwk), "%s: %s", alg, mc_err());
	cr_assert(EVP_PKEY_eq(pub, k) == 1);
	cr_assert_eq(acme_jws_verify(&jws, pub, &p), 0, "%s: %s", alg, p.detail);
	acme_jws_free(&jws);
	/* One flipped byte of the payload: the signature no longer fits. */
	char *at = strstr(body, "\"payload\":\"") + 11;

	*at = *at == 'e' ? 'f' : 'e';
	cr_assert_eq(acme_jws_parse(body, strlen(body), &jws, &p), 0);
	cr_assert_eq(acme_jws_verify(&jws, pub, &p), -1, "%s accepted a changed payload", alg);
	cr_assert_str_eq(p.type, "malformed");
	acme_jws_free(&jws);
	EVP_PKEY_free(pub);
	json_decref(h);
	json_decref(jwk);
	free(body);
}

Test(acme_jws, rs256_es256_es384_eddsa)
{
	EVP_PKEY *rsa = EVP_RSA_gen(2048), *p256 = EVP_EC_gen("P-256"), *p384 = EVP_EC_gen("P-384");
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	roundtrip(rsa, "RS256");
	roundtrip(p256, "ES256");
	roundtrip(p384, "ES384");
	roundtrip(ed, "EdDSA");
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(ed);
}

Test(acme_jws, alg_must_fit_the_key)
{
	EVP_PKEY *p256 = EVP_EC_gen("P-256");
	json_t *h = header("ES256", jwk_of(p256));
	char *body = jws_body(p256, "ES256", h, "{}");
	struct acme_jws jws;
	struct acme_problem p;

	cr_assert_eq(acme_jws_parse(body, strlen(body), &jws, &p), 0);
	/* The header claims RS256 for an EC key: refused before any maths. */
	jws.alg = "RS256";
	cr_assert_eq(acme_jws_verify(&jws, p256, &p), -1);
	cr_assert_str_eq(p.type, "badSignatureAlgorithm");
	acme_jws_free(&jws);
	json_decref(h);
	free(body);
	EVP_PKEY_free(p256);
}

static void
expect_refused(const char *body, const char *type)
{
	struct acme_jws jws;
	struct acme_problem p;

	cr_assert_eq(acme_jws_parse(body, strlen(body), &jws, &p), -1, "accepted: %s", body);
	cr_assert_str_eq(p.type, type, "%s: %s (%s)", body, p.type, p.detail);
}

static char *
with_header(const char *hjson)
{
	char *h64 = b64(hjson, strlen(hjson)), *body;

	cr_assert_geq(asprintf(&body, "{\"protected\":\"%s\",\"payload\":\"\",\"signature\":\"AAAA\"}", h64), 0);
	free(h64);
	return body;
}

Test(acme_jws, malformed_inputs)
{
	static const struct {
		const char *header, *type;
	} bad[] = {
		{ "{\"alg\":\"none\",\"nonce\":\"x\",\"url\":\"u\",\"kid\":\"k\"}", "badSignatureAlgorithm" },
		{ "{\"alg\":\"HS256\",\"nonce\":\"x\",\"url\":\"u\",\"kid\":\"k\"}", "badSignatureAlgorithm" },
		{ "{\"nonce\":\"x\",\"url\":\"u\",\"kid\":\"k\"}", "malformed" },
		{ "{\"alg\":\"ES256\",\"nonce\":\"x\",\"kid\":\"k\"}", "malformed" },
		{ "{\"alg\":\"ES256\",\"nonce\":\"x\",\"url\":\"u\"}", "malformed" },
		{ "{\"alg\":\"ES256\",\"url\":\"u\",\"kid\":\"k\",\"jwk\":{}}", "malformed" },
		{ "{\"alg\":\"ES256\",\"url\":\"u\",\"kid\":7}", "malformed" },
		{ "[1]", "malformed" },
		{ "{\"alg\":\"ES256\",\"alg\":\"RS256\",\"url\":\"u\",\"kid\":\"k\"}", "malformed" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *body = with_header(bad[i].header);

		expect_refused(body, bad[i].type);
		free(body);
	}
	expect_refused("", "malformed");
	expect_refused("not json", "malformed");
	expect_refused("{\"protected\":\"e30\",\"payload\":\"\"}", "malformed");
	expect_refused("{\"protected\":\"e30=\",\"payload\":\"\",\"signature\":\"AA\"}", "malformed");
	expect_refused("{\"protected\":\"e30\",\"payload\":\"\",\"signature\":\"AA\",\"signatures\":[]}", "malformed");
	expect_refused("{\"protected\":\"e30\",\"payload\":5,\"signature\":\"AA\"}", "malformed");
}

Test(acme_b64url, strict_decoding)
{
	unsigned char *out;
	size_t len;

	cr_assert_eq(acme_b64url_decode("aGk", 3, &out, &len), 0);
	cr_assert_eq(len, 2);
	cr_assert_eq(memcmp(out, "hi", 2), 0);
	free(out);
	cr_assert_eq(acme_b64url_decode("-_8", 3, &out, &len), 0);
	cr_assert_eq(out[0], 0xfb);
	cr_assert_eq(out[1], 0xff);
	free(out);
	cr_assert_eq(acme_b64url_decode("aGk=", 4, &out, &len), -1, "padding accepted");
	cr_assert_eq(acme_b64url_decode("aGl", 3, &out, &len), -1, "non-zero trailing bits accepted");
	cr_assert_eq(acme_b64url_decode("a+k", 3, &out, &len), -1, "standard alphabet accepted");
	cr_assert_eq(acme_b64url_decode("a", 1, &out, &len), -1);
}

/* RFC 7638 §3.1's example key and thumbprint. */
Test(acme_jwk, rfc7638_thumbprint)
{
	json_t *jwk = json_pack("{s:s, s:s, s:s, s:s}", "kty", "RSA", "e", "AQAB", "alg", "RS256", "n",
	    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw");
	char t[64];

	cr_assert_eq(acme_jwk_thumbprint(jwk, t), 0);
	cr_assert_str_eq(t, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	json_decref(jwk);
}

Test(acme_jwk, refused_keys)
{
	static const char *bad[] = {
		"{\"kty\":\"oct\",\"k\":\"AAAA\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":\"AA\",\"y\":\"AA\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\",\"y\":\"AAAA\"}",
		"{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"AAAA\"}",
		"{\"kty\":\"RSA\",\"e\":\"AQAB\"}",
		"{}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = json_loads(bad[i], 0, NULL);

		cr_assert_null(acme_jwk_to_pkey(j), "accepted %s", bad[i]);
		json_decref(j);
	}
}

/* RFC 9773 §4.1's example certID: AKI 69:88:5B..., serial 00:87:65:43:21. */
Test(acme_ari, rfc9773_cert_id)
{
	char serial[48];

	cr_assert_eq(acme_ari_serial("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", serial), 0, "%s", mc_err());
	cr_assert_str_eq(serial, "87654321");
	cr_assert_eq(acme_ari_serial("aYhba4dGQEHhs3uEe6CuLN4ByNQ", serial), -1);
	cr_assert_eq(acme_ari_serial("a.b.c", serial), -1);
	cr_assert_eq(acme_ari_serial("aYhb.gA", serial), -1, "a negative serial accepted");
}
