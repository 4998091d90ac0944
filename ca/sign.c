/* What every certificate minica signs shares: extensions added from
 * OpenSSL's config syntax. */
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ca.h"

int
ca_ext_add(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext;
	int ok;

	if ((ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value)) == NULL) {
		mc_seterr_ssl("X509V3_EXT_conf_nid(%s, \"%s\") failed", OBJ_nid2sn(nid), value);
		return -1;
	}
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (!ok) {
		mc_seterr_ssl("X509_add_ext failed for %s", OBJ_nid2sn(nid));
		return -1;
	}
	return 0;
}
