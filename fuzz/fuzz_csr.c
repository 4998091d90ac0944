/* ca_csr_from_mem, then ca_csr_names and the name policy over what a
 * CSR asks for, as `minica issue --csr` does. */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "ca/ca.h"
#include "fuzz/fuzz.h"
#include "policy/policy.h"

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mc_strv dns = { 0 }, ips = { 0 }, emails = { 0 };
	X509_REQ *req;
	char *cn = NULL;

	if ((req = ca_csr_from_mem(data, size)) == NULL)
		goto out;
	if (ca_csr_names(req, &cn, &dns, &ips, &emails) == 0) {
		if (cn != NULL && strlen(cn) == 0)
			abort();
		if (cn != NULL)
			free(pol_hostname_normalize(cn, strlen(cn), 1));
		normalise_all(&dns, &ips, &emails);
	} else if (cn != NULL) {
		abort();	/* documented: NULL on failure */
	}
out:
	free(cn);
	mc_strv_free(&dns);
	mc_strv_free(&ips);
	mc_strv_free(&emails);
	X509_REQ_free(req);
	ERR_clear_error();
	return 0;
}
