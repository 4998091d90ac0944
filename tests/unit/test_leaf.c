/*
 * ca_leaf_sign: every extension and its criticality read back from the
 * certificate itself, then verified with X509_verify_cert (-x509_strict,
 * purpose, hostname) and, when installed, `openssl verify` and GnuTLS
 * `certtool --verify`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "leaf_fixture.h"

static EVP_PKEY *rkey;
static X509 *root;

static void
setup_rsa(void)
{
	rkey = fx_key("rsa2048");
	root = fx_root(rkey);
}

static void
setup_ec(void)
{
	rkey = fx_key("ec384");
	root = fx_root(rkey);
}

static void
teardown(void)
{
	X509_free(root);
	EVP_PKEY_free(rkey);
	mc_clearerr();
}

TestSuite(leaf, .init = setup_rsa, .fini = teardown);
TestSuite(leaf_ec, .init = setup_ec, .fini = teardown);

/* Signs with the usual server shape: CN + DNS names, serverAuth. */
static X509 *
sign_server(EVP_PKEY *key, const char *cn, struct mc_strv *dns)
{
	struct mc_strv eku = fx_strv("serverAuth", NULL);
	struct ca_leaf_req req = {
		.pubkey = key, .cn = cn, .dns = dns, .eku = &eku, .days = 397,
	};
	X509 *x = ca_leaf_sign(&req, root, rkey);

	cr_assert_not_null(x, "ca_leaf_sign: %s", mc_err());
	mc_strv_free(&eku);
	return x;
}

static X509_EXTENSION *
get_ext(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);

	cr_assert_geq(i, 0, "missing %s", OBJ_nid2sn(nid));
	cr_assert_lt(X509_get_ext_by_NID(x, nid, i), 0, "duplicate %s", OBJ_nid2sn(nid));
	return X509_get_ext(x, i);
}

static void
check_common(X509 *x, EVP_PKEY *key)
{
	BASIC_CONSTRAINTS *bc;
	ASN1_BIT_STRING *ku;
	EXTENDED_KEY_USAGE *eku;
	AUTHORITY_KEYID *akid;
	const ASN1_OCTET_STRING *rski, *ski;
	int crit;

	cr_assert_eq(X509_get_version(x), X509_VERSION_3);
	/* The hash follows the root's key (P-384 root: SHA-384). */
	cr_assert_eq(X509_get_signature_nid(x), EVP_PKEY_is_a(rkey, "RSA") ?
	    NID_sha256WithRSAEncryption : NID_ecdsa_with_SHA384);
	cr_assert_eq(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(root)), 0);
	cr_assert_eq(X509_verify(x, rkey), 1);
	cr_assert_eq(X509_get_ext_count(x), 6);

	cr_assert_eq(X509_EXTENSION_get_critical(get_ext(x, NID_basic_constraints)), 1);
	bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	cr_assert(bc != NULL && !bc->ca && bc->pathlen == NULL);
	BASIC_CONSTRAINTS_free(bc);

	cr_assert_eq(X509_EXTENSION_get_critical(get_ext(x, NID_key_usage)), 1);
	ku = X509_get_ext_d2i(x, NID_key_usage, &crit, NULL);
	cr_assert_not_null(ku);
	cr_assert(ASN1_BIT_STRING_get_bit(ku, 0), "digitalSignature");
	cr_assert_eq(ASN1_BIT_STRING_get_bit(ku, 2), EVP_PKEY_is_a(key, "RSA"),
	    "keyEncipherment exactly for RSA");
	for (int b = 0; b < 9; b++)
		if (b != 0 && b != 2)
			cr_assert_not(ASN1_BIT_STRING_get_bit(ku, b), "key usage bit %d", b);
	ASN1_BIT_STRING_free(ku);
	cr_assert_eq(X509_get_key_usage(x), EVP_PKEY_is_a(key, "RSA") ?
	    (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT) : KU_DIGITAL_SIGNATURE);

	cr_assert_eq(X509_EXTENSION_get_critical(get_ext(x, NID_ext_key_usage)), 0);
	eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL);
	cr_assert_not_null(eku);
	cr_assert_eq(sk_ASN1_OBJECT_num(eku), 1);
	cr_assert_eq(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)), NID_server_auth);
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);

	cr_assert_eq(X509_EXTENSION_get_critical(get_ext(x, NID_subject_key_identifier)), 0);
	ski = X509_get0_subject_key_id(x);
	cr_assert(ski != NULL && ASN1_STRING_length(ski) == 20);

	cr_assert_eq(X509_EXTENSION_get_critical(get_ext(x, NID_authority_key_identifier)), 0);
	akid = X509_get_ext_d2i(x, NID_authority_key_identifier, &crit, NULL);
	rski = X509_get0_subject_key_id(root);
	cr_assert(akid != NULL && akid->keyid != NULL && rski != NULL);
	cr_assert_eq(ASN1_OCTET_STRING_cmp(akid->keyid, rski), 0, "AKI == root SKI");
	cr_assert(akid->issuer == NULL && akid->serial == NULL, "AKI keyid only");
	AUTHORITY_KEYID_free(akid);
	cr_assert_eq(ca_key_matches_cert(key, x), 1);
}

