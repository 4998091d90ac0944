/*
 * ca_crl_build: fields read back, X509_STORE with CRL checking rejecting
 * the revoked leaf and accepting another, bad entries refused, and the
 * independent verdict of `openssl crl -verify`, `openssl verify
 * -crl_check` and GnuTLS `certtool --verify-crl` when installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "leaf_fixture.h"
#include "issue/issue.h"

static EVP_PKEY *rkey;
static X509 *root, *leaf_a, *leaf_b;
static char hex_a[CA_SERIAL_LEN], hex_b[CA_SERIAL_LEN];

static X509 *
sign_leaf(const char *name)
{
	EVP_PKEY *k = fx_key("ec256");
	struct mc_strv dns = fx_strv(name, NULL), eku = fx_strv("serverAuth", NULL);
	struct ca_leaf_req req = { .pubkey = k, .cn = name, .dns = &dns, .eku = &eku, .days = 90 };
	X509 *x = ca_leaf_sign(&req, root, rkey);

	cr_assert_not_null(x, "%s", mc_err());
	EVP_PKEY_free(k);
	mc_strv_free(&dns);
	mc_strv_free(&eku);
	return x;
}

/* Independent of ca_cert_serial_hex (cert.c): BN_bn2hex, lowercased. */
static void
serial_hex(X509 *x, char out[CA_SERIAL_LEN])
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *h = BN_bn2hex(bn);

	cr_assert(h != NULL && strlen(h) < CA_SERIAL_LEN);
	for (size_t i = 0; h[i] != '\0'; i++)
		out[i] = (char)(h[i] >= 'A' && h[i] <= 'F' ? h[i] - 'A' + 'a' : h[i]);
	out[strlen(h)] = '\0';
	OPENSSL_free(h);
	BN_free(bn);
}

static void
setup_with(const char *keytype)
{
	rkey = fx_key(keytype);
	root = fx_root(rkey);
	leaf_a = sign_leaf("a.example.org");
	leaf_b = sign_leaf("b.example.org");
	serial_hex(leaf_a, hex_a);
	serial_hex(leaf_b, hex_b);
}

static void
setup_rsa(void)
{
	setup_with("rsa2048");
}

static void
setup_ec(void)
{
	setup_with("ec256");
}

static void
teardown(void)
{
	X509_free(leaf_a);
	X509_free(leaf_b);
	X509_free(root);
	EVP_PKEY_free(rkey);
	mc_clearerr();
}

TestSuite(crl, .init = setup_rsa, .fini = teardown);
TestSuite(crl_ec, .init = setup_ec, .fini = teardown);

static void
check_crl(X509_CRL *crl, long number, int days, size_t nrev)
{
	ASN1_INTEGER *num;
	AUTHORITY_KEYID *akid;
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl);
	int pday, psec, crit;

	cr_assert_eq(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	cr_assert_eq(X509_CRL_verify(crl, rkey), 1);
	cr_assert_eq(X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(root)), 0);
	cr_assert(X509_CRL_get_signature_nid(crl) == NID_sha256WithRSAEncryption ||
	    X509_CRL_get_signature_nid(crl) == NID_ecdsa_with_SHA256);
	cr_assert(ASN1_TIME_diff(&pday, &psec, X509_CRL_get0_lastUpdate(crl),
	    X509_CRL_get0_nextUpdate(crl)));
	cr_assert(pday == days && psec == 0);
	cr_assert(X509_cmp_time(X509_CRL_get0_lastUpdate(crl), &(time_t){ time(NULL) + 5 }) < 0);
	cr_assert(X509_cmp_time(X509_CRL_get0_lastUpdate(crl), &(time_t){ time(NULL) - 60 }) > 0);
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL);
	cr_assert(num != NULL && crit == 0);
	cr_assert_eq(ASN1_INTEGER_get(num), number);
	ASN1_INTEGER_free(num);
	akid = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, &crit, NULL);
	cr_assert(akid != NULL && crit == 0 && akid->keyid != NULL);
	cr_assert_eq(ASN1_OCTET_STRING_cmp(akid->keyid, X509_get0_subject_key_id(root)), 0);
	cr_assert(akid->issuer == NULL && akid->serial == NULL);
	AUTHORITY_KEYID_free(akid);
	cr_assert_eq(X509_CRL_get_ext_count(crl), 2);
	/* RFC 5280 5.1.2.6: no entries, no (empty) list at all. */
	if (nrev == 0)
		cr_assert_null(revs);
	else
		cr_assert_eq((size_t)sk_X509_REVOKED_num(revs), nrev);
	for (int i = 1; i < sk_X509_REVOKED_num(revs); i++)
		cr_assert_lt(ASN1_INTEGER_cmp(
		    X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revs, i - 1)),
		    X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revs, i))), 0, "sorted");
}

