/* The self-signed root: RSA-4096 (SHA-256), name-constrained by default. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ca.h"

static int
mask_from_prefix(unsigned char *mask, size_t len, long prefix)
{
	memset(mask, 0, len);
	for (size_t i = 0; i < len; i++) {
		long bits = prefix - (long)i * 8;

		if (bits >= 8)
			mask[i] = 0xff;
		else if (bits > 0)
			mask[i] = (unsigned char)(0xff << (8 - bits));
	}
	return 0;
}

char *
ca_cidr_to_conf(const char *cidr)
{
	unsigned char addr[16], mask[16];
	char abuf[INET6_ADDRSTRLEN], mbuf[INET6_ADDRSTRLEN], *copy, *slash, *end;
	char out[2 * INET6_ADDRSTRLEN + 8];
	int af;
	long prefix, max;
	size_t len;

	if ((copy = mc_strdup(cidr)) == NULL)
		return NULL;
	slash = strchr(copy, '/');
	if (slash == NULL) {
		mc_seterr("invalid CIDR '%s': expected ADDRESS/PREFIX, e.g. 10.0.0.0/8", cidr);
		goto fail;
	}
	*slash = '\0';
	af = strchr(copy, ':') ? AF_INET6 : AF_INET;
	len = af == AF_INET6 ? 16 : 4;
	max = (long)len * 8;
	if (inet_pton(af, copy, addr) != 1) {
		mc_seterr("invalid CIDR '%s': '%s' is not an IP address", cidr, copy);
		goto fail;
	}
	prefix = strtol(slash + 1, &end, 10);
	if (slash[1] == '\0' || *end != '\0' || prefix < 0 || prefix > max) {
		mc_seterr("invalid CIDR '%s': prefix must be 0-%ld", cidr, max);
		goto fail;
	}
	mask_from_prefix(mask, len, prefix);
	for (size_t i = 0; i < len; i++) {
		if (addr[i] & ~mask[i]) {
			mc_seterr("invalid CIDR '%s': host bits set beyond /%ld", cidr, prefix);
			goto fail;
		}
	}
	inet_ntop(af, addr, abuf, sizeof(abuf));
	inet_ntop(af, mask, mbuf, sizeof(mbuf));
	snprintf(out, sizeof(out), "%s/%s", abuf, mbuf);
	free(copy);
	return mc_strdup(out);
fail:
	free(copy);
	return NULL;
}

/*
 * nameConstraints value in OpenSSL's config syntax.  A DNS base
 * "example.org" permits the name and everything below it (RFC 5280
 * 4.2.1.10); e-mail needs both "example.org" (mailbox at that host) and
 * ".example.org" (any host below).  IPs: without --permit-ip every address
 * is excluded, since a root for mail and web names has no business
 * vouching for an IP.  With --permit-ip, the permitted list alone limits
 * IPs of both families (a permitted subtree of a type constrains all names
 * of that type), and excluding 0/0 would override it (excluded wins).
 */
static int
constraints_value(const struct ca_root_req *req, struct mc_buf *b)
{
	const char *sep = "critical,";

	if (mc_buf_add(b, sep, strlen(sep)) < 0)
		return -1;
	sep = "";
	for (size_t i = 0; req->domains && i < req->domains->n; i++) {
		const char *d = req->domains->v[i];

		if (mc_buf_printf(b, "%spermitted;DNS:%s,permitted;email:%s,permitted;email:.%s",
		    sep, d, d, d) < 0)
			return -1;
		sep = ",";
	}
	if (req->permit_ip == NULL || req->permit_ip->n == 0)
		return mc_buf_printf(b, "%sexcluded;IP:0.0.0.0/0.0.0.0,excluded;IP:::/::", sep);
	for (size_t i = 0; i < req->permit_ip->n; i++) {
		char *conf = ca_cidr_to_conf(req->permit_ip->v[i]);
		int rc;

		if (conf == NULL)
			return -1;
		rc = mc_buf_printf(b, "%spermitted;IP:%s", sep, conf);
		free(conf);
		if (rc < 0)
			return -1;
		sep = ",";
	}
	return 0;
}

static int
set_subject(X509 *cert, const char *name)
{
	X509_NAME *n = X509_get_subject_name(cert);

	if (!X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)name, -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)name, -1, -1, 0)) {
		mc_seterr_ssl("invalid CA name '%s'", name);
		return -1;
	}
	return X509_set_issuer_name(cert, n) ? 0 : -1;
}

static int
root_extensions(X509 *cert, const struct ca_root_req *req)
{
	struct mc_buf nc = { 0 };
	X509V3_CTX ctx;
	int rc = -1;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	/* pathlen 2: the issuing intermediate, and after a root rotation
	 * the cross-certificate above it (GnuTLS and Go count that
	 * self-issued certificate against the old root's pathlen, which
	 * RFC 5280 6.1.4 (l) does not). */
	if (ca_ext_add(cert, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:2") < 0 ||
	    ca_ext_add(cert, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") < 0 ||
	    ca_ext_add(cert, &ctx, NID_subject_key_identifier, "hash") < 0)
		goto out;
	if (req->name_constraints) {
		if (req->domains == NULL || req->domains->n == 0) {
			mc_seterr("a name-constrained root needs at least one --domain");
			goto out;
		}
		if (constraints_value(req, &nc) < 0 ||
		    ca_ext_add(cert, &ctx, NID_name_constraints, nc.p) < 0)
			goto out;
	}
	rc = 0;
out:
	mc_buf_free(&nc);
	return rc;
}

X509 *
ca_root_build(EVP_PKEY *key, const struct ca_root_req *req)
{
	X509 *cert = X509_new();
	ASN1_INTEGER *serial = ASN1_INTEGER_new();
	int ok = 0;

	if (cert == NULL || serial == NULL) {
		mc_seterr("out of memory");
		goto out;
	}
	if (req->days < 1 || req->days > 36500) {
		mc_seterr("invalid lifetime %d days for the root (1-36500)", req->days);
		goto out;
	}
	if (!X509_set_version(cert, X509_VERSION_3) || ca_serial_random(serial) < 0 ||
	    !X509_set_serialNumber(cert, serial) || set_subject(cert, req->name) < 0 ||
	    ca_set_validity(cert, 0, req->days) < 0 || !X509_set_pubkey(cert, key)) {
		mc_seterr_ssl("cannot fill in the root certificate");
		goto out;
	}
	if (root_extensions(cert, req) < 0)
		goto out;
	if (ca_x509_sign(cert, key) < 0)
		goto out;
	ok = 1;
out:
	ASN1_INTEGER_free(serial);
	if (!ok) {
		X509_free(cert);
		cert = NULL;
	}
	return cert;
}
