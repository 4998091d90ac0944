/* Verifying what we signed before anyone else sees it. */
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "internal.h"

/*
 * A root adopted with 'minica import' may lack what strict mode wants of
 * a CA (keyUsage, a critical basicConstraints, an SKI, v3 at all): import warned
 * about that, and the clients that trust it accept it.  Those errors are
 * forgiven at the root only; everything minica signs is held to the
 * strict rules.
 */
static int
forgive_root(int ok, X509_STORE_CTX *ctx)
{
	X509 *cur = X509_STORE_CTX_get_current_cert(ctx);
	STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
	int depth = X509_STORE_CTX_get_error_depth(ctx);

	if (ok || cur == NULL || chain == NULL || depth != sk_X509_num(chain) - 1 || depth == 0 ||
	    X509_self_signed(cur, 0) != 1)
		return ok;
	switch (X509_STORE_CTX_get_error(ctx)) {
	case X509_V_ERR_CA_CERT_MISSING_KEY_USAGE:
	case X509_V_ERR_CA_BCONS_NOT_CRITICAL:
	case X509_V_ERR_MISSING_SUBJECT_KEY_IDENTIFIER:
	case X509_V_ERR_MISSING_AUTHORITY_KEY_IDENTIFIER:
		return 1;
	case X509_V_ERR_INVALID_CA:	/* strict mode's verdict on any v1 root */
		return X509_get_version(cur) == X509_VERSION_1 ? 1 : ok;
	default:
		return ok;
	}
}

X509_STORE *
ca_trust_store(STACK_OF(X509) *roots)
{
	X509_STORE *store = X509_STORE_new();

	if (store == NULL) {
		mc_seterr_ssl("X509_STORE_new failed");
		return NULL;
	}
	for (int i = 0; i < sk_X509_num(roots); i++)
		if (!X509_STORE_add_cert(store, sk_X509_value(roots, i))) {
			mc_seterr_ssl("X509_STORE_add_cert failed");
			X509_STORE_free(store);
			return NULL;
		}
	return store;
}

int
ca_verify_chain(X509 *leaf, STACK_OF(X509) *untrusted, STACK_OF(X509) *roots, const char *purpose,
    time_t at_time)
{
	X509_STORE *store = ca_trust_store(roots);
	int rc = store != NULL ? ca_verify_chain_in(store, leaf, untrusted, purpose, at_time) : -1;

	X509_STORE_free(store);
	return rc;
}

int
ca_verify_chain_in(X509_STORE *store, X509 *leaf, STACK_OF(X509) *untrusted, const char *purpose,
    time_t at_time)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc = -1;

	if (ctx == NULL || !X509_STORE_CTX_init(ctx, store, leaf, untrusted)) {
		mc_seterr_ssl("cannot set up verification");
		goto out;
	}
	if (at_time != 0)
		X509_STORE_CTX_set_time(ctx, 0, at_time);
	/* Strict mode and the purpose are what clients apply; name
	 * constraints are checked as part of the chain. */
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_X509_STRICT);
	X509_STORE_CTX_set_verify_cb(ctx, forgive_root);
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
	return rc;
}

int
ca_verify_leaf(X509 *leaf, X509 *root, const char *purpose)
{
	STACK_OF(X509) *roots = sk_X509_new_null();
	int rc = -1;

	if (roots == NULL || !sk_X509_push(roots, root))
		mc_seterr("out of memory");
	else
		rc = ca_verify_chain(leaf, NULL, roots, purpose, 0);
	sk_X509_free(roots);
	return rc;
}
