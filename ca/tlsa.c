/*
 * tlsa.c: DANE TLSA association data (RFC 6698 2.1) and the matching of
 * one record against a certificate or a bare public key.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ca.h"

/* The bytes a selector names: the whole certificate (0) or its
 * SubjectPublicKeyInfo (1), DER.  With cert NULL only the key's SPKI. */
static int
selected_der(X509 *cert, EVP_PKEY *key, int selector, unsigned char **der, int *len)
{
	*der = NULL;
	*len = 0;
	if (selector == CA_TLSA_SEL_CERT && cert != NULL)
		*len = i2d_X509(cert, der);
	else if (selector == CA_TLSA_SEL_SPKI && cert != NULL)
		*len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), der);
	else if (selector == CA_TLSA_SEL_SPKI && key != NULL)
		*len = i2d_PUBKEY(key, der);
	else {
		mc_seterr("TLSA selector %d needs %s", selector,
		    selector == CA_TLSA_SEL_CERT ? "a certificate, not a bare key" : "0 or 1");
		return -1;
	}
	if (*len <= 0) {
		mc_seterr_ssl("cannot encode the TLSA selector %d data (i2d)", selector);
		OPENSSL_free(*der);
		*der = NULL;
		return -1;
	}
	return 0;
}

int
ca_tlsa_data(X509 *cert, EVP_PKEY *key, int selector, int mtype, struct mc_buf *out)
{
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	const EVP_MD *alg = NULL;
	int len, rc = -1;

	if (mtype == CA_TLSA_SHA256)
		alg = EVP_sha256();
	else if (mtype == CA_TLSA_SHA512)
		alg = EVP_sha512();
	else if (mtype != CA_TLSA_FULL) {
		mc_seterr("TLSA matching type %d is not 0, 1 or 2", mtype);
		return -1;
	}
	if (selected_der(cert, key, selector, &der, &len) < 0)
		return -1;
	if (alg == NULL) {
		rc = mc_buf_add(out, der, (size_t)len);
	} else if (!EVP_Digest(der, (size_t)len, md, &mdlen, alg, NULL)) {
		mc_seterr_ssl("cannot hash the TLSA data (EVP_Digest)");
	} else {
		rc = mc_buf_add(out, md, mdlen);
	}
	OPENSSL_free(der);
	return rc;
}

int
ca_tlsa_hex(X509 *cert, EVP_PKEY *key, int selector, int mtype, struct mc_buf *out)
{
	struct mc_buf raw = { 0 };
	int rc = -1;

	if (ca_tlsa_data(cert, key, selector, mtype, &raw) < 0)
		goto out;
	for (size_t i = 0; i < raw.len; i++)
		if (mc_buf_printf(out, "%02x", (unsigned char)raw.p[i]) < 0)
			goto out;
	rc = 0;
out:
	mc_buf_free(&raw);
	return rc;
}

int
ca_tlsa_match(X509 *cert, EVP_PKEY *key, int selector, int mtype, const unsigned char *data,
    size_t len)
{
	struct mc_buf mine = { 0 };
	int rc;

	if ((selector != CA_TLSA_SEL_CERT && selector != CA_TLSA_SEL_SPKI) ||
	    (mtype != CA_TLSA_FULL && mtype != CA_TLSA_SHA256 && mtype != CA_TLSA_SHA512))
		return 0;		/* a form we do not know never matches */
	if (cert == NULL && selector == CA_TLSA_SEL_CERT)
		return 0;		/* a bare key has no certificate */
	if (ca_tlsa_data(cert, key, selector, mtype, &mine) < 0)
		return -1;
	rc = mine.len == len && CRYPTO_memcmp(mine.p, data, len) == 0;
	mc_buf_free(&mine);
	return rc;
}

int
ca_tlsa_parse_hex(const char *hex, struct mc_buf *out)
{
	size_t n = strlen(hex);

	if (n == 0 || n % 2 != 0 || strspn(hex, "0123456789abcdefABCDEF") != n) {
		mc_seterr("TLSA data '%.40s' is not an even number of hex digits", hex);
		return -1;
	}
	for (size_t i = 0; i < n; i += 2) {
		char b[3] = { hex[i], hex[i + 1], '\0' };
		unsigned char c = (unsigned char)strtoul(b, NULL, 16);

		if (mc_buf_add(out, &c, 1) < 0)
			return -1;
	}
	return 0;
}

STACK_OF(X509) *
ca_chain_from_pem(const char *pem, size_t len)
{
	STACK_OF(X509) *chain = NULL;
	BIO *bio = NULL;
	X509 *x;

	if (len > INT_MAX || (bio = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (chain = sk_X509_new_null()) == NULL) {
		mc_seterr("cannot read certificates: out of memory or too large");
		goto fail;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(chain, x)) {
			X509_free(x);
			mc_seterr("cannot read certificates: out of memory");
			goto fail;
		}
	/* The loop ends on "no start line" at the end of the text. */
	ERR_clear_error();
	if (sk_X509_num(chain) == 0) {
		mc_seterr("no PEM certificate in the file");
		goto fail;
	}
	BIO_free(bio);
	return chain;
fail:
	BIO_free(bio);
	sk_X509_pop_free(chain, X509_free);
	return NULL;
}
