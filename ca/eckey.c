/*
 * An EC private key as PKCS#8 DER (RFC 5208 PrivateKeyInfo holding an
 * RFC 5915 ECPrivateKey with its public key, the curve named once in the
 * algorithm): the bytes OpenSSL's encoder writes for a leaf key, built
 * here because OpenSSL 3.0 finds that encoder by searching all of them,
 * 0.1 ms a key, more than generating it.  tests/unit/test_key.c compares
 * the two on many keys.
 */
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>

#include "internal.h"

/* The curves leaf keys use, with their OIDs' DER (tag and length too). */
static const struct {
	const char *group;
	size_t bytes;		/* of the private scalar (the order's size) */
	unsigned char oid[10];
	size_t oidlen;
} ec_curves[] = {
	{ "prime256v1", 32, { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 }, 10 },
	{ "secp384r1", 48, { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 }, 7 },
};
/* id-ecPublicKey, 1.2.840.10045.2.1 */
static const unsigned char ec_public_key_oid[] = { 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };

#define EC_DER_MAX 256

static unsigned char *
put(unsigned char *p, int constructed, int len, int tag, int xclass)
{
	ASN1_put_object(&p, constructed, len, tag, xclass);
	return p;
}

static unsigned char *
put_bytes(unsigned char *p, const void *b, size_t n)
{
	memcpy(p, b, n);
	return p + n;
}

/* Sizes first (every one < 256: short or one-byte long forms), then the
 * bytes from the outside in. */
static size_t
encode(unsigned char *out, int curve, const unsigned char *priv, const unsigned char *pub, size_t publen)
{
	size_t nb = ec_curves[curve].bytes;
	int bits = ASN1_object_size(0, (int)publen + 1, V_ASN1_BIT_STRING);
	int ecpk = 3 + ASN1_object_size(0, (int)nb, V_ASN1_OCTET_STRING) + ASN1_object_size(1, bits, 1);
	int alg = (int)(sizeof(ec_public_key_oid) + ec_curves[curve].oidlen);
	int body = 3 + ASN1_object_size(1, alg, V_ASN1_SEQUENCE) +
	    ASN1_object_size(0, ASN1_object_size(1, ecpk, V_ASN1_SEQUENCE), V_ASN1_OCTET_STRING);
	unsigned char *p = out;

	p = put(p, 1, body, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	p = put_bytes(p, "\x02\x01\x00", 3);			/* version 0 */
	p = put(p, 1, alg, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	p = put_bytes(p, ec_public_key_oid, sizeof(ec_public_key_oid));
	p = put_bytes(p, ec_curves[curve].oid, ec_curves[curve].oidlen);
	p = put(p, 0, ASN1_object_size(1, ecpk, V_ASN1_SEQUENCE), V_ASN1_OCTET_STRING, V_ASN1_UNIVERSAL);
	p = put(p, 1, ecpk, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	p = put_bytes(p, "\x02\x01\x01", 3);			/* ecPrivkeyVer1 */
	p = put(p, 0, (int)nb, V_ASN1_OCTET_STRING, V_ASN1_UNIVERSAL);
	p = put_bytes(p, priv, nb);
	p = put(p, 1, bits, 1, V_ASN1_CONTEXT_SPECIFIC);	/* publicKey [1] */
	p = put(p, 0, (int)publen + 1, V_ASN1_BIT_STRING, V_ASN1_UNIVERSAL);
	*p++ = 0;						/* no unused bits */
	p = put_bytes(p, pub, publen);
	return (size_t)(p - out);
}

int
ca_key_ec_pkcs8(EVP_PKEY *key, unsigned char *der, size_t max, size_t *len)
{
	unsigned char pub[2 * 48 + 1], priv[48];
	char group[32];
	BIGNUM *d = NULL;
	size_t publen = 0;
	int curve = -1, rc = 0;

	if (!EVP_PKEY_is_a(key, "EC") || max < EC_DER_MAX ||
	    !EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL))
		return 0;
	for (size_t i = 0; i < sizeof(ec_curves) / sizeof(ec_curves[0]); i++)
		if (strcmp(group, ec_curves[i].group) == 0)
			curve = (int)i;
	/* Only a named curve's uncompressed point: anything else is left to
	 * OpenSSL's encoder. */
	if (curve < 0 || !EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub,
	    sizeof(pub), &publen) || publen != 2 * ec_curves[curve].bytes + 1 || pub[0] != 0x04)
		return 0;
	if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &d) ||
	    BN_bn2binpad(d, priv, (int)ec_curves[curve].bytes) < 0) {
		mc_seterr_ssl("cannot read the EC private key");
		rc = -1;
	} else {
		*len = encode(der, curve, priv, pub, publen);
		rc = 1;
	}
	BN_clear_free(d);
	OPENSSL_cleanse(priv, sizeof(priv));
	return rc;
}
