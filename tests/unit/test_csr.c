/*
 * ca_csr_load / ca_csr_names: good CSRs in PEM and DER, then everything an
 * outsider might hand over: bad signature, garbage, truncation, trailing
 * data, huge files, weak keys, a symlink, and a CSR asking for CA:TRUE
 * whose wish must never reach the leaf.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>

#include "leaf_fixture.h"

static char dir[] = "/tmp/minica-csr-XXXXXX";
static char path[600];

static void
setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/req", dir);
}

static void
teardown(void)
{
	char cmd[700];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
	mc_clearerr();
}

TestSuite(csr, .init = setup, .fini = teardown);

/* exts: OpenSSL config strings, e.g. "subjectAltName=DNS:a,IP:1.2.3.4". */
static X509_REQ *
make_csr(EVP_PKEY *key, const char *cn, const char *const *exts)
{
	X509_REQ *req = X509_REQ_new();
	STACK_OF(X509_EXTENSION) *sk = sk_X509_EXTENSION_new_null();
	X509V3_CTX ctx;

	cr_assert(req != NULL && sk != NULL);
	cr_assert(X509_REQ_set_version(req, 0));
	cr_assert(X509_REQ_set_pubkey(req, key));
	if (cn != NULL)
		cr_assert(X509_NAME_add_entry_by_NID(X509_REQ_get_subject_name(req),
		    NID_commonName, MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0));
	X509V3_set_ctx(&ctx, NULL, NULL, req, NULL, 0);
	for (; exts != NULL && *exts != NULL; exts++) {
		char name[64];
		const char *eq = strchr(*exts, '=');
		X509_EXTENSION *e;

		cr_assert_not_null(eq);
		snprintf(name, sizeof(name), "%.*s", (int)(eq - *exts), *exts);
		e = X509V3_EXT_conf_nid(NULL, &ctx, OBJ_sn2nid(name), eq + 1);
		cr_assert_not_null(e, "%s", *exts);
		cr_assert(sk_X509_EXTENSION_push(sk, e));
	}
	if (sk_X509_EXTENSION_num(sk) > 0)
		cr_assert(X509_REQ_add_extensions(req, sk));
	sk_X509_EXTENSION_pop_free(sk, X509_EXTENSION_free);
	cr_assert(X509_REQ_sign(req, key, EVP_sha256()) > 0);
	return req;
}

static void
write_file(const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

/* DER of req into a malloc'd buffer. */
static unsigned char *
der_of(X509_REQ *req, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_X509_REQ(req, &der);

	cr_assert_gt(n, 0);
	*len = (size_t)n;
	return der;
}

static void
write_pem(X509_REQ *req)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	cr_assert(PEM_write_X509_REQ(f, req));
	cr_assert_eq(fclose(f), 0);
}

static const char *const server_exts[] = {
	"subjectAltName=DNS:example.org,DNS:www.example.org,IP:10.0.0.1,IP:fd00:0:0::1,"
	    "email:postmaster@example.org",
	NULL,
};

static void
check_names(X509_REQ *req)
{
	struct mc_strv dns = { 0 }, ips = { 0 }, em = { 0 };
	char *cn = NULL;

	cr_assert_eq(ca_csr_names(req, &cn, &dns, &ips, &em), 0, "%s", mc_err());
	cr_assert_str_eq(cn, "example.org");
	cr_assert_eq(dns.n, 2);
	cr_assert_str_eq(dns.v[0], "example.org");
	cr_assert_str_eq(dns.v[1], "www.example.org");
	cr_assert_eq(ips.n, 2);
	cr_assert_str_eq(ips.v[0], "10.0.0.1");
	cr_assert_str_eq(ips.v[1], "fd00::1", "canonical text");
	cr_assert_eq(em.n, 1);
	cr_assert_str_eq(em.v[0], "postmaster@example.org");
	free(cn);
	mc_strv_free(&dns);
	mc_strv_free(&ips);
	mc_strv_free(&em);
}

Test(csr, good_pem_and_der)
{
	const char *types[] = { "rsa2048", "ec256", "ec384" };

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		EVP_PKEY *k = fx_key(types[i]);
		X509_REQ *req = make_csr(k, "example.org", server_exts), *got;
		unsigned char *der;
		size_t len;

		write_pem(req);
		got = ca_csr_load(path);
		cr_assert_not_null(got, "%s pem: %s", types[i], mc_err());
		cr_assert_eq(EVP_PKEY_eq(X509_REQ_get0_pubkey(got), k), 1);
		check_names(got);
		X509_REQ_free(got);

		der = der_of(req, &len);
		write_file(der, len);
		got = ca_csr_load(path);
		cr_assert_not_null(got, "%s der: %s", types[i], mc_err());
		check_names(got);
		X509_REQ_free(got);
		OPENSSL_free(der);
		X509_REQ_free(req);
		EVP_PKEY_free(k);
	}
}

