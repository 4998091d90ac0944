/*
 * TEMPORARY stand-ins for ca/fs.c and ca_cert_fingerprint (cert.c) so the
 * bundle branch builds before the lead's versions land on main.  Deleted
 * when main is merged; the real ones take over with the same signatures.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ca.h"

int
ca_fsync_dir(const char *dir)
{
	int fd, rc = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		mc_seterr("cannot open '%s': %s", dir, strerror(errno));
		return -1;
	}
	if (fsync(fd) < 0) {
		mc_seterr("cannot fsync '%s': %s", dir, strerror(errno));
		rc = -1;
	}
	close(fd);
	return rc;
}

static int
write_all(int fd, const char *path, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			mc_seterr("cannot write '%s': %s", path, strerror(errno));
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) < 0) {
		mc_seterr("cannot fsync '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
parent_of(const char *path, char **out)
{
	char *copy = mc_strdup(path);

	if (copy == NULL)
		return -1;
	*out = mc_strdup(dirname(copy));
	free(copy);
	return *out == NULL ? -1 : 0;
}

int
ca_file_create_excl(const char *path, mode_t mode, const void *data, size_t len)
{
	char *dir = NULL;
	int fd = -1, rc = -1;

	if (parent_of(path, &dir) < 0)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		mc_seterr("cannot create '%s': %s", path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) < 0) {
		mc_seterr("cannot chmod '%s': %s", path, strerror(errno));
		goto out;
	}
	if (write_all(fd, path, data, len) < 0)
		goto out;
	rc = ca_fsync_dir(dir);
out:
	if (fd >= 0) {
		close(fd);
		if (rc < 0)
			unlink(path);
	}
	free(dir);
	return rc;
}

int
ca_file_replace(const char *path, mode_t mode, uid_t uid, gid_t gid, const void *data, size_t len)
{
	struct stat st;
	char *dir = NULL, *tmp = NULL;
	int fd = -1, rc = -1;

	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		mc_seterr("refusing to replace symbolic link '%s'", path);
		return -1;
	}
	if (parent_of(path, &dir) < 0 || asprintf(&tmp, "%s.XXXXXX", path) < 0) {
		mc_seterr("out of memory");
		tmp = NULL;
		goto out;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		mc_seterr("cannot create a temporary file for '%s': %s", path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) < 0 || ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) < 0)) {
		mc_seterr("cannot set mode or owner of '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if (write_all(fd, tmp, data, len) < 0)
		goto out;
	if (rename(tmp, path) < 0) {
		mc_seterr("cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
		goto out;
	}
	rc = ca_fsync_dir(dir);
out:
	if (fd >= 0) {
		close(fd);
		if (rc < 0)
			unlink(tmp);
	}
	free(tmp);
	free(dir);
	return rc;
}

int
ca_mkdir_p(const char *path, mode_t mode)
{
	char *p = mc_strdup(path);
	int rc = -1;

	if (p == NULL)
		return -1;
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			mc_seterr("cannot create '%s': %s", p, strerror(errno));
			goto out;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	rc = 0;
out:
	free(p);
	return rc;
}

void
ca_cert_fingerprint(X509 *x, char out[CA_FPR_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (X509_digest(x, EVP_sha256(), md, &n) != 1 || n != 32) {
		out[0] = '\0';
		return;
	}
	mc_hex(md, n, out);
}
