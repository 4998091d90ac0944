/*
 * ca/bundle.c and ca/p12.c: every kit file read back with OpenSSL's own
 * parsers and compared with the root it came from.
 */
#include <ctype.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"

static EVP_PKEY *root_key, *leaf_key;
static X509 *root, *leaf;
static char dir[64];

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	cr_assert_not_null(ext);
	cr_assert(X509_add_ext(x, ext, -1));
	X509_EXTENSION_free(ext);
}

/* issuer NULL: self-signed CA. */
static X509 *
make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_get_subject_name(x);
	BIGNUM *bn = BN_new();

	cr_assert(BN_rand(bn, 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY));
	cr_assert(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
	BN_free(bn);
	X509_set_version(x, 2);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)"Example Org", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : n);
	X509_set_pubkey(x, key);
	if (issuer == NULL) {
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(x, issuer, NID_ext_key_usage, "clientAuth,emailProtection");
	}
	cr_assert(X509_sign(x, ikey != NULL ? ikey : key, EVP_sha256()));
	return x;
}

static void
setup(void)
{
	root_key = EVP_RSA_gen(2048);
	cr_assert_not_null(root_key);
	/* Markup in the CN: the profile must escape it. */
	root = make_cert(root_key, "Example <Root> & CA", NULL, NULL);
	leaf_key = EVP_EC_gen("P-256");
	cr_assert_not_null(leaf_key);
	leaf = make_cert(leaf_key, "alice@example.org", root, root_key);
	strcpy(dir, "/tmp/minica-test-bundle-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void
teardown(void)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	X509_free(root);
	X509_free(leaf);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(leaf_key);
}

static char *
path_in(const char *sub, const char *file)
{
	char *p = NULL;

	cr_assert(asprintf(&p, "%s/%s/%s", dir, sub, file) > 0);
	return p;
}

/* The whole file; NUL-terminated, length in *len. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	cr_assert_not_null(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

static void
write_kit(const char *sub, const char *name)
{
	char *out = path_in(sub, "");

	cr_assert_eq(ca_bundle_write(root, out, name), 0, "%s", mc_err());
	free(out);
}

TestSuite(bundle, .init = setup, .fini = teardown);

/* Arrays, not pointers: Criterion hands parameters to a fresh process. */
struct name_case {
	char name[80];
	int ok;
};

ParameterizedTestParameters(bundle, names)
{
	static struct name_case cases[] = {
		{ "minica-ca", 1 }, { "a", 1 }, { "Example.Org_CA-2", 1 },
		{ "", 0 }, { ".hidden", 0 }, { "-rf", 0 }, { "a/b", 0 }, { "..", 0 },
		{ "a b", 0 }, { "caf\xc3\xa9", 0 }, { "x;rm", 0 }, { "a'b", 0 }, { "$(id)", 0 },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1 },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 },
	};
	return cr_make_param_array(struct name_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct name_case *c, bundle, names)
{
	cr_expect_eq(ca_bundle_name_check(c->name) == 0, c->ok, "'%s'", c->name);
	if (!c->ok)
		cr_expect(strstr(mc_err(), "invalid bundle name") != NULL);
}

Test(bundle, bad_name_writes_nothing)
{
	char *out = path_in("kit", "");
	struct stat st;

	cr_assert_eq(ca_bundle_write(root, out, "../evil"), -1);
	cr_expect(stat(out, &st) < 0);
	free(out);
}