Test(csr, no_subject_no_san)
{
	EVP_PKEY *k = fx_key("ec256");
	X509_REQ *req = make_csr(k, NULL, NULL);
	struct mc_strv dns = { 0 }, ips = { 0 }, em = { 0 };
	char *cn = (char *)"sentinel";

	cr_assert_eq(ca_csr_names(req, &cn, &dns, &ips, &em), 0, "%s", mc_err());
	cr_assert_null(cn);
	cr_assert(dns.n == 0 && ips.n == 0 && em.n == 0);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
}

static void
expect_load_fails(const char *what, const char *msg)
{
	X509_REQ *got;

	mc_clearerr();
	got = ca_csr_load(path);
	cr_assert_null(got, "%s loaded", what);
	cr_assert(strstr(mc_err(), msg) != NULL, "%s: '%s' lacks '%s'", what, mc_err(), msg);
	cr_assert(strstr(mc_err(), path) != NULL, "%s: '%s' names no path", what, mc_err());
	cr_assert_eq(ERR_peek_error(), 0, "%s: OpenSSL error queue left dirty", what);
}

Test(csr, bad_signature)
{
	EVP_PKEY *k = fx_key("ec256"), *r = fx_key("rsa2048");
	X509_REQ *req = make_csr(k, "example.org", server_exts);
	X509_REQ *rreq = make_csr(r, "example.org", server_exts);
	unsigned char *der;
	size_t len;

	/* The signature BIT STRING is the last element: flip its last byte. */
	der = der_of(req, &len);
	der[len - 1] ^= 0x01;
	write_file(der, len);
	expect_load_fails("ec flipped", "X509_REQ_verify failed");
	OPENSSL_free(der);
	der = der_of(rreq, &len);
	der[len - 1] ^= 0x80;
	write_file(der, len);
	expect_load_fails("rsa flipped", "X509_REQ_verify failed");
	OPENSSL_free(der);
	X509_REQ_free(req);
	X509_REQ_free(rreq);
	EVP_PKEY_free(k);
	EVP_PKEY_free(r);
}

Test(csr, swapped_key_fails_signature)
{
	EVP_PKEY *k = fx_key("ec256"), *other = fx_key("ec256");
	X509_REQ *req = make_csr(k, "example.org", server_exts);

	/* Claim someone else's key: the self-signature no longer matches. */
	cr_assert(X509_REQ_set_pubkey(req, other));
	write_pem(req);
	expect_load_fails("swapped key", "X509_REQ_verify failed");
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

Test(csr, garbage_truncated_trailing)
{
	EVP_PKEY *k = fx_key("ec256");
	X509_REQ *req = make_csr(k, "example.org", server_exts);
	unsigned char *der, junk[512];
	size_t len;
	BIO *mem = BIO_new(BIO_s_mem());
	char *pem;
	long pemlen;

	write_file("", 0);
	expect_load_fails("empty", "empty");
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 131 + 7);
	write_file(junk, sizeof(junk));
	expect_load_fails("garbage", "neither PEM nor DER certificate request");
	{
		const char *bad = "-----BEGIN CERTIFICATE REQUEST-----\nQUFBQQ==\n"
		    "-----END CERTIFICATE REQUEST-----\n";

		write_file(bad, strlen(bad));
	}
	expect_load_fails("pem garbage", "not a PEM certificate request");

	der = der_of(req, &len);
	write_file(der, len / 2);
	expect_load_fails("truncated der", "neither PEM nor DER certificate request");
	write_file(der, len - 1);
	expect_load_fails("der one byte short", "neither PEM nor DER certificate request");
	{
		unsigned char *longer = malloc(len + 3);

		memcpy(longer, der, len);
		memcpy(longer + len, "xyz", 3);
		write_file(longer, len + 3);
		expect_load_fails("trailing data", "trailing");
		free(longer);
	}
	cr_assert(PEM_write_bio_X509_REQ(mem, req));
	pemlen = BIO_get_mem_data(mem, &pem);
	write_file(pem, (size_t)pemlen / 2);
	expect_load_fails("truncated pem", "not a PEM certificate request");
	BIO_free(mem);
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
}

