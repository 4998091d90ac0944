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
/* A plain-name CN (no SAN): UTF-8, no control character, at most
 * POL_CN_MAX characters (not bytes). */
int pol_cn_text_check(const char *cn);
/* Parses an IPv4 or IPv6 address; *outlen is 4 or 16.  canon (>= 46
 * bytes, may be NULL) gets the canonical text form. */
int pol_ip_parse(const char *in, unsigned char out[16], size_t *outlen, char *canon);
/* 1 if name (a normalised hostname, "*.x" allowed) lies in one of the
 * domains (equal to it or below it), 0 if not.  Empty list: 1. */
int pol_name_permitted(const char *name, const struct mc_strv *domains);

/* domains.c */
/* The registrable parent of a normalised hostname by a rule of thumb (last
 * two labels; three under a two-letter TLD with a generic second level
 * like co.uk).  NULL for a single label or a bare suffix. */
char *pol_registrable_domain(const char *name);
/* 0 if a root may be constrained to domain (normalised); -1 for a public
 * suffix (com, co.uk, github.io) or a single label (localhost). */
int pol_domain_scope_check(const char *domain);
/* The registrable parents of names (hostnames, "*.x", e-mail addresses;
 * anything else passed over), deduplicated and sorted, appended to out. */
int pol_domains_from_names(const struct mc_strv *names, struct mc_strv *out);

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
	struct mc_strv running;	/* argv: exit 0 = the service runs; empty: always reload */
	int running_given;	/* running set in minica.conf (kept when reload is set) */
	struct pol_probe *probes;
	size_t nprobes;
	int dane;		/* DANE on: check --dane looks up its TLSA records */
	int dane_port;		/* the port of its TLSA owner name (_25._tcp.HOST) */
};

/* [acme]: 'minica acme serve' (acme_conf.c). */
struct pol_acme {
	char *listen;			/* ADDR:PORT; NULL: 127.0.0.1:443 */
	char *hostname;			/* normalised; NULL: not set */
	int eab_required;		/* eab = required (1, default) | no */
	char *profile;			/* NULL: server */
	char *resolver;			/* HOST:PORT for validation lookups; NULL: the system's */
	int http01_port;		/* 80 */
	int tlsalpn01_port;		/* 443 */
	int tls;			/* 1; tls = no: plain HTTP on loopback */
	char *url;			/* https://HOST[:PORT] clients use; NULL: from hostname */
};

struct pol_config {
	char *path;		/* the file read, or NULL for built-ins only */
	struct pol_profile *profiles;
	size_t nprofiles;
	struct pol_target ca_cert;	/* /etc/ssl/certs/minica-ca.pem */
	int reload_timeout;		/* seconds */
	char *dnssec_trust_anchor;	/* DNSSEC trust anchor file for check --dane */
	char *resolver;			/* "ADDR[@PORT]" to ask; NULL: /etc/resolv.conf's */
	struct mc_strv domains;		/* [minica] domains, normalised */
	int have_domains;		/* the key is set (perhaps empty) */
	char *crl_url;			/* [minica] crl_url; NULL: none */
	struct pol_acme acme;		/* [acme] */
};

#define POL_ROOT_TRUST_ANCHOR "/usr/share/dns/root.key"	/* Debian's dns-root-data */

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
/* The same for 'minica import': domains are the root's name constraints
 * (constrained) or, guessed from its certificates, a record to edit. */
int pol_config_import_text(const struct mc_strv *domains, int constrained, struct mc_buf *out);

/* Splits "ADDR:PORT" ("[v6]:PORT" too) into an IP address and a port;
 * -1 with mc_err naming the text otherwise. */
int pol_addr_port_split(const char *s, char *addr, size_t len, int *port);
/* The base URL of every ACME URL (no trailing slash): [acme] url, whose
 * host must be hostname; else https://HOSTNAME:PORT for a server that
 * speaks TLS on port (no :443), https://HOSTNAME behind a proxy (tls = no). */
int pol_acme_base_url(const struct pol_acme *a, int port, char *out, size_t len);

/* scope.c: the names a CA issues for. */
struct pol_scope {
	const struct mc_strv *nc;	/* the root's permitted DNS subtrees */
	const struct mc_strv *conf;	/* [minica] domains */
	int conf_limits;		/* names must also fall under conf */
};
/* conf limits names when the root has no name constraints and was
 * imported (or the file sets domains), unless any_domain. */
