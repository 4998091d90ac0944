/*
 * cmd: main, the subcommand table, popt parsing, prompts, printing and
 * exit codes.  Command files stay thin: parse, call the library, print.
 */
#ifndef MINICA_CMD_H
#define MINICA_CMD_H

#include <popt.h>
#include <stdio.h>

#include "../ca/ca.h"
#include "../deploy/deploy.h"
#include "../policy/policy.h"
#include "../store/store.h"
#include "../util/util.h"

#define EXIT_OK 0
#define EXIT_ERR 1
#define EXIT_USAGE 64

struct cmd {
	const char *name;
	int (*fn)(int argc, const char **argv);
	const char *summary;
};

extern const struct cmd cmd_table[];

/* Options every subcommand accepts (main.c). */
struct cmd_globals {
	const char *home;	/* resolved CA home */
	char *home_opt;		/* --home */
	char *pass_file;	/* --passphrase-file */
	int pass_fd;		/* --passphrase-fd, -1 if unset */
	const char *progname;
	struct timespec locked_at;	/* when cmd_ca_lock took the CA lock; 0: not held */
};
extern struct cmd_globals g;
extern struct poptOption cmd_common_options[];

/* common.c */
/* Runs popt over argv with opts (which should include cmd_common_options
 * via POPT_ARG_INCLUDE_TABLE).  Returns 0, or EXIT_USAGE after printing a
 * one-line error and a hint.  *ctx is left for poptGetArg. */
int cmd_parse(poptContext *ctx, int argc, const char **argv, struct poptOption *opts, const char *args_help);
/* Frees the context and every string/argv value popt stored for opts
 * (not included tables).  Pair with every successful cmd_parse. */
