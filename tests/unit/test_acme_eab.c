/*
 * acme/eab.c: the External Account Binding JWS (RFC 8555 §7.3.4), made
 * here with OpenSSL's HMAC directly so a check that accepted anything or
 * refused everything fails; the domain rule; key ids made, bound once
 * and revoked in a real store, the HMAC key in a 0600 file and gone once
 * used.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>

#include "../../acme/acme.h"

#define URL "https://acme.example.test:14000/acme/new-account"

static const unsigned char hkey[32] = "0123456789abcdef0123456789abcdef";

static char *
b64(const void *p, size_t n)
{
	return acme_b64url_encode(p, n);
}

static EVP_PKEY *
ec_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	cr_assert_not_null(k);
	return k;
}

static json_t *
jwk_of(EVP_PKEY *k)
{
	unsigned char pt[100];
	size_t len = 0;
	char *x, *y;
	json_t *j;

	cr_assert_eq(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &len), 1);
	x = b64(pt + 1, 32);
	y = b64(pt + 33, 32);
	j = json_pack("{s:s, s:s, s:s, s:s}", "kty", "EC", "crv", "P-256", "x", x, "y", y);
	free(x);
	free(y);
	return j;
}

/* The binding a client sends: header as given, payload the JWK of k,
 * MAC with key for md. */
static json_t *
eab_of(json_t *hdr, EVP_PKEY *k, const EVP_MD *md, const unsigned char *key, size_t keylen)
{
	json_t *jwk = jwk_of(k);
	char *htext = json_dumps(hdr, JSON_COMPACT), *ptext = json_dumps(jwk, JSON_COMPACT);
	char *h64 = b64(htext, strlen(htext)), *p64 = b64(ptext, strlen(ptext)), *input, *s64;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	json_t *eab;

	cr_assert_geq(asprintf(&input, "%s.%s", h64, p64), 0);
	cr_assert_not_null(HMAC(md, key, (int)keylen, (unsigned char *)input, strlen(input), mac, &maclen));
	s64 = b64(mac, maclen);
	eab = json_pack("{s:s, s:s, s:s}", "protected", h64, "payload", p64, "signature", s64);
	free(htext);
	free(ptext);
	free(h64);
	free(p64);
	free(input);
	free(s64);
	json_decref(jwk);
	json_decref(hdr);
	return eab;
}

static json_t *
hdr(const char *alg, const char *kid, const char *url)
{
	return json_pack("{s:s, s:s, s:s}", "alg", alg, "kid", kid, "url", url);
}

/* Parses and checks the MAC: 0, or -1 with p's type. */
static int
check(json_t *eab, EVP_PKEY *acct, const unsigned char *key, size_t keylen, struct acme_problem *p)
{
	struct acme_eab_jws e;
	int rc = acme_eab_parse(eab, URL, acct, &e, p);

	if (rc == 0) {
		rc = acme_eab_verify_mac(&e, key, keylen, p);
		acme_eab_jws_free(&e);
	}
	json_decref(eab);
	return rc;
}

Test(acme_eab, hs256_hs384_hs512_verify)
{
	static const char *const algs[] = { "HS256", "HS384", "HS512" };
	const EVP_MD *mds[] = { EVP_sha256(), EVP_sha384(), EVP_sha512() };
	EVP_PKEY *k = ec_key();
	struct acme_problem p;

	for (size_t i = 0; i < 3; i++) {
		struct acme_eab_jws e;
		json_t *eab = eab_of(hdr(algs[i], "kid-1", URL), k, mds[i], hkey, sizeof(hkey));

		cr_assert_eq(acme_eab_parse(eab, URL, k, &e, &p), 0, "%s: %s", algs[i], p.detail);
		cr_assert_str_eq(e.kid, "kid-1");
		cr_assert_eq(acme_eab_verify_mac(&e, hkey, sizeof(hkey), &p), 0, "%s: %s", algs[i], p.detail);
		acme_eab_jws_free(&e);
		json_decref(eab);
	}
	EVP_PKEY_free(k);
}

