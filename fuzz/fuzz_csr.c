/*
 * ca_csr_from_mem, then ca_csr_names and the name policy over what a CSR
 * asks for, as `minica issue --csr` does.  A mutated CSR almost never
 * keeps a valid self-signature, so the names are also read from the
 * request as decoded, unverified: ca_csr_names must survive anything
 * OpenSSL's decoder lets through.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "ca/ca.h"
#include "fuzz/fuzz.h"
#include "policy/policy.h"

/* dNSName and rfc822Name are IA5String: what comes out must be ASCII,
 * not bytes reinterpreted as Latin-1 (docs/reliability.md). */
static void
ascii_only(const struct mc_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		for (const unsigned char *c = (const unsigned char *)sv->v[i]; *c != '\0'; c++)
			if (*c >= 0x80)
				abort();
}

static void
normalise_all(const struct mc_strv *dns, const struct mc_strv *ips, const struct mc_strv *emails)
{
	unsigned char bin[16];
	char canon[64];
	size_t blen;

	for (size_t i = 0; i < dns->n; i++)
		free(pol_hostname_normalize(dns->v[i], strlen(dns->v[i]), 1));
	for (size_t i = 0; i < emails->n; i++)
		free(pol_email_normalize(emails->v[i], strlen(emails->v[i])));
	for (size_t i = 0; i < ips->n; i++)
		if (pol_ip_parse(ips->v[i], bin, &blen, canon) < 0)
			abort();	/* csr.c formats them with inet_ntop */
}

static void
names(X509_REQ *req)
{
	struct mc_strv dns = { 0 }, ips = { 0 }, emails = { 0 };
	char *cn = NULL;

	if (ca_csr_names(req, &cn, &dns, &ips, &emails) == 0) {
		if (cn != NULL && strlen(cn) == 0)
			abort();
		if (cn != NULL)
			free(pol_hostname_normalize(cn, strlen(cn), 1));
		ascii_only(&dns);
		ascii_only(&emails);
		normalise_all(&dns, &ips, &emails);
	} else if (cn != NULL) {
		abort();	/* documented: NULL on failure */
	}
	free(cn);
	mc_strv_free(&dns);
	mc_strv_free(&ips);
	mc_strv_free(&emails);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	X509_REQ *req;

	if ((req = ca_csr_from_mem(data, size)) != NULL) {
		names(req);
		X509_REQ_free(req);
	}
	if ((req = d2i_X509_REQ(NULL, &p, (long)size)) != NULL) {
		names(req);
		X509_REQ_free(req);
	}
	ERR_clear_error();
	return 0;
}
