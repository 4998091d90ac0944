/* Safe file writing: exclusive creation, atomic replacement, fsync. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ca.h"

static char *
dir_of(const char *path)
{
	char *copy = mc_strdup(path), *d;

	if (copy == NULL)
		return NULL;
	d = mc_strdup(dirname(copy));
	free(copy);
	return d;
}

int
ca_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0 || fsync(fd) < 0) {
		mc_seterr("cannot sync folder '%s': %s", dir, strerror(errno));
		rc = -1;
	}
	if (fd >= 0)
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
		if (n <= 0) {
			mc_seterr("cannot write '%s': %s", path, n < 0 ? strerror(errno) : "short write");
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) < 0) {
		mc_seterr("cannot sync '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
ca_file_create_excl(const char *path, mode_t mode, const void *data, size_t len)
{
	char *dir = NULL;
	int fd, rc = -1;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		if (errno == EEXIST)
			mc_seterr("'%s' already exists; refusing to overwrite it", path);
		else
			mc_seterr("cannot create '%s': %s", path, strerror(errno));
		return -1;
	}
	/* The umask may have narrowed mode; a public file must still be
	 * public and a secret one never more open than asked. */
	if (fchmod(fd, mode) < 0) {
		mc_seterr("cannot set mode of '%s': %s", path, strerror(errno));
		goto out;
	}
	if (write_all(fd, path, data, len) < 0)
		goto out;
	if ((dir = dir_of(path)) == NULL || ca_fsync_dir(dir) < 0)
		goto out;
	rc = 0;
out:
	close(fd);
	if (rc < 0)
		unlink(path);
	free(dir);
	return rc;
}

/* Refuses symlinks and anything that is not a regular file. */
static int
check_target(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		mc_seterr("cannot inspect '%s': %s", path, strerror(errno));
		return -1;
	}
	if (S_ISLNK(st.st_mode)) {
		mc_seterr("refusing to replace '%s': it is a symbolic link", path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		mc_seterr("refusing to replace '%s': it is not a regular file", path);
		return -1;
	}
	return 0;
}

int
ca_file_replace(const char *path, mode_t mode, uid_t uid, gid_t gid, const void *data, size_t len)
{
	char *dir = NULL, *tmp = NULL, *base, *copy = NULL;
	int fd = -1, rc = -1;

	if (check_target(path) < 0)
		return -1;
	if ((dir = dir_of(path)) == NULL || (copy = mc_strdup(path)) == NULL)
		goto out;
	base = basename(copy);
	if (asprintf(&tmp, "%s/.minica-tmp.%s.XXXXXX", dir, base) < 0) {
		tmp = NULL;
		mc_seterr("out of memory");
		goto out;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		mc_seterr("cannot create a temporary file in '%s': %s", dir, strerror(errno));
		goto out;
	}
	/* Final mode and owner before any content, so a secret is never
	 * readable by anyone it should not be. */
	if (fchmod(fd, mode) < 0 || ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) < 0)) {
		mc_seterr("cannot set mode or owner of '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if (write_all(fd, tmp, data, len) < 0)
		goto out;
	if (close(fd) < 0) {
		fd = -1;
		mc_seterr("cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		mc_seterr("cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	rc = ca_fsync_dir(dir);
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

int
ca_file_read(const char *path, size_t max, struct mc_buf *out)
{
	struct stat st;
	char chunk[4096];
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP)
			mc_seterr("refusing to read '%s': it is a symbolic link", path);
		else
			mc_seterr("cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		mc_seterr("cannot read '%s': not a regular file", path);
		goto out;
	}
	if ((size_t)st.st_size > max) {
		mc_seterr("'%s' is too large (%lld bytes, at most %zu)", path, (long long)st.st_size, max);
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			mc_seterr("cannot read '%s': %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (out->len + (size_t)n > max) {
			mc_seterr("'%s' is too large (at most %zu bytes)", path, max);
			goto out;
		}
		if (mc_buf_add(out, chunk, (size_t)n) < 0)
			goto out;
	}
	if (out->p == NULL && mc_buf_add(out, "", 0) < 0)
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(chunk, sizeof(chunk));
	close(fd);
	return rc;
}

int
ca_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf)) {
		mc_seterr("invalid folder '%s'", path);
		return -1;
	}
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(buf, mode) < 0 && errno != EEXIST) {
				mc_seterr("cannot create folder '%s': %s", buf, strerror(errno));
				return -1;
			}
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}
