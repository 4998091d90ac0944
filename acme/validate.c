/* Challenge validation: http-01 (RFC 8555 §8.3) with libcurl; ARI certIDs. */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <unbound.h>
#include <openssl/x509v3.h>

#include "../ca/ca.h"
#include "acme.h"

struct body {
	char data[ACME_HTTP01_MAX_BYTES + 1];
	size_t len;
};

/* Bounded bytes: a target that sends more fails the fetch. */
static size_t
on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb;

	if (n > ACME_HTTP01_MAX_BYTES - b->len)
		return 0;
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	return n;
}

static void
curl_setup(CURL *c, const char *url, struct body *b)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)ACME_HTTP01_MAX_REDIRS);
	/* RFC 8555 §8.3: redirects only to http or https (on 80 or 443 in
	 * the RFC; the test ports are the configuration's). */
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)ACME_HTTP01_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)ACME_HTTP01_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* The certificate of a redirect target is not what is validated. */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "minica-acme/" MINICA_VERSION);
}

int
acme_http01_check(const char *domain, int port, const char *token, const char *keyauth, struct acme_problem *p)
{
	struct body *b = calloc(1, sizeof(*b));
	CURL *c = curl_easy_init();
	char url[600];
	long code = 0;
	CURLcode cr;
	int rc = -1;

	if (b == NULL || c == NULL) {
		acme_problem_set(p, 500, "serverInternal", "out of memory");
		goto out;
	}
	/* An IPv6 identifier (RFC 8738 §4) in brackets, as RFC 3986 §3.2.2 wants. */
	snprintf(url, sizeof(url), strchr(domain, ':') != NULL ? "http://[%s]:%d/.well-known/acme-challenge/%s"
	    : "http://%s:%d/.well-known/acme-challenge/%s", domain, port, token);
	curl_setup(c, url, b);
	if ((cr = curl_easy_perform(c)) != CURLE_OK) {
		/* A body past the bound is a wrong answer, not a network failure. */
		acme_problem_set(p, 400, cr == CURLE_COULDNT_RESOLVE_HOST ? "dns" :
		    cr == CURLE_WRITE_ERROR ? "incorrectResponse" : "connection",
		    "fetching %s: %s", url, cr == CURLE_WRITE_ERROR ? "response over 8 KiB" : curl_easy_strerror(cr));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200) {
		acme_problem_set(p, 403, "unauthorized", "fetching %s: HTTP status %ld", url, code);
		goto out;
	}
	/* §8.3: the body is the key authorization; trailing white space is allowed. */
	while (b->len > 0 && strchr(" \t\r\n", b->data[b->len - 1]) != NULL)
		b->len--;
	b->data[b->len] = '\0';
	if (strcmp(b->data, keyauth) != 0) {
		acme_problem_set(p, 403, "incorrectResponse", "the key authorization at %s does not match", url);
		goto out;
	}
	rc = 0;
out:
	curl_easy_cleanup(c);
	free(b);
	return rc;
}

/* A TXT record's rdata: <len><bytes>... strings, joined (RFC 1035 §3.3.14). */
static int
txt_equals(const unsigned char *d, size_t len, const char *want)
{
	char buf[512];
	size_t n = 0;

	for (size_t i = 0; i < len;) {
		size_t l = d[i++];

		if (l > len - i || n + l >= sizeof(buf))
			return 0;
		memcpy(buf + n, d + i, l);
		n += l;
		i += l;
	}
	buf[n] = '\0';
	return strcmp(buf, want) == 0;
}

static struct ub_ctx *
resolver_ctx(const char *resolver, struct acme_problem *p)
{
	struct ub_ctx *u = ub_ctx_create();
	char fwd[300];
	const char *colon = resolver != NULL ? strrchr(resolver, ':') : NULL;

	if (u == NULL)
		return acme_problem_set(p, 500, "serverInternal", "cannot start the DNS resolver"), NULL;
	if (resolver == NULL) {
		if (ub_ctx_resolvconf(u, NULL) != 0)
			goto fail;
		return u;
	}
	/* HOST:PORT as unbound spells it, HOST@PORT; a local one is allowed.
	 * No QNAME minimisation: a test server's NXDOMAIN for "test." would
	 * otherwise stand for every name below it (RFC 8020). */
	if (colon != NULL)
		snprintf(fwd, sizeof(fwd), "%.*s@%s", (int)(colon - resolver), resolver, colon + 1);
	else
		snprintf(fwd, sizeof(fwd), "%s", resolver);
	if (ub_ctx_set_option(u, "do-not-query-localhost:", "no") != 0 ||
	    ub_ctx_set_option(u, "qname-minimisation:", "no") != 0 || ub_ctx_set_fwd(u, fwd) != 0)
		goto fail;
	/* unbound answers RFC 6761's test. itself (NXDOMAIN); a resolver named
	 * here is asked instead (after set_fwd: this finalises the context). */
	if (ub_ctx_zone_remove(u, "test.") != 0)
		goto fail;
	return u;
fail:
	ub_ctx_delete(u);
	acme_problem_set(p, 500, "serverInternal", "cannot configure the DNS resolver");
	return NULL;
}

