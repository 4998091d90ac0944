/* ca/key.c and ca/root.c: generation, encryption at rest, the root. */
#include <criterion/criterion.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"

static const char pass[] = "correct horse battery staple";

Test(key, types_generate_and_are_named)
{
	const char *types[] = { "rsa2048", "ec256", "ec384" };

	for (size_t i = 0; i < 3; i++) {
		EVP_PKEY *k = ca_key_generate(types[i], NULL);

		cr_assert_not_null(k, "%s: %s", types[i], mc_err());
		cr_assert_str_eq(ca_key_type_name(k), types[i]);
		EVP_PKEY_free(k);
	}
	cr_assert_null(ca_key_generate("rsa1024", NULL));
	cr_assert(strstr(mc_err(), "rsa1024") != NULL);
}

/* OpenSSL's own PKCS#8 encoding of a key, for comparison. */
static char *
openssl_pem(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *copy;
	long n;

	cr_assert(b != NULL && PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL));
	n = BIO_get_mem_data(b, &data);
	cr_assert_not_null(copy = strndup(data, (size_t)n));
	BIO_free(b);
	return copy;
}

/* ca_key_plain_pem builds an EC key's PKCS#8 itself (ca/eckey.c): the
 * same bytes as OpenSSL's encoder, for short private scalars too (a
 * leading zero byte, one key in 256), and read back to the same key. */
Test(key, ec_pkcs8_as_openssl_writes_it)
{
	static const char *const types[] = { "ec256", "ec384", "rsa2048" };

	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		int short_seen = 0, runs = t < 2 ? 5000 : 1;

		for (int i = 0; i < runs && (i < 300 || !short_seen); i++) {
			EVP_PKEY *k = ca_key_generate(types[t], NULL), *back;
			struct mc_buf pem = { 0 };
			BIGNUM *d = NULL;
			char *want;
			BIO *b;

			cr_assert_not_null(k);
			cr_assert_eq(ca_key_plain_pem(k, &pem), 0, "%s", mc_err());
			want = openssl_pem(k);
			cr_assert_eq(pem.len, strlen(want), "%s: %zu bytes, not %zu", types[t], pem.len, strlen(want));
			cr_assert_eq(memcmp(pem.p, want, pem.len), 0, "%s:\n%.*s\nnot\n%s", types[t], (int)pem.len,
			    (char *)pem.p, want);
			cr_assert_not_null(b = BIO_new_mem_buf(pem.p, (int)pem.len));
			cr_assert_not_null(back = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL));
			cr_assert_eq(EVP_PKEY_eq(k, back), 1);
			if (t < 2) {
				cr_assert(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &d));
				short_seen |= BN_num_bytes(d) < (t == 0 ? 32 : 48);
				BN_clear_free(d);
			}
			BIO_free(b);
			EVP_PKEY_free(back);
			free(want);
			mc_buf_free(&pem);
			EVP_PKEY_free(k);
		}
		cr_assert(t == 2 || short_seen, "%s: no key with a short private scalar in %d", types[t], runs);
	}
}

Test(key, encrypt_round_trip)
{
	EVP_PKEY *k = ca_key_generate("ec256", NULL), *back;
	struct mc_buf pem = { 0 };

	cr_assert_not_null(k);
	cr_assert_eq(ca_key_encrypt_pem(k, pass, strlen(pass), &pem), 0, "%s", mc_err());
	cr_assert(strstr(pem.p, "-----BEGIN ENCRYPTED PRIVATE KEY-----") == pem.p);
	back = ca_key_from_pem(pem.p, pem.len, pass, strlen(pass));
	cr_assert_not_null(back, "%s", mc_err());
	cr_assert_eq(EVP_PKEY_eq(k, back), 1);
	EVP_PKEY_free(back);
	EVP_PKEY_free(k);
	mc_buf_free(&pem);
}

Test(key, wrong_passphrase_is_named)
{
	EVP_PKEY *k = ca_key_generate("ec256", NULL);
	struct mc_buf pem = { 0 };

	cr_assert_eq(ca_key_encrypt_pem(k, pass, strlen(pass), &pem), 0);
	cr_assert_null(ca_key_from_pem(pem.p, pem.len, "wrong", 5));
	cr_assert_str_eq(mc_err(), "wrong passphrase");
	/* A passphrase that is a prefix of the right one is still wrong. */
	cr_assert_null(ca_key_from_pem(pem.p, pem.len, pass, strlen(pass) - 1));
	EVP_PKEY_free(k);
	mc_buf_free(&pem);
}

