/* Safe file writing: exclusive creation, atomic replacement, fsync. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

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

/* Mode and owner before any content, so a secret is never readable by
 * anyone it should not be (the umask may have narrowed mode, and a
 * public file must still be public); then the content, fsynced. */
static int
fill_new(int fd, const char *path, mode_t mode, uid_t uid, gid_t gid, const void *data, size_t len)
{
	if (fchmod(fd, mode) < 0 || ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) < 0)) {
		mc_seterr("cannot set mode or owner of '%s': %s", path, strerror(errno));
		return -1;
	}
	return write_all(fd, path, data, len);
}

/* O_EXCL|O_NOFOLLOW creation, filled and closed; removed on failure. */
static int
create_filled(const char *path, mode_t mode, uid_t uid, gid_t gid, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0600);

	if (fd < 0) {
		if (errno == EEXIST)
			mc_seterr("'%s' already exists; refusing to overwrite it", path);
		else
			mc_seterr("cannot create '%s': %s", path, strerror(errno));
		return -1;
	}
	if (fill_new(fd, path, mode, uid, gid, data, len) < 0) {
		close(fd);
		unlink(path);
		return -1;
	}
	if (close(fd) < 0) {
		mc_seterr("cannot write '%s': %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

/* A filled, fsynced and closed temp file .minica-tmp.BASE.XXXXXX next to
 * path; *tmp is its name (the caller renames or links it, and frees). */
static int
replace_tmp(const char *path, mode_t mode, uid_t uid, gid_t gid, const void *data, size_t len, char **tmp)
{
	char *dir = NULL, *copy = NULL;
	int fd = -1, rc = -1;

	*tmp = NULL;
	if ((dir = dir_of(path)) == NULL || (copy = mc_strdup(path)) == NULL)
		goto out;
	if (asprintf(tmp, "%s/" CA_TMP_PREFIX "%s.XXXXXX", dir, basename(copy)) < 0) {
		*tmp = NULL;
		mc_seterr("out of memory");
		goto out;
	}
	if ((fd = mkostemp(*tmp, O_CLOEXEC)) < 0) {
		mc_seterr("cannot create a temporary file in '%s': %s", dir, strerror(errno));
		free(*tmp);
		*tmp = NULL;
		goto out;
	}
	if (fill_new(fd, *tmp, mode, uid, gid, data, len) < 0)
		goto out;
	rc = close(fd);
	fd = -1;
	if (rc < 0)
		mc_seterr("cannot write '%s': %s", *tmp, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && *tmp != NULL) {
		unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
	}
	free(copy);
	free(dir);
	return rc;
}

/* Whole or not at all: the content goes to a temp file first, and link()
 * gives it the final name only if that name is still free, so a crash
 * never leaves a half-written file (a key!) under the name, only a temp
 * file that ca_file_sweep_tmp removes. */
int
ca_file_create_excl(const char *path, mode_t mode, const void *data, size_t len)
{
	char *dir = NULL, *tmp = NULL;
	struct stat st;
	int rc = -1, linked = 0;

	if (lstat(path, &st) == 0) {
		mc_seterr("'%s' already exists; refusing to overwrite it", path);
		return -1;
	}
	if ((dir = dir_of(path)) == NULL || replace_tmp(path, mode, (uid_t)-1, (gid_t)-1, data, len, &tmp) < 0)
		goto out;
	if (link(tmp, path) < 0) {
		if (errno == EEXIST)
			mc_seterr("'%s' already exists; refusing to overwrite it", path);
		else
			mc_seterr("cannot create '%s': %s", path, strerror(errno));
		goto out;
	}
	linked = 1;
	if (unlink(tmp) < 0) {
		mc_seterr("cannot remove '%s': %s", tmp, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	if (ca_fsync_dir(dir) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0 && linked)
		unlink(path);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	free(dir);
	return rc;
}

int
ca_file_stage(const char *path, mode_t mode, uid_t uid, gid_t gid, const void *data, size_t len)
{
	return create_filled(path, mode, uid, gid, data, len);
}

int
ca_file_check_target(const char *path)
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
	return 1;
}

int
ca_file_replace(const char *path, mode_t mode, uid_t uid, gid_t gid, const void *data, size_t len)
{
	char *dir = NULL, *tmp = NULL;
	int rc = -1;

	if (ca_file_check_target(path) < 0 || (dir = dir_of(path)) == NULL)
		goto out;
	if (replace_tmp(path, mode, uid, gid, data, len, &tmp) < 0)
		goto out;
	if (rename(tmp, path) < 0) {
		mc_seterr("cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	rc = ca_fsync_dir(dir);
out:
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	free(dir);
	return rc;
}

int
ca_file_sweep_tmp(const char *dir, const struct timespec *before, struct mc_strv *removed)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		mc_seterr("cannot list folder '%s': %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		char *p = NULL;

		/* Only our own names: the prefix and mkostemp's six characters. */
		if (strncmp(e->d_name, CA_TMP_PREFIX, strlen(CA_TMP_PREFIX)) != 0 ||
		    strlen(e->d_name) < strlen(CA_TMP_PREFIX) + 8)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
		    st.st_mtim.tv_sec > before->tv_sec ||
		    (st.st_mtim.tv_sec == before->tv_sec && st.st_mtim.tv_nsec >= before->tv_nsec))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) < 0) {
			mc_seterr("cannot remove '%s/%s': %s", dir, e->d_name, strerror(errno));
			n = -1;
			break;
		}
		n++;
		if (removed != NULL && asprintf(&p, "%s/%s", dir, e->d_name) >= 0) {
			mc_strv_push(removed, p);
			free(p);
		}
	}
	closedir(d);
	if (n > 0 && ca_fsync_dir(dir) < 0)
		return -1;
	return n;
}

void
ca_sha256_hex(const void *data, size_t len, char out[CA_FPR_LEN])
{
	unsigned char md[32];

	SHA256(data, len, md);
	mc_hex(md, sizeof(md), out);
	OPENSSL_cleanse(md, sizeof(md));
}

int
ca_file_sha256(const char *path, char out[CA_FPR_LEN])
{
	struct mc_buf b = { 0 };

	if (ca_file_read(path, CA_FILE_MAX, &b) < 0)
		return -1;
	ca_sha256_hex(b.p, b.len, out);
	mc_buf_free(&b);
	return 0;
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
			if (mkdir(buf, mode) == 0) {
				/* Exactly mode, whatever the umask: a certs
				 * folder others cannot enter breaks their TLS. */
				if (chmod(buf, mode) < 0) {
					mc_seterr("cannot set mode of folder '%s': %s", buf, strerror(errno));
					return -1;
				}
			} else if (errno != EEXIST) {
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

/* ---- many files, one sync ---- */

struct fileset_entry {
	char *tmp;
	char *path;
	int excl;
};

struct ca_fileset {
	char *dir;
	pthread_mutex_t lock;
	struct fileset_entry *v;
	size_t n, cap;
};

struct ca_fileset *
ca_fileset_new(const char *dir)
{
	struct ca_fileset *fs = calloc(1, sizeof(*fs));

	if (fs == NULL || (fs->dir = mc_strdup(dir)) == NULL) {
		free(fs);
		mc_seterr("out of memory");
		return NULL;
	}
	pthread_mutex_init(&fs->lock, NULL);
	return fs;
}

static int
fileset_push(struct ca_fileset *fs, char *tmp, char *path, int excl)
{
	int rc = 0;

	pthread_mutex_lock(&fs->lock);
	if (fs->n == fs->cap) {
		size_t ncap = fs->cap ? fs->cap * 2 : 16;
		struct fileset_entry *nv = realloc(fs->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			mc_seterr("out of memory");
			rc = -1;
			goto out;
		}
		fs->v = nv;
		fs->cap = ncap;
	}
	fs->v[fs->n++] = (struct fileset_entry){ tmp, path, excl };
out:
	pthread_mutex_unlock(&fs->lock);
	return rc;
}

/* Like ca_file_replace up to the rename, without the fsync. */
static int
write_tmp(const char *tmp_template, char **tmp, mode_t mode, const void *data, size_t len)
{
	const char *p = data;
	int fd, rc = -1;

	if ((*tmp = mc_strdup(tmp_template)) == NULL)
		return -1;
	if ((fd = mkostemp(*tmp, O_CLOEXEC)) < 0) {
		mc_seterr("cannot create '%s': %s", *tmp, strerror(errno));
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	if (fchmod(fd, mode) < 0) {
		mc_seterr("cannot set mode of '%s': %s", *tmp, strerror(errno));
		goto out;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			mc_seterr("cannot write '%s': %s", *tmp, n < 0 ? strerror(errno) : "short write");
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	rc = 0;
out:
	if (close(fd) < 0 && rc == 0) {
		mc_seterr("cannot write '%s': %s", *tmp, strerror(errno));
		rc = -1;
	}
	if (rc < 0) {
		unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
	}
	return rc;
}

int
ca_fileset_add(struct ca_fileset *fs, const char *name, mode_t mode, int excl, const void *data, size_t len)
{
	char *path = NULL, *tmpl = NULL, *tmp = NULL;
	struct stat st;
	int rc = -1;

	if (asprintf(&path, "%s/%s", fs->dir, name) < 0 ||
	    asprintf(&tmpl, "%s/" CA_TMP_PREFIX "%s.XXXXXX", fs->dir, name) < 0) {
		mc_seterr("out of memory");
		path = tmpl = NULL;
		goto out;
	}
	if (excl && lstat(path, &st) == 0) {
		mc_seterr("'%s' already exists; refusing to overwrite it", path);
		goto out;
	}
	if ((!excl && ca_file_check_target(path) < 0) || write_tmp(tmpl, &tmp, mode, data, len) < 0)
		goto out;
	if (fileset_push(fs, tmp, path, excl) < 0) {
		unlink(tmp);
		goto out;
	}
	tmp = path = NULL;
	rc = 0;
out:
	free(tmp);
	free(tmpl);
	free(path);
	return rc;
}

static int
fileset_place(const struct fileset_entry *e)
{
	if (!e->excl) {
		if (rename(e->tmp, e->path) < 0) {
			mc_seterr("cannot rename '%s' to '%s': %s", e->tmp, e->path, strerror(errno));
			return -1;
		}
		return 0;
	}
	/* link() refuses an existing name: a key is never replaced. */
	if (link(e->tmp, e->path) < 0) {
		if (errno == EEXIST)
			mc_seterr("'%s' already exists; refusing to overwrite it", e->path);
		else
			mc_seterr("cannot create '%s': %s", e->path, strerror(errno));
		return -1;
	}
	unlink(e->tmp);
	return 0;
}

int
ca_fileset_commit(struct ca_fileset *fs)
{
	int fd = open(fs->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = -1;

	if (fd < 0) {
		mc_seterr("cannot open folder '%s': %s", fs->dir, strerror(errno));
		return -1;
	}
	/* One syncfs makes every temp file's content durable before any
	 * name points at it: a crash leaves old files or whole new ones. */
	if (syncfs(fd) < 0) {
		mc_seterr("cannot sync the file system of '%s': %s", fs->dir, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < fs->n; i++) {
		if (fileset_place(&fs->v[i]) < 0)
			goto out;
		free(fs->v[i].tmp);
		fs->v[i].tmp = NULL;
	}
	if (fsync(fd) < 0) {
		mc_seterr("cannot sync folder '%s': %s", fs->dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

void
ca_fileset_free(struct ca_fileset *fs)
{
	if (fs == NULL)
		return;
	for (size_t i = 0; i < fs->n; i++) {
		if (fs->v[i].tmp != NULL) {
			unlink(fs->v[i].tmp);
			free(fs->v[i].tmp);
		}
		free(fs->v[i].path);
	}
	pthread_mutex_destroy(&fs->lock);
	free(fs->v);
	free(fs->dir);
	free(fs);
}

int
ca_lock_file(const char *path, int timeout_ms)
{
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	int waited = 0;

	if (fd < 0) {
		mc_seterr("cannot open lock file '%s': %s", path, strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			mc_seterr("cannot lock '%s': %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (waited >= timeout_ms) {
			mc_seterr("CA busy: another minica is working on this CA (waited %d s for '%s'); try again",
			    timeout_ms / 1000, path);
			close(fd);
			return -1;
		}
		usleep(50 * 1000);
		waited += 50;
	}
	return fd;
}
