/*
 * Leaf certificates: the heart of minica.
 *
 * Every leaf is X.509 v3, signed with the hash that fits the issuer's
 * key (ca_sign_md), random positive 159-bit serial, subject CN only (or
 * empty), and carries exactly basicConstraints, keyUsage,
 * extendedKeyUsage, subjectKeyIdentifier, authorityKeyIdentifier (key id
 * only) and subjectAltName.  Names go into the SAN as GENERAL_NAME objects,
 * never through a config string, so no user text is ever parsed by
 * OpenSSL's "DNS:a,DNS:b" syntax.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "internal.h"

#define LEAF_SERIAL_BITS 159

static const struct {
	const char *name;
	int nid;
} leaf_ekus[] = {
	{ "serverAuth", NID_server_auth },
	{ "clientAuth", NID_client_auth },
	{ "emailProtection", NID_email_protect },
};

int
ca_leaf_key_check(EVP_PKEY *key)
{
	char buf[64];
	BIGNUM *e = NULL;
	int rc = -1, bits;

	if (key == NULL) {
		mc_seterr("no public key");
		return -1;
	}
	bits = EVP_PKEY_get_bits(key);
	if (EVP_PKEY_is_a(key, "RSA")) {
		/* The sizes policy issues for, so a CSR is refused here, with
		 * the message policy gives, not after its names were checked. */
		if (ca_key_type_name(key) == NULL) {
			mc_seterr("rsa key of %d bits is not one of " CA_KEY_TYPES_TEXT, bits);
			goto out;
		}
		if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e)) {
			mc_seterr_ssl("EVP_PKEY_get_bn_param failed");
			goto out;
		}
		/* CA/Browser Forum: odd, at least 65537; Go wants it to fit an int. */
		if (!BN_is_odd(e) || BN_num_bits(e) < 17 || BN_num_bits(e) > 31) {
			mc_seterr("rsa public exponent refused (odd, 65537 to 2^31-1)");
			goto out;
		}
	} else if (EVP_PKEY_is_a(key, "EC")) {
		if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
		    buf, sizeof(buf), NULL) ||
		    (strcmp(buf, "prime256v1") != 0 && strcmp(buf, "secp384r1") != 0)) {
			mc_seterr("ec key on this curve is not one of " CA_KEY_TYPES_TEXT);
			goto out;
		}
		/* Explicit curve parameters fail -x509_strict; compressed
		 * points are not understood by every client (Go). */
		if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_EC_ENCODING,
		    buf, sizeof(buf), NULL) ||
		    strcmp(buf, OSSL_PKEY_EC_ENCODING_GROUP) != 0) {
			mc_seterr("ec key refused: explicit curve parameters");
			goto out;
		}
		if (EVP_PKEY_get_utf8_string_param(key,
		    OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, buf, sizeof(buf), NULL) &&
		    strcmp(buf, OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED) != 0) {
			mc_seterr("ec key refused: compressed public point");
			goto out;
		}
	} else {
		mc_seterr("%s key is not one of " CA_KEY_TYPES_TEXT,
		    EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "unknown");
		goto out;
	}
	rc = 0;
out:
	BN_free(e);
	ERR_clear_error();
	return rc;
}

int
ca_key_matches_cert(EVP_PKEY *key, X509 *cert)
{
	EVP_PKEY *pub;
	int r;

	if (key == NULL || cert == NULL) {
		mc_seterr("no key or certificate to compare");
		return -1;
	}
	if ((pub = X509_get0_pubkey(cert)) == NULL) {
		mc_seterr_ssl("X509_get0_pubkey failed");
		return -1;
	}
	r = EVP_PKEY_eq(key, pub);
	if (r == -2) {
		mc_seterr_ssl("EVP_PKEY_eq failed");
		return -1;
	}
	ERR_clear_error();
	return r == 1 ? 1 : 0;
}