static void
check_server_leaf(EVP_PKEY *key)
{
	struct mc_strv dns = fx_strv("example.org", "www.example.org", NULL);
	X509 *x = sign_server(key, "example.org", &dns);
	X509_NAME *subj = X509_get_subject_name(x);
	GENERAL_NAMES *gens;
	char cn[80];
	int crit;

	check_common(x, key);
	cr_assert_eq(X509_NAME_entry_count(subj), 1, "subject is CN only");
	cr_assert_gt(X509_NAME_get_text_by_NID(subj, NID_commonName, cn, sizeof(cn)), 0);
	cr_assert_str_eq(cn, "example.org");
	cr_assert_eq(X509_EXTENSION_get_critical(get_ext(x, NID_subject_alt_name)), 0);
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	cr_assert_eq(sk_GENERAL_NAME_num(gens), 2);
	for (int i = 0; i < 2; i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		cr_assert_eq(g->type, GEN_DNS);
		cr_assert_str_eq((const char *)ASN1_STRING_get0_data(g->d.dNSName), dns.v[i]);
	}
	GENERAL_NAMES_free(gens);
	{
		int pday, psec;

		/* RFC 5280 4.1.2.5: both ends count, so 397 days end a second
		 * before notBefore + 397 days; notBefore is backdated 300 s. */
		cr_assert(ASN1_TIME_diff(&pday, &psec, X509_get0_notBefore(x), X509_get0_notAfter(x)));
		cr_assert(pday == 396 && psec == 86399, "inclusive period of 397 days: %d d %d s",
		    pday, psec);
		cr_assert(X509_cmp_time(X509_get0_notBefore(x),
		    &(time_t){ time(NULL) - CA_BACKDATE_SECS + 5 }) < 0);
		cr_assert(X509_cmp_time(X509_get0_notBefore(x),
		    &(time_t){ time(NULL) - CA_BACKDATE_SECS - 60 }) > 0);
	}
	cr_assert_eq(fx_verify(root, x, "www.example.org", X509_PURPOSE_SSL_SERVER, NULL), X509_V_OK);
	cr_assert_eq(fx_verify(root, x, "example.org", X509_PURPOSE_SSL_SERVER, NULL), X509_V_OK);
	cr_assert_eq(fx_verify(root, x, "mail.example.org", X509_PURPOSE_SSL_SERVER, NULL),
	    X509_V_ERR_HOSTNAME_MISMATCH);
	cr_assert_eq(fx_verify(root, x, NULL, X509_PURPOSE_SSL_CLIENT, NULL),
	    X509_V_ERR_INVALID_PURPOSE, "serverAuth only");
	X509_free(x);
	mc_strv_free(&dns);
}

Test(leaf, rsa_key_under_rsa_root)
{
	EVP_PKEY *k = fx_key("rsa2048");

	check_server_leaf(k);
	EVP_PKEY_free(k);
}

Test(leaf, ec_keys_under_rsa_root)
{
	EVP_PKEY *k = fx_key("ec256"), *k2 = fx_key("ec384");

	check_server_leaf(k);
	check_server_leaf(k2);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
}

Test(leaf_ec, rsa_and_ec_keys_under_ec_root)
{
	EVP_PKEY *k = fx_key("rsa2048"), *k2 = fx_key("ec256");
	struct mc_strv dns = fx_strv("example.org", NULL);
	X509 *x;

	check_server_leaf(k);
	check_server_leaf(k2);
	x = sign_server(k2, "example.org", &dns);
	cr_assert_eq(X509_get_signature_nid(x), NID_ecdsa_with_SHA384);
	X509_free(x);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
	mc_strv_free(&dns);
}

Test(leaf, rsa_root_signs_sha256)
{
	EVP_PKEY *k = fx_key("ec256");
	struct mc_strv dns = fx_strv("example.org", NULL);
	X509 *x = sign_server(k, "example.org", &dns);

	cr_assert_eq(X509_get_signature_nid(x), NID_sha256WithRSAEncryption);
	X509_free(x);
	EVP_PKEY_free(k);
	mc_strv_free(&dns);
}

