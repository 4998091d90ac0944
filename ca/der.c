/* PEM or DER, read the same way for every kind of object. */
#include <limits.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "internal.h"

void *
ca_decode(const void *data, size_t len, const ASN1_ITEM *it, const char *pem_name, const char *what)
{
	unsigned char *der = NULL;
	const unsigned char *p = data, *start;
	long derlen = (long)len;
	void *obj = NULL;
	int pem;

	if (data == NULL || len == 0 || len > INT_MAX) {
		mc_seterr("empty or oversized %s", what);
		return NULL;
	}
	pem = memmem(data, len, "-----BEGIN", 10) != NULL;
	if (pem) {
		BIO *bio = BIO_new_mem_buf(data, (int)len);

		if (bio == NULL || !PEM_bytes_read_bio(&der, &derlen, NULL, pem_name, bio, NULL, NULL)) {
			BIO_free(bio);
			mc_seterr_ssl("not a PEM %s (PEM_bytes_read_bio)", what);
			return NULL;
		}
		BIO_free(bio);
		p = der;
	}
	start = p;
	if ((obj = ASN1_item_d2i(NULL, &p, derlen, it)) == NULL) {
		if (pem)
			mc_seterr_ssl("not a PEM %s (its content does not decode: ASN1_item_d2i)", what);
		else
			mc_seterr_ssl("neither PEM nor DER %s (ASN1_item_d2i)", what);
	} else if (p != start + derlen) {
		mc_seterr("%s: %ld bytes of trailing data", what, derlen - (long)(p - start));
		ASN1_item_free(obj, it);
		obj = NULL;
	}
	OPENSSL_free(der);
	return obj;
}