Test(bundle, every_file_with_its_mode)
{
	struct mc_strv files = { 0 };
	struct stat st;
	char *p;
	mode_t old = umask(077);

	write_kit("kit", NULL);
	umask(old);
	p = path_in("kit", "");
	cr_assert_eq(stat(p, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0755, "folder mode %o", st.st_mode & 07777);
	free(p);
	cr_assert_eq(ca_bundle_files(CA_BUNDLE_NAME_DEFAULT, &files), 0);
	cr_expect_eq(files.n, 9);
	for (size_t i = 0; i < files.n; i++) {
		mode_t want = strstr(files.v[i], ".sh") != NULL ? 0755 : 0644;

		p = path_in("kit", files.v[i]);
		cr_assert_eq(stat(p, &st), 0, "missing %s", p);
		cr_expect_eq(st.st_mode & 07777, want, "%s mode %o", p, st.st_mode & 07777);
		cr_expect_gt(st.st_size, 0);
		free(p);
	}
	mc_strv_free(&files);
}

Test(bundle, pem_der_p7b_are_the_root)
{
	char *p = path_in("kit", "minica-ca.crt");
	FILE *f = fopen((write_kit("kit", NULL), p), "r");
	X509 *x;
	const unsigned char *q;
	size_t len;
	char *der;
	PKCS7 *p7;

	cr_assert_not_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	cr_assert_not_null(x);
	cr_expect_eq(X509_cmp(x, root), 0);
	cr_expect_null(PEM_read_X509(f, NULL, NULL, NULL), "one certificate only");
	ERR_clear_error();
	fclose(f);
	X509_free(x);
	free(p);

	p = path_in("kit", "minica-ca.cer");
	der = slurp(p, &len);
	q = (const unsigned char *)der;
	x = d2i_X509(NULL, &q, (long)len);
	cr_assert_not_null(x);
	cr_expect_eq(q, (const unsigned char *)der + len, "nothing after the DER");
	cr_expect_eq(X509_cmp(x, root), 0);
	X509_free(x);
	free(der);
	free(p);

	p = path_in("kit", "minica-ca.p7b");
	der = slurp(p, &len);
	q = (const unsigned char *)der;
	p7 = d2i_PKCS7(NULL, &q, (long)len);
	cr_assert_not_null(p7);
	cr_assert(PKCS7_type_is_signed(p7));
	cr_assert_eq(sk_X509_num(p7->d.sign->cert), 1);
	cr_expect_eq(X509_cmp(sk_X509_value(p7->d.sign->cert, 0), root), 0);
	cr_expect_eq(sk_PKCS7_SIGNER_INFO_num(p7->d.sign->signer_info), 0);
	PKCS7_free(p7);
	free(der);
	free(p);
}

static int
is_uuid(const char *u)
{
	static const char hex[] = "0123456789ABCDEF";

	if (strlen(u) != 36 || u[14] != '5' || strchr("89AB", u[19]) == NULL)
		return 0;
	for (int i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? u[i] != '-' : strchr(hex, u[i]) == NULL)
			return 0;
	return 1;
}

Test(bundle, uuid_stable_and_per_root)
{
	char a[CA_UUID_LEN], b[CA_UUID_LEN], c[CA_UUID_LEN], d[CA_UUID_LEN];
	EVP_PKEY *k2 = EVP_EC_gen("P-256");
	X509 *other = make_cert(k2, "Example <Root> & CA", NULL, NULL);

	cr_assert_eq(ca_bundle_uuid(root, "root", a), 0);
	cr_assert_eq(ca_bundle_uuid(root, "root", b), 0);
	cr_assert_eq(ca_bundle_uuid(root, "profile", c), 0);
	cr_assert_eq(ca_bundle_uuid(other, "root", d), 0);
	cr_expect(is_uuid(a), "%s", a);
	cr_expect(is_uuid(c), "%s", c);
	cr_expect_str_eq(a, b);
	cr_expect_str_neq(a, c);
	cr_expect_str_neq(a, d);
	X509_free(other);
	EVP_PKEY_free(k2);
}

/* The text between <data> and </data>, whitespace removed. */
static char *
plist_data(const char *xml)
{
	const char *s = strstr(xml, "<data>"), *e = strstr(xml, "</data>");
	char *out, *o;

	cr_assert(s != NULL && e != NULL && s < e);
	o = out = malloc((size_t)(e - s));
	for (s += 6; s < e; s++)
		if (strchr(" \t\r\n", *s) == NULL)
			*o++ = *s;
	*o = '\0';
	return out;
}

Test(bundle, mobileconfig)
{
	char *p = path_in("kit", "ca.mobileconfig"), *xml, *again, *data, *b64;
	char ur[CA_UUID_LEN], up[CA_UUID_LEN];
	unsigned char *der = NULL;
	int n = i2d_X509(root, &der);

	write_kit("kit", "ca");
	xml = slurp(p, NULL);
	write_kit("kit2", "ca");
	free(p);
	p = path_in("kit2", "ca.mobileconfig");
	again = slurp(p, NULL);
	cr_expect_str_eq(xml, again, "same root, same profile");

	cr_assert_eq(ca_bundle_uuid(root, "root", ur), 0);
	cr_assert_eq(ca_bundle_uuid(root, "profile", up), 0);
	cr_expect(strstr(xml, "<string>com.apple.security.root</string>") != NULL);
	cr_expect(strstr(xml, "<string>Configuration</string>") != NULL);
	cr_expect(strstr(xml, ur) != NULL && strstr(xml, up) != NULL);
	cr_expect(strstr(xml, "<string>Example &lt;Root&gt; &amp; CA</string>") != NULL);
	cr_expect(strstr(xml, "<Root>") == NULL);
	cr_expect(strstr(xml, "<string>ca.cer</string>") != NULL);

	data = plist_data(xml);
	b64 = malloc(4 * ((size_t)n + 2) / 3 + 1);
	EVP_EncodeBlock((unsigned char *)b64, der, n);
	cr_expect_str_eq(data, b64, "payload is the DER root");
	free(b64);
	free(data);
	OPENSSL_free(der);
	free(xml);
	free(again);
	free(p);
}

Test(bundle, scripts_carry_the_fingerprint)
{
	static const char *const files[] = { "install-linux.sh", "install-macos.sh",
		"install-java.sh", "install-windows.ps1", "README.txt" };
	char fpr[CA_FPR_LEN], expect[128];

	ca_cert_fingerprint(root, fpr);
	write_kit("kit", "corp-root");
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *p = path_in("kit", files[i]), *text = slurp(p, NULL);

		cr_expect(strstr(text, fpr) != NULL || i == 4, "%s lacks the fingerprint", files[i]);
		cr_expect(strstr(text, "corp-root") != NULL, "%s lacks the name", files[i]);
		cr_expect(strstr(text, "@NAME@") == NULL && strstr(text, "@FPR") == NULL &&
		    strstr(text, "@SHA1@") == NULL && strstr(text, "@SUBJECT@") == NULL,
		    "%s has a placeholder left", files[i]);
		free(text);
		free(p);
	}
	/* README shows the form minica shows everywhere: groups of four. */
	snprintf(expect, sizeof(expect), "SHA-256:      %c%c%c%c %c%c%c%c ", toupper(fpr[0]), toupper(fpr[1]),
	    toupper(fpr[2]), toupper(fpr[3]), toupper(fpr[4]), toupper(fpr[5]), toupper(fpr[6]), toupper(fpr[7]));
	{
		char *p = path_in("kit", "README.txt"), *text = slurp(p, NULL);

		cr_expect(strstr(text, expect) != NULL, "README lacks %s", expect);
		free(text);
		free(p);
	}
}

