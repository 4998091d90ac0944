/*
 * deploy: certificate and key to a profile's targets as a pair, the
 * reload, rollback, repair of interrupted swaps, inspection for check,
 * and the daemon configuration snippets.
 *
 * Sits above ca/, policy/ and store/ (it records what it writes);
 * never prints or exits: 0 / pointer on success, -1 / NULL with
 * mc_err() set on failure.  Notes for the user (what was repaired,
 * what was reloaded) are handed back in an mc_strv for cmd/ to print.
 */
#ifndef MINICA_DEPLOY_H
#define MINICA_DEPLOY_H

#include "../ca/ca.h"
#include "../policy/policy.h"
#include "../store/store.h"
#include "../util/util.h"

/* run.c */
#define DEP_OUTPUT_MAX 2048
struct dep_run_result {
	int exited;		/* 1: exited on its own; status is its exit code */
	int status;
	int signaled;		/* killed by this signal (not by us) */
	int timed_out;		/* killed by us after timeout seconds */
	char output[DEP_OUTPUT_MAX];	/* stdout and stderr, truncated */
	struct mc_buf *capture;		/* dep_run_capture: all of it (up to 8 MiB) */
};
/*
 * Runs argv without a shell (fork + execvp; a bare name not on PATH is
 * also looked for in /usr/local/sbin, /usr/sbin and /sbin, which cron's
 * PATH lacks), stdin from /dev/null, in its own process group, with the
 * environment passed through.  Waits at most timeout seconds, then kills
 * the group.  0 if it exited 0; else -1 with a message naming the command
 * and what happened (exit code, signal, timeout, last output line).
 */
int dep_run(const struct mc_strv *argv, int timeout, struct dep_run_result *res);
/* The same, with the whole output (stdout and stderr) also appended to all. */
int dep_run_capture(const struct mc_strv *argv, int timeout, struct dep_run_result *res, struct mc_buf *all);

/* deploy.c */
struct dep_req {
	const struct pol_config *cfg;
	const struct pol_profile *prof;
	const char *root;		/* NULL or "/": none */
	const struct store_cert *rec;	/* the certificate's row */
	X509 *cert;
	EVP_PKEY *key;
	X509 *ca;			/* the root (the ca_cert target gets it) */
	X509 *chain;			/* the issuing intermediate, after the leaf;
					 * NULL: a root-issued leaf, ca follows it */
	X509 *cross;			/* after chain: the cross-certificate of a
					 * root rotation (NULL: none) */
	int reload;			/* run the profile's reload command */
	const struct timespec *stale_before;	/* non-NULL (the CA lock is held since):
					 * temp files of interrupted runs in the
					 * target folders older than this are removed */
};
struct dep_result {
	char *cert_path;		/* as written (with the root prefix) */
	char *key_path;
	char *ca_path;			/* NULL when ca_cert is none */
	int reloaded;			/* the reload command ran and succeeded */
	int not_running;		/* the running check failed: reload skipped */
	int in_place;			/* on failure: the new pair is deployed anyway
					 * (a failed reload with no previous pair) */
	struct mc_strv repairs;		/* interrupted deployments repaired first */
	struct mc_strv notes;		/* reload output and the like */
};
/* "/" + "/etc/ssl/x" -> "/etc/ssl/x"; "/tmp/r" + "/etc/x" -> "/tmp/r/etc/x".
 * root must be absolute; caller frees. */
char *dep_path(const char *root, const char *path);
/* --root as given -> an absolute folder without symlinks or trailing
 * slash ("/" for none).  Refuses a missing folder.  Caller frees. */
char *dep_root_resolve(const char *root);
/* Before signing anything: the profile has targets and neither target is
 * a symlink or something other than a regular file. */
int dep_targets_check(const struct pol_profile *prof, const char *root);
/* preflight.c: everything that can be checked before signing, for a
 * deployment of prof under root: dep_targets_check; the root's target
 * (ca_cert) is no symlink or non-file; no .minica-new./.minica-old. name
 * beside a target is a folder; owners and groups exist; cert_file is not
 * the key file under another name; the folders on the way pass
 * mc_check_folders (up to root). */
int dep_preflight(const struct pol_config *cfg, const struct pol_profile *prof, const char *root);
/*
 * The whole deployment: repairs any interrupted deployment to the same
 * files first, checks that key matches cert, records a 'pending' row,
 * stages both files (final mode and owner before content, fsynced), keeps
 * hard links to the previous pair, renames both back to back, syncs both
 * folders, installs the root at ca_cert, reloads, then records 'current'
 * with an audit event.  When the profile's running check says the
 * service is not running, the reload is skipped (not_running, exit 0,
 * recorded "not running").  Any failure (a failed reload included)
 * restores the previous pair, reloads again, and records 'failed';
 * a failed reload with no previous pair keeps the new pair (there is
 * nothing to go back to), records it 'current' ("reload failed"), sets
 * in_place and returns -1.
 */
