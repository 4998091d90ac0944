/*
 * cmd: main, the subcommand table, popt parsing, prompts, printing and
 * exit codes.  Command files stay thin: parse, call the library, print.
 */
#ifndef MINICA_CMD_H
#define MINICA_CMD_H

#include <popt.h>
#include <stdio.h>

#include "../ca/ca.h"
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
};
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
/* Wipes and frees the captured copies (registered with atexit). */
void cmd_passphrase_forget_env(void);

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
/* One transaction: the certificate row and its audit event. */
int cmd_issue_record(struct cmd_ca *ca, struct issued *is, const char *action);
void cmd_issued_free(struct issued *is);
/* NAME.crt, NAME-fullchain.crt and (unless CSR) NAME.key (0600,
 * exclusive) in dir (created 0700).  Check first, write after commit. */
int cmd_leaf_files_check(const char *dir, const char *name, int with_key);
int cmd_leaf_files_write(const char *dir, const char *name, const struct issued *is, X509 *root);
/* A file name for a certificate: its CN or first name, made safe. */
void cmd_leaf_file_name(const struct store_cert *c, char *out, size_t len);

/* certout.c: one certificate as text or JSON (the keys README documents). */
const char *cmd_cert_status(const struct store_cert *c, time_t now);
long cmd_days_left(time_t not_after, time_t now);
void cmd_cert_json(FILE *f, const struct store_cert *c, int with_pem);
void cmd_cert_text(FILE *f, const struct store_cert *c, int with_pem);

int cmd_issue(int argc, const char **argv);
int cmd_list(int argc, const char **argv);
int cmd_profiles(int argc, const char **argv);
int cmd_show_cert(struct cmd_ca *ca, const char *serial, int json, int pem);