/* The entry for x's serial, or NULL. */
static X509_REVOKED *
find_entry(X509_CRL *crl, X509 *x)
{
	X509_REVOKED *rev = NULL;

	if (X509_CRL_get0_by_serial(crl, &rev, X509_get0_serialNumber(x)) != 1)
		return NULL;
	return rev;
}

static void
revoke_a_keep_b(void)
{
	time_t when = time(NULL) - 3600;
	struct ca_revoked r[] = {
		{ "7fffffffffffffffffffffffffffffffffffffff", when, CRL_REASON_SUPERSEDED },
		{ hex_a, when, CRL_REASON_KEY_COMPROMISE },
		{ "1", when - 86400, CRL_REASON_UNSPECIFIED },
		{ "0ABC", when, CRL_REASON_NONE },
	};
	X509_CRL *crl = ca_crl_build(root, rkey, r, 4, 7, 30);
	X509_REVOKED *rev;
	ASN1_ENUMERATED *reason;
	int crit;

	cr_assert_not_null(crl, "%s", mc_err());
	check_crl(crl, 7, 30, 4);
	rev = find_entry(crl, leaf_a);
	cr_assert_not_null(rev);
	cr_assert_eq(ASN1_TIME_cmp_time_t(X509_REVOKED_get0_revocationDate(rev), when), 0);
	reason = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, &crit, NULL);
	cr_assert(reason != NULL && crit == 0);
	cr_assert_eq(ASN1_ENUMERATED_get(reason), CRL_REASON_KEY_COMPROMISE);
	ASN1_ENUMERATED_free(reason);
	cr_assert_null(find_entry(crl, leaf_b));
	for (int i = 0; i < 4; i++) {
		X509_REVOKED *e = sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), i);
		BIGNUM *bn = ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(e), NULL);

		/* "1" (unspecified) and "0ABC" (none) carry no reason code. */
		if (BN_is_one(bn) || BN_is_word(bn, 0xabc))
			cr_assert_eq(X509_REVOKED_get_ext_count(e), 0);
		else
			cr_assert_eq(X509_REVOKED_get_ext_count(e), 1);
		BN_free(bn);
	}
	cr_assert_eq(fx_verify(root, leaf_a, "a.example.org", X509_PURPOSE_SSL_SERVER, crl),
	    X509_V_ERR_CERT_REVOKED);
	cr_assert_eq(fx_verify(root, leaf_b, "b.example.org", X509_PURPOSE_SSL_SERVER, crl),
	    X509_V_OK);
	cr_assert_eq(fx_verify(root, leaf_a, "a.example.org", X509_PURPOSE_SSL_SERVER, NULL),
	    X509_V_OK, "without the CRL a is fine");
	X509_CRL_free(crl);
}

Test(crl, revoked_leaf_rejected_other_accepted)
{
	revoke_a_keep_b();
}

Test(crl_ec, revoked_leaf_rejected_other_accepted)
{
	revoke_a_keep_b();
}

Test(crl, empty_crl)
{
	X509_CRL *crl = ca_crl_build(root, rkey, NULL, 0, 0, 7);

	cr_assert_not_null(crl, "%s", mc_err());
	check_crl(crl, 0, 7, 0);
	cr_assert_eq(fx_verify(root, leaf_a, "a.example.org", X509_PURPOSE_SSL_SERVER, crl),
	    X509_V_OK);
	X509_CRL_free(crl);
}

Test(crl, pem_round_trip)
{
	struct ca_revoked r[] = { { hex_a, time(NULL), CRL_REASON_CESSATION_OF_OPERATION } };
	X509_CRL *crl = ca_crl_build(root, rkey, r, 1, 123456789L, 30), *back;
	struct mc_buf b = { 0 };
	BIO *bio;

	cr_assert_not_null(crl, "%s", mc_err());
	cr_assert_eq(ca_crl_pem(crl, &b), 0);
	cr_assert(strncmp(b.p, "-----BEGIN X509 CRL-----\n", 25) == 0);
	bio = BIO_new_mem_buf(b.p, (int)b.len);
	back = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
	cr_assert_not_null(back);
	check_crl(back, 123456789L, 30, 1);
	cr_assert_not_null(find_entry(back, leaf_a));
	BIO_free(bio);
	X509_CRL_free(back);
	X509_CRL_free(crl);
	mc_buf_free(&b);
}

struct bad_entry {
	char serial[48];
	int reason;
	char msg[40];
};