int dep_deploy(struct store *st, const struct dep_req *req, struct dep_result *res);
void dep_result_free(struct dep_result *res);
/* Repairs the interrupted (pending) deployments that wrote path_a or
 * path_b (NULL: every pending one under root; root NULL: any root). */
int dep_repair_pending(struct store *st, const char *root, const char *path_a, const char *path_b,
    struct mc_strv *notes);
/* How many deployments are pending (an interrupted swap). */
int dep_pending_count(struct store *st, size_t *n);
/* Every pending deployment, oldest first, rolled forward from its staged
 * files (then the service reloaded, or found not running) or back; the
 * caller holds the CA lock.  0 all settled, 1 some could not be (said in
 * notes, like everything done), -1 on an internal error. */
int dep_settle(struct store *st, const struct pol_config *cfg, struct mc_strv *notes);
/* Installs the root as /usr/local/share/ca-certificates/minica.crt under
 * root and, when root is "/" and update-ca-certificates exists, runs it.
 * A note says what was done. */
int dep_system_trust(const char *root, X509 *ca, int timeout, struct mc_strv *notes);

/* keys.c: where a certificate's key may still be (minica keeps none):
 * DIR/NAME.key, DIR/NAME-SERIAL.key (kept after a failed deploy), and
 * the profile's deployed key under root (prof may be NULL). */
int dep_key_places(const char *dir, const char *name, const char *serial, const struct pol_profile *prof,
    const char *root, struct mc_strv *out);
/* The first place holding cert's key, loaded, its path in *found
 * (caller frees); NULL with a message when none does. */
EVP_PKEY *dep_key_find(X509 *cert, const struct mc_strv *places, char **found);
/* The key deployed at prof's key target under root, if it is cert's
 * (a CSR's certificate renewed for the same key); NULL with a message. */
EVP_PKEY *dep_deployed_key(const struct pol_profile *prof, const char *root, X509 *cert);

/* undeploy.c */
struct dep_undeploy_req {
	const char *profile;	/* one of profile and serial */
	const char *serial;	/* full serial, as stored */
	const char *root;	/* NULL: under any root */
	int remove_files;	/* remove what minica wrote (only if unchanged) */
	int restore;		/* put NAME.pre-minica files back */
};
/* Retires every current deployment that matches (after settling any
 * interrupted one); *count says how many.  Notes say what was done to
 * each file. */
int dep_undeploy(struct store *st, const struct dep_undeploy_req *r, struct mc_strv *notes, size_t *count);

/* adopt.c */
/* 1 if the certificate read from source is the file at one of cfg's
 * profiles' cert targets (under root) and that profile's key target
 * holds its key (unencrypted): d is filled as a deployment of that
 * profile, files as they are (hash, mode, owner), cert_id left 0.
 * 0 if not; -1 on error. */
int dep_adopt_find(const struct pol_config *cfg, const char *root, const char *source, X509 *cert,
    struct store_deployment *d);

/* inspect.c: what check reports about one deployment. */
enum dep_problem_kind {
	DEP_PENDING,		/* interrupted swap, not yet repaired */
	DEP_MISSING,
	DEP_NOT_FILE,		/* a symlink, a folder, ... */
	DEP_UNREADABLE,
	DEP_CHANGED,		/* content differs from what was deployed */
	DEP_MODE,
	DEP_OWNER,
	DEP_MISMATCH,		/* the key does not belong to the certificate */
};
struct dep_problem {
	enum dep_problem_kind kind;
	char *path;		/* NULL for the deployment as a whole */
	char *text;		/* one line, e.g. "mode 0644, deployed as 0600" */
};
struct dep_report {
	struct dep_problem *v;
	size_t n;
};
/* Looks at d's files on disk; each problem found is appended to r.
 * Returns the number of problems, or -1 on an internal error. */
int dep_inspect(const struct store_deployment *d, struct dep_report *r);
void dep_report_free(struct dep_report *r);
const char *dep_problem_name(enum dep_problem_kind kind);

/* snippet.c */
/* The configuration lines for daemon ("postfix", "dovecot", "nginx")
 * using these paths (ca_path may be NULL). */
int dep_snippet(const char *daemon, const char *cert_path, const char *key_path, const char *ca_path,
    struct mc_buf *out);
/* snippet_check.c: the daemon's live configuration (read with postconf
 * -n and -M, doveconf -n, nginx -T; under root: its etc/postfix,
 * etc/dovecot/dovecot.conf, etc/nginx/nginx.conf) against the deployed
 * paths; each setting naming another file is appended to out. */