int
acme_dns01_check(const char *resolver, const char *domain, const char *keyauth, struct acme_problem *p)
{
	struct ub_ctx *u = resolver_ctx(resolver, p);
	struct ub_result *res = NULL;
	unsigned char md[32];
	char name[300], *want = NULL;
	int rc = -1;

	if (u == NULL)
		return -1;
	snprintf(name, sizeof(name), "_acme-challenge.%s", domain);
	if (EVP_Digest(keyauth, strlen(keyauth), md, NULL, EVP_sha256(), NULL) != 1 ||
	    (want = acme_b64url_encode(md, sizeof(md))) == NULL) {
		acme_problem_set(p, 500, "serverInternal", "cannot digest the key authorization");
		goto out;
	}
	if (ub_resolve(u, name, 16 /* TXT */, 1 /* IN */, &res) != 0 || res == NULL) {
		acme_problem_set(p, 400, "dns", "cannot look up TXT %s", name);
		goto out;
	}
	for (int i = 0; res->havedata && res->data[i] != NULL; i++)
		if (txt_equals((unsigned char *)res->data[i], (size_t)res->len[i], want)) {
			rc = 0;
			goto out;
		}
	acme_problem_set(p, 403, "unauthorized", "no TXT record at %s holds the key authorization digest%s", name,
	    res->nxdomain ? " (NXDOMAIN)" : "");
out:
	ub_resolve_free(res);
	ub_ctx_delete(u);
	free(want);
	return rc;
}

char *
acme_ari_cert_id(const unsigned char *der, size_t len)
{
	const unsigned char *q = der;
	X509 *x = d2i_X509(NULL, &q, (long)len);
	const ASN1_OCTET_STRING *kid;
	const ASN1_INTEGER *sn;
	char *a = NULL, *s = NULL, *id = NULL;

	if (x == NULL || (kid = X509_get0_authority_key_id(x)) == NULL) {
		mc_seterr("certificate has no authority key identifier");
		goto out;
	}
	sn = X509_get0_serialNumber(x);
	a = acme_b64url_encode(ASN1_STRING_get0_data(kid), (size_t)ASN1_STRING_length(kid));
	/* The DER content octets: a leading zero stays when the top bit is set. */
	{
		unsigned char buf[32], *w = buf;
		int n = i2d_ASN1_INTEGER(sn, NULL);

		if (n > 2 && n <= (int)sizeof(buf) && i2d_ASN1_INTEGER(sn, &w) == n)
			s = acme_b64url_encode(buf + 2, (size_t)n - 2);
	}
	if (a == NULL || s == NULL || asprintf(&id, "%s.%s", a, s) < 0)
		id = NULL;
out:
	X509_free(x);
	free(a);
	free(s);
	return id;
}

int
acme_ari_serial(const char *certid, char serial[48])
{
	const char *dot = strchr(certid, '.');
	unsigned char *raw = NULL;
	size_t len = 0;
	BIGNUM *bn = NULL;
	int rc = -1;

	if (dot == NULL || dot == certid || strchr(dot + 1, '.') != NULL ||
	    acme_b64url_decode(dot + 1, strlen(dot + 1), &raw, &len) < 0 || len == 0 || len > 21 ||
	    (raw[0] & 0x80) != 0) {
		mc_seterr("malformed ARI certID");
		goto out;
	}
	if ((bn = BN_bin2bn(raw, (int)len, NULL)) == NULL || ca_bn_serial_hex(bn, serial) < 0)
		goto out;
	rc = 0;
out:
	BN_free(bn);
	free(raw);
	return rc;
}
