/*
 * cmd: main, the command table, popt parsing, prompts, printing and exit
 * codes.  Command files stay thin: parse, call the library (issue/ for
 * anything that signs), print.
 *
 * Adding a command (as git's builtin.h says for git):
 *
 *  1. Write cmd/NAME.c with   int cmd_NAME(struct cmd_ctx *ctx)   and
 *     declare it below.  Its options are a local popt table ending in
 *     CMD_COMMON_OPTIONS (no comma: it has one), POPT_TABLEEND; call
 *         if ((rc = cmd_args(ctx, opts, "ARGS-HELP", MAX_OPERANDS)) != 0)
 *                 return rc;
 *     which parses, refuses a repeated single-valued option and more
 *     than MAX_OPERANDS operands (-1: any; they are ctx->args), and owns
 *     every string popt hands out (nothing to free).
 *  2. Check the option values (cmd_usage_error for a bad one), then
 *         if ((rc = cmd_setup(ctx)) != 0)
 *                 return rc;
 *     which opens, locks and unlocks the CA as the table's flags say:
 *     the CA is then &ctx->ca.  Do not close it: run_cmd does.
 *  3. Add a line to cmd_table in cmd/main.c:
 *         { "NAME", cmd_NAME, NEEDS_CA | LOCKS_CA, 0, "one-line summary" },
 *     NEEDS_CA: open the CA; LOCKS_CA: it changes the CA or deployed
 *     files; NEEDS_KEY: it signs (the passphrase is read and the key
 *     decrypted; with LATE_KEY only when the handler calls cmd_unlock,
 *     after its cheap checks).  The fourth field is the exit status when
 *     stdout cannot be written (0: EXIT_ERR).
 *  4. Print with printf (the result) and cmd_say (human text: it goes to
 *     stderr once the handler sets ctx->json), errors with cmd_error /
 *     cmd_fail.  Return an exit status.  Document it in docs/minica.1
 *     and test it in tests/cli/.
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

/* What run_cmd prepares before and releases after a handler. */
enum cmd_flags {
	NEEDS_CA = 1 << 0,	/* open the CA home (store, config, certificate) */
	LOCKS_CA = 1 << 1,	/* take the CA lock (implies NEEDS_CA) */
	NEEDS_KEY = 1 << 2,	/* unlock the signing key (implies NEEDS_CA) */
	LATE_KEY = 1 << 3,	/* with NEEDS_KEY: the handler calls cmd_unlock */
	ASKS_PASS = 1 << 4,	/* reads a passphrase itself (--help shows the options) */
};

struct cmd_ctx;

struct cmd {
	const char *name;
	int (*fn)(struct cmd_ctx *ctx);
	unsigned flags;
	int out_fail;		/* exit status when stdout fails; 0: EXIT_ERR */
	const char *summary;
};

extern const struct cmd cmd_table[];

/* The options every command accepts. */
struct cmd_common {
	char *home_opt;		/* --home (after the command) */
	char *pass_file;	/* --passphrase-file */
	int pass_fd;		/* --passphrase-fd, -1 if unset */
	/* CMD_ROOT_OPTIONS, for the commands that can do root operations */
	char *root_pass_file;	/* --root-passphrase-file */
	int root_pass_fd;	/* --root-passphrase-fd, -1 if unset */
	char *root_key;		/* --root-key: the offline copy of the root key */
};

/* One run of one command. */
struct cmd_ctx {
	const struct cmd *cmd;
	int argc;
	const char **argv;
	const char **args;	/* operands after cmd_args (NULL-terminated, never NULL) */
	int nargs;
	unsigned flags;		/* cmd->flags; a handler may clear some before cmd_setup */
	int json;		/* --json: cmd_say goes to stderr */
	const char *home;	/* after cmd_resolve_home / cmd_setup */
	const char *global_home;	/* --home given before the command */
	struct cmd_common opt;
	struct mc_ca ca;	/* after cmd_setup (NEEDS_CA) */
	/* run.c's */
	poptContext popt;
	struct poptOption common_tab[5];
	char pname[64];		/* "minica NAME": popt's argv[0] */
	const char **pargv;
	struct mc_strv owned;	/* popt's strings, freed by run_cmd */
	void **owned_v;		/* popt's argv arrays */
	size_t nowned_v;
	char home_buf[4096];
};

/* --root-passphrase-file, --root-passphrase-fd, --root-key: in the popt
 * table of a command that can do root operations (before
 * CMD_COMMON_OPTIONS). */
