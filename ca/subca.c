/*
 * CA certificates a root signs: the issuing intermediate, and for root
 * rotation a successor root plus the cross-certificate that lets clients
 * which trust only the old root reach the new one.
 *
 * The intermediate's extensions are fixed (RFC 5280, CA/Browser Forum BR
 * 7.1.2.2): basicConstraints critical CA:TRUE pathlen 0, keyUsage critical
 * keyCertSign + cRLSign, EKU serverAuth + clientAuth, SKI, AKI, and the
 * root's nameConstraints copied byte for byte and marked critical, since
 * clients (macOS among them) honour constraints on intermediates more
 * reliably than on roots.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ca.h"

/* Copies from's extension nid to x (critical if crit >= 0 says so, else
 * as it was); absent in from: nothing added, 0 returned. */
static int
copy_ext(X509 *x, X509 *from, int nid, int crit)
{
	int i = X509_get_ext_by_NID(from, nid, -1);
	X509_EXTENSION *ext;
	int ok;

	if (i < 0)
		return 0;
	if ((ext = X509_EXTENSION_dup(X509_get_ext(from, i))) == NULL) {
		mc_seterr_ssl("X509_EXTENSION_dup failed");
		return -1;
	}
	ok = (crit < 0 || X509_EXTENSION_set_critical(ext, crit)) && X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (!ok) {
		mc_seterr_ssl("cannot copy %s", OBJ_nid2sn(nid));
		return -1;
	}
	return 0;
}

/*
 * AKI key id: the issuer's SKI, or for a hand-made root without one the
 * SHA-1 of its public key (RFC 5280 4.2.1.2 method 1, what its SKI would
 * have been): strict verifiers want a key id in every non-root AKI.
 */
static int
add_aki(X509 *x, X509V3_CTX *ctx, X509 *issuer)
{
	AUTHORITY_KEYID *akid = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	int rc = -1;

	if (X509_get_ext_by_NID(issuer, NID_subject_key_identifier, -1) >= 0)
		return ca_ext_add(x, ctx, NID_authority_key_identifier, "keyid:always");
	if ((akid = AUTHORITY_KEYID_new()) == NULL || (akid->keyid = ASN1_OCTET_STRING_new()) == NULL ||
	    !X509_pubkey_digest(issuer, EVP_sha1(), md, &len) ||
	    !ASN1_OCTET_STRING_set(akid->keyid, md, (int)len) ||
	    X509_add1_ext_i2d(x, NID_authority_key_identifier, akid, 0, X509V3_ADD_DEFAULT) != 1) {
		mc_seterr_ssl("cannot add the authorityKeyIdentifier");
		goto out;
	}
	rc = 0;
out:
	AUTHORITY_KEYID_free(akid);
	return rc;
}

int
ca_root_can_delegate(X509 *root)
{
	long pathlen;

	if (X509_check_ca(root) != 1) {
		mc_seterr("the root is not a CA certificate (basicConstraints CA:TRUE missing)");
		return -1;
	}
	if ((X509_get_key_usage(root) & KU_KEY_CERT_SIGN) == 0) {
		mc_seterr("the root's keyUsage lacks keyCertSign: it cannot sign an intermediate");
		return -1;
	}
	pathlen = X509_get_pathlen(root);
	if (pathlen == 0) {
		mc_seterr("the root's basicConstraints say pathlen:0: clients would refuse any "
		    "intermediate under it; keep issuing from the root (no intermediate)");
		return -1;
	}
	return 0;
}

/* days counted as ca_set_validity does (backdated a little), but never
 * past the issuer's notAfter. */
static int
set_validity(X509 *x, X509 *issuer, int days, int *clamped)
{
	ASN1_TIME *na = X509_getm_notAfter(x);

	*clamped = 0;
	if (ca_set_validity(x, 0, days) < 0)
		return -1;
	if (ASN1_TIME_compare(na, X509_get0_notAfter(issuer)) > 0) {
		if (!X509_set1_notAfter(x, X509_get0_notAfter(issuer))) {
			mc_seterr_ssl("X509_set1_notAfter failed");
			return -1;
		}
		*clamped = 1;
	}
	if (ASN1_TIME_compare(X509_get0_notBefore(x), X509_get0_notAfter(x)) >= 0) {
		mc_seterr("the root has expired: it cannot sign a CA certificate");
		return -1;
	}
	return 0;
}

