/*
 * policy: profiles, names, lifetimes, deploy targets, the config file.
 *
 * Pure rules: never signs, never touches SQLite, never prints.  Returns
 * 0 / pointer on success, -1 / NULL with mc_err() set on failure.
 */
#ifndef MINICA_POLICY_H
#define MINICA_POLICY_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "../util/util.h"

#define POL_SERVER_MAX_DAYS 825		/* Apple: TLS server certs <= 825 days */
#define POL_SERVER_DEFAULT_DAYS 397
#define POL_CN_MAX 64			/* RFC 5280 ub-common-name */
#define POL_HOSTNAME_MAX 253

/* names.c */
/*
 * Normalises one DNS name: NUL/space/control refused, case folded, one
 * trailing dot removed, U-labels converted to A-labels (libidn2), LDH
 * labels of 1-63, total <= 253, no leading/trailing hyphen.  A wildcard
 * is allowed (when allow_wildcard) only as the whole leftmost label and
 * never directly above a TLD.  An IP address is refused ("use --ip").
 * len is the input length so embedded NULs are caught.  Caller frees.
 */
char *pol_hostname_normalize(const char *in, size_t len, int allow_wildcard);
/* local@domain with the domain normalised as above.  Caller frees. */
char *pol_email_normalize(const char *in, size_t len);
/* Parses an IPv4 or IPv6 address; *outlen is 4 or 16.  canon (>= 46
 * bytes, may be NULL) gets the canonical text form. */
int pol_ip_parse(const char *in, unsigned char out[16], size_t *outlen, char *canon);
/* 1 if name (a normalised hostname, "*.x" allowed) lies in one of the
 * domains (equal to it or below it), 0 if not.  Empty list: 1. */
int pol_name_permitted(const char *name, const struct mc_strv *domains);

/* profile.c */
struct pol_target {
	char *path;		/* absolute, before --root; NULL: none */
	mode_t mode;
	char *owner;
	char *group;
};

struct pol_probe {
	char *host;
	int port;
	char *starttls;		/* NULL, "smtp" or "imap" */
};

struct pol_profile {
	char *name;
	char *description;
	int default_days;
	int max_days;
	char *key_type;		/* rsa2048 rsa3072 rsa4096 ec256 ec384 */
	struct mc_strv eku;	/* OpenSSL short names: serverAuth, clientAuth */
	int server;		/* has serverAuth: the 825-day rule applies */
	int email_cn;		/* CN may be an e-mail address (client) */
	struct pol_target cert;	/* leaf (+ chain) */
	struct pol_target key;
	struct mc_strv reload;	/* argv run without a shell; empty: none */
	struct pol_probe *probes;
	size_t nprobes;
};

struct pol_config {
	char *path;		/* the file read, or NULL for built-ins only */
	struct pol_profile *profiles;
	size_t nprofiles;
	struct pol_target ca_cert;	/* /etc/ssl/certs/minica-ca.pem */
	int reload_timeout;		/* seconds */
};

#define POL_CONF_MAX (1024 * 1024)	/* bytes of minica.conf read */

/* Built-in profiles, then minica.conf (openssl.cnf syntax, OpenSSL NCONF)
 * on top.  A missing file is not an error.  Errors name file, line, reason. */
int pol_config_load(const char *path, struct pol_config *cfg);
/* The same for text in memory; name stands for the file in messages.
 * Text with a NUL byte or over POL_CONF_MAX bytes is refused. */
int pol_config_load_mem(const char *name, const void *data, size_t len, struct pol_config *cfg);
void pol_config_free(struct pol_config *cfg);
const struct pol_profile *pol_profile_find(const struct pol_config *cfg, const char *name);
/* The commented default minica.conf that init writes. */
int pol_config_default_text(const struct mc_strv *domains, struct mc_buf *out);

/* lifetime.c */
int pol_key_type_valid(const char *type);
/*
 * Days for a new certificate: requested (0 = profile default) checked
 * against the profile maximum and, for server profiles, 825 days; the
 * result never runs past ca_not_after (refused with the date).
 * ca_not_after <= 0 means the root's expiry is unknown: not checked.
 */
int pol_lifetime(const struct pol_profile *p, int requested, time_t now, time_t ca_not_after, int *days);

#endif
