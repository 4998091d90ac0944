/*
 * policy/config.c: minica.conf, read with OpenSSL NCONF on top of the
 * built-in profiles, and the commented default that init writes.
 *
 * NCONF keeps no line numbers once a file has parsed, so syntax errors
 * carry file:line and everything found later names [section] key = value.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/conf.h>
#include <openssl/err.h>

#include "internal.h"

#define PROFILE_PREFIX "profile."

static int
cmp_names(const char *const *a, const char *const *b)
{
	return strcmp(*a, *b);
}

/* Sets "'<path>': [<sect>] <key> = <val>: <current message>". */
static void
key_err(const char *path, const char *sect, const CONF_VALUE *v)
{
	mc_preferr("'%s': [%s] %s = %s", path, sect, v->name, v->value);
}

static const CONF_VALUE *
find_value(STACK_OF(CONF_VALUE) *vals, const char *key)
{
	for (int i = 0; key != NULL && i < sk_CONF_VALUE_num(vals); i++)
		if (strcmp(sk_CONF_VALUE_value(vals, i)->name, key) == 0)
			return sk_CONF_VALUE_value(vals, i);
	return NULL;
}

/*
 * Cross-key rules are checked once the whole section is applied; the
 * message points at whichever involved key this section set, since a
 * built-in value the user never wrote is not where the fix goes.
 */
static int
check_profile(const char *path, const char *sect, STACK_OF(CONF_VALUE) *vals,
    const struct pol_profile *p)
{
	const char *keys[2];
	const CONF_VALUE *v;

	if (pol_profile_check(p, keys) == 0)
		return 0;
	if ((v = find_value(vals, keys[0])) == NULL)
		v = find_value(vals, keys[1]);
	if (v != NULL)
		key_err(path, sect, v);
	else
		mc_preferr("'%s': [%s]", path, sect);
	return -1;
}

static int
apply_profile(const char *path, const char *sect, STACK_OF(CONF_VALUE) *vals,
    struct pol_config *cfg)
{
	const char *name = sect + strlen(PROFILE_PREFIX);
	struct pol_profile *p = NULL;

	if (!pol_profile_name_valid(name)) {
		mc_seterr("'%s': [%s]: a profile name is 1-32 lowercase letters, "
		    "digits, '-' and '_'", path, sect);
		return -1;
	}
	for (size_t i = 0; i < cfg->nprofiles; i++)
		if (strcmp(cfg->profiles[i].name, name) == 0)
			p = &cfg->profiles[i];
	if (p == NULL && (p = pol_profile_new(cfg, name)) == NULL)
		return -1;
	for (int i = 0; i < sk_CONF_VALUE_num(vals); i++) {
		const CONF_VALUE *v = sk_CONF_VALUE_value(vals, i);

		if (pol_profile_set(p, v->name, v->value) < 0) {
			key_err(path, sect, v);
			return -1;
		}
	}
	return check_profile(path, sect, vals, p);
}

static int
apply_section(const char *path, CONF *conf, const char *sect, struct pol_config *cfg)
{
	STACK_OF(CONF_VALUE) *vals = NCONF_get_section(conf, sect);
	int n = vals != NULL ? sk_CONF_VALUE_num(vals) : 0;

	if (strncmp(sect, PROFILE_PREFIX, strlen(PROFILE_PREFIX)) == 0)
		return apply_profile(path, sect, vals, cfg);
	if (strcmp(sect, "minica") == 0) {
		for (int i = 0; i < n; i++) {
			const CONF_VALUE *v = sk_CONF_VALUE_value(vals, i);

			if (pol_minica_set(cfg, v->name, v->value) < 0) {
				key_err(path, sect, v);
				return -1;
			}
		}
		return 0;
	}
	if (strcmp(sect, "acme") == 0) {
		for (int i = 0; i < n; i++) {
			const CONF_VALUE *v = sk_CONF_VALUE_value(vals, i);

			if (pol_acme_set(&cfg->acme, v->name, v->value) < 0) {
				key_err(path, sect, v);
				return -1;
			}
		}
		return 0;
	}
	/* NCONF files keys above the first [section] under "default". */
	if (strcmp(sect, "default") == 0) {
		if (n == 0)
			return 0;
		mc_seterr("'%s': %s = %s: key outside any section (put it under "
		    "[minica], [acme] or [profile.NAME])", path,
		    sk_CONF_VALUE_value(vals, 0)->name, sk_CONF_VALUE_value(vals, 0)->value);
		return -1;
	}
	mc_seterr("'%s': unknown section [%s] (expected [minica], [acme] or [profile.NAME])",
	    path, sect);
	return -1;
}