Test(acme_eab, wrong_mac_or_key_is_unauthorized)
{
	EVP_PKEY *k = ec_key();
	unsigned char other[32];
	struct acme_problem p;
	json_t *eab;
	char *sig;

	memcpy(other, hkey, sizeof(other));
	other[31] ^= 1;
	cr_assert_eq(check(eab_of(hdr("HS256", "kid-1", URL), k, EVP_sha256(), other, sizeof(other)), k, hkey,
	    sizeof(hkey), &p), -1);
	cr_assert_str_eq(p.type, "unauthorized");
	/* HS512's MAC claimed as HS256: the length alone differs. */
	eab = eab_of(hdr("HS256", "kid-1", URL), k, EVP_sha512(), hkey, sizeof(hkey));
	cr_assert_eq(check(eab, k, hkey, sizeof(hkey), &p), -1);
	cr_assert_str_eq(p.type, "unauthorized");
	/* One changed character of the MAC. */
	eab = eab_of(hdr("HS256", "kid-1", URL), k, EVP_sha256(), hkey, sizeof(hkey));
	sig = mc_strdup(json_string_value(json_object_get(eab, "signature")));
	sig[3] = sig[3] == 'A' ? 'B' : 'A';
	json_object_set_new(eab, "signature", json_string(sig));
	free(sig);
	cr_assert_eq(check(eab, k, hkey, sizeof(hkey), &p), -1);
	cr_assert_str_eq(p.type, "unauthorized");
	EVP_PKEY_free(k);
}

Test(acme_eab, form_refusals)
{
	EVP_PKEY *k = ec_key(), *k2 = ec_key();
	struct acme_problem p;
	json_t *h;

	/* Another url (the newOrder one). */
	cr_assert_eq(check(eab_of(hdr("HS256", "kid-1", "https://acme.example.test:14000/acme/new-order"), k,
	    EVP_sha256(), hkey, 32), k, hkey, 32, &p), -1);
	cr_assert_str_eq(p.type, "malformed");
	cr_assert(strstr(p.detail, "url") != NULL, "%s", p.detail);
	/* The payload is another key than the account's. */
	cr_assert_eq(check(eab_of(hdr("HS256", "kid-1", URL), k2, EVP_sha256(), hkey, 32), k, hkey, 32, &p), -1);
	cr_assert_str_eq(p.type, "malformed");
	cr_assert(strstr(p.detail, "payload") != NULL, "%s", p.detail);
	/* A nonce (§7.3.4: MUST NOT). */
	h = hdr("HS256", "kid-1", URL);
	json_object_set_new(h, "nonce", json_string("abc"));
	cr_assert_eq(check(eab_of(h, k, EVP_sha256(), hkey, 32), k, hkey, 32, &p), -1);
	cr_assert_str_eq(p.type, "malformed");
	/* No kid. */
	h = json_pack("{s:s, s:s}", "alg", "HS256", "url", URL);
	cr_assert_eq(check(eab_of(h, k, EVP_sha256(), hkey, 32), k, hkey, 32, &p), -1);
	cr_assert_str_eq(p.type, "malformed");
	/* Not a MAC algorithm, or none. */
	cr_assert_eq(check(eab_of(hdr("RS256", "kid-1", URL), k, EVP_sha256(), hkey, 32), k, hkey, 32, &p), -1);
	cr_assert_str_eq(p.type, "badSignatureAlgorithm");
	cr_assert_eq(check(eab_of(hdr("none", "kid-1", URL), k, EVP_sha256(), hkey, 32), k, hkey, 32, &p), -1);
	cr_assert_str_eq(p.type, "badSignatureAlgorithm");
	/* Not a flattened JWS. */
	cr_assert_eq(check(json_string("x"), k, hkey, 32, &p), -1);
	cr_assert_str_eq(p.type, "malformed");
	cr_assert_eq(check(json_pack("{s:s, s:s}", "protected", "e30", "payload", "e30"), k, hkey, 32, &p), -1);
	cr_assert_str_eq(p.type, "malformed");
	cr_assert_eq(check(json_pack("{s:s, s:s, s:s}", "protected", "e3=", "payload", "e30", "signature", "AA"), k,
	    hkey, 32, &p), -1);
	cr_assert_str_eq(p.type, "malformed");
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
}