struct dep_paths {
	const char *cert;
	const char *key;
	const char *ca;		/* may be NULL */
};
int dep_snippet_check(const char *daemon, const char *root, const struct dep_paths *d, struct mc_strv *out);
/* The profile a daemon's snippet is about: smtpd, dovecot, nginx; NULL
 * for an unknown daemon (with a message). */
const char *dep_snippet_profile(const char *daemon);

/* dane.c: DANE TLSA records for what a profile deployed (RFC 6698,
 * 7671, 7672) and the next key staged for a rollover. */
struct dep_tlsa {
	char *host;		/* mail.example.org */
	int port;
	int usage, selector, mtype;
	char *data;		/* lowercase hex */
	char *rr;		/* "_25._tcp.mail.example.org. IN TLSA 3 1 1 <hex>" */
	int next;		/* the staged next key's record */
};
struct dep_tlsa_set {
	struct dep_tlsa *v;
	size_t n, cap;
};
struct dep_dane_req {
	const char *cn;			/* may be NULL */
	const struct mc_strv *names;	/* the certificate's names */
	int port;
	X509 *leaf;
	X509 *ta;			/* the trust anchor: the root */
	EVP_PKEY *next;			/* the staged next key; NULL: none */
};
/* The DNS host names among cn and names (no IP or e-mail address, no
 * wildcard), without duplicates, appended to out. */
int dep_dane_hosts(const char *cn, const struct mc_strv *names, struct mc_strv *out);
/* For each host: "2 1 1" of the trust anchor, "3 1 1" of the leaf and,
 * with next, "3 1 1" of the next key.  None for a certificate without a
 * DNS host name (an error). */
int dep_dane_records(const struct dep_dane_req *r, struct dep_tlsa_set *out);
void dep_tlsa_set_free(struct dep_tlsa_set *s);
/* 1 for what an SMTP client may use (RFC 7672 3.1.3: usages 2 and 3,
 * known selectors and matching types). */
int dep_tlsa_usable(const struct ca_tlsa_rr *rr);
/* 1 if rr matches: usage 3 the leaf, usage 2 one of tas (the chain
 * above the leaf); 0 not (or not usable); -1 error. */
int dep_tlsa_match_chain(const struct ca_tlsa_rr *rr, X509 *leaf, X509 *const *tas, size_t ntas);
/* 1 if rr is a "3 1 x" record of key (a key not yet certified). */
int dep_tlsa_match_key(const struct ca_tlsa_rr *rr, EVP_PKEY *key);

/* The next key lives in dir as SERIAL.key (encrypted like the CA key,
 * 0600, dir 0700) and SERIAL.pub (its public half), SERIAL being the
 * certificate whose renewal will use it. */
struct dep_next_req {
	const char *dir;
	const char *serial;
	const char *key_type;		/* the profile's */
	const char *pass;
	size_t passlen;
};
/* Generates and stores the next key unless one is staged already; in
 * both cases returns it (a staged one only as its public half) and sets
 * *made when it was made now. */
EVP_PKEY *dep_dane_next_stage(const struct dep_next_req *r, int *made);
/* The staged public half: NULL with *found 0 when none is staged. */
EVP_PKEY *dep_dane_next_pub(const char *dir, const char *serial, int *found);
/* The staged private key, decrypted and checked against its .pub. */
EVP_PKEY *dep_dane_next_load(const char *dir, const char *serial, const char *pass, size_t passlen,
    int *found);
/* Removes a used staged key (both files). */
int dep_dane_next_drop(const char *dir, const char *serial);
/* The certificate of profile's newest current deployment (under root;
 * NULL: any) and, if cert_path is not NULL, the file it was deployed to
 * (caller frees): 1 found, 0 none deployed, -1 error. */
int dep_dane_deployed(struct store *st, const char *profile, const char *root, struct store_cert *out,
    char **cert_path);
int dep_dane_next_paths(const char *dir, const char *serial, char **key_path, char **pub_path);

/* dane_dns.c: TLSA lookups validated by libunbound itself. */
struct dep_dns_opts {
	const char *trust_anchor;	/* DS or DNSKEY lines (dns-root-data's root.key) */
	const char *resolver;		/* "ADDR[@PORT]" forwarder; NULL: /etc/resolv.conf's */
	int timeout_ms;			/* per lookup; 0: 10 s */
};
struct dep_dns;
struct dep_dns *dep_dns_open(const struct dep_dns_opts *o);
void dep_dns_close(struct dep_dns *d);
struct dep_tlsa_answer {
	char qname[300];		/* "_25._tcp.mail.example.org." */
	int secure;			/* DNSSEC-validated (records or their absence) */
	int bogus;			/* validation failed: DANE senders defer mail */
	char why[256];			/* libunbound's reason when bogus */
	struct ca_tlsa_rr *v;		/* the records (none: no TLSA there) */
	size_t n;
};
/* The TLSA records of _PORT._tcp.HOST.  -1 only when nothing was learnt
 * (no answer in time, SERVFAIL without a validation failure, ...). */