Test(leaf, serials_random_positive_159_bits)
{
	EVP_PKEY *k = fx_key("ec256");
	struct mc_strv dns = fx_strv("example.org", NULL);
	BIGNUM *prev[32] = { 0 };
	int maxbits = 0;

	for (int i = 0; i < 32; i++) {
		X509 *x = sign_server(k, "example.org", &dns);
		const ASN1_INTEGER *s = X509_get0_serialNumber(x);

		prev[i] = ASN1_INTEGER_to_BN(s, NULL);
		cr_assert_not_null(prev[i]);
		cr_assert_not(BN_is_negative(prev[i]));
		cr_assert_not(BN_is_zero(prev[i]));
		cr_assert_leq(BN_num_bits(prev[i]), 159);
		cr_assert_leq(ASN1_STRING_length(s), 20, "at most 20 octets");
		if (BN_num_bits(prev[i]) > maxbits)
			maxbits = BN_num_bits(prev[i]);
		for (int j = 0; j < i; j++)
			cr_assert_neq(BN_cmp(prev[i], prev[j]), 0, "serial repeated");
		X509_free(x);
	}
	/* 32 draws all under 150 bits: chance 2^-288. */
	cr_assert_geq(maxbits, 150, "serials look short");
	for (int i = 0; i < 32; i++)
		BN_free(prev[i]);
	EVP_PKEY_free(k);
	mc_strv_free(&dns);
}

