/*
 * The ACME server's first look at a request body: acme_jws_parse over
 * anything, then, when it parses, the JWK import, its thumbprint and a
 * signature check, as every POST goes through before a handler runs.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "acme/acme.h"
#include "fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acme_jws jws;
	struct acme_problem p;
	EVP_PKEY *key;
	char thumb[64];

	if (size > ACME_BODY_MAX)
		return 0;
	if (acme_jws_parse((const char *)data, size, &jws, &p) < 0) {
		if (p.type == NULL || p.status < 400)
			abort();
		return 0;
	}
	if (jws.url == NULL || jws.signing_input == NULL || (jws.jwk == NULL) == (jws.kid == NULL))
		abort();
	if (jws.jwk != NULL) {
		acme_jwk_thumbprint(jws.jwk, thumb);
		if ((key = acme_jwk_to_pkey(jws.jwk)) != NULL) {
			/* A fuzzed signature must not verify (nor crash trying). */
			acme_jws_verify(&jws, key, &p);
			EVP_PKEY_free(key);
		}
	}
	acme_jws_free(&jws);
	ERR_clear_error();
	return 0;
}
