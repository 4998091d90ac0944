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

/* json.c */
void cmd_json_str(FILE *f, const char *s);

/* One function per subcommand. */
int cmd_init(int argc, const char **argv);
int cmd_show(int argc, const char **argv);
int cmd_bundle(int argc, const char **argv);
int cmd_help(int argc, const char **argv);
int cmd_version(int argc, const char **argv);

#endif