void pol_scope_init(struct pol_scope *s, const struct pol_config *cfg, const struct mc_strv *nc,
    int imported, int any_domain);
/* 0 if host (a normalised hostname, or an e-mail address's domain) is
 * in scope; -1 with a message naming shown and the permitted list. */
int pol_scope_check(const struct pol_scope *s, const char *host, const char *shown);

/* lifetime.c */
int pol_key_type_valid(const char *type);
/* A CRL's state: verifiers refuse every certificate once nextUpdate is
 * past, so it is refreshed POL_CRL_WARN_DAYS before. */
#define POL_CRL_WARN_DAYS 7
enum pol_crl_state { POL_CRL_OK, POL_CRL_DUE, POL_CRL_EXPIRED };
enum pol_crl_state pol_crl_due(time_t next_update, time_t now);
/* 1 if deploying p and q would write the same certificate or key file. */
int pol_profiles_share_targets(const struct pol_profile *p, const struct pol_profile *q);
/*
 * Days for a new certificate: requested (0 = profile default) checked
 * against the profile maximum and, for server profiles, 825 days; the
 * result never runs past ca_not_after (refused with the date).
 * ca_not_after <= 0 means the root's expiry is unknown: not checked.
 */
int pol_lifetime(const struct pol_profile *p, int requested, time_t now, time_t ca_not_after, int *days);
/* The same for a leaf of an intermediate: instead of refusing, the days
 * are cut to the whole days the intermediate has left (*clamped = 1);
 * refused only when less than one day is left. */
int pol_lifetime_clamped(const struct pol_profile *p, int requested, time_t now,
    time_t issuer_not_after, int *days, int *clamped);
/* The renewal rule, one for renew and check (a check WARNING means
 * exactly "renew would renew this"): due when within days of not_after
 * or past two thirds of its lifetime. */
#define POL_RENEW_DAYS_DEFAULT 30
int pol_cert_due(time_t not_before, time_t not_after, time_t now, int days);
/* When that is: the first moment pol_cert_due says 1. */
time_t pol_cert_due_at(time_t not_before, time_t not_after, int days);
/* RFC 9773 §4.2: the renewal window the ACME server suggests for a
 * current certificate, the sixth of its lifetime after the two-thirds
 * point (where pol_cert_due finds it due at any days). */
void pol_acme_renewal_window(time_t not_before, time_t not_after, time_t *start, time_t *end);
/* An ACME client holding a certificate's key is late renewing it once
 * that window has ended and fewer than days / 2 days are left: a client
 * renewing in the window, or 30 days before expiry (certbot's and lego's
 * rule), has renewed by then with the default days (30). */
int pol_acme_renewal_late(time_t not_before, time_t not_after, time_t now, int days);
/* The lifetime in days a certificate was issued for (--days N gives N). */
long pol_cert_days(time_t not_before, time_t not_after);

/* batch.c: the file of `minica issue --batch`, one certificate a line:
 *     PROFILE CN [NAME ...] [days=N] [key=TYPE]   # comment
 * Words split at blanks; "double quotes" keep blanks (a person's name as
 * a client CN); a word starting with # ends the line; blank lines and
 * CRLF endings are fine.  days= and key= may stand anywhere after the
 * profile.  NAMEs that are IP addresses go to ips, the rest (hostnames,
 * e-mail addresses) to names.  Only the form is checked here: profiles,
 * names and lifetimes are the issuing plan's business. */
#define POL_BATCH_MAX_DAYS 100000
struct pol_batch_line {
	int line;		/* 1-based line number in the file */
	char *profile;
	char *cn;
	struct mc_strv names;	/* further SAN names, as written */
	struct mc_strv ips;
	int days;		/* 0: the profile's default */
	char *key_type;		/* NULL: the profile's default */
};
struct pol_batch {
	struct pol_batch_line *v;
	size_t n;
};
/* -1: mc_err() says what is wrong (without the line) and *bad_line
 * which line it is (0: the file as a whole, e.g. no certificates). */
int pol_batch_parse(const char *text, size_t len, struct pol_batch *out, int *bad_line);
void pol_batch_free(struct pol_batch *b);

#endif
