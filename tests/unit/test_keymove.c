/* ca/keymove.c: the root key out to an offline folder and back, never
 * lost: every refusal leaves the source as it was. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ca/ca.h"

static char dir[] = "/tmp/minica-keymove.XXXXXX";
static const char key[] = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIF...not a real key\n"
    "-----END ENCRYPTED PRIVATE KEY-----\n";

static void
setup(void)
{
	strcpy(dir, "/tmp/minica-keymove.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
	mc_clearerr();
}

TestSuite(keymove, .init = setup, .fini = teardown);

static char *
at(const char *name)
{
	static char buf[4][300];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void
put(const char *name, const char *data)
{
	int fd = open(at(name), O_WRONLY | O_CREAT | O_EXCL, 0600);

	cr_assert_geq(fd, 0, "%s", at(name));
	cr_assert_eq(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	cr_assert_eq(close(fd), 0);
}

static int
holds(const char *name, const char *data)
{
	struct mc_buf b = { 0 };
	int same;

	if (mc_file_read(at(name), CA_FILE_MAX, &b) < 0)
		return 0;
	same = b.len == strlen(data) && memcmp(b.p, data, b.len) == 0;
	mc_buf_free(&b);
	return same;
}

static int
exists(const char *name)
{
	struct stat st;

	return lstat(at(name), &st) == 0;
}

static int
temp_files_left(const char *sub)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "ls -A '%s/%s' | grep -q '^\\.minica-tmp'", dir, sub);
	return system(cmd) == 0;
}

Test(keymove, move_out_and_copy_back_byte_for_byte)
{
	char sha[CA_FPR_LEN], sha2[CA_FPR_LEN], want[CA_FPR_LEN];
	struct stat st;

	cr_assert_eq(mkdir(at("home"), 0700), 0);
	cr_assert_eq(mkdir(at("usb"), 0755), 0);
	put("home/ca.key", key);
	ca_sha256_hex(key, strlen(key), want);
	cr_assert_eq(ca_move_verified(at("home/ca.key"), at("usb/root.key"), sha), 0, "%s", mc_err());
	cr_assert_str_eq(sha, want);
	cr_assert(!exists("home/ca.key"), "the original is gone after a verified copy");
	cr_assert(holds("usb/root.key", key));
	cr_assert_eq(stat(at("usb/root.key"), &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "the copy is private: %o", st.st_mode & 0777);
	cr_assert(!temp_files_left("usb"));
	/* Back in: the offline copy stays as the backup. */
	cr_assert_eq(ca_copy_verified(at("usb/root.key"), at("home/ca.key"), sha2), 0, "%s", mc_err());
	cr_assert_str_eq(sha2, want);
	cr_assert(holds("home/ca.key", key));
	cr_assert(holds("usb/root.key", key));
	/* A second trip out onto the same, identical copy is fine. */
	cr_assert_eq(ca_move_verified(at("home/ca.key"), at("usb/root.key"), NULL), 0, "%s", mc_err());
	cr_assert(!exists("home/ca.key"));
	cr_assert(holds("usb/root.key", key));
}

Test(keymove, refusals_keep_the_source)
{
	cr_assert_eq(mkdir(at("home"), 0700), 0);
	cr_assert_eq(mkdir(at("usb"), 0755), 0);
	put("home/ca.key", key);
	/* A different file at the destination is never replaced. */
	put("usb/root.key", "another CA's key\n");
	cr_assert_eq(ca_move_verified(at("home/ca.key"), at("usb/root.key"), NULL), -1);
	cr_assert(strstr(mc_err(), "differs") != NULL, "%s", mc_err());
	cr_assert(holds("home/ca.key", key));
	cr_assert(holds("usb/root.key", "another CA's key\n"));
	/* The same file under two names (a hard link) or itself. */
	cr_assert_eq(link(at("home/ca.key"), at("usb/linked.key")), 0);
	cr_assert_eq(ca_move_verified(at("home/ca.key"), at("usb/linked.key"), NULL), -1);
	cr_assert(strstr(mc_err(), "same file") != NULL, "%s", mc_err());
	cr_assert_eq(ca_move_verified(at("home/ca.key"), at("home/ca.key"), NULL), -1);
	cr_assert(holds("home/ca.key", key));
	/* A symlink at the destination, a missing folder, a missing source. */
	cr_assert_eq(symlink("/etc/passwd", at("usb/sym.key")), 0);
	cr_assert_eq(ca_move_verified(at("home/ca.key"), at("usb/sym.key"), NULL), -1);
	cr_assert_eq(ca_move_verified(at("home/ca.key"), at("nowhere/root.key"), NULL), -1);
	cr_assert_eq(ca_move_verified(at("home/none.key"), at("usb/new.key"), NULL), -1);
	cr_assert(!exists("usb/new.key"));
	cr_assert(holds("home/ca.key", key));
	cr_assert(!temp_files_left("usb"));
}

Test(keymove, unwritable_destination_keeps_the_source)
{
	if (geteuid() == 0)
		cr_skip_test("root writes into a 0500 folder anyway");
	cr_assert_eq(mkdir(at("home"), 0700), 0);
	cr_assert_eq(mkdir(at("ro"), 0500), 0);
	put("home/ca.key", key);
	cr_assert_eq(ca_move_verified(at("home/ca.key"), at("ro/root.key"), NULL), -1);
	cr_assert(strstr(mc_err(), "cannot create") != NULL, "%s", mc_err());
	cr_assert(holds("home/ca.key", key));
}

Test(keymove, offline_name_from_fingerprint)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	char name[64], fpr[CA_FPR_LEN], want[64];

	cr_assert(X509_set_pubkey(x, k));
	cr_assert(X509_sign(x, k, EVP_sha256()) > 0);
	ca_cert_fingerprint(x, fpr);
	cr_assert_eq(ca_root_key_offline_name(x, "key", name, sizeof(name)), 0);
	snprintf(want, sizeof(want), "minica-root-%.16s.key", fpr);
	cr_assert_str_eq(name, want);
	cr_assert_eq(ca_root_key_offline_name(x, "key", name, 10), -1);
	X509_free(x);
	EVP_PKEY_free(k);
}
