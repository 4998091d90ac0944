/*
 * Secrets are wiped before their memory is freed.  This suite is linked
 * with -Wl,--wrap=free (see the Makefile), so every free() in minica's
 * own code goes through __wrap_free below, which looks for the marker
 * passphrase in the block about to be released.  Frees inside libcrypto
 * are not seen; OpenSSL wipes its own copies (PEM_do_header,
 * PKCS5_PBE_keyivgen) and the key BIOs are BIO_s_secmem.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "ca/ca.h"
#include "cmd/cmd.h"

#define MARKER "hunter2-marker-7b1d"

void __real_free(void *p);
void __wrap_free(void *p);

static int unwiped;		/* frees of a block still holding MARKER */
static int watched;		/* frees seen at all, so the hook is known live */

void
__wrap_free(void *p)
{
	if (p != NULL) {
		size_t n = malloc_usable_size(p);

		watched++;
		if (memmem(p, n, MARKER, strlen(MARKER)) != NULL)
			unwiped++;
	}
	__real_free(p);
}

static char path[] = "/tmp/minica-wipe.XXXXXX";

static const char *
file_with(const char *content, size_t len)
{
	int fd;

	strcpy(path, "/tmp/minica-wipe.XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, content, len), (ssize_t)len);
	close(fd);
	return path;
}

static void
start(void)
{
	unwiped = 0;
	watched = 0;
}

static void
done(void)
{
	unlink(path);
}

TestSuite(wipe, .init = start, .fini = done);

/* The check itself: a plain free of the marker is caught. */
Test(wipe, hook_catches_an_unwiped_free)
{
	char *s = mc_strdup("x " MARKER " y");	/* opaque: not optimised away */

	cr_assert_not_null(s);
	free(s);
	cr_assert_eq(unwiped, 1, "the --wrap=free hook is not in place");
}

Test(wipe, buf_free_and_growth)
{
	struct mc_buf b = { 0 };

	cr_assert_eq(mc_buf_add(&b, MARKER, strlen(MARKER)), 0);
	/* Growing copies to a new block; the old one must be wiped first. */
	for (int i = 0; i < 100; i++)
		cr_assert_eq(mc_buf_add(&b, "0123456789", 10), 0);
	cr_assert_gt(b.cap, 256);
	mc_buf_free(&b);
	cr_expect_gt(watched, 0);
	cr_expect_eq(unwiped, 0, "mc_buf left the secret in freed memory");
}

Test(wipe, passphrase_file_every_path)
{
	struct mc_buf b = { 0 };
	char big[3000];

	cr_assert_eq(cmd_passphrase_from(file_with(MARKER "\n", strlen(MARKER) + 1), -1, NULL, "x", 0, &b), 0);
	cr_assert_str_eq(b.p, MARKER);
	mc_buf_free(&b);
	/* Refused after reading: a NUL byte, too long. */
	cr_assert_eq(cmd_passphrase_from(file_with(MARKER "\0x", strlen(MARKER) + 2), -1, NULL, "x", 0, &b), -1);
	memset(big, 'x', sizeof(big));
	memcpy(big, MARKER, strlen(MARKER));
	cr_assert_eq(cmd_passphrase_from(file_with(big, sizeof(big)), -1, NULL, "x", 0, &b), -1);
	cr_assert_null(b.p);
	cr_expect_eq(unwiped, 0, "a passphrase read from a file was freed unwiped");
}

Test(wipe, environment_copy)
{
	struct mc_buf b = { 0 };

	setenv("MINICA_PASSPHRASE", MARKER, 1);
	cmd_passphrase_capture_env();
	cr_assert_null(getenv("MINICA_PASSPHRASE"));
	cr_assert_eq(cmd_passphrase_from(NULL, -1, "MINICA_PASSPHRASE", "x", 0, &b), 0, "%s", mc_err());
	cr_assert_str_eq(b.p, MARKER);
	mc_buf_free(&b);
	/* Captured twice (the first copy replaced), then forgotten at exit. */
	setenv("MINICA_PASSPHRASE", MARKER, 1);
	cmd_passphrase_capture_env();
	cmd_passphrase_forget_env();
	cr_assert_eq(cmd_passphrase_from(NULL, -1, "MINICA_PASSPHRASE", "x", 0, &b), -1, "still captured");
	cr_expect_eq(unwiped, 0, "the captured environment passphrase was freed unwiped");
}

Test(wipe, key_encrypt_and_load)
{
	EVP_PKEY *k = ca_key_generate("ec256", NULL), *back;
	struct mc_buf pem = { 0 }, plain = { 0 };

	cr_assert_not_null(k);
	cr_assert_eq(ca_key_encrypt_pem(k, MARKER, strlen(MARKER), &pem), 0, "%s", mc_err());
	back = ca_key_from_pem(pem.p, pem.len, MARKER, strlen(MARKER));
	cr_assert_not_null(back, "%s", mc_err());
	cr_assert_null(ca_key_from_pem(pem.p, pem.len, MARKER "x", strlen(MARKER) + 1));
	/* The plain key PEM is wiped too: plant the marker in it to see. */
	cr_assert_eq(ca_key_plain_pem(back, &plain), 0);
	cr_assert_eq(mc_buf_add(&plain, MARKER, strlen(MARKER)), 0);
	mc_buf_free(&plain);
	mc_buf_free(&pem);
	EVP_PKEY_free(back);
	EVP_PKEY_free(k);
	cr_expect_eq(unwiped, 0, "a passphrase or key buffer was freed unwiped");
}

/* What a reload command or any other child would see: no passphrase
 * variable at all, while minica itself can still use it. */
Test(wipe, child_environment_clean)
{
	struct mc_buf b = { 0 };
	char cmd[200], line[256];
	FILE *f;
	int found = 0;

	setenv("MINICA_PASSPHRASE", MARKER, 1);
	setenv("MINICA_P12_PASSPHRASE", MARKER "-p12", 1);
	cmd_passphrase_capture_env();
	snprintf(cmd, sizeof(cmd), "env > '%s'", file_with("", 0));
	cr_assert_eq(system(cmd), 0);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, "PASSPHRASE") != NULL || strstr(line, MARKER) != NULL)
			found = 1;
	fclose(f);
	cr_expect_eq(found, 0, "a child process inherited a passphrase variable");
	cr_assert_eq(cmd_passphrase_from(NULL, -1, "MINICA_P12_PASSPHRASE", "x", 0, &b), 0, "%s", mc_err());
	cr_expect_str_eq(b.p, MARKER "-p12");
	mc_buf_free(&b);
}