Test(bundle, rewrite_is_identical)
{
	char *a = path_in("kit", "install-linux.sh"), *t1, *t2;

	write_kit("kit", NULL);
	t1 = slurp(a, NULL);
	write_kit("kit", NULL);
	t2 = slurp(a, NULL);
	cr_expect_str_eq(t1, t2);
	free(t1);
	free(t2);
	free(a);
}

Test(bundle, out_is_a_file)
{
	char *p = path_in("", "file");
	FILE *f = fopen(p, "w");

	fclose(f);
	cr_expect_eq(ca_bundle_write(root, p, NULL), -1);
	cr_expect(strstr(mc_err(), "not a folder") != NULL, "%s", mc_err());
	free(p);
}

/* --- PKCS#12 ------------------------------------------------------------ */

TestSuite(p12, .init = setup, .fini = teardown);

static PKCS12 *
p12_read(const char *path)
{
	size_t len;
	char *der = slurp(path, &len);
	const unsigned char *q = (const unsigned char *)der;
	PKCS12 *p12 = d2i_PKCS12(NULL, &q, (long)len);

	cr_assert_not_null(p12);
	free(der);
	return p12;
}

/* Encryption algorithm of the certificate bag container and the key bag. */
static void
p12_algs(PKCS12 *p12, int *cert_alg, int *key_alg, char **fname)
{
	STACK_OF(PKCS7) *safes = PKCS12_unpack_authsafes(p12);

	*cert_alg = *key_alg = NID_undef;
	for (int i = 0; i < sk_PKCS7_num(safes); i++) {
		PKCS7 *p7 = sk_PKCS7_value(safes, i);
		STACK_OF(PKCS12_SAFEBAG) *bags = NULL;

		if (PKCS7_type_is_encrypted(p7)) {
			*cert_alg = OBJ_obj2nid(p7->d.encrypted->enc_data->algorithm->algorithm);
		} else if (PKCS7_type_is_data(p7)) {
			bags = PKCS12_unpack_p7data(p7);
			for (int j = 0; j < sk_PKCS12_SAFEBAG_num(bags); j++) {
				PKCS12_SAFEBAG *bag = sk_PKCS12_SAFEBAG_value(bags, j);
				const X509_ALGOR *alg;

				if (PKCS12_SAFEBAG_get_nid(bag) != NID_pkcs8ShroudedKeyBag)
					continue;
				X509_SIG_get0(PKCS12_SAFEBAG_get0_pkcs8(bag), &alg, NULL);
				*key_alg = OBJ_obj2nid(alg->algorithm);
				*fname = PKCS12_get_friendlyname(bag);
			}
			sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
		}
	}
	sk_PKCS7_pop_free(safes, PKCS7_free);
}

