/*
 * Moving the root key out of the CA home (onto a USB stick) and back.
 *
 * The one rule: the key exists, whole and durable, in at least one place
 * at every instant.  A copy is written under a temp name, fsynced,
 * renamed into place and its folder fsynced; it is then dropped from the
 * page cache and read back, so the comparison reads what reached the
 * medium rather than what is still in memory; only after that does the
 * original go.  A stick formatted FAT has no hard links and ignores
 * modes, so the far side uses mkostemp (0600, O_EXCL) + rename and no
 * fchmod, which util/fs.c's mc_file_write does and vfat refuses.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ca.h"

static int
write_fd(int fd, const char *path, const struct mc_buf *b)
{
	if (mc_write_all(fd, path, b->p, b->len) < 0)
		return -1;
	if (fsync(fd) < 0) {
		mc_seterr("cannot sync '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* dst's folder gets .minica-tmp.NAME.XXXXXX (0600 from creation), renamed
 * to dst once whole and synced, then the folder synced. */
static int
write_new(const char *dst, const struct mc_buf *b)
{
	char *dir = mc_dir_of(dst), *copy = mc_strdup(dst), *tmp = NULL;
	int fd = -1, rc = -1;

	if (dir == NULL || copy == NULL ||
	    asprintf(&tmp, "%s/" MC_TMP_PREFIX "%s.XXXXXX", dir, basename(copy)) < 0) {
		tmp = NULL;
		mc_seterr("out of memory");
		goto out;
	}
	/* mkostemp creates 0600 with O_EXCL. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		mc_seterr("cannot create a file in '%s': %s", dir, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (write_fd(fd, tmp, b) < 0)
		goto out;
	if (close(fd) < 0) {
		fd = -1;
		mc_seterr("cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, dst) < 0) {
		mc_seterr("cannot create '%s': %s", dst, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	rc = mc_fsync_dir(dir);
out:
	if (fd >= 0)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	free(copy);
	free(dir);
	return rc;
}

/* Reads path as the medium has it: the cached pages are dropped first
 * (the file is synced, so they are clean and droppable). */
static int
read_back(const char *path, struct mc_buf *out)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0) {
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		close(fd);
	}
	return mc_file_read(path, CA_FILE_MAX, out);
}

static int
same_bytes(const struct mc_buf *a, const struct mc_buf *b)
{
	return a->len == b->len && CRYPTO_memcmp(a->p, b->p, a->len) == 0;
}

/* src and dst must be two different files: moving a key onto itself
 * would end with it removed. */
static int
check_distinct(const char *src, const char *dst, int *dst_exists)
{
	struct stat s, d;

	*dst_exists = 0;
	if (lstat(src, &s) < 0) {
		mc_seterr("cannot read '%s': %s", src, strerror(errno));
		return -1;
	}
	if (!S_ISREG(s.st_mode)) {
		mc_seterr("'%s' is not a regular file", src);
		return -1;
	}
	if (lstat(dst, &d) < 0) {
		if (errno == ENOENT)
			return 0;
		mc_seterr("cannot inspect '%s': %s", dst, strerror(errno));
		return -1;
	}
	if (!S_ISREG(d.st_mode)) {
		mc_seterr("'%s' exists and is not a regular file; nothing was changed", dst);
		return -1;
	}
	if (s.st_dev == d.st_dev && s.st_ino == d.st_ino) {
		mc_seterr("'%s' and '%s' are the same file; choose a folder outside the CA home",
		    src, dst);
		return -1;
	}
	*dst_exists = 1;
	return 0;
}

int
ca_copy_verified(const char *src, const char *dst, char sha256[CA_FPR_LEN])
{
	struct mc_buf a = { 0 }, b = { 0 };
	int rc = -1, exists;

	if (check_distinct(src, dst, &exists) < 0 || mc_file_read(src, CA_FILE_MAX, &a) < 0)
		goto out;
	if (a.len == 0) {
		mc_seterr("'%s' is empty; nothing was copied", src);
		goto out;
	}
	/* A copy already there is fine if it is this one (a second trip
	 * out); a different file is never replaced. */
	if (exists) {
		if (mc_file_read(dst, CA_FILE_MAX, &b) < 0)
			goto out;
		if (!same_bytes(&a, &b)) {
			mc_seterr("'%s' already exists and differs from '%s'; nothing was changed "
			    "(move it aside, or choose another folder)", dst, src);
			goto out;
		}
		mc_buf_free(&b);
	} else if (write_new(dst, &a) < 0) {
		goto out;
	}
	if (read_back(dst, &b) < 0 || !same_bytes(&a, &b)) {
		if (b.p != NULL)
			mc_seterr("'%s' does not read back as written; the copy is not trustworthy "
			    "(the original '%s' was kept)", dst, src);
		goto out;
	}
	if (sha256 != NULL)
		ca_sha256_hex(a.p, a.len, sha256);
	rc = 0;
out:
	mc_buf_free(&a);
	mc_buf_free(&b);
	return rc;
}

int
ca_move_verified(const char *src, const char *dst, char sha256[CA_FPR_LEN])
{
	char *dir;
	int rc;

	if (ca_copy_verified(src, dst, sha256) < 0)
		return -1;
	if ((dir = mc_dir_of(src)) == NULL)
		return -1;
	if (unlink(src) < 0) {
		mc_seterr("copied to '%s', but cannot remove '%s': %s", dst, src, strerror(errno));
		free(dir);
		return -1;
	}
	rc = mc_fsync_dir(dir);
	free(dir);
	return rc;
}

int
ca_root_key_offline_name(X509 *root, const char *ext, char *out, size_t size)
{
	char fpr[CA_FPR_LEN];

	ca_cert_fingerprint(root, fpr);
	if (fpr[0] == '\0') {
		mc_seterr("cannot compute the root's fingerprint");
		return -1;
	}
	if (snprintf(out, size, "minica-root-%.16s.%s", fpr, ext) >= (int)size) {
		mc_seterr("file name too long");
		return -1;
	}
	return 0;
}
