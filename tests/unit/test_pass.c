/* cmd/pass.c: every passphrase source and its refusals. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"

static char path[] = "/tmp/minica-pass.XXXXXX";

static const char *
file_with(const char *content, size_t len)
{
	int fd;

	strcpy(path, "/tmp/minica-pass.XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, content, len), (ssize_t)len);
	close(fd);
	return path;
}

static int
from_file(const char *content, size_t len, struct mc_buf *out)
{
	int rc = cmd_passphrase_from(file_with(content, len), -1, NULL, "x", 0, out);

	unlink(path);
	return rc;
}

Test(pass, file_strips_one_newline)
{
	struct mc_buf b = { 0 };

	cr_assert_eq(from_file("secret\n", 7, &b), 0, "%s", mc_err());
	cr_assert_eq(b.len, 6);
	cr_assert_str_eq(b.p, "secret");
	cr_assert_eq(from_file("secret\r\n", 8, &b), 0);
	cr_assert_str_eq(b.p, "secret");
	/* Only one: a passphrase may end in blank lines on purpose. */
	cr_assert_eq(from_file("secret\n\n", 8, &b), 0);
	cr_assert_str_eq(b.p, "secret\n");
	cr_assert_eq(from_file(" spaced ", 8, &b), 0);
	cr_assert_str_eq(b.p, " spaced ");
	mc_buf_free(&b);
}

Test(pass, refusals)
{
	struct mc_buf b = { 0 };
	char big[2000];

	cr_assert_eq(from_file("", 0, &b), -1);
	cr_assert(strstr(mc_err(), "empty passphrase") != NULL);
	cr_assert_eq(from_file("\n", 1, &b), -1);
	cr_assert(strstr(mc_err(), "empty passphrase") != NULL);
	cr_assert_eq(from_file("a\0b", 3, &b), -1);
	cr_assert(strstr(mc_err(), "NUL") != NULL);
	memset(big, 'x', sizeof(big));
	cr_assert_eq(from_file(big, sizeof(big), &b), -1);
	cr_assert(strstr(mc_err(), "longer than") != NULL);
	cr_assert_eq(cmd_passphrase_from("/nonexistent/pass", -1, NULL, "x", 0, &b), -1);
	cr_assert(strstr(mc_err(), "/nonexistent/pass") != NULL);
	cr_assert_null(b.p);
}

Test(pass, fd_source)
{
	struct mc_buf b = { 0 };
	int p[2];

	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(write(p[1], "from a pipe\n", 12), 12);
	close(p[1]);
	cr_assert_eq(cmd_passphrase_from(NULL, p[0], NULL, "x", 0, &b), 0, "%s", mc_err());
	cr_assert_str_eq(b.p, "from a pipe");
	mc_buf_free(&b);
	/* The fd is closed after reading. */
	cr_assert_eq(cmd_passphrase_from(NULL, p[0], NULL, "x", 0, &b), -1);
}

Test(pass, env_is_captured_and_removed)
{
	struct mc_buf b = { 0 };

	setenv("MINICA_P12_PASSPHRASE", "env secret", 1);
	cmd_passphrase_capture_env();
	cr_assert_null(getenv("MINICA_P12_PASSPHRASE"), "a child would inherit it");
	cr_assert_eq(cmd_passphrase_from(NULL, -1, "MINICA_P12_PASSPHRASE", "x", 0, &b), 0, "%s", mc_err());
	cr_assert_str_eq(b.p, "env secret");
	mc_buf_free(&b);
}

Test(pass, file_beats_env)
{
	struct mc_buf b = { 0 };

	setenv("MINICA_PASSPHRASE", "env", 1);
	cmd_passphrase_capture_env();
	cr_assert_eq(cmd_passphrase_from(file_with("file\n", 5), -1, "MINICA_PASSPHRASE", "x", 0, &b), 0);
	unlink(path);
	cr_assert_str_eq(b.p, "file");
	mc_buf_free(&b);
}
