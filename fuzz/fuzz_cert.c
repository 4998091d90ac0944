/* ca_cert_from_mem (PEM or DER), ca_cert_from_pem, and every reader of
 * a parsed certificate minica has. */
#include <stdlib.h>

#include <openssl/err.h>

#include "ca/ca.h"
#include "fuzz/fuzz.h"

static void
inspect(X509 *x)
{
	struct mc_strv dns = { 0 };
	char fpr[CA_FPR_LEN], serial[CA_SERIAL_LEN];
	time_t nb, na;
	struct mc_buf pem = { 0 };

	ca_cert_fingerprint(x, fpr);
	(void)ca_cert_serial_hex(x, serial);
	free(ca_cert_subject(x));
	(void)ca_cert_validity(x, &nb, &na);
	(void)ca_cert_permitted_dns(x, &dns);
	mc_strv_free(&dns);
	free(ca_cert_constraints_text(x));
	(void)ca_cert_pem(x, &pem);
	mc_buf_free(&pem);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	X509 *x;

	if ((x = ca_cert_from_mem(data, size)) != NULL) {
		inspect(x);
		X509_free(x);
	}
	if ((x = ca_cert_from_pem((const char *)data, size)) != NULL) {
		inspect(x);
		X509_free(x);
	}
	ERR_clear_error();
	return 0;
}
