/* The passphrase from the terminal, echo off, restored on any signal. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cmd.h"

#define PASS_MAX 1024

static struct termios saved_tio;
static int tty_fd = -1;

static void
restore_tty(int sig)
{
	if (tty_fd >= 0)
		tcsetattr(tty_fd, TCSAFLUSH, &saved_tio);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* "MINICA_OLD_PASSPHRASE" -> "--old-passphrase-file FILE, --old-passphrase-fd N
 * or MINICA_OLD_PASSPHRASE": the options follow the variable's name. */
static void
no_tty_error(const char *envname)
{
	char opt[64];
	size_t n = 0;

	if (envname == NULL)
		envname = "MINICA_PASSPHRASE";
	for (const char *p = envname + (strncmp(envname, "MINICA_", 7) == 0 ? 7 : 0); *p && n + 1 < sizeof(opt); p++)
		opt[n++] = *p == '_' ? '-' : (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	opt[n] = '\0';
	mc_seterr("no passphrase given and no terminal to ask on: use --%s-file FILE, "
	    "--%s-fd N or %s", opt, opt, envname);
}

static int
read_tty(const char *prompt, const char *envname, struct mc_buf *out)
{
	struct termios tio;
	char c;
	int rc = -1;
	ssize_t n;

	if ((tty_fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0 || tcgetattr(tty_fd, &saved_tio) < 0) {
		no_tty_error(envname);
		goto out;
	}
	tio = saved_tio;
	tio.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	tio.c_lflag |= ICANON;
	signal(SIGINT, restore_tty);
	signal(SIGTERM, restore_tty);
	signal(SIGTSTP, SIG_IGN);
	/* Echo off before the prompt: what is typed once it shows is kept
	 * (TCSAFLUSH drops only what came before). */
	if (tcsetattr(tty_fd, TCSAFLUSH, &tio) < 0 || write(tty_fd, prompt, strlen(prompt)) < 0 ||
	    write(tty_fd, ": ", 2) < 0) {
		mc_seterr("cannot prompt on the terminal: %s", strerror(errno));
		goto out;
	}
	while ((n = read(tty_fd, &c, 1)) == 1 && c != '\n') {
		if (out->len >= PASS_MAX || mc_buf_add(out, &c, 1) < 0) {
			mc_seterr("passphrase longer than %d bytes", PASS_MAX);
			goto restore;
		}
	}
	rc = n < 0 ? -1 : 0;
	if (rc < 0)
		mc_seterr("cannot read from the terminal: %s", strerror(errno));
restore:
	tcsetattr(tty_fd, TCSAFLUSH, &saved_tio);
	n = write(tty_fd, "\n", 1);	/* cosmetic; failure changes nothing */
out:
	c = 0;
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGTSTP, SIG_DFL);
	if (tty_fd >= 0)
		close(tty_fd);
	tty_fd = -1;
	return rc;
}

/* A new passphrase is typed twice; when the two differ it is asked for
 * again, three times at most. */
int
cmd_tty_passphrase(const char *prompt, const char *envname, int confirm, struct mc_buf *out)
{
	struct mc_buf again = { 0 };
	char p2[256];
	int rc = -1;

	for (int tries = 0; tries < 3; tries++) {
		mc_buf_free(out);
		mc_buf_free(&again);
		if (read_tty(prompt, envname, out) < 0)
			goto out;
		if (!confirm) {
			rc = 0;
			goto out;
		}
		snprintf(p2, sizeof(p2), "%s (again)", prompt);
		if (read_tty(p2, envname, &again) < 0)
			goto out;
		if (again.len == out->len && CRYPTO_memcmp(again.p, out->p, out->len) == 0) {
			rc = 0;
			goto out;
		}
		if (tries < 2)
			fprintf(stderr, "minica: the two passphrases differ; type them again\n");
	}
	mc_seterr("the two passphrases differ, three times; nothing was changed");
out:
	mc_buf_free(&again);
	return rc;
}

int
cmd_term_columns(void)
{
	struct winsize ws;

	if (!isatty(STDOUT_FILENO))
		return 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_col == 0)
		return 100;
	return ws.ws_col;
}
