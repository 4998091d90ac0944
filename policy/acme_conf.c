/*
 * The [acme] section of minica.conf: what 'minica acme serve' listens on,
 * the name it serves under, and how it validates.  Values are checked as
 * they are read (file:line errors come from config.c); the profile and
 * hostname are checked against the CA when the server starts.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

const struct pol_keydef pol_acme_keys[] = {
	{ "listen", "ADDR:PORT 'minica acme serve' listens on (default 127.0.0.1:443; "
	    "--listen overrides it)" },
	{ "hostname", "the server's name in every URL and in its own certificate; "
	    "must be inside the CA's domains" },
	{ "eab", "required: new accounts need an External Account Binding from "
	    "'minica acme eab new' (default); no: anyone who reaches the server may register" },
	{ "profile", "the profile ACME certificates follow: lifetime, EKU, key types "
	    "(default server)" },
	{ "resolver", "HOST:PORT of the DNS server validation lookups ask (default "
	    "those in /etc/resolv.conf)" },
	{ "http01_port", "the port http-01 validation connects to (default 80)" },
	{ "tlsalpn01_port", "the port tls-alpn-01 validation connects to (default 443)" },
	{ "tls", "no: plain HTTP on the loopback address only, for running behind "
	    "a local proxy ('minica snippet nginx-acme'); default yes" },
	{ "url", "https://HOSTNAME[:PORT] the clients reach the server at, when that is not "
	    "https://HOSTNAME:PORT of listen (tls = yes) or https://HOSTNAME (tls = no, the proxy on 443)" },
};
const size_t pol_nacme_keys = sizeof(pol_acme_keys) / sizeof(pol_acme_keys[0]);

void
pol_acme_defaults(struct pol_acme *a)
{
	memset(a, 0, sizeof(*a));
	a->eab_required = 1;
	a->http01_port = 80;
	a->tlsalpn01_port = 443;
	a->tls = 1;
}

void
pol_acme_free(struct pol_acme *a)
{
	free(a->listen);
	free(a->hostname);
	free(a->profile);
	free(a->resolver);
	free(a->url);
	pol_acme_defaults(a);
}

static int
port_of(const char *s, int *port)
{
	char *end;
	long p;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	p = strtol(s, &end, 10);
	if (*end != '\0' || p < 1 || p > 65535)
		return -1;
	*port = (int)p;
	return 0;
}

int
pol_addr_port_split(const char *s, char *addr, size_t len, int *port)
{
	const char *colon = strrchr(s, ':');
	const char *host = s;
	size_t n;
	unsigned char ip[16];
	size_t iplen;

	if (colon == NULL || port_of(colon + 1, port) < 0)
		goto bad;
	n = (size_t)(colon - s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		host = s + 1;
		n -= 2;
	}
	if (n == 0 || n >= len)
		goto bad;
	memcpy(addr, host, n);
	addr[n] = '\0';
	if (pol_ip_parse(addr, ip, &iplen, NULL) < 0)
		goto bad;
	return 0;
bad:
	mc_seterr("'%s' is not ADDR:PORT (an IP address and a port, e.g. 127.0.0.1:14000)", s);
	return -1;
}

static int
set_text(char **dst, const char *val)
{
	char *v = mc_strdup(val);

	if (v == NULL)
		return -1;
	free(*dst);
	*dst = v;
	return 0;
}

static int
set_port(int *dst, const char *val)
{
	if (port_of(val, dst) < 0) {
		mc_seterr("expected a port number from 1 to 65535");
		return -1;
	}
	return 0;
}

static int
set_choice(int *dst, const char *val, const char *yes, const char *no)
{
	if (strcmp(val, yes) == 0 || strcmp(val, "yes") == 0)
		*dst = 1;
	else if (strcmp(val, no) == 0)
		*dst = 0;
	else {
		mc_seterr("expected %s or %s", yes, no);
		return -1;
	}
	return 0;
}

/* https://HOST[:PORT], nothing after: the base every ACME URL starts
 * with (RFC 8555 §6.1: HTTPS).  Kept with HOST normalised. */
static int
set_url(char **dst, const char *val)
{
	const char *host = val + 8, *colon;
	char *name = NULL;
	int port = 443, rc = -1;
	size_t n;

	if (strncmp(val, "https://", 8) != 0 || (n = strcspn(host, ":/?#")) == 0 ||
	    (host[n] != '\0' && host[n] != ':'))
		goto bad;
	colon = host[n] == ':' ? host + n : NULL;
	if ((colon != NULL && port_of(colon + 1, &port) < 0) || (name = pol_hostname_normalize(host, n, 0)) == NULL)
		goto bad;
	free(*dst);
	if ((*dst = malloc(strlen(name) + 16)) == NULL) {
		mc_seterr("out of memory");
		goto out;
	}
	if (port == 443)
		sprintf(*dst, "https://%s", name);
	else
		sprintf(*dst, "https://%s:%d", name, port);
	rc = 0;
	goto out;
bad:
	mc_seterr("expected https://HOSTNAME or https://HOSTNAME:PORT, nothing after (the ACME paths are added)");
out:
	free(name);
	return rc;
}

int
pol_acme_base_url(const struct pol_acme *a, int port, char *out, size_t len)
{
	const char *h = a->url != NULL ? a->url + 8 : NULL;
	size_t n = h != NULL ? strcspn(h, ":") : 0;

	if (a->hostname == NULL) {
		mc_seterr("[acme] hostname is not set");
		return -1;
	}
	if (h != NULL && (n != strlen(a->hostname) || strncmp(h, a->hostname, n) != 0)) {
		mc_seterr("[acme] url = %s names another host than hostname = %s (the name in the server's "
		    "certificate and the proxy's)", a->url, a->hostname);
		return -1;
	}
	if (a->url != NULL)
		snprintf(out, len, "%s", a->url);
	else if (a->tls && port != 443)
		snprintf(out, len, "https://%s:%d", a->hostname, port);
	else
		snprintf(out, len, "https://%s", a->hostname);
	return 0;
}

int
pol_acme_set(struct pol_acme *a, const char *key, const char *val)
{
	char addr[64], *host;
	int port;

	if (strcmp(key, "listen") == 0)
		return pol_addr_port_split(val, addr, sizeof(addr), &port) < 0 ? -1 : set_text(&a->listen, val);
	if (strcmp(key, "resolver") == 0)
		return pol_addr_port_split(val, addr, sizeof(addr), &port) < 0 ? -1 : set_text(&a->resolver, val);
	if (strcmp(key, "hostname") == 0) {
		if ((host = pol_hostname_normalize(val, strlen(val), 0)) == NULL)
			return -1;
		free(a->hostname);
		a->hostname = host;
		return 0;
	}
	if (strcmp(key, "profile") == 0) {
		if (!pol_profile_name_valid(val)) {
			mc_seterr("a profile name is 1-32 lowercase letters, digits, '-' and '_'");
			return -1;
		}
		return set_text(&a->profile, val);
	}
	if (strcmp(key, "eab") == 0)
		return set_choice(&a->eab_required, val, "required", "no");
	if (strcmp(key, "tls") == 0)
		return set_choice(&a->tls, val, "yes", "no");
	if (strcmp(key, "url") == 0)
		return set_url(&a->url, val);
	if (strcmp(key, "http01_port") == 0)
		return set_port(&a->http01_port, val);
	if (strcmp(key, "tlsalpn01_port") == 0)
		return set_port(&a->tlsalpn01_port, val);
	return pol_unknown_key(pol_acme_keys, pol_nacme_keys);
}