Test(leaf, given_serial_and_not_before)
{
	EVP_PKEY *k = fx_key("ec256");
	struct mc_strv dns = fx_strv("example.org", NULL);
	ASN1_INTEGER *s = ASN1_INTEGER_new();
	time_t nb = 2524608000 - 86400 * 30;	/* 2049-12-02 */
	struct ca_leaf_req req = {
		.pubkey = k, .cn = "example.org", .dns = &dns, .days = 60,
		.not_before = nb, .serial = s,
	};
	X509 *x;

	/* A root that lives past 2050 (the fixture's ends in ten years). */
	cr_assert(X509_gmtime_adj(X509_getm_notAfter(root), 86400L * 365 * 40));
	cr_assert(X509_sign(root, rkey, EVP_sha256()) > 0);
	cr_assert(ASN1_INTEGER_set(s, 0x1234567));
	x = ca_leaf_sign(&req, root, rkey);
	cr_assert_not_null(x, "%s", mc_err());
	cr_assert_eq(ASN1_INTEGER_cmp(X509_get0_serialNumber(x), s), 0);
	cr_assert_eq(ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), nb), 0);
	cr_assert_eq(ASN1_TIME_cmp_time_t(X509_get0_notAfter(x), nb + 60 * 86400 - 1), 0);
	/* RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
	cr_assert_eq(ASN1_STRING_type(X509_get0_notBefore(x)), V_ASN1_UTCTIME);
	cr_assert_eq(ASN1_STRING_type(X509_get0_notAfter(x)), V_ASN1_GENERALIZEDTIME);
	cr_assert_eq(X509_get_ext_by_NID(x, NID_ext_key_usage, -1), -1, "no EKU asked");
	X509_free(x);

	cr_assert(ASN1_INTEGER_set(s, 0));
	cr_assert_null(ca_leaf_sign(&req, root, rkey));
	cr_assert(strstr(mc_err(), "serial") != NULL, "%s", mc_err());
	cr_assert(ASN1_INTEGER_set(s, -5));
	cr_assert_null(ca_leaf_sign(&req, root, rkey));
	ASN1_INTEGER_free(s);
	EVP_PKEY_free(k);
	mc_strv_free(&dns);
}

Test(leaf, empty_subject_makes_san_critical)
{
	EVP_PKEY *k = fx_key("ec256");
	struct mc_strv dns = fx_strv("www.example.org", NULL);
	X509 *x = sign_server(k, NULL, &dns), *y;

	cr_assert_eq(X509_NAME_entry_count(X509_get_subject_name(x)), 0);
	cr_assert_eq(X509_EXTENSION_get_critical(get_ext(x, NID_subject_alt_name)), 1);
	check_common(x, k);
	cr_assert_eq(fx_verify(root, x, "www.example.org", X509_PURPOSE_SSL_SERVER, NULL), X509_V_OK);
	y = sign_server(k, "", &dns);
	cr_assert_eq(X509_NAME_entry_count(X509_get_subject_name(y)), 0);
	cr_assert_eq(X509_EXTENSION_get_critical(get_ext(y, NID_subject_alt_name)), 1);
	X509_free(x);
	X509_free(y);
	EVP_PKEY_free(k);
	mc_strv_free(&dns);
}

Test(leaf, comma_in_name_stays_one_entry)
{
	EVP_PKEY *k = fx_key("ec256");
	struct mc_strv dns = fx_strv("a.example.org,DNS:evil.com", NULL);
	X509 *x = sign_server(k, NULL, &dns);
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	GENERAL_NAME *g;

	cr_assert_eq(sk_GENERAL_NAME_num(gens), 1);
	g = sk_GENERAL_NAME_value(gens, 0);
	cr_assert_eq(g->type, GEN_DNS);
	cr_assert_str_eq((const char *)ASN1_STRING_get0_data(g->d.dNSName),
	    "a.example.org,DNS:evil.com");
	cr_assert_neq(fx_verify(root, x, "evil.com", X509_PURPOSE_SSL_SERVER, NULL), X509_V_OK);
	GENERAL_NAMES_free(gens);
	X509_free(x);
	EVP_PKEY_free(k);
	mc_strv_free(&dns);
}

Test(leaf, wildcard_and_ips)
{
	EVP_PKEY *k = fx_key("rsa2048");
	struct mc_strv dns = fx_strv("*.example.org", NULL);
	struct mc_strv ips = fx_strv("10.1.2.3", "fd00::1", NULL);
	struct mc_strv eku = fx_strv("serverAuth", "clientAuth", "serverAuth", NULL);
	struct ca_leaf_req req = {
		.pubkey = k, .dns = &dns, .ips = &ips, .eku = &eku, .days = 90,
	};
	X509 *x = ca_leaf_sign(&req, root, rkey);
	GENERAL_NAMES *gens;
	EXTENDED_KEY_USAGE *ext;
	cr_assert_not_null(x, "%s", mc_err());
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	cr_assert_eq(sk_GENERAL_NAME_num(gens), 3);
	cr_assert_eq(sk_GENERAL_NAME_value(gens, 1)->type, GEN_IPADD);
	cr_assert_eq(ASN1_STRING_length(sk_GENERAL_NAME_value(gens, 1)->d.iPAddress), 4);
	cr_assert_eq(ASN1_STRING_length(sk_GENERAL_NAME_value(gens, 2)->d.iPAddress), 16);
	GENERAL_NAMES_free(gens);
	ext = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	cr_assert_eq(sk_ASN1_OBJECT_num(ext), 2, "duplicate EKU dropped");
	sk_ASN1_OBJECT_pop_free(ext, ASN1_OBJECT_free);
	cr_assert_eq(fx_verify(root, x, "mail.example.org", X509_PURPOSE_SSL_SERVER, NULL), X509_V_OK);
	cr_assert_eq(fx_verify(root, x, "example.org", X509_PURPOSE_SSL_SERVER, NULL),
	    X509_V_ERR_HOSTNAME_MISMATCH);
	cr_assert_eq(fx_verify(root, x, "a.b.example.org", X509_PURPOSE_SSL_SERVER, NULL),
	    X509_V_ERR_HOSTNAME_MISMATCH);
	cr_assert_eq(fx_verify(root, x, NULL, X509_PURPOSE_SSL_CLIENT, NULL), X509_V_OK);
	X509_free(x);
	EVP_PKEY_free(k);
	mc_strv_free(&dns);
	mc_strv_free(&ips);
	mc_strv_free(&eku);
}

Test(leaf, name_outside_root_constraints_fails_verify)
{
	EVP_PKEY *k = fx_key("ec256");
	struct mc_strv dns = fx_strv("www.example.com", NULL);
	X509 *x = sign_server(k, "www.example.com", &dns);

	cr_assert_eq(fx_verify(root, x, "www.example.com", X509_PURPOSE_SSL_SERVER, NULL),
	    X509_V_ERR_PERMITTED_VIOLATION);
	X509_free(x);
	EVP_PKEY_free(k);
	mc_strv_free(&dns);
}

Test(leaf, client_cert_with_email)
{
	EVP_PKEY *k = fx_key("ec256");
	struct mc_strv em = fx_strv("alice@example.org", NULL);
	struct mc_strv eku = fx_strv("clientAuth", NULL);
	struct ca_leaf_req req = {
		.pubkey = k, .cn = "alice@example.org", .emails = &em, .eku = &eku, .days = 365,
	};
	X509 *x = ca_leaf_sign(&req, root, rkey);
	GENERAL_NAMES *gens;

	cr_assert_not_null(x, "%s", mc_err());
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	cr_assert_eq(sk_GENERAL_NAME_num(gens), 1);
	cr_assert_eq(sk_GENERAL_NAME_value(gens, 0)->type, GEN_EMAIL);
	GENERAL_NAMES_free(gens);
	cr_assert_eq(fx_verify(root, x, NULL, X509_PURPOSE_SSL_CLIENT, NULL), X509_V_OK);
	cr_assert_eq(fx_verify(root, x, NULL, X509_PURPOSE_SSL_SERVER, NULL),
	    X509_V_ERR_INVALID_PURPOSE);
	X509_free(x);
	EVP_PKEY_free(k);
	mc_strv_free(&em);
	mc_strv_free(&eku);
}

/* keyUsage follows key type and EKU (RFC 5280 4.2.1.12, zlint
 * e_key_usage_and_extended_key_usage_inconsistent). */