#define CMD_ROOT_OPTIONS(ctx) \
	{ "root-passphrase-file", 0, POPT_ARG_STRING, &(ctx)->opt.root_pass_file, 0, \
	  "read the root passphrase from FILE", "FILE" }, \
	{ "root-passphrase-fd", 0, POPT_ARG_INT, &(ctx)->opt.root_pass_fd, 0, \
	  "read the root passphrase from file descriptor N", "N" }, \
	{ "root-key", 0, POPT_ARG_STRING, &(ctx)->opt.root_key, 0, \
	  "the root key's offline copy (when not in the home)", "FILE" }

/* The common options' slot in a command's popt table. */
#define CMD_COMMON_OPTIONS \
	{ NULL, 0, POPT_ARG_INCLUDE_TABLE, NULL, 0, "Common options:", NULL }, \
	{ NULL, 0, POPT_ARG_INCLUDE_TABLE, cmd_help_options, 0, "Help options:", NULL },

/* args.c */
#define CMD_OPT_HELP 0x3001
#define CMD_OPT_USAGE 0x3002
/* cmd_args' status after printing --help or --usage: run_cmd makes it 0. */
#define CMD_HELPED 0x3000
extern struct poptOption cmd_help_options[];
/* The common options given before the command (main sets them). */
struct cmd_globals {
	const char *pass_file;
	int pass_fd;
};
extern struct cmd_globals cmd_globals;
void cmd_fill_common(struct cmd_ctx *ctx);

/* suggest.c: "did you mean" for a command and for an unknown option. */
const char *cmd_suggest_command(const char *name);
/* The message for popt's error rc (EXIT_USAGE). */
int cmd_bad_option(struct cmd_ctx *ctx, const struct poptOption *opts, int rc);
/* The one numeric message: "OPT: 'VAL' is not a whole number from MIN to
 * MAX" (no range when min > max).  EXIT_USAGE. */
int cmd_number_error(const char *cmdname, const char *opt, const char *val, long min, long max);

/* usage.c: a command's --help (popt's, then examples, then for issue the
 * profiles). */
void cmd_help_command(struct cmd_ctx *ctx, FILE *f);

/* run.c */
/* Runs c: the handler with a fresh context, then closes the CA and frees
 * what popt handed out.  Output errors are main's (cmd_finish). */
int run_cmd(const struct cmd *c, int argc, const char **argv, const char *global_home);
/* Flushes and closes stdout; when that fails, c's out_fail (or EXIT_ERR). */
int cmd_finish(const struct cmd *c, int rc);
const struct cmd *cmd_find(const char *name);
/* Parses ctx->argv with opts (step 1 above).  0, or EXIT_USAGE printed. */
int cmd_args(struct cmd_ctx *ctx, struct poptOption *opts, const char *args_help, int max_args);
/* Opens / locks / unlocks the CA as ctx->flags say.  0 or EXIT_ERR printed. */
int cmd_setup(struct cmd_ctx *ctx);
/* Reads the passphrase and decrypts the CA key (LATE_KEY).  0 or EXIT_ERR. */
int cmd_unlock(struct cmd_ctx *ctx);
/* The same, handing back the passphrase, which then also opens what is
 * encrypted with it (the staged DANE keys); the caller wipes it with
 * mc_buf_free.  0 or EXIT_ERR printed (nothing kept). */