/* Parses bio; on a syntax error the message is "<path>:<line>: <reason>". */
static CONF *
parse(const char *path, BIO *bio)
{
	CONF *conf;
	long eline = 0;

	ERR_clear_error();
	if ((conf = NCONF_new(NULL)) == NULL) {
		mc_seterr_ssl("NCONF_new");
		return NULL;
	}
	if (NCONF_load_bio(conf, bio, &eline) != 1) {
		if (eline > 0)
			mc_seterr_ssl("%s:%ld", path, eline);
		else
			mc_seterr_ssl("cannot load '%s': NCONF_load_bio", path);
		NCONF_free(conf);
		return NULL;
	}
	return conf;
}

/* Sections in name order so errors and added profiles do not depend on
 * the order of NCONF's hash table. */
static int
apply_file(const char *path, BIO *bio, struct pol_config *cfg)
{
	STACK_OF(OPENSSL_CSTRING) *names = NULL;
	CONF *conf;
	int rc = -1;

	if ((conf = parse(path, bio)) == NULL)
		return -1;
	if ((names = NCONF_get_section_names(conf)) == NULL) {
		mc_seterr_ssl("'%s': NCONF_get_section_names", path);
		goto out;
	}
	(void)sk_OPENSSL_CSTRING_set_cmp_func(names, cmp_names);
	sk_OPENSSL_CSTRING_sort(names);
	for (int i = 0; i < sk_OPENSSL_CSTRING_num(names); i++)
		if (apply_section(path, conf, sk_OPENSSL_CSTRING_value(names, i), cfg) < 0)
			goto out;
	rc = 0;
out:
	sk_OPENSSL_CSTRING_free(names);
	NCONF_free(conf);
	return rc;
}

/* Built-ins, then bio (if not NULL) read as the file called path. */
static int
load_bio(const char *path, BIO *bio, struct pol_config *cfg)
{
	int rc = -1;

	memset(cfg, 0, sizeof(*cfg));
	if (pol_builtins(cfg) < 0)
		goto out;
	if (bio == NULL) {
		rc = 0;
		goto out;
	}
	if ((cfg->path = mc_strdup(path)) == NULL)
		goto out;
	rc = apply_file(path, bio, cfg);
out:
	if (rc < 0)
		pol_config_free(cfg);
	return rc;
}