Test(leaf, key_usage_follows_key_and_eku)
{
	static const struct {
		const char *key, *eku1, *eku2;
		int ku;
	} rows[] = {
		{ "rsa2048", "serverAuth", NULL, KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT },
		{ "rsa2048", "clientAuth", NULL, KU_DIGITAL_SIGNATURE },
		{ "rsa2048", "serverAuth", "clientAuth", KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT },
		{ "rsa2048", "emailProtection", NULL, KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT },
		{ "ec256", "clientAuth", NULL, KU_DIGITAL_SIGNATURE },
		{ "ec256", "serverAuth", NULL, KU_DIGITAL_SIGNATURE },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		EVP_PKEY *k = fx_key(rows[i].key);
		struct mc_strv eku = fx_strv(rows[i].eku1, rows[i].eku2, NULL);
		struct mc_strv dns = fx_strv("host.example.org", NULL);
		struct ca_leaf_req req = {
			.pubkey = k, .cn = "host.example.org", .dns = &dns, .eku = &eku, .days = 30,
		};
		X509 *x = ca_leaf_sign(&req, root, rkey);

		cr_assert_not_null(x, "%s", mc_err());
		cr_assert_eq(X509_get_key_usage(x), (uint32_t)rows[i].ku, "row %zu: %s %s: ku %x",
		    i, rows[i].key, rows[i].eku1, X509_get_key_usage(x));
		X509_free(x);
		EVP_PKEY_free(k);
		mc_strv_free(&eku);
		mc_strv_free(&dns);
	}
}

Test(leaf, cn_only_has_no_san)
{
	EVP_PKEY *k = fx_key("ec256");
	struct mc_strv eku = fx_strv("clientAuth", NULL);
	struct ca_leaf_req req = {
		.pubkey = k, .cn = "backup-host", .eku = &eku, .days = 30,
	};
	X509 *x = ca_leaf_sign(&req, root, rkey);

	cr_assert_not_null(x, "%s", mc_err());
	cr_assert_eq(X509_get_ext_by_NID(x, NID_subject_alt_name, -1), -1);
	cr_assert_eq(X509_get_ext_count(x), 5);
	X509_free(x);
	EVP_PKEY_free(k);
	mc_strv_free(&eku);
}

/* Arrays, not pointers: Criterion runs each parameter in a fresh process
 * where the parent's string addresses mean nothing. */
struct bad_req {
	char what[32];
	char key[16];		/* fx_key type */
	char cn[80];		/* "" : none */
	char dns[40];
	char ip[20];
	char eku[24];
	int days;
	char msg[48];		/* expected in mc_err() */
};

static struct bad_req bad_reqs[] = {
	{ "no names", "ec256", "", "", "", "", 30, "common name or a subjectAltName" },
	{ "cn 65 chars", "ec256", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "example.org", "", "", 30, "common name" },
	{ "cn control", "ec256", "a\tb", "example.org", "", "", 30, "common name" },
	{ "cn bad utf-8", "ec256", "caf\xc3", "example.org", "", "", 30, "X509_NAME_add_entry" },
	{ "days 0", "ec256", "example.org", "example.org", "", "", 0, "lifetime" },
	{ "days negative", "ec256", "example.org", "example.org", "", "", -1, "lifetime" },
	{ "days huge", "ec256", "example.org", "example.org", "", "", 99999999, "lifetime" },
	{ "outlives root", "ec256", "example.org", "example.org", "", "", 3651, "outlive the root" },
	{ "bad ip", "ec256", "", "", "10.1.2", "", 30, "ip address" },
	{ "ip with junk", "ec256", "", "", "10.1.2.3 ", "", 30, "ip address" },
	{ "dns space", "ec256", "", "a b.example.org", "", "", 30, "dns name" },
	{ "dns empty", "ec256", "", "", "", "", 30, "dns name" },
	{ "dns utf-8", "ec256", "", "caf\xc3\xa9.example.org", "", "", 30, "dns name" },
	{ "eku unknown", "ec256", "", "example.org", "", "anyExtendedKeyUsage", 30, "extended key usage" },
	{ "rsa 1024", "rsa1024", "", "example.org", "", "", 30, "rsa key of 1024" },
	{ "p-521", "ec521", "", "example.org", "", "", 30, "P-256" },
	{ "ed25519", "ed25519", "", "example.org", "", "", 30, "ED25519" },
};

ParameterizedTestParameters(leaf, refused)
{
	return cr_make_param_array(struct bad_req, bad_reqs, sizeof(bad_reqs) / sizeof(bad_reqs[0]));
}

