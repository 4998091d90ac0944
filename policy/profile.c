/*
 * policy/profile.c: the rules for every profile key, whether it comes
 * from the built-in table (builtins.c) or from minica.conf.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

#define NAME_MAX_LEN 32
#define OWNER_MAX 32
#define TIMEOUT_MAX 3600

const struct pol_keydef pol_profile_keys[] = {
	{ "description", "one line saying what the profile is for" },
	{ "default_days", "lifetime when --days is not given (default 397)" },
	{ "max_days", "the longest --days allowed; at most 825 with serverAuth "
	    "(Apple's rule, private roots included), else at most 3650" },
	{ "key_type", "rsa2048 (default, every mail client), rsa3072, rsa4096, "
	    "ec256 or ec384" },
	{ "eku", "extended key usage: serverAuth, clientAuth or both, comma-separated" },
	{ "email_cn", "yes: the CN may be an e-mail address (client certificates)" },
	{ "cert_file", "where 'minica deploy' installs certificate + chain; none: no deployment" },
	{ "cert_mode", "octal file mode of cert_file (0644)" },
	{ "cert_owner", "user owning cert_file (root)" },
	{ "cert_group", "group of cert_file (root)" },
	{ "key_file", "where 'minica deploy' installs the private key; none: no deployment" },
	{ "key_mode", "octal mode of key_file: never group- or world-readable (0600)" },
	{ "key_owner", "user owning key_file (root)" },
	{ "key_group", "group of key_file (root)" },
	{ "reload", "command run after deploy, without a shell, split at spaces; none: nothing" },
	{ "running", "command (no shell) whose exit 0 means the service runs; when it fails "
	    "the files are deployed and the reload skipped; none: always reload" },
	{ "probe", "host:port[/smtp|/imap] list 'minica check' connects to "
	    "(/smtp, /imap: STARTTLS); none: no probes" },
	{ "dane", "yes: DANE for this service: 'minica dane' prints its TLSA records and "
	    "'check --dane' looks them up (default yes for smtpd)" },
	{ "dane_port", "the port of its TLSA records, _PORT._tcp.HOST (default 25)" },
};
const size_t pol_nprofile_keys = sizeof(pol_profile_keys) / sizeof(pol_profile_keys[0]);

const struct pol_keydef pol_minica_keys[] = {
	{ "reload_timeout", "seconds a reload command may take before it is "
	    "killed and reported (default 30)" },
	{ "ca_cert", "where 'minica deploy' installs the root certificate for "
	    "local clients; none: nowhere" },
	{ "ca_cert_mode", "octal mode of ca_cert (0644)" },
	{ "ca_cert_owner", "user owning ca_cert (root)" },
	{ "ca_cert_group", "group of ca_cert (root)" },
	{ "dnssec_trust_anchor", "DNSSEC trust anchor file (DS or DNSKEY lines) for "
	    "'check --dane' (default " POL_ROOT_TRUST_ANCHOR ")" },
	{ "resolver", "address[@port] of the DNS resolver 'check --dane' asks "
	    "(default: those in /etc/resolv.conf)" },
	{ "domains", "for a root without name constraints (one 'minica import' "
	    "adopted): the domains issue accepts names at or below, comma-separated; "
	    "--any-domain overrides it" },
	{ "crl_url", "http:// URL where the CRL ('minica crl') is published: new "
	    "certificates carry it as their CRL distribution point (default none)" },
};
const size_t pol_nminica_keys = sizeof(pol_minica_keys) / sizeof(pol_minica_keys[0]);

/* Decimal digits only: "397 days", "+397", " 397" and "3.9e2" are typos. */
static int
parse_uint(const char *val, long min, long max, long *out)
{
	char *end;
	long v;

	if (val[0] < '0' || val[0] > '9') {
		mc_seterr("not a number");
		return -1;
	}
	errno = 0;
	v = strtol(val, &end, 10);
	if (*end != '\0') {
		mc_seterr("not a number");
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		mc_seterr("must be between %ld and %ld", min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int
parse_mode(const char *val, mode_t *out)
{
	char *end;
	long v;

	if (strspn(val, "01234567") != strlen(val) || strlen(val) < 3 || strlen(val) > 4) {
		mc_seterr("not an octal file mode like 0644");
		return -1;
	}
	v = strtol(val, &end, 8);
	if (v > 0777) {
		mc_seterr("more than 0777 (no setuid, setgid or sticky bits)");
		return -1;
	}
	*out = (mode_t)v;
	return 0;
}

/* User and group names as useradd takes them, or a numeric id. */
static int
check_owner(const char *val)
{
	size_t n = strlen(val);

	if (n == 0 || n > OWNER_MAX || val[0] == '-' ||
	    strspn(val, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") != n) {
		mc_seterr("not a user or group name");
		return -1;
	}
	return 0;
}

static int
replace(char **dst, const char *val)
{
	char *s = mc_strdup(val);

	if (s == NULL)
		return -1;
	free(*dst);
	*dst = s;
	return 0;
}

/* "none" clears a path; anything else must be absolute (deploy adds --root). */
static int
set_path(char **dst, const char *val)
{
	if (strcmp(val, "none") == 0) {
		free(*dst);
		*dst = NULL;
		return 0;
	}
	if (val[0] != '/' || val[strlen(val) - 1] == '/') {
		mc_seterr("not an absolute file path (or none)");
		return -1;
	}
	for (const char *p = val; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			mc_seterr("control character in path");
			return -1;
		}
	/* "/etc/ssl/../../x" would leave --root: no . or .. components. */
	for (const char *p = val; (p = strchr(p, '/')) != NULL; p++)
		if ((p[1] == '.' && (p[2] == '/' || p[2] == '\0')) ||
		    (p[1] == '.' && p[2] == '.' && (p[3] == '/' || p[3] == '\0'))) {
			mc_seterr("'.' and '..' are refused in paths (they could leave --root); write the path itself");
			return -1;
		}
	return replace(dst, val);
}

/* Splits at commas, trimming blanks; empty items are typos. */
static int
split_list(const char *val, struct mc_strv *out)
{
	const char *p = val;

	for (;;) {
		size_t n = strcspn(p, ",");
		char item[256];

		while (n > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 0 || n >= sizeof(item)) {
			mc_seterr(n == 0 ? "empty item in list" : "list item too long");
			return -1;
		}
		memcpy(item, p, n);
		item[n] = '\0';
		if (mc_strv_push(out, item) < 0)
			return -1;
		p += strcspn(p, ",");
		if (*p == '\0')
			return 0;
		p++;
	}
}

static int
set_eku(struct pol_profile *p, const char *val)
{
	struct mc_strv v = { 0 };

	if (split_list(val, &v) < 0)
		goto bad;
	for (size_t i = 0; i < v.n; i++) {
		if (strcmp(v.v[i], "serverAuth") != 0 && strcmp(v.v[i], "clientAuth") != 0) {
			mc_seterr("unknown usage '%s' (expected serverAuth, "
			    "clientAuth or both)", v.v[i]);
			goto bad;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(v.v[i], v.v[j]) == 0) {
				mc_seterr("'%s' given twice", v.v[i]);
				goto bad;
			}
	}
	mc_strv_free(&p->eku);
	p->eku = v;
	p->server = mc_strv_has(&p->eku, "serverAuth");
	return 0;
bad:
	mc_strv_free(&v);
	return -1;
}

/* argv for execvp: no shell, so no quoting and no surprises from $ or ;. */
static int
set_command(struct mc_strv *dst, const char *val)
{
	struct mc_strv v = { 0 };
	const char *s = val;

	while (strcmp(val, "none") != 0 && *s != '\0') {
		size_t n;
		char word[256];

		s += strspn(s, " \t");
		if ((n = strcspn(s, " \t")) == 0)
			break;
		if (n >= sizeof(word)) {
			mc_seterr("argument too long");
			mc_strv_free(&v);
			return -1;
		}
		memcpy(word, s, n);
		word[n] = '\0';
		if (mc_strv_push(&v, word) < 0) {
			mc_strv_free(&v);
			return -1;
		}
		s += n;
	}
	if (v.n == 0 && strcmp(val, "none") != 0) {
		mc_seterr("empty command (write none for no command)");
		return -1;
	}
	mc_strv_free(dst);
	*dst = v;
	return 0;
}

static void
probes_free(struct pol_probe *pr, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(pr[i].host);
		free(pr[i].starttls);
	}
	free(pr);
}

/* "host:port", "host:port/smtp", "[2001:db8::1]:993". */
static int
parse_probe(const char *item, struct pol_probe *out)
{
	char buf[300], *host = buf, *port, *proto;
	unsigned char ip[16];
	size_t iplen;
	long num;

	if (strlen(item) >= sizeof(buf)) {
		mc_seterr("probe '%.40s...': too long", item);
		return -1;
	}
	strcpy(buf, item);
	if ((proto = strchr(buf, '/')) != NULL)
		*proto++ = '\0';
	if ((port = strrchr(buf, ':')) == NULL || port == buf) {
		mc_seterr("probe '%s': expected host:port[/smtp|/imap]", item);
		return -1;
	}
	*port++ = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		host[strlen(host) - 1] = '\0';
		host++;
	} else if (strchr(host, ':') != NULL) {
		mc_seterr("probe '%s': write an IPv6 address in brackets, "
		    "[2001:db8::1]:443", item);
		return -1;
	}
	if (parse_uint(port, 1, 65535, &num) < 0) {
		mc_preferr("probe '%s': port", item);
		return -1;
	}
	if (proto != NULL && strcmp(proto, "smtp") != 0 && strcmp(proto, "imap") != 0) {
		mc_seterr("probe '%s': unknown STARTTLS protocol '%s' (smtp or "
		    "imap; nothing for implicit TLS)", item, proto);
		return -1;
	}
	if (pol_ip_parse(host, ip, &iplen, NULL) < 0) {
		char *n = pol_hostname_normalize(host, strlen(host), 0);

		if (n == NULL) {
			mc_preferr("probe '%s'", item);
			return -1;
		}
		free(n);
	}
	out->port = (int)num;
	if ((out->host = mc_strdup(host)) == NULL ||
	    (proto != NULL && (out->starttls = mc_strdup(proto)) == NULL))
		return -1;
	return 0;
}

static int
set_probes(struct pol_profile *p, const char *val)
{
	struct mc_strv items = { 0 };
	struct pol_probe *pr = NULL;
	size_t n = 0;
	int rc = -1;

	if (strcmp(val, "none") != 0) {
		if (split_list(val, &items) < 0)
			goto out;
		if ((pr = calloc(items.n, sizeof(*pr))) == NULL) {
			mc_seterr("out of memory");
			goto out;
		}
		for (n = 0; n < items.n; n++)
			if (parse_probe(items.v[n], &pr[n]) < 0) {
				n++;	/* free the partly filled one too */
				goto out;
			}
	}
	probes_free(p->probes, p->nprobes);
	p->probes = pr;
	p->nprobes = n;
	pr = NULL;
	n = 0;
	rc = 0;
out:
	probes_free(pr, n);
	mc_strv_free(&items);
	return rc;
}

static int
set_days(int *dst, const char *val)
{
	long v;

	if (parse_uint(val, 1, POL_ANY_MAX_DAYS, &v) < 0)
		return -1;
	*dst = (int)v;
	return 0;
}

/* The cert_* and key_* keys: which target, then which field. */
static int
set_target(struct pol_target *t, const char *field, const char *val, int secret)
{
	if (strcmp(field, "file") == 0 || field[0] == '\0')
		return set_path(&t->path, val);
	if (strcmp(field, "mode") == 0) {
		mode_t m;

		if (parse_mode(val, &m) < 0)
			return -1;
		if (m & 002) {
			mc_seterr("mode %04o lets anyone replace the file (a trust anchor or a "
			    "certificate); use 0644", (unsigned)m);
			return -1;
		}
		/* Debian's ssl-cert group habit (0640) is refused on purpose:
		 * every extra reader of a key is one more way to lose it. */
		if (secret && (m & 077) != 0) {
			mc_seterr("a private key must not be readable or writable "
			    "by group or others (use 0600 or 0400)");
			return -1;
		}
		t->mode = m;
		return 0;
	}
	if (check_owner(val) < 0)
		return -1;
	return replace(strcmp(field, "owner") == 0 ? &t->owner : &t->group, val);
}

static int
set_bool(int *dst, const char *val)
{
	if (strcmp(val, "yes") == 0 || strcmp(val, "true") == 0 || strcmp(val, "1") == 0)
		*dst = 1;
	else if (strcmp(val, "no") == 0 || strcmp(val, "false") == 0 || strcmp(val, "0") == 0)
		*dst = 0;
	else {
		mc_seterr("expected yes or no");
		return -1;
	}
	return 0;
}

int
pol_unknown_key(const struct pol_keydef *keys, size_t n)
{
	struct mc_buf b = { 0 };

	for (size_t i = 0; i < n; i++)
		if (mc_buf_printf(&b, "%s%s", i ? ", " : "", keys[i].name) < 0)
			return -1;
	mc_seterr("unknown key (known keys: %s)", b.p);
	mc_buf_free(&b);
	return -1;
}

int
pol_profile_set(struct pol_profile *p, const char *key, const char *val)
{
	if (strcmp(key, "description") == 0)
		return replace(&p->description, val);
	if (strcmp(key, "default_days") == 0)
		return set_days(&p->default_days, val);
	if (strcmp(key, "max_days") == 0)
		return set_days(&p->max_days, val);
	if (strcmp(key, "key_type") == 0) {
		if (!pol_key_type_valid(val)) {
			mc_seterr("unknown key type (rsa2048, rsa3072, rsa4096, ec256 or ec384)");
			return -1;
		}
		return replace(&p->key_type, val);
	}
	if (strcmp(key, "eku") == 0)
		return set_eku(p, val);
	if (strcmp(key, "email_cn") == 0)
		return set_bool(&p->email_cn, val);
	/* The built-in running check goes with the built-in reload: a
	 * reload of one's own drops it unless running is given too. */
	if (strcmp(key, "reload") == 0) {
		if (!p->running_given)
			mc_strv_free(&p->running);
		return set_command(&p->reload, val);
	}
	if (strcmp(key, "running") == 0) {
		p->running_given = 1;
		return set_command(&p->running, val);
	}
	if (strcmp(key, "probe") == 0)
		return set_probes(p, val);
	if (strcmp(key, "dane") == 0)
		return set_bool(&p->dane, val);
	if (strcmp(key, "dane_port") == 0) {
		long v;

		if (parse_uint(val, 1, 65535, &v) < 0)
			return -1;
		p->dane_port = (int)v;
		return 0;
	}
	if (strncmp(key, "cert_", 5) == 0 && (strcmp(key + 5, "file") == 0 ||
	    strcmp(key + 5, "mode") == 0 || strcmp(key + 5, "owner") == 0 ||
	    strcmp(key + 5, "group") == 0))
		return set_target(&p->cert, key + 5, val, 0);
	if (strncmp(key, "key_", 4) == 0 && (strcmp(key + 4, "file") == 0 ||
	    strcmp(key + 4, "mode") == 0 || strcmp(key + 4, "owner") == 0 ||
	    strcmp(key + 4, "group") == 0))
		return set_target(&p->key, key + 4, val, 1);
	return pol_unknown_key(pol_profile_keys, pol_nprofile_keys);
}

/* An IP address, optionally "@port", as libunbound's ub_ctx_set_fwd
 * takes it; a name would need a resolver to find the resolver. */
static int
set_resolver(struct pol_config *cfg, const char *val)
{
	char host[64];
	const char *at = strchr(val, '@');
	size_t n = at != NULL ? (size_t)(at - val) : strlen(val);
	unsigned char ip[16];
	size_t iplen;
	long port;

	if (n == 0 || n >= sizeof(host)) {
		mc_seterr("expected an IP address, optionally @port (127.0.0.1@5353)");
		return -1;
	}
	memcpy(host, val, n);
	host[n] = '\0';
	if (pol_ip_parse(host, ip, &iplen, NULL) < 0 ||
	    (at != NULL && parse_uint(at + 1, 1, 65535, &port) < 0)) {
		mc_seterr("expected an IP address, optionally @port (127.0.0.1@5353)");
		return -1;
	}
	return replace(&cfg->resolver, val);
}

int
pol_minica_set(struct pol_config *cfg, const char *key, const char *val)
{
	long v;
	int rc;

	if (strcmp(key, "reload_timeout") == 0) {
		if (parse_uint(val, 1, TIMEOUT_MAX, &v) < 0)
			return -1;
		cfg->reload_timeout = (int)v;
		return 0;
	}
	if (strcmp(key, "ca_cert") == 0)
		return set_target(&cfg->ca_cert, "", val, 0);
	if (strcmp(key, "ca_cert_mode") == 0 || strcmp(key, "ca_cert_owner") == 0 ||
	    strcmp(key, "ca_cert_group") == 0)
		return set_target(&cfg->ca_cert, key + 8, val, 0);
	if (strcmp(key, "dnssec_trust_anchor") == 0) {
		if (val[0] != '/') {
			mc_seterr("not an absolute file path");
			return -1;
		}
		return replace(&cfg->dnssec_trust_anchor, val);
	}
	if (strcmp(key, "resolver") == 0)
		return set_resolver(cfg, val);
	if ((rc = pol_minica_set_scope(cfg, key, val)) <= 0)
		return rc;
	return pol_unknown_key(pol_minica_keys, pol_nminica_keys);
}

int
pol_profile_check(const struct pol_profile *p, const char *keys[2])
{
	keys[0] = keys[1] = NULL;
	if (p->eku.n == 0) {
		keys[0] = "eku";
		mc_seterr("a profile must set eku (serverAuth, clientAuth or both)");
		return -1;
	}
	if (p->server && p->max_days > POL_SERVER_MAX_DAYS) {
		keys[0] = "max_days";
		keys[1] = "eku";
		mc_seterr("more than 825 days with serverAuth: Apple requires "
		    "825 days or less for every TLS server certificate, "
		    "including those from private roots");
		return -1;
	}
	if (p->default_days > p->max_days) {
		keys[0] = "default_days";
		keys[1] = "max_days";
		mc_seterr("default_days (%d) is more than max_days (%d)",
		    p->default_days, p->max_days);
		return -1;
	}
	if ((p->cert.path == NULL) != (p->key.path == NULL)) {
		keys[0] = p->cert.path == NULL ? "key_file" : "cert_file";
		keys[1] = p->cert.path == NULL ? "cert_file" : "key_file";
		mc_seterr("cert_file and key_file must both be set or both be none");
		return -1;
	}
	return 0;
}

int
pol_profile_name_valid(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= NAME_MAX_LEN && name[0] != '-' && name[0] != '_' &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

int
pol_target_defaults(struct pol_target *t, mode_t mode)
{
	t->mode = mode;
	if ((t->owner = mc_strdup("root")) == NULL || (t->group = mc_strdup("root")) == NULL)
		return -1;
	return 0;
}

struct pol_profile *
pol_profile_new(struct pol_config *cfg, const char *name)
{
	struct pol_profile *np, *p;

	np = realloc(cfg->profiles, (cfg->nprofiles + 1) * sizeof(*np));
	if (np == NULL) {
		mc_seterr("out of memory");
		return NULL;
	}
	cfg->profiles = np;
	p = &np[cfg->nprofiles++];
	memset(p, 0, sizeof(*p));
	p->default_days = POL_SERVER_DEFAULT_DAYS;
	p->max_days = POL_SERVER_MAX_DAYS;
	p->dane_port = 25;
	if ((p->name = mc_strdup(name)) == NULL ||
	    (p->description = mc_strdup("")) == NULL ||
	    (p->key_type = mc_strdup("rsa2048")) == NULL ||
	    pol_target_defaults(&p->cert, 0644) < 0 || pol_target_defaults(&p->key, 0600) < 0)
		return NULL;
	return p;
}

static void
target_free(struct pol_target *t)
{
	free(t->path);
	free(t->owner);
	free(t->group);
	memset(t, 0, sizeof(*t));
}

void
pol_config_free(struct pol_config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->nprofiles; i++) {
		struct pol_profile *p = &cfg->profiles[i];

		free(p->name);
		free(p->description);
		free(p->key_type);
		mc_strv_free(&p->eku);
		target_free(&p->cert);
		target_free(&p->key);
		mc_strv_free(&p->reload);
		mc_strv_free(&p->running);
		probes_free(p->probes, p->nprobes);
	}
	free(cfg->profiles);
	free(cfg->path);
	free(cfg->dnssec_trust_anchor);
	free(cfg->resolver);
	target_free(&cfg->ca_cert);
	pol_scope_free(cfg);
	pol_acme_free(&cfg->acme);
	memset(cfg, 0, sizeof(*cfg));
}

/* Exact first, then ignoring case (profile names are typed as serials are). */
const struct pol_profile *
pol_profile_find(const struct pol_config *cfg, const char *name)
{
	struct mc_buf known = { 0 };
	const char *names[64], *near;
	size_t n = 0;

	for (size_t i = 0; cfg != NULL && name != NULL && i < cfg->nprofiles; i++)
		if (strcmp(cfg->profiles[i].name, name) == 0)
			return &cfg->profiles[i];
	for (size_t i = 0; cfg != NULL && name != NULL && i < cfg->nprofiles; i++)
		if (strcasecmp(cfg->profiles[i].name, name) == 0)
			return &cfg->profiles[i];
	for (size_t i = 0; cfg != NULL && i < cfg->nprofiles; i++) {
		if (n < 64)
			names[n++] = cfg->profiles[i].name;
		if (mc_buf_printf(&known, "%s%s", i ? ", " : "", cfg->profiles[i].name) < 0)
			return NULL;
	}
	if ((near = mc_suggest(name, names, n)) != NULL)
		mc_seterr("unknown profile '%s'; did you mean '%s'? (known: %s)", name, near, known.p);
	else
		mc_seterr("unknown profile '%s' (known: %s)", name != NULL ? name : "",
		    known.p != NULL ? known.p : "none");
	mc_buf_free(&known);
	return NULL;
}

static int
write_target(const struct pol_target *t, const char *prefix, const char *k,
    const char *filekey, struct mc_buf *out)
{
	return mc_buf_printf(out, "%s%s = %s\n%s%s_mode = %04o\n%s%s_owner = %s\n"
	    "%s%s_group = %s\n", prefix, filekey, t->path != NULL ? t->path : "none",
	    prefix, k, (unsigned)t->mode, prefix, k, t->owner, prefix, k, t->group);
}

int
pol_profile_write(const struct pol_profile *p, const char *prefix, struct mc_buf *out)
{
	char *eku = NULL, *reload = NULL, *running = NULL;
	int rc = -1;

	if ((eku = mc_strv_join(&p->eku, ", ")) == NULL ||
	    (reload = mc_strv_join(&p->reload, " ")) == NULL ||
	    (running = mc_strv_join(&p->running, " ")) == NULL)
		goto out;
	if (mc_buf_printf(out, "%sdescription = %s\n%sdefault_days = %d\n"
	    "%smax_days = %d\n%skey_type = %s\n%seku = %s\n%semail_cn = %s\n",
	    prefix, p->description, prefix, p->default_days, prefix, p->max_days,
	    prefix, p->key_type, prefix, eku, prefix, p->email_cn ? "yes" : "no") < 0 ||
	    write_target(&p->cert, prefix, "cert", "cert_file", out) < 0 ||
	    write_target(&p->key, prefix, "key", "key_file", out) < 0 ||
	    mc_buf_printf(out, "%sreload = %s\n%srunning = %s\n%sprobe = ", prefix,
	    p->reload.n > 0 ? reload : "none", prefix, p->running.n > 0 ? running : "none", prefix) < 0)
		goto out;
	for (size_t i = 0; i < p->nprobes; i++) {
		const struct pol_probe *pr = &p->probes[i];
		int v6 = strchr(pr->host, ':') != NULL;

		if (mc_buf_printf(out, "%s%s%s%s:%d%s%s", i ? ", " : "", v6 ? "[" : "",
		    pr->host, v6 ? "]" : "", pr->port, pr->starttls ? "/" : "",
		    pr->starttls ? pr->starttls : "") < 0)
			goto out;
	}
	rc = mc_buf_printf(out, "%s\n%sdane = %s\n%sdane_port = %d\n", p->nprobes > 0 ? "" : "none",
	    prefix, p->dane ? "yes" : "no", prefix, p->dane_port);
out:
	free(eku);
	free(reload);
	free(running);
	return rc;
}

int
pol_profiles_share_targets(const struct pol_profile *p, const struct pol_profile *q)
{
	return p == q || (p->cert.path && q->cert.path && strcmp(p->cert.path, q->cert.path) == 0) ||
	    (p->key.path && q->key.path && strcmp(p->key.path, q->key.path) == 0);
}
