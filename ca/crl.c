/*
 * Certificate revocation lists (`minica crl`).
 *
 * A v2 CRL signed by its CA with its key's hash (ca_sign_md): issuer, lastUpdate now, nextUpdate
 * now + days, one entry per revoked serial with its time and reason, then
 * crlNumber and authorityKeyIdentifier (key id, as in the leaves) so
 * verifiers pick the right key.  Entries are sorted by serial.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca.h"

/* RFC 5280 5.3.1: unspecified SHOULD NOT be sent as an extension;
 * removeFromCRL (8) belongs to delta CRLs only; 7 is unassigned. */
static int
crl_reason_ok(int reason)
{
	return reason == CRL_REASON_NONE || (reason >= CRL_REASON_UNSPECIFIED &&
	    reason <= CRL_REASON_AA_COMPROMISE && reason != 7 &&
	    reason != CRL_REASON_REMOVE_FROM_CRL);
}

/* Lowercase or uppercase hex, no sign, no 0x: what ca_cert_serial_hex
 * writes and the store keeps. */
static ASN1_INTEGER *
crl_serial(const char *hex)
{
	ASN1_INTEGER *ai = NULL;
	BIGNUM *bn = NULL;
	size_t len = hex != NULL ? strlen(hex) : 0;

	if (len == 0 || len > 40 || strspn(hex, "0123456789abcdefABCDEF") != len) {
		mc_seterr("invalid serial '%s' (1 to 40 hex digits)", hex != NULL ? hex : "");
		return NULL;
	}
	if (BN_hex2bn(&bn, hex) != (int)len) {
		mc_seterr_ssl("BN_hex2bn failed for serial '%s'", hex);
		goto out;
	}
	if (BN_is_zero(bn)) {
		mc_seterr("invalid serial '%s': zero", hex);
		goto out;
	}
	if ((ai = BN_to_ASN1_INTEGER(bn, NULL)) == NULL)
		mc_seterr_ssl("BN_to_ASN1_INTEGER failed");
out:
	BN_free(bn);
	return ai;
}

static int
crl_add_revoked(X509_CRL *crl, const struct ca_revoked *r)
{
	X509_REVOKED *rev = NULL;
	ASN1_INTEGER *serial = NULL;
	ASN1_TIME *when = NULL;
	ASN1_ENUMERATED *reason = NULL;
	int rc = -1;

	if (!crl_reason_ok(r->reason)) {
		mc_seterr("invalid revocation reason %d for serial '%s'", r->reason,
		    r->serial_hex != NULL ? r->serial_hex : "");
		goto out;
	}
	if ((serial = crl_serial(r->serial_hex)) == NULL)
		goto out;
	if ((rev = X509_REVOKED_new()) == NULL || (when = ASN1_TIME_set(NULL, r->when)) == NULL) {
		mc_seterr_ssl("X509_REVOKED_new failed");
		goto out;
	}
	if (!X509_REVOKED_set_serialNumber(rev, serial) ||
	    !X509_REVOKED_set_revocationDate(rev, when)) {
		mc_seterr_ssl("X509_REVOKED_set_serialNumber failed");
		goto out;
	}
	if (r->reason != CRL_REASON_NONE && r->reason != CRL_REASON_UNSPECIFIED) {
		if ((reason = ASN1_ENUMERATED_new()) == NULL ||
		    !ASN1_ENUMERATED_set(reason, r->reason) ||
		    !X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, reason, 0, 0)) {
			mc_seterr_ssl("X509_REVOKED_add1_ext_i2d failed for reason code");
			goto out;
		}
	}
	if (!X509_CRL_add0_revoked(crl, rev)) {
		mc_seterr_ssl("X509_CRL_add0_revoked failed");
		goto out;
	}
	rev = NULL;
	rc = 0;
out:
	X509_REVOKED_free(rev);
	ASN1_INTEGER_free(serial);
	ASN1_TIME_free(when);
	ASN1_ENUMERATED_free(reason);
	return rc;
}

/* Sorts, then refuses a serial listed twice (the store has a bug then). */
static int
crl_sort_unique(X509_CRL *crl)
{
	STACK_OF(X509_REVOKED) *revs;

	if (!X509_CRL_sort(crl)) {
		mc_seterr_ssl("X509_CRL_sort failed");
		return -1;
	}
	revs = X509_CRL_get_REVOKED(crl);
	for (int i = 1; i < sk_X509_REVOKED_num(revs); i++) {
		const ASN1_INTEGER *a, *b;

		a = X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revs, i - 1));
		b = X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revs, i));
		if (ASN1_INTEGER_cmp(a, b) == 0) {
			mc_seterr("serial listed twice in revocation list");
			return -1;
		}
	}
	return 0;
}

static int
crl_add_exts(X509_CRL *crl, X509 *issuer, long crl_number)
{
	ASN1_INTEGER *num = NULL;
	AUTHORITY_KEYID *akid = NULL;
	const ASN1_OCTET_STRING *ski;
	int rc = -1;

	if ((ski = X509_get0_subject_key_id(issuer)) == NULL) {
		mc_seterr("issuer has no subjectKeyIdentifier for the crl's authorityKeyIdentifier");
		goto out;
	}
	if ((num = ASN1_INTEGER_new()) == NULL || !ASN1_INTEGER_set(num, crl_number) ||
	    !X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0)) {
		mc_seterr_ssl("X509_CRL_add1_ext_i2d failed for crlNumber");
		goto out;
	}
	if ((akid = AUTHORITY_KEYID_new()) == NULL ||
	    (akid->keyid = ASN1_OCTET_STRING_dup(ski)) == NULL ||
	    !X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid, 0, 0)) {
		mc_seterr_ssl("X509_CRL_add1_ext_i2d failed for authorityKeyIdentifier");
		goto out;
	}
	rc = 0;
