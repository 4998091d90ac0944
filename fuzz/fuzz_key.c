/* ca_key_from_pem with a passphrase (encrypted PKCS#8 and traditional
 * PEM) and without; a key that loads is named and checked. */
#include <openssl/err.h>

#include "ca/ca.h"
#include "fuzz/fuzz.h"

static void
one(const uint8_t *data, size_t size, const char *pass, size_t passlen)
{
	EVP_PKEY *k = ca_key_from_pem((const char *)data, size, pass, passlen);

	if (k == NULL)
		return;
	(void)ca_key_type_name(k);
	(void)ca_leaf_key_check(k);
	EVP_PKEY_free(k);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one(data, size, "fuzz", 4);
	one(data, size, NULL, 0);
	ERR_clear_error();
	return 0;
}
