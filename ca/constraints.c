/*
 * nameConstraints read back: as text for people (init, show ca, log), as
 * lists for the refusals that name what the root permits, and the IP
 * test policy applies before signing.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "ca.h"

/* The prefix length of a contiguous mask, or -1. */
static int
mask_prefix(const unsigned char *mask, size_t len)
{
	int prefix = 0;
	size_t i = 0;

	for (; i < len && mask[i] == 0xff; i++)
		prefix += 8;
	if (i < len) {
		unsigned char m = mask[i];

		for (; m & 0x80; m = (unsigned char)(m << 1))
			prefix++;
		if (m != 0)
			return -1;
		for (i++; i < len; i++)
			if (mask[i] != 0)
				return -1;
	}
	return prefix;
}

/*
 * A constraint's iPAddress is address then mask (RFC 5280 4.2.1.10: 8 or
 * 32 octets), which GENERAL_NAME_print shows as "<invalid length=8>":
 * print it as CIDR, "192.0.2.0/24" (address/mask if the mask has holes).
 */
static int
subtree_ip_text(const ASN1_OCTET_STRING *o, struct mc_buf *b)
{
	char addr[INET6_ADDRSTRLEN], mask[INET6_ADDRSTRLEN];
	size_t len = (size_t)o->length / 2;
	int af = len == 4 ? AF_INET : AF_INET6, prefix;

	if (o->length != 8 && o->length != 32)
		return mc_buf_printf(b, "IP:<%d octets>", o->length);
	if (inet_ntop(af, o->data, addr, sizeof(addr)) == NULL ||
	    inet_ntop(af, o->data + len, mask, sizeof(mask)) == NULL)
		return mc_buf_printf(b, "IP:?");
	if ((prefix = mask_prefix(o->data + len, len)) < 0)
		return mc_buf_printf(b, "IP:%s/%s", addr, mask);
	return mc_buf_printf(b, "IP:%s/%d", addr, prefix);
}

static int
subtree_text(GENERAL_NAME *gn, struct mc_buf *b)
{
	BIO *bio;
	char *data;
	long len;
	int rc;

	if (gn->type == GEN_IPADD)
		return subtree_ip_text(gn->d.iPAddress, b);
	if ((bio = BIO_new(BIO_s_mem())) == NULL || !GENERAL_NAME_print(bio, gn)) {
		BIO_free(bio);
		return mc_buf_printf(b, "?");
	}
	len = BIO_get_mem_data(bio, &data);
	rc = mc_buf_printf(b, "%.*s", (int)len, data);
	BIO_free(bio);
	return rc;
}

char *
ca_cert_constraints_text(X509 *x)
{
	NAME_CONSTRAINTS *nc;
	struct mc_buf b = { 0 };
	const char *kind[2] = { "permitted", "excluded" };
	char *s = NULL;

	if (mc_buf_add(&b, "", 0) < 0)
		return NULL;
	nc = X509_get_ext_d2i(x, NID_name_constraints, NULL, NULL);
	for (int k = 0; nc != NULL && k < 2; k++) {
		STACK_OF(GENERAL_SUBTREE) *sk = k == 0 ? nc->permittedSubtrees : nc->excludedSubtrees;

		for (int i = 0; i < sk_GENERAL_SUBTREE_num(sk); i++)
			if (mc_buf_printf(&b, "%s%s:", b.len ? ", " : "", kind[k]) < 0 ||
			    subtree_text(sk_GENERAL_SUBTREE_value(sk, i)->base, &b) < 0)
				goto out;
	}
	s = mc_strdup(b.p);
out:
	NAME_CONSTRAINTS_free(nc);
	mc_buf_free(&b);
	return s;
}

int
ca_cert_permitted_ip(X509 *x, struct mc_strv *out)
{
	NAME_CONSTRAINTS *nc = X509_get_ext_d2i(x, NID_name_constraints, NULL, NULL);
	struct mc_buf b = { 0 };
	int rc = 0;

	for (int i = 0; nc != NULL && i < sk_GENERAL_SUBTREE_num(nc->permittedSubtrees); i++) {
		GENERAL_NAME *gn = sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, i)->base;

		if (gn->type != GEN_IPADD)
			continue;
		b.len = 0;
		/* "IP:" dropped: the list is of ranges only. */
		if (subtree_ip_text(gn->d.iPAddress, &b) < 0 || mc_strv_push(out, b.p + 3) < 0) {
			rc = -1;
			break;
		}
	}
	NAME_CONSTRAINTS_free(nc);
	mc_buf_free(&b);
	return rc;
}

static int
ip_in_subtree(const unsigned char *ip, size_t len, const ASN1_OCTET_STRING *base)
{
	/* A name-constraint IP is address followed by mask (RFC 5280 4.2.1.10). */
	if ((size_t)base->length != 2 * len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((ip[i] & base->data[len + i]) != base->data[i])
			return 0;
	return 1;
}

int
ca_cert_ip_permitted(X509 *x, const unsigned char *ip, size_t len)
{
	NAME_CONSTRAINTS *nc = X509_get_ext_d2i(x, NID_name_constraints, NULL, NULL);
	int have_permitted = 0, ok = 1;

	if (nc == NULL)
		return 1;
	for (int i = 0; i < sk_GENERAL_SUBTREE_num(nc->excludedSubtrees); i++) {
		GENERAL_NAME *gn = sk_GENERAL_SUBTREE_value(nc->excludedSubtrees, i)->base;

		if (gn->type == GEN_IPADD && ip_in_subtree(ip, len, gn->d.iPAddress))
			ok = 0;
	}
	for (int i = 0; ok && i < sk_GENERAL_SUBTREE_num(nc->permittedSubtrees); i++) {
		GENERAL_NAME *gn = sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, i)->base;

		if (gn->type != GEN_IPADD)
			continue;
		have_permitted = 1;
		if (ip_in_subtree(ip, len, gn->d.iPAddress)) {
			have_permitted = 2;
			break;
		}
	}
	NAME_CONSTRAINTS_free(nc);
	return ok && have_permitted != 1;
}

int
ca_cert_ip_check(X509 *x, const unsigned char *ip, size_t len, const char *text)
{
	struct mc_strv ranges = { 0 };
	char *list = NULL;
	int rc = -1;

	if (ca_cert_ip_permitted(x, ip, len))
		return 0;
	if (ca_cert_permitted_ip(x, &ranges) < 0)
		goto out;
	if (ranges.n == 0) {
		mc_seterr("IP address %s is outside the root's name constraints (a root made without "
		    "'init --permit-ip CIDR' may not vouch for any IP)", text);
		goto out;
	}
	if ((list = mc_strv_join(&ranges, ", ")) == NULL)
		goto out;
	mc_seterr("IP address %s is outside the root's name constraints (permitted: %s)", text, list);
out:
	free(list);
	mc_strv_free(&ranges);
	return rc;
}