static struct bad_entry bad_entries[] = {
	{ "", CRL_REASON_NONE, "invalid serial" },
	{ "xyz", CRL_REASON_NONE, "invalid serial" },
	{ "-1f", CRL_REASON_NONE, "invalid serial" },
	{ "0x1f", CRL_REASON_NONE, "invalid serial" },
	{ "1f ", CRL_REASON_NONE, "invalid serial" },
	{ "0", CRL_REASON_NONE, "zero" },
	{ "000", CRL_REASON_NONE, "zero" },
	{ "12345678901234567890123456789012345678901", CRL_REASON_NONE, "invalid serial" },
	{ "1f", 7, "invalid revocation reason" },
	{ "1f", CRL_REASON_REMOVE_FROM_CRL, "invalid revocation reason" },
	{ "1f", 11, "invalid revocation reason" },
	{ "1f", -2, "invalid revocation reason" },
};

ParameterizedTestParameters(crl, bad_entry_refused)
{
	return cr_make_param_array(struct bad_entry, bad_entries,
	    sizeof(bad_entries) / sizeof(bad_entries[0]));
}

ParameterizedTest(struct bad_entry *b, crl, bad_entry_refused)
{
	struct ca_revoked r[] = { { "2a", time(NULL), CRL_REASON_NONE },
		{ b->serial, time(NULL), b->reason } };

	mc_clearerr();
	cr_assert_null(ca_crl_build(root, rkey, r, 2, 1, 30));
	cr_assert(strstr(mc_err(), b->msg) != NULL, "'%s' lacks '%s'", mc_err(), b->msg);
	cr_assert_eq(ERR_peek_error(), 0, "OpenSSL error queue left dirty");
}

Test(crl, bad_calls_refused)
{
	struct ca_revoked dup[] = { { "2A", time(NULL), CRL_REASON_NONE },
		{ "2a", time(NULL), CRL_REASON_NONE } };
	EVP_PKEY *other = fx_key("ec256");
	X509 *bare = fx_root_ex(rkey, "", 0);

	cr_assert_null(ca_crl_build(root, rkey, dup, 2, 1, 30));
	cr_assert(strstr(mc_err(), "twice") != NULL, "%s", mc_err());
	cr_assert_null(ca_crl_build(root, rkey, NULL, 0, -1, 30));
	cr_assert_null(ca_crl_build(root, rkey, NULL, 0, 1, 0));
	cr_assert(strstr(mc_err(), "lifetime") != NULL, "%s", mc_err());
	cr_assert_null(ca_crl_build(root, rkey, NULL, 1, 1, 30));
	cr_assert_null(ca_crl_build(root, other, NULL, 0, 1, 30));
	cr_assert(strstr(mc_err(), "X509_check_private_key") != NULL, "%s", mc_err());
	cr_assert_null(ca_crl_build(bare, rkey, NULL, 0, 1, 30));
	cr_assert(strstr(mc_err(), "subjectKeyIdentifier") != NULL, "%s", mc_err());
	X509_free(bare);
	EVP_PKEY_free(other);
}

