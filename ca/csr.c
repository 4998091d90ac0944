/*
 * Certificate signing requests from outside (`minica issue --csr FILE`).
 *
 * A CSR is untrusted input: it is read with a size cap, must carry a valid
 * self-signature and an acceptable key, and only two things are ever taken
 * from it, the public key and the requested names.  Its requested
 * extensions (CA:TRUE, keyUsage, ...) are never copied into a leaf.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "internal.h"

X509_REQ *
ca_csr_from_mem(const void *data, size_t len)
{
	X509_REQ *req = NULL, *ret = NULL;
	EVP_PKEY *pub;

	if (data == NULL || len == 0) {
		mc_seterr("empty certificate request");
		return NULL;
	}
	if (len > CA_CSR_MAX) {
		mc_seterr("certificate request larger than %d bytes", CA_CSR_MAX);
		return NULL;
	}
	if ((req = ca_decode(data, len, ASN1_ITEM_rptr(X509_REQ), PEM_STRING_X509_REQ,
	    "certificate request")) == NULL)
		goto out;
	if (X509_REQ_get_version(req) != 0) {
		mc_seterr("certificate request version %ld refused (only v1)",
		    X509_REQ_get_version(req) + 1);
		goto out;
	}
	if ((pub = X509_REQ_get0_pubkey(req)) == NULL) {
		mc_seterr_ssl("X509_REQ_get0_pubkey failed");
		goto out;
	}
	/* The queue's last entry is a generic "EVP lib": say it plainly. */
	if (X509_REQ_verify(req, pub) != 1) {
		mc_seterr("X509_REQ_verify failed: bad signature on certificate request");
		goto out;
	}
	if (ca_leaf_key_check(pub) < 0) {
		mc_preferr("certificate request");
		goto out;
	}
	ret = req;
	req = NULL;
out:
	X509_REQ_free(req);
	ERR_clear_error();
	return ret;
}

X509_REQ *
ca_csr_load(const char *path)
{
	struct mc_buf b = { 0 };
	X509_REQ *req = NULL;

	if (mc_file_read(path, CA_CSR_MAX, &b) < 0)
		goto out;
	if ((req = ca_csr_from_mem(b.p, b.len)) == NULL)
		mc_preferr("cannot load '%s'", path);
out:
	mc_buf_free(&b);
	return req;
}

/* A name as a C string: embedded NULs would let "a.org\0.evil" pass a
 * suffix check on one side and mean something else on the other. */
static char *
csr_string(const ASN1_STRING *s, const char *what)
{
	unsigned char *utf8 = NULL;
	char *ret = NULL;
	int len;

	/* IA5String (dNSName, rfc822Name) is 7-bit: OpenSSL would read a
	 * stray 0xfc as Latin-1 'ü' and the name signed would not be the
	 * bytes requested. */
	if (ASN1_STRING_type(s) == V_ASN1_IA5STRING) {
		for (int i = 0; i < ASN1_STRING_length(s); i++) {
			if (ASN1_STRING_get0_data(s)[i] >= 0x80) {
				mc_seterr("certificate request %s is not ASCII (IA5String)", what);
				return NULL;
			}
		}
	}
	if ((len = ASN1_STRING_to_UTF8(&utf8, s)) < 0) {
		mc_seterr_ssl("ASN1_STRING_to_UTF8 failed for %s", what);
		return NULL;
	}
	if (len == 0 || memchr(utf8, '\0', (size_t)len) != NULL)
		mc_seterr("certificate request %s is empty or holds a NUL byte", what);
	else
		ret = mc_strdup((const char *)utf8);
	OPENSSL_free(utf8);
	return ret;
}

static int
csr_cn(X509_REQ *req, char **cn)
{
	const X509_NAME *name = X509_REQ_get_subject_name(req);
	int i;

	*cn = NULL;
	if ((i = X509_NAME_get_index_by_NID(name, NID_commonName, -1)) < 0)
		return 0;
	if (X509_NAME_get_index_by_NID(name, NID_commonName, i) >= 0) {
		mc_seterr("certificate request has more than one common name");
		return -1;
	}
	*cn = csr_string(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)),
	    "common name");
	return *cn != NULL ? 0 : -1;
}

static const char *
csr_gen_type(int type)
{
	static const char *names[] = {
		"otherName", "rfc822Name", "dNSName", "x400Address",
		"directoryName", "ediPartyName", "URI", "iPAddress", "registeredID",
	};

	return type >= 0 && type <= GEN_RID ? names[type] : "unknown";
}

static int
csr_push_gen(const GENERAL_NAME *g, struct mc_strv *dns, struct mc_strv *ips,
    struct mc_strv *emails)
{
	char ip[INET6_ADDRSTRLEN], *s = NULL;
	int rc = -1, len;

	switch (g->type) {
	case GEN_DNS:
	case GEN_EMAIL:
		if ((s = csr_string(g->d.ia5, g->type == GEN_DNS ? "dns name" : "e-mail")) == NULL)
			goto out;
		rc = mc_strv_push(g->type == GEN_DNS ? dns : emails, s);
		break;
	case GEN_IPADD:
		len = ASN1_STRING_length(g->d.iPAddress);
		if ((len != 4 && len != 16) || inet_ntop(len == 4 ? AF_INET : AF_INET6,
		    ASN1_STRING_get0_data(g->d.iPAddress), ip, sizeof(ip)) == NULL) {
			mc_seterr("certificate request ip address of %d bytes refused", len);
			goto out;
		}
		rc = mc_strv_push(ips, ip);
		break;
	default:
		mc_seterr("certificate request subjectAltName %s refused (DNS, IP and e-mail only)",
		    csr_gen_type(g->type));
		break;
	}
out:
	free(s);
	return rc;
}

int
ca_csr_names(X509_REQ *req, char **cn, struct mc_strv *dns, struct mc_strv *ips,
    struct mc_strv *emails)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	GENERAL_NAMES *gens = NULL;
	int rc = -1, crit = -1;

	*cn = NULL;
	if (csr_cn(req, cn) < 0)
		goto out;
	/* NULL for "no extension request" in some 3.x versions, empty in others. */
	exts = X509_REQ_get_extensions(req);
	if (exts != NULL)
		gens = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL);
	if (gens == NULL && crit == -2) {
		mc_seterr("certificate request has more than one subjectAltName");
		goto out;
	}
	if (gens == NULL && crit >= 0) {
		mc_seterr_ssl("X509V3_get_d2i failed: bad subjectAltName in certificate request");
		goto out;
	}
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++)
		if (csr_push_gen(sk_GENERAL_NAME_value(gens, i), dns, ips, emails) < 0)
			goto out;
	rc = 0;
out:
	if (rc < 0) {
		free(*cn);
		*cn = NULL;
	}
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	ERR_clear_error();
	return rc;
}