ParameterizedTest(struct bad_req *b, leaf, refused)
{
	EVP_PKEY *k = fx_key(b->key);
	struct mc_strv dns = { 0 }, ips = { 0 }, eku = { 0 };
	struct ca_leaf_req req = {
		.pubkey = k, .cn = b->cn, .dns = &dns, .ips = &ips, .eku = &eku, .days = b->days,
	};

	if (strcmp(b->what, "dns empty") == 0 || b->dns[0] != '\0')
		cr_assert_eq(mc_strv_push(&dns, b->dns), 0);
	if (b->ip[0] != '\0')
		cr_assert_eq(mc_strv_push(&ips, b->ip), 0);
	if (b->eku[0] != '\0')
		cr_assert_eq(mc_strv_push(&eku, b->eku), 0);
	mc_clearerr();
	cr_assert_null(ca_leaf_sign(&req, root, rkey), "%s signed", b->what);
	cr_assert(strstr(mc_err(), b->msg) != NULL, "%s: '%s' lacks '%s'", b->what, mc_err(), b->msg);
	cr_assert_eq(ERR_peek_error(), 0, "%s: OpenSSL error queue left dirty", b->what);
	EVP_PKEY_free(k);
	mc_strv_free(&dns);
	mc_strv_free(&ips);
	mc_strv_free(&eku);
}

Test(leaf, cn_64_multibyte_chars_ok)
{
	EVP_PKEY *k = fx_key("ec256");
	struct mc_strv dns = fx_strv("example.org", NULL);
	char cn[65 * 2 + 1] = "";
	X509 *x;

	for (int i = 0; i < 64; i++)
		strcat(cn, "\xc3\xa9");
	x = sign_server(k, cn, &dns);
	X509_free(x);
	strcat(cn, "\xc3\xa9");
	EVP_PKEY_free(k);
	k = fx_key("ec256");
	{
		struct ca_leaf_req req = { .pubkey = k, .cn = cn, .dns = &dns, .days = 30 };

		cr_assert_null(ca_leaf_sign(&req, root, rkey));
	}
	EVP_PKEY_free(k);
	mc_strv_free(&dns);
}

Test(leaf, wrong_issuer_key_refused)
{
	EVP_PKEY *k = fx_key("ec256"), *other = fx_key("rsa2048");
	struct mc_strv dns = fx_strv("example.org", NULL);
	struct ca_leaf_req req = { .pubkey = k, .dns = &dns, .days = 30 };

	cr_assert_null(ca_leaf_sign(&req, root, other));
	cr_assert(strstr(mc_err(), "X509_check_private_key") != NULL, "%s", mc_err());
	cr_assert_null(ca_leaf_sign(&req, root, NULL));
	req.pubkey = NULL;
	cr_assert_null(ca_leaf_sign(&req, root, rkey));
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
	mc_strv_free(&dns);
}

/* A root without SKI (a v1 root adopted by 'minica import'): the leaf's
 * AKI keyid is the SHA-1 of the root's subjectPublicKey (RFC 5280
 * 4.2.1.2 method 1). */
Test(leaf, root_without_ski_akid_from_key)
{
	EVP_PKEY *k = fx_key("ec256");
	X509 *bare = fx_root_ex(rkey, "", 0), *x;
	struct mc_strv dns = fx_strv("example.org", NULL);
	struct ca_leaf_req req = { .pubkey = k, .dns = &dns, .days = 30 };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	AUTHORITY_KEYID *akid;

	x = ca_leaf_sign(&req, bare, rkey);
	cr_assert_not_null(x, "%s", mc_err());
	akid = X509_get_ext_d2i(x, NID_authority_key_identifier, NULL, NULL);
	cr_assert(akid != NULL && akid->keyid != NULL);
	cr_assert(X509_pubkey_digest(bare, EVP_sha1(), md, &len));
	cr_expect_eq((unsigned)ASN1_STRING_length(akid->keyid), len);
	cr_expect(memcmp(ASN1_STRING_get0_data(akid->keyid), md, len) == 0);
	AUTHORITY_KEYID_free(akid);
	X509_free(x);
	X509_free(bare);
	EVP_PKEY_free(k);
	mc_strv_free(&dns);
}

Test(leaf, key_matches_cert)
{
	EVP_PKEY *k = fx_key("ec256"), *k2 = fx_key("ec256"), *k3 = fx_key("rsa2048");
	struct mc_strv dns = fx_strv("example.org", NULL);
	X509 *x = sign_server(k, "example.org", &dns);

	cr_assert_eq(ca_key_matches_cert(k, x), 1);
	cr_assert_eq(ca_key_matches_cert(k2, x), 0);
	cr_assert_eq(ca_key_matches_cert(k3, x), 0);
	cr_assert_eq(ca_key_matches_cert(rkey, root), 1);
	cr_assert_eq(ca_key_matches_cert(NULL, x), -1);
	X509_free(x);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(k3);
	mc_strv_free(&dns);
}

/* ca_leaf_sign builds an EC key's SubjectPublicKeyInfo its own way (from
 * the point, not through OpenSSL's encoders): the bytes must be what
 * i2d_PUBKEY makes of the key itself, and the key read back equal. */
