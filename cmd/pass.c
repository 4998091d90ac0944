/*
 * Passphrases: from a file, a file descriptor, the environment (captured
 * at start and removed so no child inherits it) or the terminal with echo
 * off.  Never argv.  Every buffer is wiped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cmd.h"

#define PASS_MAX 1024

static struct {
	const char *name;
	char *value;
	size_t len;
} env_pass[] = {
	{ "MINICA_PASSPHRASE", NULL, 0 },
	{ "MINICA_P12_PASSPHRASE", NULL, 0 },
	{ "MINICA_OLD_PASSPHRASE", NULL, 0 },
	{ "MINICA_ROOT_PASSPHRASE", NULL, 0 },
};

/* Wipes the captured copy of one variable (NULL: all of them). */
static void
forget_env(const char *name)
{
	for (size_t i = 0; i < sizeof(env_pass) / sizeof(env_pass[0]); i++) {
		if (name != NULL && strcmp(env_pass[i].name, name) != 0)
			continue;
		if (env_pass[i].value != NULL) {
			OPENSSL_cleanse(env_pass[i].value, env_pass[i].len + 1);
			free(env_pass[i].value);
		}
		env_pass[i].value = NULL;
		env_pass[i].len = 0;
	}
}

void
cmd_passphrase_forget_env(void)
{
	forget_env(NULL);
}

void
cmd_passphrase_capture_env(void)
{
	static int registered;

	/* The copies live until exit: wipe them then, on every exit path. */
	if (!registered && atexit(cmd_passphrase_forget_env) == 0)
		registered = 1;
	for (size_t i = 0; i < sizeof(env_pass) / sizeof(env_pass[0]); i++) {
		char *v = getenv(env_pass[i].name);

		if (v == NULL)
			continue;
		if (env_pass[i].value != NULL) {	/* captured twice */
			OPENSSL_cleanse(env_pass[i].value, env_pass[i].len + 1);
			free(env_pass[i].value);
		}
		env_pass[i].len = strlen(v);
		env_pass[i].value = malloc(env_pass[i].len + 1);
		if (env_pass[i].value != NULL)
			memcpy(env_pass[i].value, v, env_pass[i].len + 1);
		OPENSSL_cleanse(v, env_pass[i].len);
		unsetenv(env_pass[i].name);
	}
}

static const char *
captured_env(const char *name, size_t *len)
{
	for (size_t i = 0; name != NULL && i < sizeof(env_pass) / sizeof(env_pass[0]); i++) {
		if (strcmp(env_pass[i].name, name) == 0 && env_pass[i].value != NULL) {
			*len = env_pass[i].len;
			return env_pass[i].value;
		}
	}
	return NULL;
}

/* One trailing newline (or CRLF) is the file's, not the passphrase's. */
static void
strip_newline(struct mc_buf *b)
{
	if (b->len > 0 && b->p[b->len - 1] == '\n')
		b->p[--b->len] = '\0';
	if (b->len > 0 && b->p[b->len - 1] == '\r')
		b->p[--b->len] = '\0';
}

static int
read_fd(int fd, const char *what, struct mc_buf *out)
{
	char chunk[256];
	int rc = -1;

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			mc_seterr("cannot read passphrase from %s: %s", what, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (out->len + (size_t)n > PASS_MAX) {
			mc_seterr("passphrase from %s is longer than %d bytes; is it the right file?", what, PASS_MAX);
			goto out;
		}
		if (mc_buf_add(out, chunk, (size_t)n) < 0)
			goto out;
	}
	strip_newline(out);
	rc = 0;
out:
	OPENSSL_cleanse(chunk, sizeof(chunk));
	return rc;
}