/* Every entry of the issuer's subject but CN, then CN = cn. */
static int
inter_subject(X509 *x, X509 *root, const char *cn)
{
	const X509_NAME *rn = X509_get_subject_name(root);
	X509_NAME *n = X509_NAME_new();
	int ok = n != NULL;

	for (int i = 0; ok && i < X509_NAME_entry_count(rn); i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(rn, i);

		if (OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)) != NID_commonName)
			ok = X509_NAME_add_entry(n, e, -1, 0);
	}
	ok = ok && X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) && X509_set_subject_name(x, n);
	X509_NAME_free(n);
	if (!ok)
		mc_seterr_ssl("invalid intermediate name '%s'", cn);
	return ok ? 0 : -1;
}

static int
start_cert(X509 *x, X509 *issuer, EVP_PKEY *pub)
{
	ASN1_INTEGER *serial = ASN1_INTEGER_new();
	int ok = serial != NULL && ca_serial_random(serial) == 0;

	ok = ok && X509_set_version(x, X509_VERSION_3) && X509_set_serialNumber(x, serial) &&
	    X509_set_issuer_name(x, X509_get_subject_name(issuer)) && X509_set_pubkey(x, pub);
	ASN1_INTEGER_free(serial);
	if (!ok)
		mc_seterr_ssl("cannot fill in the CA certificate");
	return ok ? 0 : -1;
}

