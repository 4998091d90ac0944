/*
 * Throw-away keys and roots for the leaf, CSR and CRL suites, built with
 * plain OpenSSL calls so these tests do not depend on key.c / root.c.
 * The root carries the extensions minica's root has: basicConstraints
 * critical CA:TRUE pathlen 1, keyUsage critical keyCertSign+cRLSign, SKI,
 * nameConstraints permitting DNS/e-mail example.org and 10/8, fd00::/8.
 */
#ifndef LEAF_FIXTURE_H
#define LEAF_FIXTURE_H

#include <stdarg.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"

#define FX_NC "critical,permitted;DNS:example.org,permitted;email:example.org," \
	"permitted;IP:10.0.0.0/255.0.0.0,permitted;IP:fd00:0:0:0:0:0:0:0/ff00:0:0:0:0:0:0:0"

static inline EVP_PKEY *
fx_key(const char *type)
{
	EVP_PKEY *k = NULL;

	if (strcmp(type, "rsa2048") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else if (strcmp(type, "ec256") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (strcmp(type, "ec384") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	else if (strcmp(type, "ec521") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	else if (strcmp(type, "rsa3000") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3000);
	else if (strcmp(type, "rsa1024") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	else if (strcmp(type, "ed25519") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	cr_assert_not_null(k, "keygen %s", type);
	return k;
}

static inline void
fx_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	cr_assert_not_null(ext, "ext %s=%s", OBJ_nid2sn(nid), value);
	cr_assert(X509_add_ext(x, ext, -1));
	X509_EXTENSION_free(ext);
}

/* nc NULL: FX_NC; "": no nameConstraints.  ski 0: leave SKI out. */
static inline X509 *
fx_root_ex(EVP_PKEY *key, const char *nc, int ski)
{
	X509 *x = X509_new();
	X509_NAME *n;

	cr_assert_not_null(x);
	cr_assert(X509_set_version(x, X509_VERSION_3));
	cr_assert(ASN1_INTEGER_set(X509_get_serialNumber(x), 4242));
	n = X509_get_subject_name(x);
	cr_assert(X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
	    (const unsigned char *)"minica test", -1, -1, 0));
	cr_assert(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)"minica test root", -1, -1, 0));
	cr_assert(X509_set_issuer_name(x, n));
	cr_assert(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
	cr_assert(X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 3650));
	cr_assert(X509_set_pubkey(x, key));
	fx_ext(x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:1");
	fx_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	if (ski)
		fx_ext(x, x, NID_subject_key_identifier, "hash");
	if (nc == NULL)
		nc = FX_NC;
	if (*nc != '\0')
		fx_ext(x, x, NID_name_constraints, nc);
	cr_assert(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

static inline X509 *
fx_root(EVP_PKEY *key)
{
	return fx_root_ex(key, NULL, 1);
}

/* A strv from a NULL-terminated list of literals. */
static inline struct mc_strv
fx_strv(const char *first, ...)
{
	struct mc_strv sv = { 0 };
	va_list ap;

	va_start(ap, first);
	for (const char *s = first; s != NULL; s = va_arg(ap, const char *))
		cr_assert_eq(mc_strv_push(&sv, s), 0);
	va_end(ap);
	return sv;
}

/* X509_verify_cert with -x509_strict, sslserver/sslclient purpose and an
 * optional host; crl non-NULL turns CRL checking on.  Returns the
 * verify error (X509_V_OK on success). */
static inline int
fx_verify(X509 *root, X509 *leaf, const char *host, int purpose, X509_CRL *crl)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *vp;
	int ok, err;

	cr_assert(st != NULL && ctx != NULL);
	cr_assert(X509_STORE_add_cert(st, root));
	if (crl != NULL)
		cr_assert(X509_STORE_add_crl(st, crl));
	cr_assert(X509_STORE_CTX_init(ctx, st, leaf, NULL));
	vp = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_X509_STRICT |
	    (crl != NULL ? X509_V_FLAG_CRL_CHECK : 0));
	cr_assert(X509_VERIFY_PARAM_set_purpose(vp, purpose));
	if (host != NULL)
		cr_assert(X509_VERIFY_PARAM_set1_host(vp, host, 0));
	ok = X509_verify_cert(ctx);
	err = X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	ERR_clear_error();
	if (ok == 1)
		cr_assert_eq(err, X509_V_OK);
	else if (err == X509_V_OK)
		err = -1;
	return err;
}

/* Writes PEM of x to path (for the by-hand openssl / certtool check). */
static inline void
fx_write_pem(const char *path, X509 *x)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	cr_assert(PEM_write_X509(f, x));
	cr_assert_eq(fclose(f), 0);
}

#endif