/* Reads fp whole, at most POL_CONF_MAX bytes. */
static int
read_all(const char *path, FILE *fp, struct mc_buf *out)
{
	char chunk[4096];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (out->len + n > POL_CONF_MAX) {
			mc_seterr("cannot read '%s': larger than %d bytes", path, POL_CONF_MAX);
			return -1;
		}
		if (mc_buf_add(out, chunk, n) < 0)
			return -1;
	}
	if (ferror(fp)) {
		mc_seterr("cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
pol_config_load(const char *path, struct pol_config *cfg)
{
	struct mc_buf text = { 0 };
	FILE *fp = NULL;
	struct stat st;
	int rc = -1;

	memset(cfg, 0, sizeof(*cfg));
	if (path == NULL)
		return load_bio(NULL, NULL, cfg);
	/* fopen, not stat then NCONF_load: the file judged is the file read. */
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return load_bio(NULL, NULL, cfg);
		mc_seterr("cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	/* fopen succeeds on a directory; NCONF would then fail without a line. */
	if (fstat(fileno(fp), &st) < 0 || !S_ISREG(st.st_mode))
		mc_seterr("cannot read '%s': not a regular file", path);
	else if (read_all(path, fp, &text) == 0)
		rc = pol_config_load_mem(path, text.p != NULL ? text.p : "", text.len, cfg);
	fclose(fp);
	mc_buf_free(&text);
	return rc;
}

/* "$ENV::HOME" (also ${ENV::..}, $(ENV::..)) outside a comment: NCONF
 * would put the caller's environment into the policy. */
static int
no_env_refs(const char *name, const char *data, size_t len)
{
	size_t line = 1;
	int comment = 0;

	for (size_t i = 0; i < len; i++) {
		const char *c = data + i;

		if (*c == '\n') {
			line++;
			comment = 0;
			continue;
		}
		if (*c == '#')
			comment = 1;
		if (comment || *c != '$' || (i > 0 && data[i - 1] == '\\'))
			continue;
		if ((len - i > 5 && strncmp(c + 1, "ENV::", 5) == 0) ||
		    (len - i > 6 && (c[1] == '{' || c[1] == '(') && strncmp(c + 2, "ENV::", 5) == 0)) {
			mc_seterr("%s:%zu: $ENV:: refused: the configuration must not depend on the caller's "
			    "environment (write the value itself, or \\$ for a literal dollar)", name, line);
			return -1;
		}
	}
	return 0;
}

int
pol_config_load_mem(const char *name, const void *data, size_t len, struct pol_config *cfg)
{
	const char *nul;
	BIO *bio;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	if (name == NULL || data == NULL || len > POL_CONF_MAX) {
		mc_seterr("'%s': no configuration text, or more than %d bytes",
		    name != NULL ? name : "?", POL_CONF_MAX);
		return -1;
	}
	/* NCONF reads lines as C strings: "x = 5\0junk" would pass as 5. */
	if ((nul = memchr(data, '\0', len)) != NULL) {
		size_t line = 1;

		for (const char *c = data; c < nul; c++)
			line += *c == '\n';
		mc_seterr("%s:%zu: NUL byte in the file", name, line);
		return -1;
	}
	if (no_env_refs(name, data, len) < 0)
		return -1;
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
		mc_seterr_ssl("'%s': BIO_new_mem_buf", name);
		return -1;
	}
	rc = load_bio(name, bio, cfg);
	BIO_free(bio);
	return rc;
}

/* "#   key             help", help wrapped at spaces to fit 78 columns. */
static int
write_help(struct mc_buf *out, const struct pol_keydef *keys, size_t n)
{
	enum { INDENT = 20, WIDTH = 78 };

	for (size_t i = 0; i < n; i++) {
		const char *h = keys[i].help;

		if (mc_buf_printf(out, "#   %-15s ", keys[i].name) < 0)
			return -1;
		while (*h != '\0') {
			size_t len = strlen(h), cut = len;

			if (len > WIDTH - INDENT) {
				cut = WIDTH - INDENT;
				while (cut > 0 && h[cut] != ' ')
					cut--;
				if (cut == 0)
					cut = strcspn(h, " ");
			}
			if (mc_buf_printf(out, "%.*s\n", (int)cut, h) < 0)
				return -1;
			h += cut;
			h += strspn(h, " ");
			if (*h != '\0' && mc_buf_printf(out, "#%*s", INDENT - 1, "") < 0)
				return -1;
		}
	}
	return 0;
}

/* imported: 0 made by init; 1 imported, domains from its name
 * constraints; 2 imported without them, domains guessed from names. */
static int
write_domains(const struct mc_strv *domains, int imported, struct mc_buf *out)
{
	char *list;
	int rc;

	if (imported == 2 && (domains == NULL || domains->n == 0))
		return mc_buf_printf(out, "# The imported root has no name constraints and its "
		    "certificates name no domain.\n");
	if (domains == NULL || domains->n == 0)
		return mc_buf_printf(out, "# This CA has no name constraints: it may "
		    "issue for any name.\n");
	for (size_t i = 0; i < domains->n; i++)
		for (const char *p = domains->v[i]; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f) {
				mc_seterr("control character in domain list");
				return -1;
			}
	if ((list = mc_strv_join(domains, ", ")) == NULL)
		return -1;
	if (imported == 2)
		rc = mc_buf_printf(out, "# Domains this CA issues for: %s\n"
		    "# Taken from the certificates 'minica import' found and kept as\n"
		    "# 'domains' under [minica] below: 'minica issue' refuses a name outside\n"
		    "# them (a typo, or someone else's domain) unless --any-domain; edit\n"
		    "# that line to keep the record right.  The imported root has no name\n"
		    "# constraints, so clients accept any name it signs; only a new root made\n"
		    "# with 'minica init --domain' carries real limits.\n", list);
	else if (imported == 1)
		rc = mc_buf_printf(out, "# Domains this CA may issue for: %s\n"
		    "# They are the imported root certificate's name constraints, the\n"
		    "# source of truth; they cannot be changed here.\n", list);
	else
		rc = mc_buf_printf(out, "# Domains this CA may issue for: %s\n"
		    "# They are not set in this file: the root certificate's name "
		    "constraints\n# are the source of truth, fixed by "
		    "'minica init --domain'.\n", list);
	free(list);
	return rc;
}

/* The record an imported root without name constraints issues under. */
static int
write_domains_key(const struct mc_strv *domains, int imported, struct mc_buf *out)
{
	char *list;
	int rc;

	if (imported != 2 || domains == NULL || domains->n == 0)
		return 0;
	if ((list = mc_strv_join(domains, ", ")) == NULL)
		return -1;
	rc = mc_buf_printf(out, "domains = %s\n", list);
	free(list);
	return rc;
}

static const char head[] =
    "# minica.conf: policy for the certificate authority in this folder.\n"
    "#\n"
    "# OpenSSL config syntax: [section], key = value, '#' starts a comment.\n"
    "# Put a value containing '#', a quote or '$' in double quotes, or escape\n"
    "# the character with a backslash.  An unknown section or key, a number\n"
    "# that does not parse or a rule broken refuses the whole file, so a\n"
    "# typo never passes silently.\n"
    "#\n";

static const char acme_head[] =
    "\n# 'minica acme serve', the ACME server for your other hosts.  Uncomment\n"
    "# the section and set at least hostname.\n#\n# Keys:\n";

static const char profiles_head[] =
    "\n# Profiles, used as 'minica issue NAME'.  A [profile.NAME] section for a\n"
    "# built-in profile changes only the keys it sets; any other NAME (lowercase\n"
    "# letters, digits, - and _) adds a profile, which must set eku and starts\n"
    "# from default_days 397, max_days 825, key_type rsa2048, no deployment.\n"
    "#\n# Keys:\n";

static const char builtins_head[] =
    "#\n# The built-in profiles as they are without this file; uncomment a\n"
    "# section and the keys you change.\n";

static int
config_text(const struct mc_strv *domains, int imported, struct mc_buf *out)
{
	struct pol_config cfg;
	int rc = -1;

	if (pol_config_load(NULL, &cfg) < 0)
		return -1;
	if (mc_buf_printf(out, "%s", head) < 0 || write_domains(domains, imported, out) < 0 ||
	    mc_buf_printf(out, "\n[minica]\n") < 0 || write_domains_key(domains, imported, out) < 0 ||
	    write_help(out, pol_minica_keys, pol_nminica_keys) < 0 ||
	    mc_buf_printf(out, "#reload_timeout = %d\n#ca_cert = %s\n"
	    "#ca_cert_mode = %04o\n#ca_cert_owner = %s\n#ca_cert_group = %s\n"
	    "#dnssec_trust_anchor = %s\n#resolver = 127.0.0.1\n",
	    cfg.reload_timeout, cfg.ca_cert.path, (unsigned)cfg.ca_cert.mode,
	    cfg.ca_cert.owner, cfg.ca_cert.group, cfg.dnssec_trust_anchor) < 0 ||
	    mc_buf_printf(out, "%s", acme_head) < 0 || write_help(out, pol_acme_keys, pol_nacme_keys) < 0 ||
	    mc_buf_printf(out, "#\n#[acme]\n#listen = 127.0.0.1:443\n#hostname = acme.example.org\n#eab = required\n"
	    "#profile = server\n#resolver = 127.0.0.1:53\n#http01_port = 80\n#tlsalpn01_port = 443\n#tls = yes\n") < 0 ||
	    mc_buf_printf(out, "%s", profiles_head) < 0 ||
	    write_help(out, pol_profile_keys, pol_nprofile_keys) < 0 ||
	    mc_buf_printf(out, "%s", builtins_head) < 0)
		goto out;
	for (size_t i = 0; i < cfg.nprofiles; i++)
		if (mc_buf_printf(out, "\n#[profile.%s]\n", cfg.profiles[i].name) < 0 ||
		    pol_profile_write(&cfg.profiles[i], "#", out) < 0)
			goto out;
	rc = 0;
out:
	pol_config_free(&cfg);
	return rc;
}

int
pol_config_default_text(const struct mc_strv *domains, struct mc_buf *out)
{
	return config_text(domains, 0, out);
}

int
pol_config_import_text(const struct mc_strv *domains, int constrained, struct mc_buf *out)
{
	return config_text(domains, constrained ? 1 : 2, out);
}