static int
inter_extensions(X509 *x, X509 *root)
{
	X509V3_CTX ctx;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, root, x, NULL, NULL, 0);
	if (ca_ext_add(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") < 0 ||
	    ca_ext_add(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") < 0 ||
	    ca_ext_add(x, &ctx, NID_ext_key_usage, "serverAuth,clientAuth") < 0 ||
	    ca_ext_add(x, &ctx, NID_subject_key_identifier, "hash") < 0 ||
	    add_aki(x, &ctx, root) < 0 ||
	    copy_ext(x, root, NID_name_constraints, 1) < 0)
		return -1;
	return 0;
}

X509 *
ca_inter_build(EVP_PKEY *pub, const struct ca_inter_req *req, X509 *root, EVP_PKEY *root_key)
{
	X509 *x = NULL, *ret = NULL;
	int days = req->days ? req->days : CA_INTER_DAYS, clamped;

	if (days < 1 || days > CA_MAX_DAYS) {
		mc_seterr("invalid lifetime %d days for the intermediate (1-%d)", days, CA_MAX_DAYS);
		return NULL;
	}
	if (req->cn == NULL || *req->cn == '\0' || strlen(req->cn) > CA_CN_MAX) {
		mc_seterr("the intermediate needs a name of 1-%d characters", CA_CN_MAX);
		return NULL;
	}
	if (ca_root_can_delegate(root) < 0)
		return NULL;
	if (ca_key_matches_cert(root_key, root) != 1) {
		mc_seterr("the root key does not match the root certificate");
		return NULL;
	}
	if ((x = X509_new()) == NULL) {
		mc_seterr("out of memory");
		return NULL;
	}
	if (start_cert(x, root, pub) < 0 || inter_subject(x, root, req->cn) < 0 ||
	    set_validity(x, root, days, &clamped) < 0 || inter_extensions(x, root) < 0 ||
	    ca_x509_sign(x, root_key) < 0)
		goto out;
	ret = x;
	x = NULL;
out:
	X509_free(x);
	return ret;
}

/*
 * The successor keeps the old root's subject exactly: the cross-
 * certificate is then self-issued (RFC 5280 6.1.4 (l)), so OpenSSL and
 * NSS do not count it against the old root's pathlen, and old-root
 * clients build leaf -> intermediate -> cross -> old root.  GnuTLS and
 * Go do count it, so roots carry pathlen 2 (an old root with pathlen 1
 * gets the cross chain past OpenSSL and NSS only).
 */
X509 *
ca_root_successor(X509 *old_root, EVP_PKEY *new_key, int days)
{
	X509 *x = X509_new(), *ret = NULL;
	X509V3_CTX ctx;

	if (x == NULL) {
		mc_seterr("out of memory");
		return NULL;
	}
	if (days < 1 || days > CA_MAX_DAYS) {
		mc_seterr("invalid lifetime %d days for the new root (1-%d)", days, CA_MAX_DAYS);
		goto out;
	}
	if (start_cert(x, old_root, new_key) < 0 ||
	    !X509_set_subject_name(x, X509_get_subject_name(old_root))) {
		mc_seterr_ssl("cannot fill in the new root");
		goto out;
	}
	if (ca_set_validity(x, 0, days) < 0)
		goto out;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (ca_ext_add(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:2") < 0 ||
	    ca_ext_add(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") < 0 ||
	    ca_ext_add(x, &ctx, NID_subject_key_identifier, "hash") < 0 ||
	    copy_ext(x, old_root, NID_name_constraints, 1) < 0 ||
	    ca_x509_sign(x, new_key) < 0)
		goto out;
	ret = x;
	x = NULL;
out:
	X509_free(x);
	return ret;
}

/* The new root's subject, key and CA extensions, issued by the old root,
 * valid no longer than either. */
X509 *
ca_cross_build(X509 *new_root, X509 *old_root, EVP_PKEY *old_key)
{
	X509 *x = X509_new(), *ret = NULL;
	X509V3_CTX ctx;
	int clamped;

	if (x == NULL) {
		mc_seterr("out of memory");
		return NULL;
	}
	if (ca_key_matches_cert(old_key, old_root) != 1) {
		mc_seterr("the old root key does not match the old root certificate");
		goto out;
	}
	if (start_cert(x, old_root, X509_get0_pubkey(new_root)) < 0 ||
	    !X509_set_subject_name(x, X509_get_subject_name(new_root))) {
		mc_seterr_ssl("cannot fill in the cross-certificate");
		goto out;
	}
	if (set_validity(x, old_root, 36500, &clamped) < 0)
		goto out;
	if (ASN1_TIME_compare(X509_get0_notAfter(x), X509_get0_notAfter(new_root)) > 0 &&
	    !X509_set1_notAfter(x, X509_get0_notAfter(new_root))) {
		mc_seterr_ssl("X509_set1_notAfter failed");
		goto out;
	}
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, old_root, x, NULL, NULL, 0);
	if (copy_ext(x, new_root, NID_basic_constraints, 1) < 0 ||
	    copy_ext(x, new_root, NID_key_usage, 1) < 0 ||
	    copy_ext(x, new_root, NID_subject_key_identifier, 0) < 0 ||
	    add_aki(x, &ctx, old_root) < 0 ||
	    copy_ext(x, new_root, NID_name_constraints, 1) < 0 ||
	    ca_x509_sign(x, old_key) < 0)
		goto out;
	ret = x;
	x = NULL;
out:
	X509_free(x);
	return ret;
}

int
ca_inter_default_name(X509 *root, EVP_PKEY *pub, char *out, size_t size)
{
	char *cn = ca_cert_subject_entry(root, NID_commonName);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[9];
	X509_PUBKEY *xpk = NULL;
	size_t keep;
	int rc = -1;

	/* "<root CN> issuing <8 hex of the key's SHA-256>": one name per key,
	 * so no two intermediates ever share a subject. */
	if (!X509_PUBKEY_set(&xpk, pub) || !ASN1_item_digest(ASN1_ITEM_rptr(X509_PUBKEY),
	    EVP_sha256(), xpk, md, &mdlen) || mdlen < 4) {
		mc_seterr_ssl("cannot hash the intermediate's public key");
		goto out;
	}
	mc_hex(md, 4, hex);
	if (cn == NULL && (cn = mc_strdup("minica")) == NULL)
		goto out;
	/* Room for " issuing xxxxxxxx" within 64 bytes (so 64 characters),
	 * cut at a UTF-8 character boundary. */
	keep = strlen(cn);
	if (keep > CA_CN_MAX - 17) {
		keep = CA_CN_MAX - 17;
		while (keep > 0 && ((unsigned char)cn[keep] & 0xc0) == 0x80)
			keep--;
	}
	if (snprintf(out, size, "%.*s issuing %s", (int)keep, cn, hex) >= (int)size) {
		mc_seterr("intermediate name too long");
		goto out;
	}
	rc = 0;
out:
	X509_PUBKEY_free(xpk);
	free(cn);
	return rc;
}
