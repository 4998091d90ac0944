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

const struct cmd cmd_table[] = {
	{ "init", cmd_init, "create the CA: RSA-4096 root and an issuing intermediate" },
	{ "import", cmd_import, "adopt a root CA made by hand (openssl, easy-rsa) and what it issued" },
	{ "issue", cmd_issue, "issue a service certificate (smtpd, dovecot, nginx, server, client)" },
	{ "list", cmd_list, "list issued certificates" },
	{ "show", cmd_show, "show the CA or one certificate" },
	{ "deploy", cmd_deploy, "install a certificate and key into /etc/ssl and reload the service" },
	{ "snippet", cmd_snippet, "print the postfix, dovecot or nginx lines for what is deployed" },
	{ "profiles", cmd_profiles, "list certificate profiles and their deploy targets" },
	{ "bundle", cmd_bundle, "write the trust kit for client machines (root, profile, install scripts)" },
	{ "check", cmd_check, "what expires, what drifted (monitoring-plugin exit codes)" },
	{ "renew", cmd_renew, "re-issue what is due, redeploy, reload" },
	{ "revoke", cmd_revoke, "revoke a certificate" },
	{ "crl", cmd_crl, "write the issuing CA's CRL (--root: the root's)" },
	{ "intermediate", cmd_intermediate, "add or rotate the issuing intermediate (a root operation)" },
	{ "root", cmd_root, "move the root key offline and back" },
	{ "log", cmd_log, "print the audit trail" },
	{ "help", cmd_help, "list commands, or show help for one" },
	{ "version", cmd_version, "print the version" },
	{ NULL, NULL, NULL },
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
 * other users' processes. */
static void
no_core_dumps(void)
{
	struct rlimit rl = { 0, 0 };

	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static const struct cmd *
find_cmd(const char *name)
{
	for (const struct cmd *c = cmd_table; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* Global options before the command: --home DIR, --version, --help. */
static int
global_options(int *argc, const char ***argv)
{
	int i = 1;

	for (; i < *argc && (*argv)[i][0] == '-'; i++) {
		const char *a = (*argv)[i];

		if (strcmp(a, "--home") == 0 && i + 1 < *argc) {
			g.home_opt = (char *)(*argv)[++i];
		} else if (strncmp(a, "--home=", 7) == 0) {
			g.home_opt = (char *)a + 7;
		} else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
			return cmd_version(0, NULL) == 0 ? -2 : EXIT_ERR;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			return cmd_help(1, (const char *[]){ "help", NULL }) == 0 ? -2 : EXIT_ERR;
		} else {
			cmd_error("unknown option '%s'; see 'minica help'", a);
			return EXIT_USAGE;
		}
	}
	*argc -= i;
	*argv += i;
	return -1;
}

/* A full disk must be an error, not silence. */
static int
finish_output(int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		cmd_error("cannot write output: %s", strerror(errno ? errno : EIO));
		return EXIT_ERR;
	}
	return rc;
}

int
main(int argc, const char **argv)
{
	const struct cmd *c;
	int rc;

	umask(077);
	ensure_std_fds();
	no_core_dumps();
	cmd_passphrase_note_fds();
	cmd_passphrase_capture_env();
	g.pass_fd = -1;
	g.root_pass_fd = -1;
	rc = global_options(&argc, &argv);
	if (rc == -2)
		return finish_output(EXIT_OK);
	if (rc >= 0)
		return finish_output(rc);
	if (argc < 1) {
		cmd_error("no command given; see 'minica help'");
		return finish_output(EXIT_USAGE);
	}
	if ((c = find_cmd(argv[0])) == NULL) {
		cmd_error("unknown command '%s'; see 'minica help'", argv[0]);
		return finish_output(EXIT_USAGE);
	}
	g.cmdname = c->name;
	return finish_output(c->fn(argc, argv));
}
