/*
 * Unit tests for what 'minica import' decides without files: registrable
 * domains (policy/domains.c), serial normalisation and root findings
 * (ca/importset.c, ca/adopt.c).
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"
#include "policy/policy.h"

static const struct {
	const char *in;
	const char *want;	/* NULL: none */
} registrable[] = {
	{ "example.org", "example.org" },
	{ "mail.example.org", "example.org" },
	{ "a.b.c.example.org", "example.org" },
	{ "www.example.co.uk", "example.co.uk" },
	{ "example.co.uk", "example.co.uk" },
	{ "shop.example.com.au", "example.com.au" },
	{ "mail.example.de", "example.de" },
	{ "co.uk", NULL },
	{ "localhost", NULL },
	{ "mail.co.example", "co.example" },	/* generic label under a long TLD: plain rule */
};

Test(domains, registrable_table)
{
	for (size_t i = 0; i < sizeof(registrable) / sizeof(registrable[0]); i++) {
		char *got = pol_registrable_domain(registrable[i].in);

		if (registrable[i].want == NULL)
			cr_expect_null(got, "%s -> %s", registrable[i].in, got);
		else
			cr_expect(got != NULL && strcmp(got, registrable[i].want) == 0, "%s -> %s, want %s",
			    registrable[i].in, got ? got : "NULL", registrable[i].want);
		free(got);
	}
}

Test(domains, from_names_dedup_sorted_skips_non_hosts)
{
	struct mc_strv names = { 0 }, out = { 0 };
	const char *in[] = { "www.example.org", "*.example.net", "alice@Example.ORG", "192.0.2.1",
	    "Alice Smith", "mail.example.org", "bad..name", "localhost" };

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		cr_assert_eq(mc_strv_push(&names, in[i]), 0);
	cr_assert_eq(pol_domains_from_names(&names, &out), 0);
	cr_assert_eq(out.n, 2, "got %zu domains", out.n);
	cr_expect_str_eq(out.v[0], "example.net");
	cr_expect_str_eq(out.v[1], "example.org");
	mc_strv_free(&names);
	mc_strv_free(&out);
}

Test(serial, normalize)
{
	char out[CA_SERIAL_LEN];

	cr_assert_eq(ca_serial_normalize("060288D0D4054955A10C7FFECB3C7E5F", out), 0);
	cr_expect_str_eq(out, "060288d0d4054955a10c7ffecb3c7e5f");
	cr_assert_eq(ca_serial_normalize("0001", out), 0);
	cr_expect_str_eq(out, "01");
	cr_expect_eq(ca_serial_normalize("12G4", out), -1);
	cr_expect_eq(ca_serial_normalize("", out), -1);
	cr_expect_eq(ca_serial_normalize("../../etc/passwd", out), -1);
	cr_expect_eq(ca_serial_normalize("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", out), -1);
}

/* A self-signed root with exactly the extensions given ("" for v1). */
static X509 *
root_with(const char *bc, const char *ku, int v1, EVP_PKEY **keyp)
{
	EVP_PKEY *key = ca_key_generate("rsa2048", NULL);
	X509 *x = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	cr_assert_not_null(key);
	X509_set_version(x, v1 ? X509_VERSION_1 : X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)"T", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3650L * 86400);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (bc != NULL && (ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, bc)) != NULL) {
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	if (ku != NULL && (ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, ku)) != NULL) {
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	cr_assert(X509_sign(x, key, EVP_sha256()) > 0);
	*keyp = key;
	return x;
}

static int
has(const struct mc_strv *sv, const char *prefix)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strncmp(sv->v[i], prefix, strlen(prefix)) == 0)
			return 1;
	return 0;
}

Test(findings, classic_root)
{
	struct mc_strv f = { 0 };
	EVP_PKEY *key;
	X509 *x = root_with("critical,CA:TRUE", NULL, 0, &key);

	cr_assert_eq(ca_root_check(x), 0);
	cr_assert_eq(ca_root_findings(x, time(NULL), &f), 0);
	cr_expect(has(&f, "no keyUsage"));
	cr_expect(has(&f, "no name constraints"));
	cr_expect(has(&f, "RSA-2048 key"));
	cr_expect(has(&f, "no subjectKeyIdentifier"));
	cr_expect(!has(&f, "basicConstraints"));
	cr_expect(!has(&f, "version 1"));
	mc_strv_free(&f);
	X509_free(x);
	EVP_PKEY_free(key);
}

Test(findings, bc_not_critical_and_expiry)
{
	struct mc_strv f = { 0 };
	EVP_PKEY *key;
	X509 *x = root_with("CA:TRUE", "keyCertSign", 0, &key);

	cr_assert_eq(ca_root_findings(x, time(NULL), &f), 0);
	cr_expect(has(&f, "basicConstraints is not critical"));
	cr_expect(has(&f, "keyUsage lacks cRLSign"));
	cr_expect(!has(&f, "no keyUsage"));
	mc_strv_free(&f);
	/* Seen from 9.5 years on: it expires soon; from 11 years: expired. */
	cr_assert_eq(ca_root_findings(x, time(NULL) + 3470L * 86400, &f), 0);
	cr_expect(has(&f, "the root expires on"));
	mc_strv_free(&f);
	cr_assert_eq(ca_root_findings(x, time(NULL) + 4000L * 86400, &f), 0);
	cr_expect(has(&f, "the root expired on"));
	mc_strv_free(&f);
	X509_free(x);
	EVP_PKEY_free(key);
}

Test(findings, v1_and_not_a_ca)
{
	struct mc_strv f = { 0 };
	EVP_PKEY *k1, *k2;
	X509 *v1 = root_with(NULL, NULL, 1, &k1), *leaf = root_with("critical,CA:FALSE", NULL, 0, &k2);

	cr_expect_eq(ca_root_check(v1), 0);
	cr_assert_eq(ca_root_findings(v1, time(NULL), &f), 0);
	cr_expect(has(&f, "version 1 root"));
	cr_expect_eq(ca_root_check(leaf), -1);
	cr_expect(strstr(mc_err(), "is not a CA certificate") != NULL, "%s", mc_err());
	cr_expect_eq(ca_cert_signed_by(leaf, v1), 0);
	cr_expect_eq(ca_cert_signed_by(v1, v1), 1);
	mc_strv_free(&f);
	X509_free(v1);
	X509_free(leaf);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}

Test(domains, public_suffix_and_single_label_refused)
{
	const char *bad[] = { "com", "org", "co.uk", "github.io", "localhost", "internal", "xn--p1ai" };
	const char *good[] = { "example.org", "bruant.info", "example.co.uk", "me.github.io", "home.arpa" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(pol_domain_scope_check(bad[i]), -1, "%s accepted", bad[i]);
		cr_expect(strstr(mc_err(), bad[i]) != NULL, "%s", mc_err());
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_expect_eq(pol_domain_scope_check(good[i]), 0, "%s: %s", good[i], mc_err());
}
