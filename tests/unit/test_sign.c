/*
 * The signature hash follows the issuer's key (ca_sign_md): leaves, CRLs
 * and the root's self-signature under RSA, P-256, P-384 and P-521 keys,
 * read back from the objects and checked by `openssl verify -x509_strict
 * -crl_check` and GnuTLS `certtool --verify` when installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "leaf_fixture.h"

static const struct {
	const char *key;
	int leaf_nid;
} hashes[] = {
	{ "rsa2048", NID_sha256WithRSAEncryption },
	{ "ec256", NID_ecdsa_with_SHA256 },
	{ "ec384", NID_ecdsa_with_SHA384 },
	{ "ec521", NID_ecdsa_with_SHA512 },
};

static X509 *
sign_leaf(X509 *root, EVP_PKEY *rkey, EVP_PKEY *k)
{
	struct mc_strv dns = fx_strv("www.example.org", NULL), eku = fx_strv("serverAuth", NULL);
	struct ca_leaf_req req = { .pubkey = k, .cn = "www.example.org", .dns = &dns, .eku = &eku,
		.days = 90 };
	X509 *x = ca_leaf_sign(&req, root, rkey);

	cr_assert_not_null(x, "ca_leaf_sign: %s", mc_err());
	mc_strv_free(&dns);
	mc_strv_free(&eku);
	return x;
}

static int
run(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
external_verify(X509 *root, X509 *leaf, X509_CRL *crl, const char *name)
{
	char dir[] = "/tmp/minica-sign-XXXXXX", cmd[1024], path[256];
	FILE *f;

	if (run("command -v openssl >/dev/null") != 0)
		return;
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/root.pem", dir);
	fx_write_pem(path, root);
	snprintf(path, sizeof(path), "%s/leaf.pem", dir);
	fx_write_pem(path, leaf);
	snprintf(path, sizeof(path), "%s/crl.pem", dir);
	cr_assert_not_null(f = fopen(path, "w"));
	cr_assert(PEM_write_X509_CRL(f, crl));
	cr_assert_eq(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "openssl verify -x509_strict -crl_check -CAfile %s/root.pem "
	    "-CRLfile %s/crl.pem %s/leaf.pem >/dev/null 2>&1", dir, dir, dir);
	cr_assert_eq(run(cmd), 0, "openssl verify -x509_strict -crl_check under %s", name);
	snprintf(cmd, sizeof(cmd), "! command -v certtool >/dev/null || certtool --verify "
	    "--load-ca-certificate %s/root.pem --load-crl %s/crl.pem --infile %s/leaf.pem "
	    ">/dev/null 2>&1", dir, dir, dir);
	cr_assert_eq(run(cmd), 0, "certtool --verify under %s", name);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	run(cmd);
}

Test(sign, hash_follows_issuer_key)
{
	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
		EVP_PKEY *rkey = fx_key(hashes[i].key), *k = fx_key("ec256");
		X509 *root = fx_root(rkey), *leaf = sign_leaf(root, rkey, k);
		X509_CRL *crl = ca_crl_build(root, rkey, NULL, 0, 1, 7);

		cr_assert_not_null(crl, "ca_crl_build: %s", mc_err());
		cr_assert_eq(X509_get_signature_nid(leaf), hashes[i].leaf_nid, "leaf under %s: %s",
		    hashes[i].key, OBJ_nid2sn(X509_get_signature_nid(leaf)));
		cr_assert_eq(X509_CRL_get_signature_nid(crl), hashes[i].leaf_nid, "crl under %s",
		    hashes[i].key);
		cr_assert_eq(X509_verify(leaf, rkey), 1);
		cr_assert_eq(X509_CRL_verify(crl, rkey), 1);
		cr_assert_eq(fx_verify(root, leaf, "www.example.org", X509_PURPOSE_SSL_SERVER, crl),
		    X509_V_OK);
		external_verify(root, leaf, crl, hashes[i].key);
		X509_CRL_free(crl);
		X509_free(leaf);
		X509_free(root);
		EVP_PKEY_free(k);
		EVP_PKEY_free(rkey);
	}
}

Test(sign, root_self_signature_follows_its_key)
{
	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
		EVP_PKEY *k = fx_key(hashes[i].key);
		struct mc_strv domains = fx_strv("example.org", NULL);
		struct ca_root_req rr = { "sign test", 30, &domains, NULL, 1 };
		X509 *root = ca_root_build(k, &rr);

		cr_assert_not_null(root, "ca_root_build: %s", mc_err());
		cr_assert_eq(X509_get_signature_nid(root), hashes[i].leaf_nid, "root with %s",
		    hashes[i].key);
		cr_assert_eq(X509_verify(root, k), 1);
		X509_free(root);
		EVP_PKEY_free(k);
		mc_strv_free(&domains);
	}
}

Test(sign, eddsa_takes_no_hash)
{
	EVP_PKEY *k = fx_key("ed25519");
	const EVP_MD *md = EVP_sha1();

	cr_assert_eq(ca_sign_md(k, &md), 0);
	cr_assert_null(md);
	EVP_PKEY_free(k);
}

Test(sign, root_validity_exact_and_backdated)
{
	EVP_PKEY *k = fx_key("ec256");
	struct ca_root_req rr = { "validity test", 3650, NULL, NULL, 0 };
	X509 *root = ca_root_build(k, &rr);
	time_t now = time(NULL);
	int pday, psec;

	cr_assert_not_null(root, "ca_root_build: %s", mc_err());
	cr_assert(ASN1_TIME_diff(&pday, &psec, X509_get0_notBefore(root), X509_get0_notAfter(root)));
	cr_assert(pday == 3649 && psec == 86399, "%d d %d s", pday, psec);
	cr_assert(X509_cmp_time(X509_get0_notBefore(root), &(time_t){ now - CA_BACKDATE_SECS + 5 }) < 0);
	cr_assert(X509_cmp_time(X509_get0_notBefore(root), &(time_t){ now - CA_BACKDATE_SECS - 60 }) > 0);
	X509_free(root);
	EVP_PKEY_free(k);
}
