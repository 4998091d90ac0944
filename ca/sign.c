/*
 * What every certificate and CRL minica signs shares: extensions added
 * from OpenSSL's config syntax, and the signature hash chosen from the
 * issuer's key.
 */
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ca.h"

int
ca_ext_add(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext;
	int ok;

	if ((ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value)) == NULL) {
		mc_seterr_ssl("X509V3_EXT_conf_nid(%s, \"%s\") failed", OBJ_nid2sn(nid), value);
		return -1;
	}
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (!ok) {
		mc_seterr_ssl("X509_add_ext failed for %s", OBJ_nid2sn(nid));
		return -1;
	}
	return 0;
}

/*
 * A signature is as strong as its weaker half: an ECDSA key is paired
 * with the hash of its size (RFC 5480 section 4, CA/Browser Forum BR
 * 7.1.3.2.2: P-384 with SHA-384, P-521 with SHA-512).  RSA keys keep
 * SHA-256, which every client accepts.  EdDSA takes no separate hash.
 */
int
ca_sign_md(EVP_PKEY *key, const EVP_MD **md)
{
	char group[64];

	*md = NULL;
	if (EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448"))
		return 0;
	*md = EVP_sha256();
	if (!EVP_PKEY_is_a(key, "EC"))
		return 0;
	if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
	    sizeof(group), NULL)) {
		mc_seterr_ssl("cannot read the curve of the signing key");
		return -1;
	}
	if (strcmp(group, "secp384r1") == 0)
		*md = EVP_sha384();
	else if (strcmp(group, "secp521r1") == 0)
		*md = EVP_sha512();
	return 0;
}

int
ca_x509_sign(X509 *x, EVP_PKEY *key)
{
	const EVP_MD *md;

	if (ca_sign_md(key, &md) < 0)
		return -1;
	if (X509_sign(x, key, md) <= 0) {
		mc_seterr_ssl("X509_sign failed");
		return -1;
	}
	return 0;
}

int
ca_crl_sign(X509_CRL *crl, EVP_PKEY *key)
{
	const EVP_MD *md;

	if (ca_sign_md(key, &md) < 0)
		return -1;
	if (X509_CRL_sign(crl, key, md) <= 0) {
		mc_seterr_ssl("X509_CRL_sign failed");
		return -1;
	}
	return 0;
}

/*
 * RFC 5280 4.1.2.5 counts the validity period from notBefore through
 * notAfter inclusive, so N days end one second before notBefore + N
 * days (zlint counts the plain sum as N days and a second).  A fresh
 * certificate starts CA_BACKDATE_SECS ago, so a client whose clock runs
 * a few minutes behind does not see it as not yet valid.
 */
int
ca_set_validity(X509 *x, time_t not_before, int days)
{
	time_t nb = not_before != 0 ? not_before : time(NULL) - CA_BACKDATE_SECS;

	if (days < 1 || days > CA_MAX_DAYS) {
		mc_seterr("lifetime of %d days refused (1 to %d)", days, CA_MAX_DAYS);
		return -1;
	}
	if (ASN1_TIME_set(X509_getm_notBefore(x), nb) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), nb + (time_t)days * 86400 - 1) == NULL) {
		mc_seterr_ssl("ASN1_TIME_set failed");
		return -1;
	}
	return 0;
}
