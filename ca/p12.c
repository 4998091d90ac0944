/*
 * PKCS#12 client kits (minica issue client --p12): key, certificate and
 * root under their own passphrase.
 *
 * Modern: PBES2 with AES-256-CBC and PBKDF2-HMAC-SHA256 for both bags and
 * an HMAC-SHA256 MAC, all at CA_P12_ITER (600,000: OWASP's 2023 figure for
 * PBKDF2-HMAC-SHA256).  The MAC gets the same count because it can be used
 * to test guesses just like the encryption can; a low MAC count would be the
 * weak link.  Legacy: pbeWithSHA1And3-KeyTripleDES-CBC and an HMAC-SHA1 MAC
 * at 2048 rounds, the only encoding older macOS, iOS and Windows importers
 * read.  3DES lives in OpenSSL 3's default provider, so writing and reading
 * it needs no legacy provider (RC2-40, the old certificate default, would).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "ca.h"

static PKCS12 *
p12_build(EVP_PKEY *key, X509 *cert, STACK_OF(X509) *chain, const char *pass, int passlen, int legacy)
{
	int nid = legacy ? NID_pbe_WithSHA1And3_Key_TripleDES_CBC : NID_aes_256_cbc;
	int iter = legacy ? CA_P12_LEGACY_ITER : CA_P12_ITER;
	const EVP_MD *mac = legacy ? EVP_sha1() : EVP_sha256();
	char *cn = ca_cert_subject_entry(cert, NID_commonName);
	PKCS12 *p12;

	/* mac_iter -1: no MAC here, because PKCS12_create's MAC is always
	 * SHA-1; PKCS12_set_mac below adds the one we want. */
	p12 = PKCS12_create_ex(pass, cn, key, cert, chain, nid, nid, iter, -1, 0, NULL, NULL);
	if (p12 == NULL)
		mc_seterr_ssl("cannot build the PKCS#12 file: PKCS12_create_ex");
	else if (!PKCS12_set_mac(p12, pass, passlen, NULL, 0, iter, mac)) {
		mc_seterr_ssl("cannot build the PKCS#12 file: PKCS12_set_mac");
		PKCS12_free(p12);
		p12 = NULL;
	}
	free(cn);
	return p12;
}

int
ca_p12_der(EVP_PKEY *key, X509 *cert, X509 *root, const char *pass, size_t passlen, int legacy, struct mc_buf *out)
{
	struct mc_buf pw = { 0 };
	STACK_OF(X509) *chain = NULL;
	PKCS12 *p12 = NULL;
	unsigned char *der = NULL;
	int n = 0, rc = -1;

	if (passlen == 0 || passlen > INT_MAX || memchr(pass, '\0', passlen) != NULL) {
		mc_seterr("the PKCS#12 passphrase must not be empty or contain a NUL byte");
		goto out;
	}
	if (X509_check_private_key(cert, key) != 1) {
		mc_seterr_ssl("the key does not match the certificate");
		goto out;
	}
	/* PKCS12_create reads the passphrase as a C string. */
	if (mc_buf_add(&pw, pass, passlen) < 0)
		goto out;
	if (root != NULL && X509_cmp(root, cert) != 0 &&
	    ((chain = sk_X509_new_null()) == NULL || !sk_X509_push(chain, root))) {
		mc_seterr("out of memory");
		goto out;
	}
	if ((p12 = p12_build(key, cert, chain, pw.p, (int)passlen, legacy)) == NULL)
		goto out;
	if ((n = i2d_PKCS12(p12, &der)) <= 0) {
		mc_seterr_ssl("cannot encode the PKCS#12 file: i2d_PKCS12");
		goto out;
	}
	rc = mc_buf_add(out, der, (size_t)n);
out:
	if (der != NULL)
		OPENSSL_clear_free(der, (size_t)n);
	PKCS12_free(p12);
	sk_X509_free(chain);
	mc_buf_free(&pw);
	return rc;
}

int
ca_p12_write(const char *path, EVP_PKEY *key, X509 *cert, X509 *root, const char *pass, size_t passlen, int legacy)
{
	struct mc_buf der = { 0 };
	int rc = -1;

	if (ca_p12_der(key, cert, root, pass, passlen, legacy, &der) == 0)
		rc = mc_file_create_excl(path, 0600, der.p, der.len);
	mc_buf_free(&der);
	return rc;
}