out:
	ASN1_INTEGER_free(num);
	AUTHORITY_KEYID_free(akid);
	return rc;
}

static int
crl_set_times(X509_CRL *crl, int days)
{
	ASN1_TIME *t = NULL;
	time_t now = time(NULL);
	int rc = -1;

	if (days < 1 || days > CA_MAX_DAYS) {
		mc_seterr("crl lifetime of %d days refused (1 to %d)", days, CA_MAX_DAYS);
		return -1;
	}
	if ((t = ASN1_TIME_set(NULL, now)) == NULL || !X509_CRL_set1_lastUpdate(crl, t) ||
	    ASN1_TIME_set(t, now + (time_t)days * 86400) == NULL ||
	    !X509_CRL_set1_nextUpdate(crl, t)) {
		mc_seterr_ssl("X509_CRL_set1_nextUpdate failed");
		goto out;
	}
	rc = 0;
out:
	ASN1_TIME_free(t);
	return rc;
}

X509_CRL *
ca_crl_build(X509 *issuer, EVP_PKEY *issuer_key, const struct ca_revoked *r, size_t n,
    long crl_number, int days)
{
	X509_CRL *crl = NULL, *ret = NULL;

	if (issuer == NULL || issuer_key == NULL || (n > 0 && r == NULL)) {
		mc_seterr("no issuer, issuer key or entries for the crl");
		return NULL;
	}
	if (crl_number < 0) {
		mc_seterr("crl number %ld refused (must not be negative)", crl_number);
		return NULL;
	}
	if (X509_check_private_key(issuer, issuer_key) != 1) {
		mc_seterr_ssl("X509_check_private_key failed: the key is not the CRL issuer's");
		return NULL;
	}
	if ((crl = X509_CRL_new()) == NULL) {
		mc_seterr_ssl("X509_CRL_new failed");
		goto out;
	}
	if (!X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer))) {
		mc_seterr_ssl("X509_CRL_set_issuer_name failed");
		goto out;
	}
	if (crl_set_times(crl, days) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (crl_add_revoked(crl, &r[i]) < 0)
			goto out;
	if (crl_sort_unique(crl) < 0 || crl_add_exts(crl, issuer, crl_number) < 0)
		goto out;
	if (ca_crl_sign(crl, issuer_key) < 0)
		goto out;
	ret = crl;
	crl = NULL;
out:
	X509_CRL_free(crl);
	return ret;
}

int
ca_crl_pem(X509_CRL *crl, struct mc_buf *out)
{
	BIO *bio = NULL;
	char *p;
	long len;
	int rc = -1;

	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		mc_seterr_ssl("BIO_new failed");
		goto out;
	}
	if (!PEM_write_bio_X509_CRL(bio, crl)) {
		mc_seterr_ssl("PEM_write_bio_X509_CRL failed");
		goto out;
	}
	len = BIO_get_mem_data(bio, &p);
	if (len <= 0 || mc_buf_add(out, p, (size_t)len) < 0)
		goto out;
	rc = 0;
out:
	BIO_free(bio);
	return rc;
}

int
ca_crl_der(X509_CRL *crl, struct mc_buf *out)
{
	unsigned char *der = NULL;
	int len = i2d_X509_CRL(crl, &der), rc = -1;

	if (len <= 0)
		mc_seterr_ssl("i2d_X509_CRL failed");
	else
		rc = mc_buf_add(out, der, (size_t)len);
	OPENSSL_free(der);
	return rc;
}

/* The nextUpdate of the CRL at path, which issuer must have signed (a
 * file someone else wrote there says nothing about this CA's CRL). */
int
ca_crl_file_next_update(const char *path, X509 *issuer, time_t *next)
{
	struct mc_buf b = { 0 };
	BIO *bio = NULL;
	X509_CRL *crl = NULL;
	const ASN1_TIME *t;
	struct tm tm;
	int rc = -1;

	if (mc_file_read(path, CA_FILE_MAX, &b) < 0)
		goto out;
	if ((bio = BIO_new_mem_buf(b.p, (int)b.len)) == NULL ||
	    (crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) == NULL) {
		mc_seterr("'%s' holds no PEM CRL", path);
		goto out;
	}
	if (X509_CRL_verify(crl, X509_get0_pubkey(issuer)) != 1) {
		mc_seterr("'%s' is not a CRL signed by this CA (another key signed it)", path);
		goto out;
	}
	if ((t = X509_CRL_get0_nextUpdate(crl)) == NULL || !ASN1_TIME_to_tm(t, &tm) ||
	    (*next = timegm(&tm)) == (time_t)-1) {
		mc_seterr("'%s' has no nextUpdate", path);
		goto out;
	}
	rc = 0;
out:
	X509_CRL_free(crl);
	BIO_free(bio);
	mc_buf_free(&b);
	ERR_clear_error();
	return rc;
}
