/*
 * Adopting a root made elsewhere: is it a root, what does it lack, and
 * what can be read from the certificates it issued.
 */
#include <arpa/inet.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "ca.h"

#define DAY 86400

int
ca_root_check(X509 *x)
{
	char *subject = ca_cert_subject(x);
	int rc = -1;

	if (X509_check_ca(x) == 0)
		mc_seterr("'%s' is not a CA certificate (no basicConstraints CA:TRUE)",
		    subject ? subject : "?");
	else if (X509_self_signed(x, 1) != 1)
		mc_seterr("'%s' is not a self-signed root; import the root at the top of its chain",
		    subject ? subject : "?");
	else
		rc = 0;
	ERR_clear_error();
	free(subject);
	return rc;
}

static int
ext_critical(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);

	return i >= 0 && X509_EXTENSION_get_critical(X509_get_ext(x, i));
}

static int
add(struct mc_strv *out, const char *msg)
{
	return mc_strv_push(out, msg);
}

static int
extension_findings(X509 *x, struct mc_strv *out)
{
	uint32_t flags = X509_get_extension_flags(x), ku = X509_get_key_usage(x);
	int rc = 0;

	if (X509_get_version(x) == X509_VERSION_1)
		return add(out, "version 1 root (no extensions at all): OpenSSL in strict mode "
		    "and Python 3.13 refuse chains through it; only clients that accept "
		    "old v1 roots trust it");
	if (!(flags & EXFLAG_BCONS))
		rc |= add(out, "no basicConstraints: clients may not accept it as a CA at all");
	else if (!ext_critical(x, NID_basic_constraints))
		rc |= add(out, "basicConstraints is not critical: RFC 5280 requires it critical "
		    "in a CA; strict verifiers (OpenSSL -x509_strict, Python 3.13) reject the chain");
	if (!(flags & EXFLAG_KUSAGE))
		rc |= add(out, "no keyUsage: RFC 5280 requires keyCertSign in a CA; strict "
		    "verifiers (OpenSSL -x509_strict, Python 3.13) reject the chain");
	else if (!(ku & KU_KEY_CERT_SIGN))
		rc |= add(out, "keyUsage lacks keyCertSign: clients will not accept "
		    "certificates it signs");
	else if (!(ku & KU_CRL_SIGN))
		rc |= add(out, "keyUsage lacks cRLSign: clients will not accept its CRLs, "
		    "so revocations cannot be published");
	if (X509_get_ext_by_NID(x, NID_name_constraints, -1) < 0)
		rc |= add(out, "no name constraints: the root can vouch for any name (bank.com "
		    "included) on every device that trusts it; guard its key well");
	if (X509_get_ext_by_NID(x, NID_subject_key_identifier, -1) < 0)
		rc |= add(out, "no subjectKeyIdentifier: clients must match issuers by name only");
	return rc;
}

static int
key_findings(X509 *x, struct mc_strv *out)
{
	EVP_PKEY *pub = X509_get0_pubkey(x);
	char msg[256];
	int md = NID_undef, pk = NID_undef;

	if (pub != NULL && EVP_PKEY_is_a(pub, "RSA") && EVP_PKEY_get_bits(pub) < 4096) {
		snprintf(msg, sizeof(msg), "RSA-%d key: below minica's 4096 bits%s",
		    EVP_PKEY_get_bits(pub), EVP_PKEY_get_bits(pub) < 2048 ?
		    "; modern clients refuse keys under 2048 bits outright" :
		    "; acceptable today, plan a new root before it expires");
		if (add(out, msg) < 0)
			return -1;
	}
	if (OBJ_find_sigid_algs(X509_get_signature_nid(x), &md, &pk) && (md == NID_sha1 || md == NID_md5)) {
		snprintf(msg, sizeof(msg), "the root's self-signature uses %s: harmless for "
		    "a trust anchor in most clients, but some refuse it", OBJ_nid2sn(md));
		if (add(out, msg) < 0)
			return -1;
	}
	return 0;
}

