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
#include "../issue/issue.h"
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
	char *root_pass_file;	/* --root-passphrase-file */
	int root_pass_fd;	/* --root-passphrase-fd, -1 if unset */
	char *root_key;		/* --root-key: the offline copy of the root key */
	const char *progname;
	const char *cmdname;	/* the command running, for the lock holder */
	
};
extern struct cmd_globals g;
extern struct poptOption cmd_common_options[];
/* --root-passphrase-file, --root-passphrase-fd, --root-key: for the
 * commands that can do root operations. */
extern struct poptOption cmd_root_options[];

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

/* The CA of this command (issue/issue.h's handle): opened, locked and
 * unlocked with the messages minica prints. */
#define CA_LOCK_WAIT_MS 60000
/* Serialises every command that changes the CA or deployed files: a
 * bounded wait, then a clear "CA busy" error. */
int cmd_ca_lock(struct mc_ca *ca);
int cmd_open_ca(struct mc_ca *ca);
/* Reads the passphrase and decrypts the issuing key. */
int cmd_ca_unlock(struct mc_ca *ca);
/* Reads the root passphrase ("root passphrase") and decrypts the root
 * key (the home's, or --root-key). */
int cmd_ca_unlock_root(struct mc_ca *ca);
void cmd_close_ca(struct mc_ca *ca);

/* pass.c */
/* --passphrase-file, --passphrase-fd, MINICA_PASSPHRASE, else the terminal
 * (twice when confirm).  Empty refused.  out is wiped by mc_buf_free. */
int cmd_passphrase(const char *prompt, int confirm, struct mc_buf *out);
/* The root's: --root-passphrase-file, --root-passphrase-fd,
 * MINICA_ROOT_PASSPHRASE, else the terminal. */
int cmd_root_passphrase(const char *prompt, int confirm, struct mc_buf *out);
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

/* json.c */
void cmd_json_str(FILE *f, const char *s);

/* One function per subcommand. */
int cmd_init(int argc, const char **argv);
int cmd_show(int argc, const char **argv);
int cmd_bundle(int argc, const char **argv);
int cmd_help(int argc, const char **argv);
int cmd_version(int argc, const char **argv);

/* certout.c: one certificate as text or JSON (the keys README documents). */
const char *cmd_cert_status(const struct store_cert *c, time_t now);
long cmd_days_left(time_t not_after, time_t now);
void cmd_cert_json(FILE *f, const struct store_cert *c, int with_pem);
void cmd_cert_text(FILE *f, const struct store_cert *c, int with_pem);

int cmd_import(int argc, const char **argv);
int cmd_issue(int argc, const char **argv);
int cmd_revoke(int argc, const char **argv);
int cmd_renew(int argc, const char **argv);
int cmd_check(int argc, const char **argv);
int cmd_crl(int argc, const char **argv);
int cmd_intermediate(int argc, const char **argv);
int cmd_root(int argc, const char **argv);
int cmd_log(int argc, const char **argv);
int cmd_list(int argc, const char **argv);
int cmd_profiles(int argc, const char **argv);
int cmd_show_cert(struct mc_ca *ca, const char *serial, int json, int pem);

/* deploy.c */
struct cmd_deploy_opts {
	char *root;		/* resolved with dep_root_resolve before use */
	int no_reload;
	int system_trust;
	int json;		/* the summary goes to stderr */
};
/* Deploys one certificate with its key to its profile's targets and
 * prints what was done (or the error).  0 or -1. */
int cmd_deploy_cert(struct mc_ca *ca, const struct store_cert *rec, X509 *cert, EVP_PKEY *key,
    const struct cmd_deploy_opts *o);
int cmd_deploy(int argc, const char **argv);
int cmd_snippet(int argc, const char **argv);

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

#endif