static void
p12_check(int legacy)
{
	static const char pass[] = "correct horse battery staple";
	char *path = path_in("", "alice.p12"), *fname = NULL;
	PKCS12 *p12;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	STACK_OF(X509) *ca = NULL;
	const X509_ALGOR *macalg;
	const ASN1_OBJECT *macoid;
	const ASN1_INTEGER *iter;
	int cert_alg, key_alg;
	struct stat st;

	cr_assert_eq(ca_p12_write(path, leaf_key, leaf, root, pass, strlen(pass), legacy), 0, "%s", mc_err());
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0600);
	p12 = p12_read(path);
	cr_expect(PKCS12_verify_mac(p12, pass, -1));
	cr_expect(!PKCS12_verify_mac(p12, "wrong", -1));
	cr_assert(PKCS12_parse(p12, pass, &key, &cert, &ca), "%s", ERR_reason_error_string(ERR_get_error()));
	cr_expect_eq(EVP_PKEY_eq(key, leaf_key), 1);
	cr_expect_eq(X509_cmp(cert, leaf), 0);
	cr_assert_eq(sk_X509_num(ca), 1);
	cr_expect_eq(X509_cmp(sk_X509_value(ca, 0), root), 0);

	PKCS12_get0_mac(NULL, &macalg, NULL, &iter, p12);
	X509_ALGOR_get0(&macoid, NULL, NULL, macalg);
	p12_algs(p12, &cert_alg, &key_alg, &fname);
	cr_expect_str_eq(fname, "alice@example.org");
	if (legacy) {
		cr_expect_eq(OBJ_obj2nid(macoid), NID_sha1);
		cr_expect_eq(ASN1_INTEGER_get(iter), CA_P12_LEGACY_ITER);
		cr_expect_eq(cert_alg, NID_pbe_WithSHA1And3_Key_TripleDES_CBC);
		cr_expect_eq(key_alg, NID_pbe_WithSHA1And3_Key_TripleDES_CBC);
	} else {
		cr_expect_eq(OBJ_obj2nid(macoid), NID_sha256);
		cr_expect_eq(ASN1_INTEGER_get(iter), CA_P12_ITER);
		cr_expect_eq(cert_alg, NID_pbes2);
		cr_expect_eq(key_alg, NID_pbes2);
	}
	OPENSSL_free(fname);
	EVP_PKEY_free(key);
	X509_free(cert);
	sk_X509_pop_free(ca, X509_free);
	PKCS12_free(p12);
	free(path);
}

Test(p12, modern, .timeout = 60)
{
	p12_check(0);
}

Test(p12, legacy)
{
	p12_check(1);
}

Test(p12, refuses_existing_file)
{
	char *path = path_in("", "x.p12");
	FILE *f = fopen(path, "w");

	fputs("keep me\n", f);
	fclose(f);
	cr_expect_eq(ca_p12_write(path, leaf_key, leaf, root, "pw", 2, 1), -1);
	f = fopen(path, "r");
	{
		char line[16] = "";

		cr_expect_not_null(fgets(line, sizeof(line), f));
		cr_expect_str_eq(line, "keep me\n");
	}
	fclose(f);
	free(path);
}

Test(p12, bad_inputs)
{
	struct mc_buf b = { 0 };

	cr_expect_eq(ca_p12_der(leaf_key, leaf, root, "", 0, 0, &b), -1);
	cr_expect_eq(ca_p12_der(leaf_key, leaf, root, "a\0b", 3, 0, &b), -1);
	cr_expect_eq(ca_p12_der(root_key, leaf, root, "pw", 2, 1, &b), -1);
	cr_expect(strstr(mc_err(), "does not match") != NULL, "%s", mc_err());
	cr_expect_eq(b.len, 0);
	mc_buf_free(&b);
}
