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
	if (strcmp(key, "http01_port") == 0)
		return set_port(&a->http01_port, val);
	if (strcmp(key, "tlsalpn01_port") == 0)
		return set_port(&a->tlsalpn01_port, val);
	return pol_unknown_key(pol_acme_keys, pol_nacme_keys);
}