Test(csr, huge_file_refused)
{
	EVP_PKEY *k = fx_key("ec256");
	X509_REQ *req = make_csr(k, "example.org", server_exts);
	FILE *f = fopen(path, "w");

	/* A valid PEM after 70 KiB of chatter: refused for size, unparsed. */
	cr_assert_not_null(f);
	for (int i = 0; i < 70 * 16; i++)
		fprintf(f, "%063d\n", i);
	cr_assert(PEM_write_X509_REQ(f, req));
	cr_assert_eq(fclose(f), 0);
	expect_load_fails("huge", "too large");
	cr_assert_null(ca_csr_from_mem("x", CA_CSR_MAX + 1));
	X509_REQ_free(req);
	EVP_PKEY_free(k);
}

Test(csr, not_a_regular_file_or_missing)
{
	EVP_PKEY *k = fx_key("ec256");
	X509_REQ *req = make_csr(k, "example.org", server_exts);
	char link[700];

	write_pem(req);
	snprintf(link, sizeof(link), "%s/link", dir);
	cr_assert_eq(symlink(path, link), 0);
	cr_assert_null(ca_csr_load(link), "symlink followed");
	cr_assert(strstr(mc_err(), link) != NULL, "%s", mc_err());
	cr_assert_null(ca_csr_load(dir), "directory read");
	snprintf(link, sizeof(link), "%s/missing", dir);
	cr_assert_null(ca_csr_load(link));
	cr_assert(strstr(mc_err(), "No such file") != NULL, "%s", mc_err());
	X509_REQ_free(req);
	EVP_PKEY_free(k);
}

Test(csr, weak_or_odd_keys_refused)
{
	const char *types[] = { "ed25519", "rsa1024", "ec521", "rsa3000" };
	const char *msgs[] = { "ED25519 key is not one of " CA_KEY_TYPES_TEXT,
		"rsa key of 1024 bits is not one of " CA_KEY_TYPES_TEXT,
		"ec key on this curve is not one of " CA_KEY_TYPES_TEXT,
		"rsa key of 3000 bits is not one of " CA_KEY_TYPES_TEXT };

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		EVP_PKEY *k = fx_key(types[i]);
		X509_REQ *req = X509_REQ_new();

		/* Ed25519 signs with no digest. */
		cr_assert(X509_REQ_set_pubkey(req, k));
		cr_assert(X509_REQ_sign(req, k, i == 0 ? NULL : EVP_sha256()) > 0);
		write_pem(req);
		expect_load_fails(types[i], msgs[i]);
		X509_REQ_free(req);
		EVP_PKEY_free(k);
	}
}

static void
expect_names_fail(X509_REQ *req, const char *msg)
{
	struct mc_strv dns = { 0 }, ips = { 0 }, em = { 0 };
	char *cn = NULL;

	cr_assert_eq(ca_csr_names(req, &cn, &dns, &ips, &em), -1);
	cr_assert_null(cn);
	cr_assert(strstr(mc_err(), msg) != NULL, "'%s' lacks '%s'", mc_err(), msg);
	mc_strv_free(&dns);
	mc_strv_free(&ips);
	mc_strv_free(&em);
}

Test(csr, odd_names_refused)
{
	EVP_PKEY *k = fx_key("ec256");
	const char *uri[] = { "subjectAltName=DNS:example.org,URI:https://example.org/", NULL };
	const char *two[] = { "subjectAltName=DNS:a.example.org", "subjectAltName=DNS:b.example.org", NULL };
	const char *latin1[] = { "subjectAltName=DER:30:14:82:12:62:FC:63:68:65:72:2E:65:78:61:6D:70:6C:65:2E:6F:72:67", NULL };
	X509_REQ *req;
	X509_NAME *n;

	req = make_csr(k, "example.org", uri);
	expect_names_fail(req, "URI refused");
	X509_REQ_free(req);

	req = make_csr(k, "example.org", two);
	expect_names_fail(req, "more than one subjectAltName");
	X509_REQ_free(req);

	req = make_csr(k, "example.org", NULL);
	n = X509_REQ_get_subject_name(req);
	cr_assert(X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_UTF8,
	    (const unsigned char *)"evil.com", -1, -1, 0));
	expect_names_fail(req, "more than one common name");
	X509_REQ_free(req);

	req = make_csr(k, NULL, NULL);
	n = X509_REQ_get_subject_name(req);
	cr_assert(X509_NAME_add_entry_by_NID(n, NID_commonName, V_ASN1_IA5STRING,
	    (const unsigned char *)"a.org\0.evil.com", 15, -1, 0));
	expect_names_fail(req, "NUL");
	X509_REQ_free(req);

	/* dNSName "b\xfccher.example.org": not read as Latin-1 "bücher". */
	req = make_csr(k, NULL, latin1);
	expect_names_fail(req, "dns name is not ASCII (IA5String)");
	X509_REQ_free(req);
	EVP_PKEY_free(k);
}

