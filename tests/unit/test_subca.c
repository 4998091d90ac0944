/*
 * ca/subca.c: the issuing intermediate and root rotation's successor and
 * cross-certificate.  Every extension is read back from the certificate;
 * chains go through X509_verify_cert and tests/verify/chain.sh (OpenSSL
 * -x509_strict -untrusted, GnuTLS certtool, NSS vfychain classic and
 * libpkix, Go crypto/x509), and a leaf forged with the intermediate's key for a name
 * outside the constraints must be refused by each of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "leaf_fixture.h"

static char dir[] = "/tmp/minica-subca-XXXXXX";

static void
setup(void)
{
	strcpy(dir, "/tmp/minica-subca-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[300];

	if (getenv("KEEP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		cr_assert_eq(system(cmd), 0);
	}
	mc_clearerr();
}

TestSuite(subca, .init = setup, .fini = teardown, .timeout = 120);

static X509 *
inter(X509 *root, EVP_PKEY *rkey, EVP_PKEY *ikey, int days)
{
	char cn[80];
	struct ca_inter_req req = { .cn = cn, .days = days };
	X509 *x;

	cr_assert_eq(ca_inter_default_name(root, ikey, cn, sizeof(cn)), 0, "%s", mc_err());
	x = ca_inter_build(ikey, &req, root, rkey);
	cr_assert_not_null(x, "ca_inter_build: %s", mc_err());
	return x;
}

static X509 *
leaf(X509 *issuer, EVP_PKEY *ikey, const char *name)
{
	struct mc_strv dns = fx_strv(name, NULL), eku = fx_strv("serverAuth", NULL);
	struct ca_leaf_req req = { .pubkey = NULL, .cn = name, .dns = &dns, .eku = &eku, .days = 90 };
	EVP_PKEY *k = fx_key("ec256");
	X509 *x;

	req.pubkey = k;
	x = ca_leaf_sign(&req, issuer, ikey);
	cr_assert_not_null(x, "ca_leaf_sign: %s", mc_err());
	mc_strv_free(&dns);
	mc_strv_free(&eku);
	EVP_PKEY_free(k);
	return x;
}

/* What ca_leaf_sign would never sign: a leaf for a name outside the
 * constraints, made by hand with the intermediate's key. */
static X509 *
forge(X509 *issuer, EVP_PKEY *ikey, const char *name)
{
	EVP_PKEY *k = fx_key("ec256");
	X509 *x = X509_new();
	char san[300];

	cr_assert(X509_set_version(x, X509_VERSION_3));
	cr_assert(ASN1_INTEGER_set(X509_get_serialNumber(x), 777));
	cr_assert(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
	    (const unsigned char *)name, -1, -1, 0));
	cr_assert(X509_set_issuer_name(x, X509_get_subject_name(issuer)));
	cr_assert(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	cr_assert(X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 30));
	cr_assert(X509_set_pubkey(x, k));
	fx_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
	fx_ext(x, issuer, NID_key_usage, "critical,digitalSignature");
	fx_ext(x, issuer, NID_ext_key_usage, "serverAuth");
	fx_ext(x, issuer, NID_subject_key_identifier, "hash");
	fx_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
	snprintf(san, sizeof(san), "DNS:%s", name);
	fx_ext(x, issuer, NID_subject_alt_name, san);
	cr_assert(X509_sign(x, ikey, EVP_sha256()) > 0);
	EVP_PKEY_free(k);
	return x;
}

static STACK_OF(X509) *
stack(X509 *a, X509 *b)
{
	STACK_OF(X509) *s = sk_X509_new_null();

	cr_assert_not_null(s);
	if (a != NULL)
		cr_assert(sk_X509_push(s, a));
	if (b != NULL)
		cr_assert(sk_X509_push(s, b));
	return s;
}

static void
append_pem(const char *path, X509 *x)
{
	FILE *f = fopen(path, "a");

	cr_assert_not_null(f, "%s", path);
	cr_assert(PEM_write_X509(f, x));
	cr_assert_eq(fclose(f), 0);
}

/* tests/verify/chain.sh on trust and leaf + chain (want 1: all accept;
 * 0: all reject). */
static void
all_verifiers(const char *name, X509 *trust1, X509 *trust2, X509 *lf, X509 *c1, X509 *c2, int want)
{
	char tp[400], cp[400], cmd[1200];
	int st;

	snprintf(tp, sizeof(tp), "%s/%s.trust.pem", dir, name);
	snprintf(cp, sizeof(cp), "%s/%s.chain.pem", dir, name);
	unlink(tp);
	unlink(cp);
	append_pem(tp, trust1);
	if (trust2 != NULL)
		append_pem(tp, trust2);
	append_pem(cp, lf);
	if (c1 != NULL)
		append_pem(cp, c1);
	if (c2 != NULL)
		append_pem(cp, c2);
	snprintf(cmd, sizeof(cmd), "sh tests/verify/chain.sh %s '%s' '%s'", want ? "" : "--bad", tp, cp);
	st = system(cmd);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: %s (see the verifiers' output above)",
	    name, want ? "a verifier rejected a good chain" : "a verifier accepted a forged leaf");
}

