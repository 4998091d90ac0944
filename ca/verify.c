/* Verifying what we signed before anyone else sees it. */
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "ca.h"

int
ca_verify_leaf(X509 *leaf, X509 *root, const char *purpose)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc = -1;

	if (store == NULL || ctx == NULL || !X509_STORE_add_cert(store, root) ||
	    !X509_STORE_CTX_init(ctx, store, leaf, NULL)) {
		mc_seterr_ssl("cannot set up verification");
		goto out;
	}
	/* Strict mode and the purpose are what clients apply; name
	 * constraints are checked as part of the chain. */
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_X509_STRICT);
	if (purpose != NULL) {
		int idx = X509_PURPOSE_get_by_sname(purpose);

		if (idx < 0 || !X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_get_id(X509_PURPOSE_get0(idx)))) {
			mc_seterr("unknown purpose '%s'", purpose);
			goto out;
		}
	}
	if (X509_verify_cert(ctx) != 1) {
		mc_seterr("the new certificate does not verify against the root: %s",
		    X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	rc = 0;
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}