Test(acme_eab, domain_rule)
{
	static const struct {
		const char *domains, *name;
		int ok;
	} t[] = {
		{ "", "anything.example.test", 1 },
		{ "www.example.test", "www.example.test", 1 },
		{ "www.example.test", "WWW.Example.Test", 1 },
		{ "www.example.test", "a.www.example.test", 1 },
		{ "www.example.test", "*.www.example.test", 1 },
		{ "www.example.test", "example.test", 0 },
		{ "www.example.test", "xwww.example.test", 0 },
		{ "www.example.test", "www.example.test.evil", 0 },
		{ "www.example.test", "ww.example.test", 0 },
		{ "a.test\nb.test", "x.b.test", 1 },
		{ "a.test\nb.test", "c.test", 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		cr_expect_eq(acme_eab_name_allowed(t[i].domains, t[i].name), t[i].ok, "%s in '%s'", t[i].name,
		    t[i].domains);
}

Test(acme_eab, made_bound_once_revoked)
{
	char dir[] = "/tmp/minica-eab.XXXXXX", db[300], keys[300], file[400], cmd[400];
	struct store_acme_eab e = { .name = "alice" }, f = { 0 }, got;
	struct store_acme_account a = { .jwk = "{}", .contact = "[]", .created_at = 1 };
	struct store *st;
	struct stat sb;
	char hmac[64];
	unsigned char *raw;
	size_t rawlen;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/minica.db", dir);
	snprintf(keys, sizeof(keys), "%s/private", dir);
	cr_assert_eq(mkdir(keys, 0700), 0);
	/* Run as root in a home another user owns (the server's), the key
	 * files go to that user. */
	if (geteuid() == 0)
		cr_assert_eq(chown(keys, 4321, 4322), 0);
	snprintf(keys, sizeof(keys), "%s/private/eab", dir);
	cr_assert_not_null(st = store_open(db, 1), "%s", mc_err());
	e.domains = "www.example.test";
	cr_assert_eq(acme_eab_create(st, keys, &e, hmac), 0, "%s", mc_err());
	/* 256 bits, base64url without padding: 43 characters. */
	cr_assert_eq(strlen(hmac), 43);
	cr_assert_eq(acme_b64url_decode(hmac, strlen(hmac), &raw, &rawlen), 0);
	cr_assert_eq(rawlen, 32);
	free(raw);
	snprintf(file, sizeof(file), "%s/%s", keys, e.kid);
	cr_assert_eq(stat(file, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0600);
	if (geteuid() == 0)
		cr_assert(sb.st_uid == 4321 && sb.st_gid == 4322, "key file owned by %d:%d", (int)sb.st_uid,
		    (int)sb.st_gid);
	cr_assert_eq(stat(keys, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0700);
	if (geteuid() == 0)
		cr_assert_eq(sb.st_uid, 4321);
	cr_assert_eq(acme_eab_create(st, keys, &f, hmac), 0, "%s", mc_err());
	cr_assert_str_neq(e.kid, f.kid);
	/* No key id looks like an option on a command line (1 in 32 would). */
	for (int i = 0; i < 200; i++) {
		struct store_acme_eab g = { 0 };
		char h[64];

		cr_assert_eq(acme_eab_create(st, keys, &g, h), 0, "%s", mc_err());
		cr_assert(g.kid[0] != '-' && g.kid[0] != '_', "key id '%s'", g.kid);
	}
	/* The HMAC key is not in the database file. */
	snprintf(cmd, sizeof(cmd), "grep -q -- '%s' '%s'", hmac, db);
	cr_assert_neq(system(cmd), 0, "the HMAC key is in minica.db");

	snprintf(a.thumbprint, sizeof(a.thumbprint), "t1");
	cr_assert_eq(store_acme_account_add(st, &a), 0);
	cr_assert_eq(store_acme_eab_bind(st, e.kid, a.id, 2), 1);
	snprintf(a.thumbprint, sizeof(a.thumbprint), "t2");
	cr_assert_eq(store_acme_account_add(st, &a), 0);
	cr_assert_eq(store_acme_eab_bind(st, e.kid, a.id, 3), 0, "a key id bound a second account");
	cr_assert_eq(store_acme_eab_get(st, NULL, a.id - 1, &got), 1);
	cr_assert_str_eq(got.kid, e.kid);
	cr_assert_str_eq(got.name, "alice");
	cr_assert_str_eq(got.domains, "www.example.test");
	store_acme_eab_free(&got);

	cr_assert_eq(acme_eab_revoke(st, keys, f.kid), 1, "%s", mc_err());
	snprintf(file, sizeof(file), "%s/%s", keys, f.kid);
	cr_assert_neq(stat(file, &sb), 0, "the revoked key's file is still there");
	cr_assert_eq(store_acme_eab_bind(st, f.kid, a.id, 4), 0, "a revoked key id bound an account");
	cr_assert_eq(acme_eab_revoke(st, keys, f.kid), 0);
	cr_assert_eq(acme_eab_revoke(st, keys, "no-such-kid"), 0);
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}