static int
leaf_set_serial(X509 *x, const ASN1_INTEGER *want)
{
	ASN1_INTEGER *serial = NULL;
	BIGNUM *bn = NULL;
	int rc = -1;

	if (want != NULL) {
		if ((bn = ASN1_INTEGER_to_BN(want, NULL)) == NULL) {
			mc_seterr_ssl("ASN1_INTEGER_to_BN failed");
			goto out;
		}
		/* RFC 5280 4.1.2.2: positive, at most 20 octets. */
		if (BN_is_negative(bn) || BN_is_zero(bn) || BN_num_bits(bn) > LEAF_SERIAL_BITS) {
			mc_seterr("serial refused: must be positive and at most 159 bits");
			goto out;
		}
		if (!X509_set_serialNumber(x, (ASN1_INTEGER *)want)) {
			mc_seterr_ssl("X509_set_serialNumber failed");
			goto out;
		}
	} else {
		if ((serial = ASN1_INTEGER_new()) == NULL) {
			mc_seterr_ssl("ASN1_INTEGER_new failed");
			goto out;
		}
		if (ca_serial_random(serial) < 0)
			goto out;
		if (!X509_set_serialNumber(x, serial)) {
			mc_seterr_ssl("X509_set_serialNumber failed");
			goto out;
		}
	}
	rc = 0;
out:
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	return rc;
}

/* Counts UTF-8 characters; -1 on a control character. */
static long
leaf_cn_chars(const char *cn)
{
	long n = 0;

	for (const unsigned char *p = (const unsigned char *)cn; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return -1;
		if ((*p & 0xc0) != 0x80)
			n++;
	}
	return n;
}

static int
leaf_set_names(X509 *x, X509 *issuer, const char *cn)
{
	X509_NAME *name = NULL;
	long nchars;
	int rc = -1;

	if (!X509_set_issuer_name(x, X509_get_subject_name(issuer))) {
		mc_seterr_ssl("X509_set_issuer_name failed");
		goto out;
	}
	if (cn == NULL || *cn == '\0')
		return 0;
	nchars = leaf_cn_chars(cn);
	if (nchars < 0 || nchars > CA_CN_MAX) {
		mc_seterr("common name refused: control character or longer than %d characters",
		    CA_CN_MAX);
		goto out;
	}
	if ((name = X509_NAME_new()) == NULL) {
		mc_seterr_ssl("X509_NAME_new failed");
		goto out;
	}
	/* MBSTRING_UTF8 also rejects invalid UTF-8. */
	if (!X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0)) {
		mc_seterr_ssl("X509_NAME_add_entry_by_NID failed for common name");
		goto out;
	}
	if (!X509_set_subject_name(x, name)) {
		mc_seterr_ssl("X509_set_subject_name failed");
		goto out;
	}
	rc = 0;
out:
	X509_NAME_free(name);
	return rc;
}

/* A leaf that outlives its root stops verifying early, with no warning
 * from anyone: refuse it here rather than let it be deployed. */
static int
leaf_within_issuer(X509 *x, X509 *issuer)
{
	char when[21];
	time_t t;
	struct tm tm;

	if (ASN1_TIME_compare(X509_get0_notAfter(x), X509_get0_notAfter(issuer)) <= 0)
		return 0;
	if (ASN1_TIME_to_tm(X509_get0_notAfter(issuer), &tm) && (t = timegm(&tm)) != -1)
		mc_iso8601(t, when);
	else
		snprintf(when, sizeof(when), "?");
	mc_seterr("certificate would outlive the root (which expires %s): shorten its lifetime", when);
	return -1;
}

