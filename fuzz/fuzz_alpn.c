/*
 * acme_tlsalpn01_cert_check over a DER certificate as a tls-alpn-01
 * client would present it (RFC 8737), for a DNS and an IP identifier, and
 * the IP text forms (RFC 8738) over the same bytes as text.  Oracles: an
 * accepted certificate really holds the critical acmeIdentifier with
 * SHA-256 of the key authorization, and canonical text is a fixed point.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "acme/internal.h"
#include "fuzz/fuzz.h"

#define KEYAUTH "fuzz-token.fuzz-thumbprint"

/* What the check accepted, read back the plain way. */
static void
must_hold_digest(X509 *x)
{
	ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
	unsigned char md[32], want[34] = { 0x04, 0x20 };
	int idx = X509_get_ext_by_OBJ(x, oid, -1);
	X509_EXTENSION *ext = idx >= 0 ? X509_get_ext(x, idx) : NULL;
	const ASN1_OCTET_STRING *d = ext != NULL ? X509_EXTENSION_get_data(ext) : NULL;

	ASN1_OBJECT_free(oid);
	if (EVP_Digest(KEYAUTH, strlen(KEYAUTH), md, NULL, EVP_sha256(), NULL) != 1)
		return;
	memcpy(want + 2, md, sizeof(md));
	if (d == NULL || !X509_EXTENSION_get_critical(ext) || ASN1_STRING_length(d) != (int)sizeof(want) ||
	    memcmp(ASN1_STRING_get0_data(d), want, sizeof(want)) != 0)
		abort();
}

static void
text_forms(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size < 80 ? size : 80), canon[64], again[64], rev[128];

	if (s == NULL)
		return;
	if (acme_ip_canonical(s, canon) == 0) {
		if (acme_ip_canonical(canon, again) < 0 || strcmp(canon, again) != 0)
			abort();
		if (acme_ip_reverse_name(canon, rev, sizeof(rev)) < 0)
			abort();	/* 72 bytes at most for IPv6 */
	}
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *q = data;
	X509 *x = d2i_X509(NULL, &q, (long)size);
	struct acme_problem p;

	if (x != NULL) {
		if (acme_tlsalpn01_cert_check(x, "dns", "a.example.test", KEYAUTH, &p) == 0)
			must_hold_digest(x);
		if (acme_tlsalpn01_cert_check(x, "ip", "192.0.2.7", KEYAUTH, &p) == 0)
			must_hold_digest(x);
		if (acme_tlsalpn01_cert_check(x, "ip", "2001:db8::7", KEYAUTH, &p) == 0)
			must_hold_digest(x);
		X509_free(x);
	}
	text_forms(data, size);
	ERR_clear_error();
	return 0;
}