Test(leaf, spki_bytes_as_openssl_encodes_them)
{
	static const char *const types[] = { "ec256", "ec384", "rsa2048" };

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		EVP_PKEY *k = fx_key(types[i]);
		struct mc_strv dns = fx_strv("example.org", NULL);
		X509 *x = sign_server(k, "example.org", &dns), *back;
		unsigned char *want = NULL, *got = NULL, *der = NULL;
		const unsigned char *p;
		int wlen = i2d_PUBKEY(k, &want), glen = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &got);
		int dlen = i2d_X509(x, &der);

		cr_assert_gt(wlen, 0);
		cr_assert_eq(glen, wlen, "%s: SPKI of %d bytes, not %d", types[i], glen, wlen);
		cr_assert_eq(memcmp(got, want, (size_t)wlen), 0, "%s: SPKI bytes differ", types[i]);
		cr_assert_eq(EVP_PKEY_eq(k, X509_get0_pubkey(x)), 1);
		p = der;
		cr_assert_not_null(back = d2i_X509(NULL, &p, dlen));
		cr_assert_eq(EVP_PKEY_eq(k, X509_get0_pubkey(back)), 1, "%s: key read back differs", types[i]);
		X509_free(back);
		OPENSSL_free(want);
		OPENSSL_free(got);
		OPENSSL_free(der);
		X509_free(x);
		EVP_PKEY_free(k);
		mc_strv_free(&dns);
	}
}

/* The batch's shared cache (ca/leafcache.c) must not change a byte: the
 * same request signed with and without it by the RSA root (PKCS#1 v1.5
 * signatures are deterministic) is the same certificate, and the cached
 * self-check says what ca_verify_chain says, for keys on each curve made
 * from the cache's parameters. */
Test(leaf, cache_changes_nothing)
{
	static const char *const types[] = { "ec256", "ec384", "rsa2048" };
	STACK_OF(X509) *roots = sk_X509_new_null();
	struct ca_leaf_cache *c;
	ASN1_INTEGER *s = ASN1_INTEGER_new();
	struct mc_strv dns = fx_strv("example.org", "www.example.org", NULL), eku = fx_strv("serverAuth", NULL);

	cr_assert(roots != NULL && s != NULL && sk_X509_push(roots, root) && ASN1_INTEGER_set(s, 0x7654321));
	cr_assert_not_null(c = ca_leaf_cache_new(root, NULL, roots), "%s", mc_err());
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		/* The cache's keys are the type asked for, and pass the checks. */
		EVP_PKEY *k = ca_leaf_cache_keygen(c, types[i]);
		struct ca_leaf_req req = { .pubkey = k, .cn = "example.org", .dns = &dns, .eku = &eku, .days = 90,
		    .not_before = time(NULL) - 60, .serial = s, .crl_url = "http://ca.example.org/crl" };
		X509 *plain = ca_leaf_sign(&req, root, rkey), *cached;
		unsigned char *a = NULL, *b = NULL;
		int alen, blen;

		cr_assert_not_null(k, "%s", mc_err());
		cr_assert_str_eq(ca_key_type_name(k), types[i]);
		cr_assert_eq(ca_leaf_key_check(k), 0, "%s", mc_err());
		req.cache = c;
		cached = ca_leaf_sign(&req, root, rkey);
		cr_assert(plain != NULL && cached != NULL, "%s", mc_err());
		alen = i2d_X509(plain, &a);
		blen = i2d_X509(cached, &b);
		cr_assert(alen > 0 && alen == blen && memcmp(a, b, (size_t)alen) == 0, "%s: differs with the cache", types[i]);
		cr_assert_eq(ca_leaf_cache_verify(c, cached, "sslserver"), 0, "%s", mc_err());
		cr_assert_eq(ca_verify_leaf(cached, root, "sslserver"), 0, "%s", mc_err());
		cr_assert_eq(ca_leaf_cache_verify(c, cached, "sslclient"), -1, "a server leaf passed as a client");
		OPENSSL_free(a);
		OPENSSL_free(b);
		X509_free(plain);
		X509_free(cached);
		EVP_PKEY_free(k);
	}
	ca_leaf_cache_free(c);
	sk_X509_free(roots);
	ASN1_INTEGER_free(s);
	mc_strv_free(&dns);
	mc_strv_free(&eku);
}