Test(csr, ca_true_request_yields_a_leaf)
{
	EVP_PKEY *rkey = fx_key("rsa2048"), *k = fx_key("ec256");
	X509 *root = fx_root(rkey), *x;
	const char *exts[] = {
		"basicConstraints=critical,CA:TRUE",
		"keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
		"extendedKeyUsage=codeSigning,OCSPSigning",
		"nameConstraints=critical,permitted;DNS:evil.com",
		"subjectAltName=DNS:www.example.org",
		NULL,
	};
	X509_REQ *req = make_csr(k, "www.example.org", exts), *got;
	struct mc_strv dns = { 0 }, ips = { 0 }, em = { 0 }, eku = fx_strv("serverAuth", NULL);
	char *cn = NULL;
	struct ca_leaf_req lr = { .eku = &eku, .days = 90 };
	BASIC_CONSTRAINTS *bc;

	write_pem(req);
	got = ca_csr_load(path);
	cr_assert_not_null(got, "%s", mc_err());
	cr_assert_eq(ca_csr_names(got, &cn, &dns, &ips, &em), 0, "%s", mc_err());
	cr_assert_str_eq(cn, "www.example.org");
	cr_assert(dns.n == 1 && ips.n == 0 && em.n == 0);
	lr.pubkey = X509_REQ_get0_pubkey(got);
	lr.cn = cn;
	lr.dns = &dns;
	x = ca_leaf_sign(&lr, root, rkey);
	cr_assert_not_null(x, "%s", mc_err());
	bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
	cr_assert(bc != NULL && !bc->ca);
	BASIC_CONSTRAINTS_free(bc);
	cr_assert_eq(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	cr_assert_eq(X509_get_extended_key_usage(x), XKU_SSL_SERVER);
	cr_assert_eq(X509_get_ext_by_NID(x, NID_name_constraints, -1), -1);
	cr_assert_eq(X509_get_ext_count(x), 6);
	cr_assert_eq(X509_check_ca(x), 0);
	cr_assert_eq(fx_verify(root, x, "www.example.org", X509_PURPOSE_SSL_SERVER, NULL), X509_V_OK);
	free(cn);
	mc_strv_free(&dns);
	mc_strv_free(&ips);
	mc_strv_free(&em);
	mc_strv_free(&eku);
	X509_free(x);
	X509_free(root);
	X509_REQ_free(req);
	X509_REQ_free(got);
	EVP_PKEY_free(k);
	EVP_PKEY_free(rkey);
}

/* P-256 but with explicit curve parameters or a compressed point. */
static EVP_PKEY *
ec_key_encoded(const char *param, const char *value)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *k = NULL;
	OSSL_PARAM p[2];

	cr_assert_not_null(c);
	p[0] = OSSL_PARAM_construct_utf8_string("group", (char *)"P-256", 0);
	p[1] = OSSL_PARAM_construct_end();
	cr_assert_gt(EVP_PKEY_keygen_init(c), 0);
	cr_assert(EVP_PKEY_CTX_set_params(c, p));
	cr_assert_gt(EVP_PKEY_keygen(c, &k), 0);
	/* Set on the key: OpenSSL 3.0's keygen ignores point-format. */
	cr_assert(EVP_PKEY_set_utf8_string_param(k, param, value));
	EVP_PKEY_CTX_free(c);
	return k;
}

Test(csr, explicit_or_compressed_ec_refused)
{
	EVP_PKEY *ex = ec_key_encoded("encoding", "explicit");
	EVP_PKEY *cp = ec_key_encoded("point-format", "compressed");
	X509_REQ *req;

	req = make_csr(ex, "example.org", server_exts);
	write_pem(req);
	expect_load_fails("explicit", "explicit curve parameters");
	X509_REQ_free(req);
	req = make_csr(cp, "example.org", server_exts);
	write_pem(req);
	expect_load_fails("compressed", "compressed public point");
	X509_REQ_free(req);
	EVP_PKEY_free(ex);
	EVP_PKEY_free(cp);
}