int dep_dns_tlsa(struct dep_dns *d, const char *host, int port, struct dep_tlsa_answer *out);
void dep_tlsa_answer_free(struct dep_tlsa_answer *a);

/* dane_check.c: check --dane for one deployment. */
enum dep_dane_sev { DEP_DANE_INFO, DEP_DANE_WARNING, DEP_DANE_CRITICAL, DEP_DANE_UNKNOWN };
struct dep_dane_note {
	enum dep_dane_sev sev;
	char *host;
	char *text;
};
struct dep_dane_notes {
	struct dep_dane_note *v;
	size_t n, cap;
};
struct dep_dane_check_req {
	struct dep_dns *dns;
	const char *cn;			/* may be NULL */
	const struct mc_strv *names;
	int port;
	X509 *leaf;			/* the deployed certificate */
	X509 *const *tas;		/* the deployed chain above it (the root) */
	size_t ntas;
	EVP_PKEY *next;			/* the staged next key; NULL: none */
	int renew_in_days;		/* until renew will replace the leaf */
	const struct pol_probe *probe;	/* NULL: no DANE probe */
	int timeout_ms;
};
/* For every DNS host of the certificate: no TLSA (info), records not
 * validated (warning), bogus (critical: DANE senders defer mail), none
 * usable (warning), none matching the deployed chain (critical), a
 * staged next key unpublished within 30 days of renewal (warning), and
 * with probe OpenSSL's DANE verdict on the served chain (critical when
 * it fails).  A lookup that learns nothing is unknown.  -1 only on an
 * internal error. */
int dep_dane_check(const struct dep_dane_check_req *r, struct dep_dane_notes *out);
void dep_dane_notes_free(struct dep_dane_notes *o);
struct dep_dane_renew_req {
	struct dep_dns *dns;
	const char *cn;
	const struct mc_strv *names;
	int port;
	X509 *const *tas;		/* the chain above the leaf (the root) */
	size_t ntas;
	EVP_PKEY *next;			/* the staged next key; NULL: none */
};
/* Before renew changes the key: 1 (mc_err says what to publish) if DNS
 * validly publishes usable TLSA records for a host and none will match
 * after the renewal (no 2 1 1 of the chain, no 3 1 x of the staged key);
 * 0 to go ahead (a failed lookup adds a note and goes ahead: an outage
 * must not let the certificate expire); -1 on an internal error. */
int dep_dane_renew_check(const struct dep_dane_renew_req *r, struct mc_strv *notes);

/* ---- probe.c: the certificate a running daemon serves (check --probe) ---- */
#define DEP_PROBE_LINE_MAX 4096	/* bytes per SMTP/IMAP line, CRLF included */
#define DEP_PROBE_LINES 100	/* lines read from one server, all replies */
/* Connects to host:port (IPv4/IPv6, getaddrinfo), optionally speaks SMTP
 * (220 banner, EHLO, 250 lines incl. multi-line, STARTTLS, 220) or IMAP
 * (* OK banner, "a STARTTLS", "a OK") first, does a TLS handshake WITHOUT
 * verifying (we only want to see what is served; SNI = sni if non-NULL
 * and not an IP literal), and returns the served leaf's SHA-256
 * fingerprint (lowercase hex, as ca_cert_fingerprint).  starttls: NULL,
 * "smtp" or "imap".  Every step bounded by timeout_ms overall (name
 * resolution excepted).  Errors name what happened: "connection refused",
 * "timed out after N ms waiting for the SMTP banner", "server does not
 * offer STARTTLS", "TLS handshake failed: ...".  SIGPIPE is held back on
 * the calling thread meanwhile; the process's signal handling is left
 * alone. */
int dep_probe(const char *host, int port, const char *starttls, const char *sni, int timeout_ms,
    char fpr[CA_FPR_LEN]);
/* The same probe through OpenSSL's DANE verifier (SSL_dane_enable,
 * SSL_dane_tlsa_add; RFC 7672: no name checks for DANE-EE): domain is
 * the TLSA base domain (the MX host), rr the published records.  0 when
 * the handshake completed, verified or not (res says which, and why
 * not); -1 when the probe itself failed (message set). */
struct dep_dane_result {
	int verified;			/* a record matched and the chain verified */
	int usage, selector, mtype;	/* of the matching record */
	int depth;			/* of the matching certificate (0 the leaf) */
	char why[256];			/* when not verified */
	char fpr[CA_FPR_LEN];		/* the served leaf */
};
int dep_probe_dane(const char *host, int port, const char *starttls, const char *domain,
    const struct ca_tlsa_rr *rr, size_t n, int timeout_ms, struct dep_dane_result *res);

#endif