int cmd_unlock_keep(struct cmd_ctx *ctx, struct mc_buf *pass);
/* Human text: stdout, or stderr under --json (ctx->json). */
void cmd_say(const struct cmd_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The stream for human text (stdout, or stderr under --json). */
FILE *cmd_human(const struct cmd_ctx *ctx);

/* common.c */
/* Prints "minica: message" to stderr. */
void cmd_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cmd_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The library's last message as an error; returns EXIT_ERR. */
int cmd_fail(void);
int cmd_usage_error(const char *cmdname, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Resolves ctx->home (--home, MINICA_HOME, default) and builds paths in it. */
int cmd_resolve_home(struct cmd_ctx *ctx);
char *cmd_home_path(const struct cmd_ctx *ctx, const char *rel);
/* Checks the home and private/ are not open to group/others. */
int cmd_check_home_modes(const struct cmd_ctx *ctx);
/* Prints a library warning (the mc_ca warn callback). */
void cmd_print_warning(void *arg, const char *msg);

#define CA_LOCK_WAIT_MS 60000

/* pass.c */
/* --passphrase-file, --passphrase-fd, MINICA_PASSPHRASE, else the terminal
 * (twice when confirm).  Empty refused.  out is wiped by mc_buf_free. */
/* 1 when the passphrase would be read from the terminal (no file, fd or
 * environment variable given). */
int cmd_passphrase_asks_tty(const char *file, int fd, const char *envname);
/* lock.c: MINICA_LOCK_TIMEOUT (seconds) as the lock wait, in *ms. */
int cmd_lock_wait_ms(int *ms);
/* With tty set, lets the CA lock go for the prompt: -1 (printed), 0 not
 * held, 1 let go; cmd_lock_resume takes it back (printed on failure,
 * e.g. the CA changed meanwhile). */
int cmd_lock_pause(struct cmd_ctx *ctx, int tty, int64_t *version);
int cmd_lock_resume(struct cmd_ctx *ctx, int paused, int64_t version);
int cmd_passphrase(const struct cmd_ctx *ctx, const char *prompt, int confirm, struct mc_buf *out);
/* The root's: --root-passphrase-file, --root-passphrase-fd,
 * MINICA_ROOT_PASSPHRASE, else the terminal. */
int cmd_root_passphrase(const struct cmd_ctx *ctx, const char *prompt, int confirm, struct mc_buf *out);
/* Reads the root passphrase ("root passphrase") and decrypts the root key
 * (the home's, or --root-key) into ctx->ca.  0 or EXIT_ERR printed. */
int cmd_unlock_root(struct cmd_ctx *ctx);
/* The same, handing back the root passphrase (wiped by mc_buf_free). */
int cmd_unlock_root_keep(struct cmd_ctx *ctx, struct mc_buf *pass);
/* Reads a passphrase from a file or fd with the same rules (for the p12 or
 * old-CA passphrase). */
int cmd_passphrase_from(const char *file, int fd, const char *envname, const char *prompt, int confirm, struct mc_buf *out);
/* tty.c: prompt (and, with confirm, prompt again) on the terminal with
 * echo off; envname names the other sources in the error without one. */
int cmd_tty_passphrase(const char *prompt, const char *envname, int confirm, struct mc_buf *out);
/* The terminal's width when stdout is a terminal (100 if unknown), else 0. */
int cmd_term_columns(void);
/* Called once at start: takes MINICA_PASSPHRASE out of the environment so
 * no child ever inherits it. */
void cmd_passphrase_capture_env(void);
/* Called once at start, before minica opens anything: which descriptors
 * were inherited, so --passphrase-fd N cannot read one of minica's own
 * files.  Without it every descriptor is accepted (unit tests). */
void cmd_passphrase_note_fds(void);
/* Wipes and frees the captured copies (registered with atexit). */
void cmd_passphrase_forget_env(void);

/* home.c: a new CA home, shared by init and import (the writing is
 * issue/'s iss_new_ca_write). */
struct cmd_home_made {
	int made_home;
	int made_private;
};
/* 1 (after printing why) if the home already holds any CA file. */
int cmd_home_refuse_existing(const struct cmd_ctx *ctx);
/* Creates the home and private/ (0700) as needed and checks their modes;
 * prints on failure.  made records what to remove on a later failure. */
int cmd_home_make(const struct cmd_ctx *ctx, struct cmd_home_made *made);
void cmd_home_remove_partial(const struct cmd_ctx *ctx, const struct cmd_home_made *made);

/* json.c */
void cmd_json_str(FILE *f, const char *s);

/* One function per subcommand. */
int cmd_init(struct cmd_ctx *ctx);
int cmd_show(struct cmd_ctx *ctx);
int cmd_bundle(struct cmd_ctx *ctx);
int cmd_help(struct cmd_ctx *ctx);
int cmd_version(struct cmd_ctx *ctx);

/* certout.c: one certificate as text or JSON (the keys README documents). */
const char *cmd_cert_status(const struct store_cert *c, time_t now);
void cmd_cert_json(FILE *f, const struct store_cert *c, int with_pem);
/* issue --batch --stats: CPU time per stage, wall time per phase, on stderr. */
void cmd_print_stats(const struct iss_stats *st, double total_s);
struct cmd_json_files {
	int issued;		/* 1: signed now; 0: an existing one kept */
	const char *dir;	/* NULL: no files written */
	const char *name;	/* base name in dir */
	int with_key;
	const char *p12;	/* NULL: none */
};
void cmd_cert_json_result(FILE *f, const struct store_cert *c, const struct cmd_json_files *w);

int cmd_import(struct cmd_ctx *ctx);
int cmd_issue(struct cmd_ctx *ctx);
int cmd_revoke(struct cmd_ctx *ctx);
/* confirm.c: names the current deployments of c (they go CRITICAL) and,
 * on a terminal without --yes, asks.  0: go on; else the exit status. */
int cmd_revoke_confirm(struct cmd_ctx *ctx, const struct store_cert *c, int yes);
int cmd_renew(struct cmd_ctx *ctx);
int cmd_check(struct cmd_ctx *ctx);
int cmd_crl(struct cmd_ctx *ctx);
int cmd_intermediate(struct cmd_ctx *ctx);
int cmd_root(struct cmd_ctx *ctx);
/* crl.c (the CA locked).  renew: how many leaf-level CRLs are due (0
 * when none was ever written), or -1 printed; then written with the
 * unlocked CA's passphrase (which opens the retired intermediates' keys
 * too), or with dry_run said: how many failed (printed), -1 none tried. */
int cmd_crl_due(struct cmd_ctx *ctx);
int cmd_crl_renew(struct cmd_ctx *ctx, int dry_run, const struct mc_buf *pass, FILE *report);
/* After a new intermediate (root_level 0, pass the intermediate's) or a
 * new root (1, the root's; the old root's key as iss_crl_key finds it):
 * every CRL of that level written again at once, if that level has
 * CRLs (force: anyway), so check finds none of another CA where the
 * current one's was.  EXIT_OK or printed. */
int cmd_crl_refresh(struct cmd_ctx *ctx, int root_level, const struct mc_buf *pass, int force);
/* 1 if a CRL of the level was ever written, 0 not, -1 printed. */
int cmd_crl_in_use(struct cmd_ctx *ctx, int root_level);

/* importopts.c: --cert FILE and --profile P in command-line order (a popt
 * callback): a --profile right after a --cert is that file's; any other
 * is the default (dflt) for the certificates without their own. */
struct cmd_import_cert {
	char *path;
	char *profile;
};
struct cmd_import_certs {
	struct cmd_import_cert *v;
	size_t n;
	char *dflt;
	int failed;
};
void cmd_import_order_cb(poptContext ctx, enum poptCallbackReason why, const struct poptOption *opt,
    const char *arg, const void *data);
/* The profile for a certificate read from source (NULL: from its usage). */
const char *cmd_import_profile(const void *certs, const char *source);
/* The first profile named that cfg does not know, or NULL. */
const char *cmd_import_profiles_check(const struct cmd_import_certs *l, const struct pol_config *cfg);
void cmd_import_certs_free(struct cmd_import_certs *l);
int cmd_log(struct cmd_ctx *ctx);
int cmd_list(struct cmd_ctx *ctx);
int cmd_profiles(struct cmd_ctx *ctx);
int cmd_show_cert(struct mc_ca *ca, const char *serial, int json, int pem);
/* show.c: the ACME order, account and validations behind a certificate
 * (o NULL: none; JSON: a ",\"acme\":..." member). */
void cmd_show_acme(FILE *f, const struct store_acme_origin *o, int json);

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
/* The same; *in_place (may be NULL) says whether the new pair is at the
 * targets afterwards (a failed reload with no previous pair keeps it). */
int cmd_deploy_cert2(struct mc_ca *ca, const struct store_cert *rec, X509 *cert, EVP_PKEY *key,
    const struct cmd_deploy_opts *o, int *in_place);
/* A deploy failed and the new key exists nowhere else: writes the leaf
 * files to dir as NAME-SERIAL.* (never over another file) and says so
 * on stderr.  0 or -1 (printed). */
int cmd_keep_key(struct mc_ca *ca, const char *dir, const struct iss_issued *is);
int cmd_deploy(struct cmd_ctx *ctx);
int cmd_snippet(struct cmd_ctx *ctx);
int cmd_snippet_nginx_acme(struct cmd_ctx *ctx);
int cmd_dane(struct cmd_ctx *ctx);
int cmd_undeploy(struct cmd_ctx *ctx);
int cmd_deployments(struct cmd_ctx *ctx);
/* deployments.c: where c is deployed, for show (lines "  deployed ..."). */
int cmd_print_deployed_at(struct mc_ca *ca, const struct store_cert *c);

/* current.c: issue when a valid, not-due certificate for the same
 * profile and names exists.  -1: there is none (go on and issue);
 * else the exit status, after printing (a request that differs is
 * refused naming what; with deploy the current one is deployed when
 * its key is in dir or at the target). */
struct cmd_current_opts {
	int deploy;
	int json;
	const char *dir;			/* --out, or "." */
	const struct cmd_deploy_opts *dep;	/* root resolved */
};
int cmd_issue_current(struct mc_ca *ca, const struct iss_plan *p, const struct iss_req *req,
    const struct cmd_current_opts *o);

/* The file name for c's files in dir: its CN or first name, or
 * PROFILE-NAME when NAME.crt there is another profile's certificate. */
void cmd_leaf_file_name_in(struct mc_ca *ca, const char *dir, const struct store_cert *c, const char *profile,
    char *out, size_t len);
int cmd_acme(struct cmd_ctx *ctx);

/* batch.c: minica issue --batch FILE. */
struct batch_opts {
	const char *file;
	const char *out;	/* folder for every line's files; NULL: "." (none with deploy) */
	int jobs;		/* threads, >= 1 */
	int force;
	int json;
	int deploy;
	struct cmd_deploy_opts dep;
	int stats;		/* --stats: time per stage on stderr */
};
int cmd_issue_batch(struct cmd_ctx *ctx, const struct batch_opts *o);

#endif