static int
leaf_add_eku(X509 *x, const struct mc_strv *eku)
{
	EXTENDED_KEY_USAGE *ku = NULL;
	int rc = -1, nid;
	size_t i, j;

	if (eku == NULL || eku->n == 0)
		return 0;
	if ((ku = sk_ASN1_OBJECT_new_null()) == NULL) {
		mc_seterr_ssl("sk_ASN1_OBJECT_new_null failed");
		goto out;
	}
	for (i = 0; i < eku->n; i++) {
		for (nid = NID_undef, j = 0; j < sizeof(leaf_ekus) / sizeof(leaf_ekus[0]); j++)
			if (strcmp(eku->v[i], leaf_ekus[j].name) == 0)
				nid = leaf_ekus[j].nid;
		if (nid == NID_undef) {
			mc_seterr("extended key usage '%s' refused", eku->v[i]);
			goto out;
		}
		for (j = 0; j < (size_t)sk_ASN1_OBJECT_num(ku); j++)
			if (OBJ_obj2nid(sk_ASN1_OBJECT_value(ku, (int)j)) == nid)
				break;
		if (j < (size_t)sk_ASN1_OBJECT_num(ku))
			continue;
		/* OBJ_nid2obj objects are static; pop_free leaves them be. */
		if (!sk_ASN1_OBJECT_push(ku, OBJ_nid2obj(nid))) {
			mc_seterr_ssl("sk_ASN1_OBJECT_push failed");
			goto out;
		}
	}
	if (!X509_add1_ext_i2d(x, NID_ext_key_usage, ku, 0, X509V3_ADD_DEFAULT)) {
		mc_seterr_ssl("X509_add1_ext_i2d failed for extendedKeyUsage");
		goto out;
	}
	rc = 0;
out:
	sk_ASN1_OBJECT_pop_free(ku, ASN1_OBJECT_free);
	return rc;
}

/* IA5String: printable ASCII only; nothing a client could misread. */
static int
leaf_ia5_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

static int
leaf_push_gen(GENERAL_NAMES *gens, int type, const char *text)
{
	GENERAL_NAME *gen = NULL;
	ASN1_STRING *s = NULL;
	unsigned char ip[16];
	int rc = -1, iplen = 0;

	if (type == GEN_IPADD) {
		if (inet_pton(AF_INET, text, ip) == 1)
			iplen = 4;
		else if (inet_pton(AF_INET6, text, ip) == 1)
			iplen = 16;
		else {
			mc_seterr("invalid ip address '%s' for subjectAltName", text);
			goto out;
		}
		s = ASN1_OCTET_STRING_new();
	} else {
		if (!leaf_ia5_ok(text)) {
			mc_seterr("invalid %s '%s' for subjectAltName",
			    type == GEN_DNS ? "dns name" : "e-mail address", text);
			goto out;
		}
		s = ASN1_IA5STRING_new();
	}
	if (s == NULL || (gen = GENERAL_NAME_new()) == NULL) {
		mc_seterr_ssl("GENERAL_NAME_new failed");
		goto out;
	}
	if (!ASN1_STRING_set(s, iplen ? (const void *)ip : (const void *)text,
	    iplen ? iplen : (int)strlen(text))) {
		mc_seterr_ssl("ASN1_STRING_set failed");
		goto out;
	}
	GENERAL_NAME_set0_value(gen, type, s);
	s = NULL;
	if (!sk_GENERAL_NAME_push(gens, gen)) {
		mc_seterr_ssl("sk_GENERAL_NAME_push failed");
		goto out;
	}
	gen = NULL;
	rc = 0;
out:
	ASN1_STRING_free(s);
	GENERAL_NAME_free(gen);
	return rc;
}

static int
leaf_push_list(GENERAL_NAMES *gens, int type, const struct mc_strv *sv)
{
	if (sv == NULL)
		return 0;
	for (size_t i = 0; i < sv->n; i++)
		if (leaf_push_gen(gens, type, sv->v[i]) < 0)
			return -1;
	return 0;
}

