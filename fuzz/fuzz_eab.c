/*
 * The externalAccountBinding of a newAccount (RFC 8555 §7.3.4):
 * acme_eab_parse over any JSON for one fixed account key and URL, then,
 * when it parses, the MAC check with a fixed HMAC key.  The seeds are
 * bindings for that key (fuzz/corpus/fuzz_eab): the fuzzer starts from
 * inputs that reach the MAC.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "acme/acme.h"
#include "fuzz/fuzz.h"

#define URL "https://acme.example.test/acme/new-account"
#define JWK "{\"x\": \"R4HZZmmapf8o1Bqq5a5L7Q_6HDRXZlrPrztZpT49Ojw\", " \
	"\"y\": \"PnWno6N06j6NV6sh1foDGmSXsSARj2vwJvig3ru7n08\", \"crv\": \"P-256\", \"kty\": \"EC\"}"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char hkey[] = "minica-fuzz-eab-hmac-key-32bytes";
	static EVP_PKEY *acct;
	struct acme_eab_jws e;
	struct acme_problem p;
	json_t *eab;

	if (acct == NULL) {
		json_t *jwk = json_loads(JWK, 0, NULL);

		if ((acct = acme_jwk_to_pkey(jwk)) == NULL)
			abort();
		json_decref(jwk);
	}
	if (size > ACME_BODY_MAX || (eab = json_loadb((const char *)data, size, 0, NULL)) == NULL)
		return 0;
	if (acme_eab_parse(eab, URL, acct, &e, &p) < 0) {
		if (p.type == NULL || p.status < 400)
			abort();
	} else {
		if (e.kid == NULL || e.alg == NULL || e.signing_input == NULL)
			abort();
		if (acme_eab_verify_mac(&e, hkey, sizeof(hkey) - 1, &p) < 0 && strcmp(p.type, "unauthorized") != 0)
			abort();
		acme_eab_jws_free(&e);
	}
	json_decref(eab);
	ERR_clear_error();
	return 0;
}