/* Independent verifiers: OpenSSL's CLI and GnuTLS, when installed. */
static int
run(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
external_check(const char *dir, const char *name, X509 *x, const char *host, int want_ok)
{
	char leaf[512], rootp[512], cmd[2048];
	int r;

	snprintf(rootp, sizeof(rootp), "%s/root.pem", dir);
	snprintf(leaf, sizeof(leaf), "%s/%s.pem", dir, name);
	fx_write_pem(leaf, x);
	snprintf(cmd, sizeof(cmd), "openssl verify -x509_strict -purpose sslserver "
	    "-verify_hostname '%s' -CAfile %s %s >%s/%s.ossl 2>&1", host, rootp, leaf, dir, name);
	r = run(cmd);
	cr_assert_eq(r == 0, want_ok, "openssl verify %s for %s: exit %d", name, host, r);
	if (run("command -v certtool >/dev/null") != 0)
		return;
	snprintf(cmd, sizeof(cmd), "certtool --verify --load-ca-certificate %s --infile %s "
	    "--verify-hostname '%s' --verify-purpose 1.3.6.1.5.5.7.3.1 >%s/%s.gnutls 2>&1",
	    rootp, leaf, host, dir, name);
	r = run(cmd);
	cr_assert_eq(r == 0, want_ok, "certtool --verify %s for %s: exit %d", name, host, r);
}

Test(leaf, openssl_and_gnutls_verify)
{
	char dir[] = "/tmp/minica-leaf-XXXXXX", cmd[600], rootp[600];
	const char *types[] = { "rsa2048", "ec256", "ec384" };
	struct mc_strv dns = fx_strv("example.org", "www.example.org", "*.mail.example.org", NULL);

	if (run("command -v openssl >/dev/null") != 0)
		cr_skip_test("openssl not installed");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(rootp, sizeof(rootp), "%s/root.pem", dir);
	fx_write_pem(rootp, root);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		EVP_PKEY *k = fx_key(types[i]);
		X509 *x = sign_server(k, i == 2 ? NULL : "example.org", &dns);

		external_check(dir, types[i], x, "www.example.org", 1);
		external_check(dir, types[i], x, "imap.mail.example.org", 1);
		external_check(dir, types[i], x, "mail.example.org", 0);
		X509_free(x);
		EVP_PKEY_free(k);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (getenv("MINICA_KEEP_TEST_FILES") == NULL)
		run(cmd);
	mc_strv_free(&dns);
}

/* With the real root (key.c, root.c) and the lead's self-check (verify.c). */
Test(leaf, real_root_and_self_check)
{
	EVP_PKEY *k = ca_key_generate("rsa2048", NULL), *leafk = ca_key_generate("ec256", NULL);
	struct mc_strv domains = fx_strv("example.org", NULL), ipnet = fx_strv("10.0.0.0/8", NULL);
	struct mc_strv dns = fx_strv("mail.example.org", NULL), ips = fx_strv("10.0.0.25", NULL);
	struct mc_strv eku = fx_strv("serverAuth", NULL);
	struct ca_root_req rr = {
		.name = "minica test", .days = 3650, .domains = &domains, .name_constraints = 1,
	};
	struct ca_leaf_req req = {
		.pubkey = leafk, .cn = "mail.example.org", .dns = &dns, .ips = &ips,
		.eku = &eku, .days = 397,
	};
	X509 *r, *x;

	cr_assert(k != NULL && leafk != NULL, "%s", mc_err());
	r = ca_root_build(k, &rr);
	cr_assert_not_null(r, "%s", mc_err());
	/* No --permit-ip: the root excludes every IP, so an IP SAN fails. */
	x = ca_leaf_sign(&req, r, k);
	cr_assert_not_null(x, "%s", mc_err());
	cr_assert_eq(ca_verify_leaf(x, r, "sslserver"), -1);
	cr_assert(strstr(mc_err(), "excluded") != NULL, "%s", mc_err());
	X509_free(x);
	X509_free(r);

	rr.permit_ip = &ipnet;
	r = ca_root_build(k, &rr);
	cr_assert_not_null(r, "%s", mc_err());
	x = ca_leaf_sign(&req, r, k);
	cr_assert_not_null(x, "%s", mc_err());
	cr_assert_eq(ca_verify_leaf(x, r, "sslserver"), 0, "%s", mc_err());
	cr_assert_eq(ca_key_matches_cert(leafk, x), 1);
	cr_assert_eq(fx_verify(r, x, "mail.example.org", X509_PURPOSE_SSL_SERVER, NULL), X509_V_OK);
	X509_free(x);

	req.ips = NULL;
	mc_strv_free(&dns);
	dns = fx_strv("mail.example.net", NULL);
	req.cn = "mail.example.net";
	x = ca_leaf_sign(&req, r, k);
	cr_assert_not_null(x, "%s", mc_err());
	cr_assert_eq(ca_verify_leaf(x, r, "sslserver"), -1, "outside the root's domains");
	X509_free(x);
	X509_free(r);
	EVP_PKEY_free(k);
	EVP_PKEY_free(leafk);
	mc_strv_free(&domains);
	mc_strv_free(&ipnet);
	mc_strv_free(&dns);
	mc_strv_free(&ips);
	mc_strv_free(&eku);
}