void cmd_parse_done(poptContext ctx, struct poptOption *opts);
/* Prints "minica: message" to stderr. */
void cmd_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cmd_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The library's last message as an error; returns EXIT_ERR. */
int cmd_fail(void);
int cmd_usage_error(const char *cmdname, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Resolves g.home (--home, MINICA_HOME, default) and builds paths in it. */
int cmd_resolve_home(void);
char *cmd_home_path(const char *rel);
/* Checks the home and private/ are not open to group/others. */
int cmd_check_home_modes(void);

/* Opened CA: store, config, root cert.  cmd_open_ca fails clearly when
 * there is no CA yet ("run minica init"). */
struct cmd_ca {
	struct store *db;
	struct pol_config cfg;
	struct store_ca rec;
	X509 *cert;
	EVP_PKEY *key;		/* only after cmd_ca_unlock */
	int lock_fd;		/* >= 0 while cmd_ca_lock holds the CA */
};

#define CA_LOCK_WAIT_MS 60000
/* Serialises every command that changes the CA or deployed files: a
 * bounded wait, then a clear "CA busy" error. */
int cmd_ca_lock(struct cmd_ca *ca);
int cmd_open_ca(struct cmd_ca *ca);
/* Reads the passphrase and decrypts private/ca.key. */
int cmd_ca_unlock(struct cmd_ca *ca);
void cmd_close_ca(struct cmd_ca *ca);

/* pass.c */
/* --passphrase-file, --passphrase-fd, MINICA_PASSPHRASE, else the terminal
 * (twice when confirm).  Empty refused.  out is wiped by mc_buf_free. */
int cmd_passphrase(const char *prompt, int confirm, struct mc_buf *out);
/* Reads a passphrase from a file or fd with the same rules (for the p12 or
 * old-CA passphrase). */
int cmd_passphrase_from(const char *file, int fd, const char *envname, const char *prompt, int confirm, struct mc_buf *out);
/* Called once at start: takes MINICA_PASSPHRASE out of the environment so
 * no child ever inherits it. */
void cmd_passphrase_capture_env(void);
/* Called once at start, before minica opens anything: which descriptors
 * were inherited, so --passphrase-fd N cannot read one of minica's own
 * files.  Without it every descriptor is accepted (unit tests). */
void cmd_passphrase_note_fds(void);
/* Wipes and frees the captured copies (registered with atexit). */
void cmd_passphrase_forget_env(void);

/* home.c: a new CA home, shared by init and import. */
struct cmd_home_made {
	int made_home;
	int made_private;
};
/* 1 (after printing why) if the home already holds any CA file. */
int cmd_home_refuse_existing(void);
/* Creates the home and private/ (0700) as needed and checks their modes;
 * prints on failure.  made records what to remove on a later failure. */
int cmd_home_make(struct cmd_home_made *made);
void cmd_home_remove_partial(const struct cmd_home_made *made);
struct cmd_new_ca {
	EVP_PKEY *key;
	X509 *cert;
	const struct mc_buf *pass;	/* new passphrase for private/ca.key */
	const struct mc_buf *conf;	/* minica.conf text */
	int imported;
	/* Runs inside the transaction that records the CA row: the audit
	 * event and any rows that belong with it. */
	int (*record)(struct store *db, const struct store_ca *rec, void *arg);
	void *arg;
};
/* private/ca.key (scrypt, 0600, exclusive), minica.db with the CA row,
 * ca.crt, minica.conf; sets mc_err.  The caller removes partial files. */
int cmd_new_ca_write(const struct cmd_new_ca *n);

/* json.c */
void cmd_json_str(FILE *f, const char *s);

/* One function per subcommand. */
int cmd_init(int argc, const char **argv);
int cmd_show(int argc, const char **argv);
int cmd_bundle(int argc, const char **argv);
int cmd_help(int argc, const char **argv);
int cmd_version(int argc, const char **argv);

#endif

/* engine.c: the issuing pipeline shared by issue, renew and batch.
 * Functions here set mc_err and never print. */
struct issue_req {
	const char *profile;
	const char *cn;
	const char **sans;	/* NULL-terminated; may be NULL */
	const char **ips;
	int days;		/* 0: profile default */
	const char *key_type;	/* NULL: profile default */
	const char *csr_path;
};

struct issue_plan {
	const struct pol_profile *prof;
	char *cn;		/* subject CN; NULL when the name is too long */
	struct mc_strv dns, ips, emails;
	struct mc_strv names;	/* every name, in SAN order */
	int days;
	char key_type[16];
	EVP_PKEY *csr_key;	/* public key from --csr */
};

struct issued {
	X509 *cert;
	EVP_PKEY *key;		/* NULL for a CSR */
	struct store_cert rec;
};

#define RENEW_DAYS_DEFAULT 30

/* Policy: profile, names, name constraints, lifetime, key type. */
int cmd_issue_plan(struct cmd_ca *ca, const struct issue_req *req, struct issue_plan *plan);
void cmd_issue_plan_free(struct issue_plan *plan);
/* Due for renewal: within days of expiry or past two thirds of its life. */
int cmd_cert_due(const struct store_cert *c, time_t now, int days);
/* Key generation (unless CSR), signing with a serial unique in the store,
 * and the strict self-check. */
int cmd_issue_sign(struct cmd_ca *ca, const struct issue_plan *plan, struct issued *out);
/*
 * The same for many plans at once (batch, and renew when several are
 * due): serials are picked on the calling thread (the only one that
 * touches the store); keys are generated, leaves signed and self-checked
 * on up to jobs threads with the CA key unlocked once by the caller.
 * out[i] is plans[i]'s.  All or nothing: on -1 every out[] is freed and
 * *failed_at (may be NULL) is the index of the plan that failed.
 */
int cmd_issue_sign_many(struct cmd_ca *ca, struct issue_plan *const *plans, size_t n, int jobs,
    struct issued *out, size_t *failed_at);
/* One transaction: the certificate row and its audit event. */
int cmd_issue_record(struct cmd_ca *ca, struct issued *is, const char *action);
/* One transaction for n rows and their audit events: all or none. */
int cmd_issue_record_many(struct cmd_ca *ca, struct issued *is, size_t n, const char *action);
void cmd_issued_free(struct issued *is);
/* NAME.crt, NAME-fullchain.crt and (unless CSR) NAME.key (0600,
 * exclusive) in dir (created 0700).  Check first, write after commit. */
int cmd_leaf_files_check(const char *dir, const char *name, int with_key);
int cmd_leaf_files_write(const char *dir, const char *name, const struct issued *is, X509 *root);
/* The same in steps, for many leaves with one sync (ca_fileset): the
 * folder created 0700 if missing, each leaf's files added (thread-safe),
 * then ca_fileset_commit. */
struct ca_fileset *cmd_leaf_fileset(const char *dir);
int cmd_leaf_files_add(struct ca_fileset *fs, const char *name, const struct issued *is, X509 *root);
/* Same, replacing an existing key (renew: the old key's certificate is
 * superseded). */
int cmd_leaf_files_replace(const char *dir, const char *name, const struct issued *is, X509 *root);
/* The plan that re-issues a stored certificate the minica way. */
int cmd_renew_plan(struct cmd_ca *ca, const struct store_cert *c, struct issue_plan *plan);
/* One transaction: new row, old one superseded and linked, audit event. */
int cmd_renew_record(struct cmd_ca *ca, const struct store_cert *old, struct issued *is);
/* A file name for a certificate: its CN or first name, made safe. */
void cmd_leaf_file_name(const struct store_cert *c, char *out, size_t len);

/* certout.c: one certificate as text or JSON (the keys README documents). */
const char *cmd_cert_status(const struct store_cert *c, time_t now);
long cmd_days_left(time_t not_after, time_t now);
void cmd_cert_json(FILE *f, const struct store_cert *c, int with_pem);
void cmd_cert_text(FILE *f, const struct store_cert *c, int with_pem);

/* importrows.c: a store row for a certificate found by 'minica import';
 * profile NULL: "server" or "client" from its extendedKeyUsage. */
int cmd_import_row(const struct ca_imported *e, const char *profile, struct store_cert *r);

int cmd_import(int argc, const char **argv);
int cmd_issue(int argc, const char **argv);
int cmd_revoke(int argc, const char **argv);
int cmd_renew(int argc, const char **argv);
int cmd_check(int argc, const char **argv);
int cmd_crl(int argc, const char **argv);
int cmd_log(int argc, const char **argv);
int cmd_list(int argc, const char **argv);
int cmd_profiles(int argc, const char **argv);
int cmd_show_cert(struct cmd_ca *ca, const char *serial, int json, int pem);

/* deploy.c */
struct cmd_deploy_opts {
	char *root;		/* resolved with dep_root_resolve before use */
	int no_reload;
	int system_trust;
	int json;		/* the summary goes to stderr */
};
/* Deploys one certificate with its key to its profile's targets and
 * prints what was done (or the error).  0 or -1. */
int cmd_deploy_cert(struct cmd_ca *ca, const struct store_cert *rec, X509 *cert, EVP_PKEY *key,
    const struct cmd_deploy_opts *o);
int cmd_deploy(int argc, const char **argv);
int cmd_snippet(int argc, const char **argv);
int cmd_acme(int argc, const char **argv);

/* batch.c: minica issue --batch FILE. */
struct batch_opts {
	const char *file;
	const char *out;	/* folder for every line's files; NULL: "." (none with deploy) */
	int jobs;		/* threads, >= 1 */
	int force;
	int json;
	int deploy;
	struct cmd_deploy_opts dep;
};
int cmd_issue_batch(const struct batch_opts *o);

/* findings.c: what check reports.  Severity follows the monitoring-plugin
 * convention so the worst one is the exit code. */
enum cmd_sev { SEV_OK = 0, SEV_WARNING = 1, SEV_CRITICAL = 2, SEV_UNKNOWN = 3 };
struct cmd_finding {
	enum cmd_sev sev;
	char serial[48];
	char what[128];		/* "smtpd mail.example.org", "root", ... */
	char *message;
};
struct cmd_findings {
	struct cmd_finding *v;
	size_t n, cap;
	enum cmd_sev worst;
};
int cmd_finding_add(struct cmd_findings *f, enum cmd_sev sev, const char *serial, const char *what,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void cmd_findings_free(struct cmd_findings *f);
/* check_deploy.c: every current or interrupted deployment (under root,
 * NULL: all): files as deployed, the certificate still current, and with
 * probe what the daemons serve. */
int cmd_check_deployments(struct cmd_ca *ca, const char *root, int probe, struct cmd_findings *f, size_t *count);
const char *cmd_sev_name(enum cmd_sev s);