static int
read_file(const char *path, struct mc_buf *out)
{
	char what[600];
	struct stat st;
	int fd, rc;

	snprintf(what, sizeof(what), "'%s'", path);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		mc_seterr("cannot open passphrase file '%s': %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077))
		cmd_warn("passphrase file '%s' is readable by group or others (mode %04o); chmod 600 it",
		    path, (unsigned)(st.st_mode & 07777));
	rc = read_fd(fd, what, out);
	close(fd);
	return rc;
}

/*
 * --passphrase-fd N must name a descriptor minica was started with: by the
 * time it is read, minica has opened its own files (the database, the lock,
 * the key), and a mistyped N would read one of those instead.
 */
#define FD_TRACKED 1024
static unsigned char fd_open_at_start[FD_TRACKED / 8];
static int fds_noted;

void
cmd_passphrase_note_fds(void)
{
	memset(fd_open_at_start, 0, sizeof(fd_open_at_start));
	for (int fd = 0; fd < FD_TRACKED; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			fd_open_at_start[fd / 8] |= (unsigned char)(1u << (fd % 8));
	fds_noted = 1;
}

static int
fd_inherited(int fd)
{
	if (!fds_noted)
		return 1;
	return fd < FD_TRACKED && (fd_open_at_start[fd / 8] & (1u << (fd % 8)));
}

static int
read_given_fd(int fd, struct mc_buf *out)
{
	char what[32];
	int rc;

	snprintf(what, sizeof(what), "file descriptor %d", fd);
	if (!fd_inherited(fd)) {
		mc_seterr("cannot read passphrase from %s: not open when minica started "
		    "(or already read); e.g. --passphrase-fd 3 3<FILE", what);
		return -1;
	}
	rc = read_fd(fd, what, out);
	close(fd);
	/* Closed now: the same number may be one of minica's files next. */
	if (fd < FD_TRACKED)
		fd_open_at_start[fd / 8] &= (unsigned char)~(1u << (fd % 8));
	return rc;
}

/*
 * systemd's credentials (LoadCredential=, LoadCredentialEncrypted=): a
 * service given one named "minica-passphrase" finds the intermediate's
 * passphrase in $CREDENTIALS_DIRECTORY, after the options and
 * MINICA_PASSPHRASE, before the terminal.  Only that one: the root's
 * passphrase belongs to no unattended service.  1: path is the file.
 */
#define CREDENTIAL_NAME "minica-passphrase"

static int
credential_path(const char *envname, char *path, size_t len)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	struct stat st;
	int n;

	if (strcmp(envname, "MINICA_PASSPHRASE") != 0 || dir == NULL || dir[0] != '/')
		return 0;
	n = snprintf(path, len, "%s/%s", dir, CREDENTIAL_NAME);
	return n > 0 && (size_t)n < len && stat(path, &st) == 0;
}

int
cmd_passphrase_from(const char *file, int fd, const char *envname, const char *prompt, int confirm,
    struct mc_buf *out)
{
	char cred[4096];
	const char *env;
	size_t envlen = 0;
	int rc;

	mc_buf_free(out);
	if (file != NULL) {
		rc = read_file(file, out);
	} else if (fd >= 0) {
		rc = read_given_fd(fd, out);
	} else if ((env = captured_env(envname, &envlen)) != NULL) {
		rc = mc_buf_add(out, env, envlen);
	} else if (credential_path(envname, cred, sizeof(cred))) {
		rc = read_file(cred, out);
	} else {
		rc = cmd_tty_passphrase(prompt, envname, confirm, out);
	}
	if (rc == 0 && out->len == 0) {
		mc_seterr("empty passphrase refused");
		rc = -1;
	}
	if (rc == 0 && memchr(out->p, '\0', out->len) != NULL) {
		mc_seterr("passphrase contains a NUL byte");
		rc = -1;
	}
	if (rc < 0)
		mc_buf_free(out);
	return rc;
}

int
cmd_passphrase_asks_tty(const char *file, int fd, const char *envname)
{
	char cred[4096];
	size_t len;

	return file == NULL && fd < 0 && captured_env(envname, &len) == NULL &&
	    !credential_path(envname, cred, sizeof(cred));
}

/* A new CA passphrase under this many characters gets a warning. */
#define PASS_WARN_LEN 12

int
cmd_passphrase(const struct cmd_ctx *ctx, const char *prompt, int confirm, struct mc_buf *out)
{
	int rc = cmd_passphrase_from(ctx->opt.pass_file, ctx->opt.pass_fd, "MINICA_PASSPHRASE", prompt, confirm, out);

	if (rc == 0 && confirm && out->len < PASS_WARN_LEN)
		cmd_warn("the new CA passphrase has only %zu characters; anyone who copies the home can try "
		    "passphrases that short quickly: use %d or more", out->len, PASS_WARN_LEN);

	/* Read once per run: the only copy left is the caller's, wiped as
	 * soon as the key is unlocked, not at exit. */
	forget_env("MINICA_PASSPHRASE");
	return rc;
}

int
cmd_root_passphrase(const struct cmd_ctx *ctx, const char *prompt, int confirm, struct mc_buf *out)
{
	int rc = cmd_passphrase_from(ctx->opt.root_pass_file, ctx->opt.root_pass_fd, "MINICA_ROOT_PASSPHRASE",
	    prompt, confirm, out);

	forget_env("MINICA_ROOT_PASSPHRASE");
	return rc;
}