static const ASN1_OCTET_STRING *
ski_of(X509 *x)
{
	const ASN1_OCTET_STRING *s = X509_get0_subject_key_id(x);

	cr_assert_not_null(s);
	return s;
}

static void
check_inter_exts(X509 *x, X509 *root)
{
	int crit = -1, i;
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	EXTENDED_KEY_USAGE *eku;
	unsigned char *a = NULL, *b = NULL;
	int alen, blen;

	cr_assert_not_null(bc);
	cr_assert_eq(crit, 1, "basicConstraints critical");
	cr_assert(bc->ca);
	cr_assert_eq(ASN1_INTEGER_get(bc->pathlen), 0);
	BASIC_CONSTRAINTS_free(bc);
	cr_assert_eq(X509_get_key_usage(x), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	cr_assert(X509_EXTENSION_get_critical(X509_get_ext(x, X509_get_ext_by_NID(x, NID_key_usage, -1))));
	eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL);
	cr_assert_not_null(eku);
	cr_assert_eq(crit, 0);
	cr_assert_eq(sk_ASN1_OBJECT_num(eku), 2);
	cr_assert_eq(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)), NID_server_auth);
	cr_assert_eq(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 1)), NID_client_auth);
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	cr_assert_eq(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x), ski_of(root)), 0);
	ski_of(x);
	/* nameConstraints: the root's, byte for byte, critical. */
	i = X509_get_ext_by_NID(x, NID_name_constraints, -1);
	cr_assert_geq(i, 0, "nameConstraints missing");
	cr_assert(X509_EXTENSION_get_critical(X509_get_ext(x, i)));
	alen = i2d_ASN1_OCTET_STRING(X509_EXTENSION_get_data(X509_get_ext(x, i)), &a);
	i = X509_get_ext_by_NID(root, NID_name_constraints, -1);
	blen = i2d_ASN1_OCTET_STRING(X509_EXTENSION_get_data(X509_get_ext(root, i)), &b);
	cr_assert(alen > 0 && alen == blen && memcmp(a, b, (size_t)alen) == 0);
	OPENSSL_free(a);
	OPENSSL_free(b);
	cr_assert_eq(X509_get_ext_count(x), 6);
	cr_assert_eq(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(root)), 0);
	cr_assert_neq(X509_NAME_cmp(X509_get_subject_name(x), X509_get_subject_name(root)), 0);
}

static const struct {
	const char *root_key, *inter_key;
	int nid;		/* the intermediate's signature (the root's hash) */
} kinds[] = {
	{ "rsa2048", "ec256", NID_sha256WithRSAEncryption },
	{ "ec384", "ec384", NID_ecdsa_with_SHA384 },
	{ "ec521", "ec256", NID_ecdsa_with_SHA512 },
	{ "ec256", "rsa2048", NID_ecdsa_with_SHA256 },
};

Test(subca, intermediate_extensions_hash_and_chains)
{
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		EVP_PKEY *rkey = fx_key(kinds[k].root_key), *ikey = fx_key(kinds[k].inter_key);
		X509 *root = fx_root(rkey), *in = inter(root, rkey, ikey, 0);
		X509 *good = leaf(in, ikey, "www.example.org"), *evil = forge(in, ikey, "www.evil.com");
		STACK_OF(X509) *u = stack(in, NULL), *r = stack(root, NULL);
		char name[64];

		check_inter_exts(in, root);
		cr_assert_eq(X509_get_signature_nid(in), kinds[k].nid, "%s root", kinds[k].root_key);
		cr_assert_eq(ca_verify_chain(good, u, r, "sslserver", 0), 0, "%s", mc_err());
		cr_assert_eq(ca_verify_chain(evil, u, r, "sslserver", 0), -1);
		cr_assert(strstr(mc_err(), "permitted subtree") != NULL, "%s", mc_err());
		/* Without the intermediate the leaf cannot reach the root. */
		cr_assert_eq(ca_verify_leaf(good, root, "sslserver"), -1);
		snprintf(name, sizeof(name), "%s-%s", kinds[k].root_key, kinds[k].inter_key);
		all_verifiers(name, root, NULL, good, in, NULL, 1);
		snprintf(name, sizeof(name), "forged-%s-%s", kinds[k].root_key, kinds[k].inter_key);
		all_verifiers(name, root, NULL, evil, in, NULL, 0);
		sk_X509_free(u);
		sk_X509_free(r);
		X509_free(good);
		X509_free(evil);
		X509_free(in);
		X509_free(root);
		EVP_PKEY_free(ikey);
		EVP_PKEY_free(rkey);
	}
}

