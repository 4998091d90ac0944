/* Certificates: encodings, fingerprints, fields, serials. */
#include <limits.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "internal.h"

int
ca_cert_pem(X509 *x, struct mc_buf *out)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int rc = -1;

	if (bio == NULL || !PEM_write_bio_X509(bio, x)) {
		mc_seterr_ssl("PEM_write_bio_X509 failed");
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	rc = mc_buf_add(out, data, (size_t)len);
out:
	BIO_free(bio);
	return rc;
}

X509 *
ca_cert_from_pem(const char *pem, size_t len)
{
	BIO *bio;
	X509 *x = NULL;

	/* BIO_new_mem_buf takes an int; a negative one means strlen(). */
	if (len > INT_MAX) {
		mc_seterr("certificate larger than %d bytes", INT_MAX);
		return NULL;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)len)) != NULL)
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (x == NULL)
		mc_seterr_ssl("not a PEM certificate (PEM_read_bio_X509)");
	BIO_free(bio);
	return x;
}

X509 *
ca_cert_from_mem(const void *data, size_t len)
{
	return ca_decode(data, len, ASN1_ITEM_rptr(X509), PEM_STRING_X509, "certificate");
}

X509 *
ca_cert_load(const char *path)
{
	struct mc_buf b = { 0 };
	X509 *x = NULL;

	if (mc_file_read(path, 1 << 20, &b) < 0)
		return NULL;
	if ((x = ca_cert_from_mem(b.p, b.len)) == NULL)
		mc_preferr("cannot load certificate '%s'", path);
	mc_buf_free(&b);
	return x;
}

void
ca_cert_fingerprint(X509 *x, char out[CA_FPR_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!X509_digest(x, EVP_sha256(), md, &len) || len != 32) {
		out[0] = '\0';
		return;
	}
	mc_hex(md, len, out);
}

int
ca_bn_serial_hex(const BIGNUM *bn, char out[CA_SERIAL_LEN])
{
	char *hex = BN_bn2hex(bn);
	size_t len;

	if (hex == NULL) {
		mc_seterr_ssl("cannot format serial number");
		return -1;
	}
	if ((len = strlen(hex)) >= CA_SERIAL_LEN) {
		OPENSSL_free(hex);
		mc_seterr("serial number longer than 160 bits");
		return -1;
	}
	for (size_t i = 0; i <= len; i++)
		out[i] = (char)((hex[i] >= 'A' && hex[i] <= 'F') ? hex[i] - 'A' + 'a' : hex[i]);
	OPENSSL_free(hex);
	return 0;
}

int
ca_cert_serial_hex(const X509 *x, char out[CA_SERIAL_LEN])
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	int rc;

	if (bn == NULL) {
		mc_seterr_ssl("cannot read serial number");
		return -1;
	}
	rc = ca_bn_serial_hex(bn, out);
	BN_free(bn);
	return rc;
}

char *
ca_cert_subject(const X509 *x)
{
	return ca_name_text(X509_get_subject_name(x));
}

char *
ca_cert_issuer(const X509 *x)
{
	return ca_name_text(X509_get_issuer_name(x));
}

char *
ca_name_text(const X509_NAME *name)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *s = NULL, *data;
	long len;

	if (bio == NULL)
		return NULL;
	if (X509_NAME_print_ex(bio, name, 0,
	    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		len = BIO_get_mem_data(bio, &data);
		if ((s = malloc((size_t)len + 1)) != NULL) {
			if (len > 0)
				memcpy(s, data, (size_t)len);
			s[len] = '\0';
		}
	}
	if (s == NULL)
		mc_seterr("cannot format subject");
	BIO_free(bio);
	return s;
}

static int
asn1_time_to_time_t(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(t, &tm)) {
		mc_seterr_ssl("invalid certificate time");
		return -1;
	}
	*out = timegm(&tm);
	return 0;
}

int
ca_cert_validity(const X509 *x, time_t *not_before, time_t *not_after)
{
	if (asn1_time_to_time_t(X509_get0_notBefore(x), not_before) < 0 ||
	    asn1_time_to_time_t(X509_get0_notAfter(x), not_after) < 0)
		return -1;
	return 0;
}

int
ca_cert_permitted_dns(X509 *x, struct mc_strv *out)
{
	NAME_CONSTRAINTS *nc;
	int rc = 0;

	nc = X509_get_ext_d2i(x, NID_name_constraints, NULL, NULL);
	if (nc == NULL)
		return 0;
	for (int i = 0; i < sk_GENERAL_SUBTREE_num(nc->permittedSubtrees); i++) {
		GENERAL_SUBTREE *st = sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, i);
		const ASN1_IA5STRING *s;
		char *d;

		if (st->base->type != GEN_DNS)
			continue;
		s = st->base->d.dNSName;
		if ((d = strndup((const char *)s->data, (size_t)s->length)) == NULL ||
		    mc_strv_push(out, d[0] == '.' ? d + 1 : d) < 0) {
			free(d);
			mc_seterr("out of memory");
			rc = -1;
			break;
		}
		free(d);
	}
	NAME_CONSTRAINTS_free(nc);
	return rc;
}

int
ca_serial_random(ASN1_INTEGER *serial)
{
	BIGNUM *bn = BN_new();
	int rc = -1;

	/* 159 bits keeps the DER INTEGER positive within 20 octets
	 * (RFC 5280 4.1.2.2); retry the astronomically unlikely zero. */
	do {
		if (bn == NULL || !BN_rand(bn, 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY)) {
			mc_seterr_ssl("BN_rand failed");
			goto out;
		}
	} while (BN_is_zero(bn));
	if (BN_to_ASN1_INTEGER(bn, serial) == NULL) {
		mc_seterr_ssl("BN_to_ASN1_INTEGER failed");
		goto out;
	}
	rc = 0;
out:
	BN_free(bn);
	return rc;
}

char *
ca_cert_subject_entry(X509 *x, int nid)
{
	const X509_NAME *subj = X509_get_subject_name(x);
	int i = X509_NAME_get_index_by_NID(subj, nid, -1);
	unsigned char *utf8 = NULL;
	char *s;

	if (i < 0)
		return NULL;
	if (ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i))) < 0) {
		ERR_clear_error();
		return NULL;
	}
	s = mc_strdup((char *)utf8);
	OPENSSL_free(utf8);
	return s;
}
