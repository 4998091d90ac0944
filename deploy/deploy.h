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
/*
 * The whole deployment: repairs any interrupted deployment to the same
 * files first, checks that key matches cert, records a 'pending' row,
 * stages both files (final mode and owner before content, fsynced), keeps
 * hard links to the previous pair, renames both back to back, syncs both
 * folders, installs the root at ca_cert, reloads, then records 'current'
 * with an audit event.  Any failure (a failed reload included) restores
 * the previous pair, reloads again, and records 'failed'.
 */
int dep_deploy(struct store *st, const struct dep_req *req, struct dep_result *res);
void dep_result_free(struct dep_result *res);
/* Repairs the interrupted (pending) deployments that wrote path_a or
 * path_b (NULL: every pending one under root; root NULL: any root). */
int dep_repair_pending(struct store *st, const char *root, const char *path_a, const char *path_b,
    struct mc_strv *notes);
/* Installs the root as /usr/local/share/ca-certificates/minica.crt under
 * root and, when root is "/" and update-ca-certificates exists, runs it.
 * A note says what was done. */
int dep_system_trust(const char *root, X509 *ca, int timeout, struct mc_strv *notes);

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
/* The profile a daemon's snippet is about: smtpd, dovecot, nginx; NULL
 * for an unknown daemon (with a message). */
const char *dep_snippet_profile(const char *daemon);

#endif