static int
leaf_add_san(X509 *x, const struct ca_leaf_req *req)
{
	GENERAL_NAMES *gens = NULL;
	int rc = -1, empty_subject;

	empty_subject = X509_NAME_entry_count(X509_get_subject_name(x)) == 0;
	if ((gens = GENERAL_NAMES_new()) == NULL) {
		mc_seterr_ssl("GENERAL_NAMES_new failed");
		goto out;
	}
	if (leaf_push_list(gens, GEN_DNS, req->dns) < 0 ||
	    leaf_push_list(gens, GEN_IPADD, req->ips) < 0 ||
	    leaf_push_list(gens, GEN_EMAIL, req->emails) < 0)
		goto out;
	if (sk_GENERAL_NAME_num(gens) == 0) {
		if (empty_subject) {
			mc_seterr("certificate needs a common name or a subjectAltName");
			goto out;
		}
		rc = 0;
		goto out;
	}
	/* RFC 5280 4.2.1.6: with an empty subject the SAN must be critical. */
	if (!X509_add1_ext_i2d(x, NID_subject_alt_name, gens, empty_subject,
	    X509V3_ADD_DEFAULT)) {
		mc_seterr_ssl("X509_add1_ext_i2d failed for subjectAltName");
		goto out;
	}
	rc = 0;
out:
	GENERAL_NAMES_free(gens);
	return rc;
}

/*
 * authorityKeyIdentifier keyid: the issuer's SKI when it has one.  A root
 * adopted by 'minica import' may have none (a v1 root); then RFC 5280
 * 4.2.1.2 method 1, the SHA-1 of its subjectPublicKey, which is what
 * OpenSSL's own "hash" SKI would have been.
 */
static int
leaf_add_akid(X509 *x, X509V3_CTX *ctx, X509 *issuer, const struct ca_leaf_cache *cache)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	AUTHORITY_KEYID *akid = NULL;
	int rc = -1;

	if (ca_leaf_cache_akid(cache) != NULL) {
		if (!X509_add_ext(x, (X509_EXTENSION *)ca_leaf_cache_akid(cache), -1)) {
			mc_seterr_ssl("cannot add authorityKeyIdentifier");
			return -1;
		}
		return 0;
	}
	if (X509_get_ext_by_NID(issuer, NID_subject_key_identifier, -1) >= 0)
		return ca_ext_add(x, ctx, NID_authority_key_identifier, "keyid:always");
	if (!X509_pubkey_digest(issuer, EVP_sha1(), md, &len) || (akid = AUTHORITY_KEYID_new()) == NULL ||
	    (akid->keyid = ASN1_OCTET_STRING_new()) == NULL ||
	    !ASN1_OCTET_STRING_set(akid->keyid, md, (int)len) ||
	    !X509_add1_ext_i2d(x, NID_authority_key_identifier, akid, 0, X509V3_ADD_DEFAULT)) {
		mc_seterr_ssl("cannot add authorityKeyIdentifier");
		goto out;
	}
	rc = 0;
out:
	AUTHORITY_KEYID_free(akid);
	return rc;
}

/*
 * keyUsage follows the key type and the EKU (RFC 5280 4.2.1.12): RSA key
 * transport (a TLS 1.2 server's RSA key exchange, S/MIME decryption)
 * needs keyEncipherment; a TLS client only ever signs, so an RSA client
 * certificate gets digitalSignature alone, as does every EC key.
 */
static const char *
leaf_key_usage(const struct ca_leaf_req *req)
{
	int transport = req->eku == NULL || req->eku->n == 0;

	for (size_t i = 0; req->eku != NULL && i < req->eku->n; i++)
		if (strcmp(req->eku->v[i], "serverAuth") == 0 ||
		    strcmp(req->eku->v[i], "emailProtection") == 0)
			transport = 1;
	if (EVP_PKEY_is_a(req->pubkey, "RSA") && transport)
		return "critical,digitalSignature,keyEncipherment";
	return "critical,digitalSignature";
}

/* RFC 5280 4.2.1.13: one DistributionPoint, fullName = the http URI
 * where 'minica crl' output is published.  Policy (crl_url) keeps the
 * value free of commas and blanks, so the config syntax sees one URI. */