Test(subca, lifetime_default_and_clamped_to_root)
{
	EVP_PKEY *rkey = fx_key("ec256"), *ikey = fx_key("ec256");
	X509 *root = fx_root(rkey), *a = inter(root, rkey, ikey, 0), *b = inter(root, rkey, ikey, 36500);
	time_t nb, na, rnb, rna;

	cr_assert_eq(ca_cert_validity(a, &nb, &na), 0);
	cr_assert(na - nb >= 1825L * 86400 - 5 && na - nb <= 1825L * 86400 + 5, "%ld", (long)(na - nb));
	cr_assert_eq(ca_cert_validity(b, &nb, &na), 0);
	cr_assert_eq(ca_cert_validity(root, &rnb, &rna), 0);
	cr_assert_eq(na, rna, "clamped to the root's notAfter");
	X509_free(a);
	X509_free(b);
	X509_free(root);
	EVP_PKEY_free(ikey);
	EVP_PKEY_free(rkey);
}

Test(subca, refusals)
{
	EVP_PKEY *rkey = fx_key("ec256"), *ikey = fx_key("ec256"), *other = fx_key("ec256");
	X509 *root = fx_root(rkey), *p0 = X509_new();
	struct ca_inter_req req = { .cn = "x issuing", .days = 30 };
	struct ca_inter_req empty = { .cn = "", .days = 30 };

	/* The wrong root key, an empty name, a lifetime out of range. */
	cr_assert_null(ca_inter_build(ikey, &req, root, other));
	cr_assert(strstr(mc_err(), "does not match") != NULL, "%s", mc_err());
	cr_assert_null(ca_inter_build(ikey, &empty, root, rkey));
	req.days = -1;
	cr_assert_null(ca_inter_build(ikey, &req, root, rkey));
	req.days = 30;
	/* A root whose pathlen is 0 admits no intermediate. */
	cr_assert(X509_set_version(p0, X509_VERSION_3));
	cr_assert(X509_NAME_add_entry_by_txt(X509_get_subject_name(p0), "CN", MBSTRING_UTF8,
	    (const unsigned char *)"p0", -1, -1, 0));
	cr_assert(X509_set_issuer_name(p0, X509_get_subject_name(p0)));
	cr_assert(X509_gmtime_adj(X509_getm_notBefore(p0), 0));
	cr_assert(X509_gmtime_adj(X509_getm_notAfter(p0), 86400L * 300));
	cr_assert(X509_set_pubkey(p0, rkey));
	fx_ext(p0, p0, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
	fx_ext(p0, p0, NID_key_usage, "critical,keyCertSign,cRLSign");
	cr_assert(X509_sign(p0, rkey, EVP_sha256()) > 0);
	cr_assert_null(ca_inter_build(ikey, &req, p0, rkey));
	cr_assert(strstr(mc_err(), "pathlen:0") != NULL, "%s", mc_err());
	X509_free(p0);
	X509_free(root);
	EVP_PKEY_free(other);
	EVP_PKEY_free(ikey);
	EVP_PKEY_free(rkey);
}

Test(subca, root_without_constraints_or_ski)
{
	/* A hand-made root: no nameConstraints, no SKI.  The intermediate
	 * has no constraints either, and its AKI holds the key id the
	 * root's SKI would have had. */
	EVP_PKEY *rkey = fx_key("ec256"), *ikey = fx_key("ec256");
	X509 *root = fx_root_ex(rkey, "", 0), *in = inter(root, rkey, ikey, 0);
	X509 *lf = leaf(in, ikey, "www.anything.test");
	STACK_OF(X509) *u = stack(in, NULL), *r = stack(root, NULL);

	cr_assert_lt(X509_get_ext_by_NID(in, NID_name_constraints, -1), 0);
	cr_assert_not_null(X509_get0_authority_key_id(in));
	cr_assert_eq(X509_get0_authority_key_id(in)->length, 20);
	cr_assert_eq(ca_verify_chain(lf, u, r, "sslserver", 0), 0, "%s", mc_err());
	sk_X509_free(u);
	sk_X509_free(r);
	X509_free(lf);
	X509_free(in);
	X509_free(root);
	EVP_PKEY_free(ikey);
	EVP_PKEY_free(rkey);
}

/* fx_root's shape with the given pathlen (-1: none). */
static X509 *
root_pathlen(EVP_PKEY *key, int pathlen)
{
	X509 *x = X509_new();
	char bc[64];

	cr_assert(X509_set_version(x, X509_VERSION_3));
	cr_assert(ASN1_INTEGER_set(X509_get_serialNumber(x), 4243));
	cr_assert(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
	    (const unsigned char *)"rotating root", -1, -1, 0));
	cr_assert(X509_set_issuer_name(x, X509_get_subject_name(x)));
	cr_assert(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
	cr_assert(X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 3650));
	cr_assert(X509_set_pubkey(x, key));
	if (pathlen < 0)
		snprintf(bc, sizeof(bc), "critical,CA:TRUE");
	else
		snprintf(bc, sizeof(bc), "critical,CA:TRUE,pathlen:%d", pathlen);
	fx_ext(x, x, NID_basic_constraints, bc);
	fx_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	fx_ext(x, x, NID_subject_key_identifier, "hash");
	fx_ext(x, x, NID_name_constraints, FX_NC);
	cr_assert(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

/*
 * Root rotation: a client trusting only the old root reaches a leaf of
 * the new intermediate through the cross-certificate; a client trusting
 * only the new root needs no cross-certificate; the forged leaf fails
 * both ways.  old_pathlen is the old root's: the cross-certificate is
 * self-issued, which RFC 5280 6.1.4 (l) leaves out of the count, but
 * GnuTLS and Go count it, so under an old root with pathlen 1 only
 * OpenSSL and NSS accept leaf -> intermediate -> cross -> old root
 * (checked here in-process with OpenSSL only).
 */
static void
rotation(int old_pathlen)
{
	EVP_PKEY *okey = fx_key("rsa2048"), *nkey = fx_key("rsa2048"), *ikey = fx_key("ec256");
	X509 *old = root_pathlen(okey, old_pathlen), *nroot = ca_root_successor(old, nkey, 3650);
	X509 *cross, *in, *lf, *evil;
	STACK_OF(X509) *u, *ro, *rn;

	cr_assert_not_null(nroot, "%s", mc_err());
	cr_assert_eq(X509_NAME_cmp(X509_get_subject_name(nroot), X509_get_subject_name(old)), 0);
	cr_assert_eq(X509_check_issued(nroot, nroot), X509_V_OK);
	cr_assert_eq(X509_get_pathlen(nroot), 2);
	cr_assert_geq(X509_get_ext_by_NID(nroot, NID_name_constraints, -1), 0);
	cross = ca_cross_build(nroot, old, okey);
	cr_assert_not_null(cross, "%s", mc_err());
	cr_assert_eq(X509_check_issued(old, cross), X509_V_OK);
	cr_assert_eq(ASN1_OCTET_STRING_cmp(ski_of(cross), ski_of(nroot)), 0);
	cr_assert_eq(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(cross), ski_of(old)), 0);
	/* Valid no longer than either root. */
	cr_assert_eq(ASN1_TIME_compare(X509_get0_notAfter(cross),
	    ASN1_TIME_compare(X509_get0_notAfter(old), X509_get0_notAfter(nroot)) < 0 ?
	    X509_get0_notAfter(old) : X509_get0_notAfter(nroot)), 0);
	cr_assert_null(ca_cross_build(nroot, old, nkey), "the new key cannot cross-sign");
	in = inter(nroot, nkey, ikey, 0);
	lf = leaf(in, ikey, "mail.example.org");
	evil = forge(in, ikey, "mail.evil.com");
	u = stack(in, cross);
	ro = stack(old, NULL);
	rn = stack(nroot, NULL);
	cr_assert_eq(ca_verify_chain(lf, u, ro, "sslserver", 0), 0, "old root: %s", mc_err());
	cr_assert_eq(ca_verify_chain(lf, u, rn, "sslserver", 0), 0, "new root: %s", mc_err());
	cr_assert_eq(ca_verify_chain(evil, u, ro, "sslserver", 0), -1);
	if (old_pathlen != 1)
		all_verifiers("old-root-only", old, NULL, lf, in, cross, 1);
	all_verifiers("new-root-only", nroot, NULL, lf, in, NULL, 1);
	all_verifiers("forged-old-root", old, NULL, evil, in, cross, 0);
	all_verifiers("forged-new-root", nroot, NULL, evil, in, NULL, 0);
	sk_X509_free(u);
	sk_X509_free(ro);
	sk_X509_free(rn);
	X509_free(evil);
	X509_free(lf);
	X509_free(in);
	X509_free(cross);
	X509_free(nroot);
	X509_free(old);
	EVP_PKEY_free(ikey);
	EVP_PKEY_free(nkey);
	EVP_PKEY_free(okey);
}

Test(subca, rotation_old_root_pathlen_2)
{
	rotation(2);
}

Test(subca, rotation_old_root_without_pathlen)
{
	rotation(-1);
}

Test(subca, rotation_old_root_pathlen_1)
{
	rotation(1);
}
