/* minica: the subcommand table and process set-up. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"

/* name, handler, what run_cmd prepares, exit status when stdout fails
 * (0: EXIT_ERR; check is a monitoring plugin: UNKNOWN), summary. */
const struct cmd cmd_table[] = {
	{ "init", cmd_init, ASKS_PASS, 0, "create the CA: RSA-4096 root and an issuing intermediate" },
	{ "import", cmd_import, ASKS_PASS, 0, "adopt a root CA made by hand (openssl, easy-rsa) and what it issued" },
	{ "issue", cmd_issue, NEEDS_CA | LOCKS_CA | NEEDS_KEY | LATE_KEY, 0,
	  "issue a service certificate (smtpd, dovecot, nginx, server, client)" },
	{ "list", cmd_list, NEEDS_CA, 0, "list issued certificates" },
	{ "show", cmd_show, NEEDS_CA, 0, "show the CA or one certificate" },
	{ "deploy", cmd_deploy, NEEDS_CA | LOCKS_CA, 0, "install a certificate and key into /etc/ssl and reload the service" },
	{ "deployments", cmd_deployments, NEEDS_CA, 0, "list where certificates are deployed and in what state" },
	{ "undeploy", cmd_undeploy, NEEDS_CA | LOCKS_CA, 0, "forget a deployment (and remove or restore its files)" },
	{ "snippet", cmd_snippet, NEEDS_CA, 0, "print the postfix, dovecot or nginx lines for what is deployed (nginx-acme: the ACME proxy block)" },
	{ "dane", cmd_dane, NEEDS_CA | LOCKS_CA | ASKS_PASS, 0, "print the DANE TLSA records for what is deployed (port 25)" },
	{ "profiles", cmd_profiles, NEEDS_CA, 0, "list certificate profiles and their deploy targets" },
	{ "bundle", cmd_bundle, NEEDS_CA, 0, "write the trust kit for client machines (root, profile, install scripts)" },
	{ "check", cmd_check, NEEDS_CA, 3, "what expires, what drifted (monitoring-plugin exit codes)" },
	{ "renew", cmd_renew, NEEDS_CA | LOCKS_CA | NEEDS_KEY | LATE_KEY, 0, "re-issue what is due, redeploy, reload" },
	{ "revoke", cmd_revoke, NEEDS_CA | LOCKS_CA, 0, "revoke a certificate" },
	{ "crl", cmd_crl, NEEDS_CA | LOCKS_CA | NEEDS_KEY | LATE_KEY, 0, "write the issuing CA's CRL (--root: the root's)" },
	{ "intermediate", cmd_intermediate, NEEDS_CA | LOCKS_CA | ASKS_PASS, 0,
	  "add or rotate the issuing intermediate (a root operation)" },
	{ "root", cmd_root, NEEDS_CA | LOCKS_CA | ASKS_PASS, 0, "move the root key offline and back; rotate the root" },
	{ "log", cmd_log, NEEDS_CA, 0, "print the audit trail" },
	/* serve and accounts clear LOCKS_CA: the server locks per signing. */
	{ "acme", cmd_acme, NEEDS_CA | LOCKS_CA | NEEDS_KEY | LATE_KEY, 0,
	  "serve ACME (RFC 8555 + ARI) to other hosts; list or deactivate accounts" },
	{ "help", cmd_help, 0, 0, "list commands, or show help for one" },
	{ "version", cmd_version, 0, 0, "print the version" },
	{ NULL, NULL, 0, 0, NULL },
};

/* fds 0-2 must exist, or a file we open could become "stdout". */
static void
ensure_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int n = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);

			if (n < 0)
				_exit(EXIT_ERR);
			if (n != fd) {
				dup2(n, fd);
				close(n);
			}
		}
	}
}

/* Key material lives in this process: no core files, no ptrace by
 * other users' processes.  The hard limit stays, so children (reload
 * hooks) get the caller's limit back (mc_child_prepare). */
static void
no_core_dumps(void)
{
	struct rlimit rl = { 0, 0 };

	if (getrlimit(RLIMIT_CORE, &rl) == 0)
		rl.rlim_cur = 0;
	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* --passphrase-fd N before the command. */
static int
global_fd(const char *v)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (*v == '\0' || *end != '\0' || n < 0 || n > 65535) {
		cmd_error("--passphrase-fd: '%s' is not a whole number from 0 to 65535; see 'minica help'", v);
		return -1;
	}
	cmd_globals.pass_fd = (int)n;
	return 0;
}

/* One global option with its value (--opt V or --opt=V): 1 taken, 0 not
 * this one, -1 refused. */
static int
global_value(int argc, const char **argv, int *i, const char *name, const char **val)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, name, n) != 0 || (a[n] != '\0' && a[n] != '='))
		return 0;
	if (a[n] == '=') {
		*val = a + n + 1;
		return 1;
	}
	if (*i + 1 >= argc) {
		cmd_error("%s needs a value; see 'minica help'", name);
		return -1;
	}
	*val = argv[++*i];
	return 1;
}

/* Global options before the command: --home DIR, --passphrase-file FILE,
 * --passphrase-fd N, --version, --help. */
static int
global_options(int *argc, const char ***argv, const char **home)
{
	const char *pf = NULL;
	int i = 1, r;

	for (; i < *argc && (*argv)[i][0] == '-'; i++) {
		const char *a = (*argv)[i], *v;

		if ((r = global_value(*argc, *argv, &i, "--home", home)) != 0 ||
		    (r = global_value(*argc, *argv, &i, "--passphrase-file", &pf)) != 0) {
			if (r < 0)
				return EXIT_USAGE;
			cmd_globals.pass_file = pf != NULL ? pf : cmd_globals.pass_file;
		} else if ((r = global_value(*argc, *argv, &i, "--passphrase-fd", &v)) != 0) {
			if (r < 0 || global_fd(v) < 0)
				return EXIT_USAGE;
		} else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
			return run_cmd(cmd_find("version"), 1, (const char *[]){ "version", NULL }, NULL) == 0 ? -2 : EXIT_ERR;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 || strcmp(a, "-?") == 0) {
			return run_cmd(cmd_find("help"), 1, (const char *[]){ "help", NULL }, NULL) == 0 ? -2 : EXIT_ERR;
		} else {
			cmd_error("unknown option '%s' before the command; see 'minica help'", a);
			return EXIT_USAGE;
		}
	}
	*argc -= i;
	*argv += i;
	return -1;
}

/* An unknown command, with the nearest known one. */
static int
unknown_command(const char *name)
{
	const char *near = cmd_suggest_command(name);

	if (near != NULL)
		cmd_error("unknown command '%s'; did you mean '%s'? (see 'minica help')", name, near);
	else
		cmd_error("unknown command '%s'; see 'minica help'", name);
	return EXIT_USAGE;
}

int
main(int argc, const char **argv)
{
	const struct cmd *c;
	const char *home = NULL;
	int rc;

	mc_child_state_save();
	umask(077);
	ensure_std_fds();
	no_core_dumps();
	cmd_passphrase_note_fds();
	cmd_passphrase_capture_env();
	rc = global_options(&argc, &argv, &home);
	if (rc == -2)
		return cmd_finish(NULL, EXIT_OK);
	if (rc >= 0)
		return cmd_finish(NULL, rc);
	if (argc < 1) {
		cmd_error("no command given; see 'minica help'");
		return cmd_finish(NULL, EXIT_USAGE);
	}
	if ((c = cmd_find(argv[0])) == NULL)
		return cmd_finish(NULL, unknown_command(argv[0]));
	return cmd_finish(c, run_cmd(c, argc, argv, home));
}