static int
leaf_add_cdp(X509 *x, X509V3_CTX *ctx, const char *url)
{
	char value[1100];

	if (url == NULL)
		return 0;
	if (strncmp(url, "http://", 7) != 0 || strpbrk(url, ", \t\\\"") != NULL ||
	    (size_t)snprintf(value, sizeof(value), "URI:%s", url) >= sizeof(value)) {
		mc_seterr("crl url '%s' refused (http://, no blanks or commas, under 1 KB)", url);
		return -1;
	}
	return ca_ext_add(x, ctx, NID_crl_distribution_points, value);
}

static int
leaf_add_exts(X509 *x, X509 *issuer, const struct ca_leaf_req *req)
{
	X509V3_CTX ctx;
	const char *ku = leaf_key_usage(req);

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if (ca_ext_add(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
	    ca_ext_add(x, &ctx, NID_key_usage, ku) < 0 ||
	    leaf_add_eku(x, req->eku) < 0 ||
	    ca_ext_add(x, &ctx, NID_subject_key_identifier, "hash") < 0 ||
	    leaf_add_akid(x, &ctx, issuer, req->cache) < 0 ||
	    leaf_add_san(x, req) < 0 || leaf_add_cdp(x, &ctx, req->crl_url) < 0)
		return -1;
	return 0;
}

/*
 * The key the certificate carries.  OpenSSL 3.0 puts a provider's key in
 * a certificate by encoding it and decoding it back, each step a search
 * through every encoder or decoder it has: 0.3 ms a leaf, twenty times
 * the P-256 signature.  The same EC public key built the classic way (its
 * point on its group, d2i_PublicKey) is encoded from the point alone, to
 * the same SubjectPublicKeyInfo bytes (tests/unit/test_leaf.c compares).
 */
EVP_PKEY *
ca_key_classic_public(EVP_PKEY *key, EVP_PKEY *group)
{
	unsigned char pt[256];
	const unsigned char *p = pt;
	EVP_PKEY *pub = NULL;
	size_t len = 0;

	if (!EVP_PKEY_is_a(key, "EC"))
		return EVP_PKEY_up_ref(key) ? key : NULL;
	if ((pub = EVP_PKEY_new()) == NULL || EVP_PKEY_copy_parameters(pub, group != NULL ? group : key) != 1 ||
	    !EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt), &len) ||
	    d2i_PublicKey(EVP_PKEY_EC, &pub, &p, (long)len) == NULL) {
		mc_seterr_ssl("cannot copy the leaf's public key");
		EVP_PKEY_free(pub);
		return NULL;
	}
	return pub;
}

X509 *
ca_leaf_sign(const struct ca_leaf_req *req, X509 *issuer, EVP_PKEY *issuer_key)
{
	X509 *x = NULL, *ret = NULL;
	EVP_PKEY *pub = NULL;

	if (req == NULL || issuer == NULL || issuer_key == NULL) {
		mc_seterr("no request, issuer or issuer key to sign with");
		return NULL;
	}
	if (ca_leaf_key_check(req->pubkey) < 0)
		return NULL;
	if (X509_check_private_key(issuer, issuer_key) != 1) {
		mc_seterr_ssl("X509_check_private_key failed: issuer key does not match the root");
		return NULL;
	}
	if ((pub = ca_key_classic_public(req->pubkey, ca_leaf_cache_group(req->cache, req->pubkey))) == NULL)
		return NULL;
	if ((x = X509_new()) == NULL) {
		mc_seterr_ssl("X509_new failed");
		goto out;
	}
	if (!X509_set_version(x, X509_VERSION_3) || !X509_set_pubkey(x, pub)) {
		mc_seterr_ssl("X509_set_pubkey failed");
		goto out;
	}
	if (leaf_set_serial(x, req->serial) < 0 ||
	    leaf_set_names(x, issuer, req->cn) < 0 ||
	    ca_set_validity(x, req->not_before, req->days) < 0 ||
	    leaf_within_issuer(x, issuer) < 0 ||
	    leaf_add_exts(x, issuer, req) < 0)
		goto out;
	if (ca_x509_sign(x, issuer_key) < 0)
		goto out;
	ret = x;
	x = NULL;
out:
	X509_free(x);
	EVP_PKEY_free(pub);
	return ret;
}