static int
time_findings(X509 *x, time_t now, struct mc_strv *out)
{
	time_t nb = 0, na = 0;
	char msg[256], date[21];

	if (ca_cert_validity(x, &nb, &na) < 0)
		return -1;
	mc_iso8601(na, date);
	date[10] = '\0';
	if (na <= now)
		snprintf(msg, sizeof(msg), "the root expired on %s: no client trusts it any "
		    "more and nothing it signs will verify; make a new one with 'minica init'", date);
	else if (na - now < 365 * DAY)
		snprintf(msg, sizeof(msg), "the root expires on %s (%ld days): plan its "
		    "replacement now", date, (long)((na - now) / DAY));
	else if (na - nb > 3653L * DAY)
		snprintf(msg, sizeof(msg), "lifetime of %ld years (until %s): longer than "
		    "10 years leaves a weak key or algorithm trusted for long", (long)((na - nb) / (365 * DAY)), date);
	else
		return 0;
	return add(out, msg);
}

int
ca_root_findings(X509 *x, time_t now, struct mc_strv *out)
{
	if (extension_findings(x, out) < 0 || key_findings(x, out) < 0 || time_findings(x, now, out) < 0)
		return -1;
	return 0;
}

int
ca_cert_signed_by(X509 *leaf, X509 *root)
{
	EVP_PKEY *pub = X509_get0_pubkey(root);
	int r = 0;

	/* The name must chain and the signature must check; the leaf's
	 * other qualities (expired, v1, ...) are what is being adopted. */
	if (X509_NAME_cmp(X509_get_issuer_name(leaf), X509_get_subject_name(root)) == 0 &&
	    pub != NULL && X509_verify(leaf, pub) == 1)
		r = 1;
	ERR_clear_error();
	return r;
}

static char *
utf8(const ASN1_STRING *s)
{
	unsigned char *u = NULL;
	char *ret = NULL;
	int len = ASN1_STRING_to_UTF8(&u, s);

	if (len > 0 && memchr(u, '\0', (size_t)len) == NULL)
		ret = mc_strdup((const char *)u);
	OPENSSL_free(u);
	return ret;
}

static int
push_gen(const GENERAL_NAME *gn, struct mc_strv *dns, struct mc_strv *ips, struct mc_strv *emails)
{
	char ip[INET6_ADDRSTRLEN], *s;
	int len, rc = 0;

	switch (gn->type) {
	case GEN_DNS:
	case GEN_EMAIL:
		if ((s = utf8(gn->d.ia5)) != NULL && !mc_strv_has(gn->type == GEN_DNS ? dns : emails, s))
			rc = mc_strv_push(gn->type == GEN_DNS ? dns : emails, s);
		free(s);
		break;
	case GEN_IPADD:
		len = ASN1_STRING_length(gn->d.iPAddress);
		if ((len == 4 || len == 16) && inet_ntop(len == 4 ? AF_INET : AF_INET6,
		    ASN1_STRING_get0_data(gn->d.iPAddress), ip, sizeof(ip)) != NULL && !mc_strv_has(ips, ip))
			rc = mc_strv_push(ips, ip);
		break;
	default:		/* URI, otherName, ...: not names minica issues for */
		break;
	}
	return rc;
}

int
ca_cert_names(X509 *x, char **cn, struct mc_strv *dns, struct mc_strv *ips, struct mc_strv *emails)
{
	const X509_NAME *subj = X509_get_subject_name(x);
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int i = X509_NAME_get_index_by_NID(subj, NID_commonName, -1), rc = -1;

	*cn = i >= 0 ? utf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i))) : NULL;
	for (int k = 0; k < sk_GENERAL_NAME_num(gens); k++)
		if (push_gen(sk_GENERAL_NAME_value(gens, k), dns, ips, emails) < 0)
			goto out;
	rc = 0;
out:
	if (rc < 0) {
		free(*cn);
		*cn = NULL;
		mc_seterr("out of memory");
	}
	GENERAL_NAMES_free(gens);
	ERR_clear_error();
	return rc;
}

const char *
ca_cert_role(X509 *x)
{
	uint32_t xku = X509_get_extended_key_usage(x);

	/* UINT32_MAX: no extendedKeyUsage, good for any purpose. */
	if (xku == UINT32_MAX || (xku & XKU_SSL_SERVER))
		return "server";
	if (xku & XKU_SSL_CLIENT)
		return "client";
	return NULL;
}