Test(key, empty_passphrase_refused)
{
	EVP_PKEY *k = ca_key_generate("ec256", NULL);
	struct mc_buf pem = { 0 };

	cr_assert_eq(ca_key_encrypt_pem(k, "", 0, &pem), -1);
	cr_assert(strstr(mc_err(), "empty passphrase") != NULL);
	EVP_PKEY_free(k);
}

Test(key, garbage_is_not_a_key)
{
	cr_assert_null(ca_key_from_pem("hello", 5, pass, strlen(pass)));
	cr_assert(strstr(mc_err(), "cannot read private key") != NULL, "%s", mc_err());
}

static X509 *
root_for(const struct mc_strv *domains, const struct mc_strv *ips, int nc, EVP_PKEY **kp)
{
	struct ca_root_req req = { "Test CA", 30, domains, ips, nc };

	*kp = ca_key_generate("ec256", NULL);
	cr_assert_not_null(*kp);
	return ca_root_build(*kp, &req);
}

Test(root, extensions)
{
	struct mc_strv d = { 0 }, ips = { 0 }, got = { 0 };
	EVP_PKEY *k;
	X509 *x;
	int crit = -1;
	BASIC_CONSTRAINTS *bc;

	mc_strv_push(&d, "example.org");
	x = root_for(&d, &ips, 1, &k);
	cr_assert_not_null(x, "%s", mc_err());
	bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	cr_assert_not_null(bc);
	cr_assert(bc->ca);
	cr_assert_eq(crit, 1);
	cr_assert_eq(ASN1_INTEGER_get(bc->pathlen), 2);
	BASIC_CONSTRAINTS_free(bc);
	cr_assert_eq(X509_get_key_usage(x), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	cr_assert_not_null(X509_get0_subject_key_id(x));
	cr_assert_eq(X509_check_ca(x), 1);
	cr_assert_eq(X509_verify(x, k), 1);
	cr_assert_eq(ca_cert_permitted_dns(x, &got), 0);
	cr_assert_eq(got.n, 1);
	cr_assert_str_eq(got.v[0], "example.org");
	mc_strv_free(&got);
	mc_strv_free(&d);
	X509_free(x);
	EVP_PKEY_free(k);
}

Test(root, constraints_need_a_domain)
{
	struct mc_strv d = { 0 };
	EVP_PKEY *k;

	cr_assert_null(root_for(&d, NULL, 1, &k));
	cr_assert(strstr(mc_err(), "--domain") != NULL);
	EVP_PKEY_free(k);
}

Test(root, serials_are_random_positive_159_bits)
{
	ASN1_INTEGER *a = ASN1_INTEGER_new(), *b = ASN1_INTEGER_new();
	BIGNUM *bn;

	for (int i = 0; i < 50; i++) {
		cr_assert_eq(ca_serial_random(a), 0);
		cr_assert_eq(ca_serial_random(b), 0);
		cr_assert_neq(ASN1_INTEGER_cmp(a, b), 0);
		bn = ASN1_INTEGER_to_BN(a, NULL);
		cr_assert(!BN_is_negative(bn) && !BN_is_zero(bn));
		cr_assert_leq(BN_num_bits(bn), 159);
		BN_free(bn);
	}
	ASN1_INTEGER_free(a);
	ASN1_INTEGER_free(b);
}

Test(root, cidr_parsing)
{
	char *s = ca_cidr_to_conf("10.0.0.0/8");

	cr_assert_str_eq(s, "10.0.0.0/255.0.0.0");
	free(s);
	s = ca_cidr_to_conf("fd00::/8");
	cr_assert_str_eq(s, "fd00::/ff00::");
	free(s);
	cr_assert_null(ca_cidr_to_conf("10.0.0.1/8"));
	cr_assert(strstr(mc_err(), "host bits") != NULL);
	cr_assert_null(ca_cidr_to_conf("10.0.0.0"));
	cr_assert_null(ca_cidr_to_conf("10.0.0.0/33"));
	cr_assert_null(ca_cidr_to_conf("example.org/8"));
	cr_assert_null(ca_cidr_to_conf("10.0.0.0/"));
}