/* Independent verifiers. */
static int
run(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

Test(crl, openssl_and_gnutls_verify)
{
	char dir[] = "/tmp/minica-crl-XXXXXX", p[4][600], cmd[4096];
	struct ca_revoked r[] = { { hex_a, time(NULL) - 60, CRL_REASON_KEY_COMPROMISE } };
	X509_CRL *crl = ca_crl_build(root, rkey, r, 1, 2, 30);
	struct mc_buf b = { 0 };

	if (run("command -v openssl >/dev/null") != 0)
		cr_skip_test("openssl not installed");
	cr_assert_not_null(crl, "%s", mc_err());
	cr_assert_not_null(mkdtemp(dir));
	snprintf(p[0], sizeof(p[0]), "%s/root.pem", dir);
	snprintf(p[1], sizeof(p[1]), "%s/crl.pem", dir);
	snprintf(p[2], sizeof(p[2]), "%s/a.pem", dir);
	snprintf(p[3], sizeof(p[3]), "%s/b.pem", dir);
	fx_write_pem(p[0], root);
	fx_write_pem(p[2], leaf_a);
	fx_write_pem(p[3], leaf_b);
	cr_assert_eq(ca_crl_pem(crl, &b), 0);
	write_file(p[1], b.p, b.len);

	snprintf(cmd, sizeof(cmd), "openssl crl -verify -noout -in %s -CAfile %s 2>&1 "
	    "| grep -q 'verify OK'", p[1], p[0]);
	cr_assert_eq(run(cmd), 0, "openssl crl -verify");
	snprintf(cmd, sizeof(cmd), "openssl verify -x509_strict -crl_check -CRLfile %s "
	    "-CAfile %s %s >/dev/null 2>&1", p[1], p[0], p[2]);
	cr_assert_neq(run(cmd), 0, "openssl verify -crl_check accepted the revoked leaf");
	snprintf(cmd, sizeof(cmd), "openssl verify -x509_strict -crl_check -CRLfile %s "
	    "-CAfile %s %s 2>&1 | grep -q 'certificate revoked'", p[1], p[0], p[2]);
	cr_assert_eq(run(cmd), 0, "revoked for the wrong reason");
	snprintf(cmd, sizeof(cmd), "openssl verify -x509_strict -crl_check -CRLfile %s "
	    "-CAfile %s %s >/dev/null 2>&1", p[1], p[0], p[3]);
	cr_assert_eq(run(cmd), 0, "openssl verify -crl_check rejected the good leaf");
	if (run("command -v certtool >/dev/null") == 0) {
		snprintf(cmd, sizeof(cmd), "certtool --verify-crl --load-ca-certificate %s "
		    "--infile %s >/dev/null 2>&1", p[0], p[1]);
		cr_assert_eq(run(cmd), 0, "certtool --verify-crl");
		snprintf(cmd, sizeof(cmd), "certtool --verify --load-ca-certificate %s "
		    "--load-crl %s --infile %s 2>&1 | grep -q 'chain is revoked'", p[0], p[1], p[2]);
		cr_assert_eq(run(cmd), 0, "certtool --verify --load-crl: revoked leaf not revoked");
		snprintf(cmd, sizeof(cmd), "certtool --verify --load-ca-certificate %s "
		    "--load-crl %s --infile %s >/dev/null 2>&1", p[0], p[1], p[3]);
		cr_assert_eq(run(cmd), 0, "certtool --verify --load-crl rejected the good leaf");
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (getenv("MINICA_KEEP_TEST_FILES") == NULL)
		run(cmd);
	mc_buf_free(&b);
	X509_CRL_free(crl);
}

/* The store keeps what cert.c's ca_cert_serial_hex writes: it must parse. */
Test(crl, serial_from_cert_c)
{
	char hex[CA_SERIAL_LEN];
	struct ca_revoked r[1] = { { hex, time(NULL), CRL_REASON_KEY_COMPROMISE } };
	X509_CRL *crl;

	cr_assert_eq(ca_cert_serial_hex(leaf_a, hex), 0, "%s", mc_err());
	crl = ca_crl_build(root, rkey, r, 1, 1, 30);
	cr_assert_not_null(crl, "%s", mc_err());
	cr_assert_not_null(find_entry(crl, leaf_a));
	cr_assert_null(find_entry(crl, leaf_b));
	X509_CRL_free(crl);
}

/* iss_crl_url: a crl_url ending in '/' names the issuer's own file
 * (HOME/crl/ROLE-SKI8.crl served there); a file URL stays as given. */
Test(crl, url_names_the_issuers_file)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(root);
	const unsigned char *d;
	struct mc_ca ca;
	char url[128], want[128], stem[40], big[300];

	cr_assert_not_null(ski);
	d = ASN1_STRING_get0_data(ski);
	memset(&ca, 0, sizeof(ca));
	ca.cert = root;
	snprintf(ca.rec.role, sizeof(ca.rec.role), "intermediate");
	cr_assert_eq(iss_crl_url(&ca, url, sizeof(url)), 0);
	ca.cfg.crl_url = "http://ca.example.org/crl/";
	cr_assert_eq(iss_crl_url(&ca, url, sizeof(url)), 1, "%s", mc_err());
	snprintf(want, sizeof(want), "http://ca.example.org/crl/intermediate-%02x%02x%02x%02x.crl", d[0], d[1], d[2], d[3]);
	cr_assert_str_eq(url, want);
	snprintf(ca.rec.role, sizeof(ca.rec.role), "root");
	cr_assert_eq(iss_crl_stem(root, ca.rec.role, stem, sizeof(stem)), 0);
	snprintf(want, sizeof(want), "root-%02x%02x%02x%02x", d[0], d[1], d[2], d[3]);
	cr_assert_str_eq(stem, want);
	ca.cfg.crl_url = "http://ca.example.org/minica.crl";
	cr_assert_eq(iss_crl_url(&ca, url, sizeof(url)), 1);
	cr_assert_str_eq(url, "http://ca.example.org/minica.crl");
	memset(big, 'a', sizeof(big) - 2);
	memcpy(big, "http://", 7);
	big[sizeof(big) - 2] = '/';
	big[sizeof(big) - 1] = '\0';
	ca.cfg.crl_url = big;
	cr_assert_eq(iss_crl_url(&ca, url, sizeof(url)), -1);
	cr_assert(strstr(mc_err(), "crl_url is too long") != NULL, "%s", mc_err());
}
