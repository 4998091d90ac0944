/* Files written safely: the one write loop, folder creation relative to
 * a folder fd, many files with one sync, the CA lock. */
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

#include "util.h"

int
mc_write_all(int fd, const char *path, const void *data, size_t len)
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
	return 0;
}

int
mc_fsync_dir(const char *dir)
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

int
mc_file_check_target(const char *path)
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

char *
mc_dir_of(const char *path)
{
	char *copy = mc_strdup(path), *d;

	if (copy == NULL)
		return NULL;
	d = mc_strdup(dirname(copy));
	free(copy);
	return d;
}

/* Opens the file w names (MC_WRITE_STAGE: exactly the path, O_EXCL and
 * O_NOFOLLOW; else a temp file .minica-tmp.BASE.XXXXXX beside it, whose
 * name goes to *tmp). */
static int
open_new(const struct mc_write *w, char **tmp)
{
	char *copy = NULL, *dir = NULL;
	int fd = -1;

	*tmp = NULL;
	if (w->how == MC_WRITE_STAGE) {
		fd = open(w->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, w->mode & 0600);
		if (fd < 0 && errno == EEXIST)
			mc_seterr("'%s' already exists; refusing to overwrite it", w->path);
		else if (fd < 0)
			mc_seterr("cannot create '%s': %s", w->path, strerror(errno));
		return fd;
	}
	if ((dir = mc_dir_of(w->path)) == NULL || (copy = mc_strdup(w->path)) == NULL)
		goto out;
	if (asprintf(tmp, "%s/" MC_TMP_PREFIX "%s.XXXXXX", dir, basename(copy)) < 0) {
		*tmp = NULL;
		mc_seterr("out of memory");
		goto out;
	}
	if ((fd = mkostemp(*tmp, O_CLOEXEC)) < 0) {
		mc_seterr("cannot create a temporary file in '%s': %s", dir, strerror(errno));
		free(*tmp);
		*tmp = NULL;
	}
out:
	free(copy);
	free(dir);
	return fd;
}

/* Mode and owner before any content, so a secret is never readable by
 * anyone it should not be (the umask may have narrowed mode, and a
 * public file must still be public); then the content, fsynced. */
static int
fill(int fd, const struct mc_write *w, const char *name)
{
	if (fchmod(fd, w->mode) < 0 ||
	    ((w->uid != (uid_t)-1 || w->gid != (gid_t)-1) && fchown(fd, w->uid, w->gid) < 0)) {
		mc_seterr("cannot set mode or owner of '%s': %s", name, strerror(errno));
		return -1;
	}
	if (mc_write_all(fd, name, w->data, w->len) < 0)
		return -1;
	if (!w->nosync && fsync(fd) < 0) {
		mc_seterr("cannot sync '%s': %s", name, strerror(errno));
		return -1;
	}
	return 0;
}

/* Gives the filled temp file its final name: rename over (REPLACE) or
 * link() only if the name is free (EXCL); then the folder is synced. */
static int
place(const struct mc_write *w, const char *tmp)
{
	char *dir = mc_dir_of(w->path);
	int rc = -1;

	if (dir == NULL)
		return -1;
	if (w->how == MC_WRITE_REPLACE && rename(tmp, w->path) < 0) {
		mc_seterr("cannot rename '%s' to '%s': %s", tmp, w->path, strerror(errno));
		goto out;
	}
	if (w->how == MC_WRITE_EXCL) {
		if (link(tmp, w->path) < 0) {
			if (errno == EEXIST)
				mc_seterr("'%s' already exists; refusing to overwrite it", w->path);
			else
				mc_seterr("cannot create '%s': %s", w->path, strerror(errno));
			goto out;
		}
		if (unlink(tmp) < 0) {
			mc_seterr("cannot remove '%s': %s", tmp, strerror(errno));
			unlink(w->path);
			goto out;
		}
	}
	if ((rc = mc_fsync_dir(dir)) < 0 && w->how == MC_WRITE_EXCL)
		unlink(w->path);
out:
	free(dir);
	return rc;
}

int
mc_file_write(const struct mc_write *w)
{
	struct stat st;
	char *tmp = NULL;
	int fd, rc = -1;

	if (w->how == MC_WRITE_EXCL && lstat(w->path, &st) == 0) {
		mc_seterr("'%s' already exists; refusing to overwrite it", w->path);
		return -1;
	}
	if (w->how == MC_WRITE_REPLACE && mc_file_check_target(w->path) < 0)
		return -1;
	if ((fd = open_new(w, &tmp)) < 0)
		return -1;
	if (fill(fd, w, tmp ? tmp : w->path) < 0) {
		close(fd);
		goto out;
	}
	if (close(fd) < 0) {
		mc_seterr("cannot write '%s': %s", tmp ? tmp : w->path, strerror(errno));
		goto out;
	}
	if (w->how == MC_WRITE_TEMP) {
		*w->tmp = tmp;
		return 0;
	}
	rc = w->how == MC_WRITE_STAGE ? 0 : place(w, tmp);
out:
	if (tmp != NULL)
		unlink(tmp);	/* renamed or linked already: gone or a spare name */
	else if (rc < 0)
		unlink(w->path);	/* the file STAGE created */
	free(tmp);
	return rc;
}

int
mc_file_replace(const char *path, mode_t mode, uid_t uid, gid_t gid, const void *data, size_t len)
{
	return mc_file_write(&(struct mc_write){ .path = path, .mode = mode, .uid = uid, .gid = gid,
	    .data = data, .len = len, .how = MC_WRITE_REPLACE });
}

int
mc_file_create_excl(const char *path, mode_t mode, const void *data, size_t len)
{
	return mc_file_write(&(struct mc_write){ .path = path, .mode = mode, .uid = (uid_t)-1, .gid = (gid_t)-1,
	    .data = data, .len = len, .how = MC_WRITE_EXCL });
}

int
mc_file_read(const char *path, size_t max, struct mc_buf *out)
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
mc_file_sweep_tmp(const char *dir, const struct timespec *before, struct mc_strv *removed)
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
		if (strncmp(e->d_name, MC_TMP_PREFIX, strlen(MC_TMP_PREFIX)) != 0 ||
		    strlen(e->d_name) < strlen(MC_TMP_PREFIX) + 8)
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
	if (n > 0 && mc_fsync_dir(dir) < 0)
		return -1;
	return n;
}

/* One component below dfd: an existing folder is entered (a symlink to
 * a folder is followed: the caller checks who controls the path); one we
 * create is entered with O_NOFOLLOW and its mode set on the fd, so a
 * folder swapped for a symlink in between is refused, never chmodded. */
static int
mkdir_step(int dfd, const char *name, const char *shown, mode_t mode)
{
	struct stat st;
	int fd, made = mkdirat(dfd, name, 0700) == 0;

	if (!made && errno != EEXIST) {
		mc_seterr("cannot create folder '%s': %s", shown, strerror(errno));
		return -1;
	}
	/* A folder that was there is only walked through: O_PATH needs no
	 * read permission (a 0711 parent); one made here is ours to fchmod. */
	fd = openat(dfd, name, O_DIRECTORY | O_CLOEXEC | (made ? O_RDONLY | O_NOFOLLOW : O_PATH));
	if (fd < 0) {
		if (made && (errno == ELOOP || errno == ENOTDIR))
			mc_seterr("refusing folder '%s': it was replaced while being created", shown);
		else if (errno == ENOTDIR)
			mc_seterr("'%s' exists and is not a folder", shown);
		else
			mc_seterr("cannot open folder '%s': %s", shown, strerror(errno));
		return -1;
	}
	if (made && (fstat(fd, &st) < 0 || st.st_uid != geteuid() || fchmod(fd, mode) < 0)) {
		mc_seterr("cannot set mode of folder '%s': %s", shown, errno ? strerror(errno) : "not ours");
		close(fd);
		return -1;
	}
	return fd;
}

int
mc_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);
	int dfd;

	if (len == 0 || len >= sizeof(buf)) {
		mc_seterr("invalid folder '%s'", path);
		return -1;
	}
	memcpy(buf, path, len + 1);
	if ((dfd = open(buf[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		mc_seterr("cannot open folder '%s': %s", buf[0] == '/' ? "/" : ".", strerror(errno));
		return -1;
	}
	for (char *p = buf; *p != '\0';) {
		char *name, *end, c;
		int nfd;

		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		name = p;
		end = strchr(p, '/');
		end = end ? end : p + strlen(p);
		c = *end;
		*end = '\0';
		errno = 0;
		nfd = mkdir_step(dfd, name, buf, mode);
		*end = c;
		close(dfd);
		if (nfd < 0)
			return -1;
		dfd = nfd;
		p = end;
		/* The name shown in messages is the path so far. */
		if (c != '\0')
			*end = '/';
	}
	close(dfd);
	return 0;
}

/* ---- many files, one sync ---- */

struct fileset_entry {
	char *tmp;
	char *path;
	int excl;
};

struct mc_fileset {
	char *dir;
	pthread_mutex_t lock;
	struct fileset_entry *v;
	size_t n, cap;
};

struct mc_fileset *
mc_fileset_new(const char *dir)
{
	struct mc_fileset *fs = calloc(1, sizeof(*fs));

	if (fs == NULL || (fs->dir = mc_strdup(dir)) == NULL) {
		free(fs);
		mc_seterr("out of memory");
		return NULL;
	}
	pthread_mutex_init(&fs->lock, NULL);
	return fs;
}

static int
fileset_push(struct mc_fileset *fs, char *tmp, char *path, int excl)
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

int
mc_fileset_add(struct mc_fileset *fs, const char *name, mode_t mode, int excl, const void *data, size_t len)
{
	char *path = NULL, *tmp = NULL;
	struct stat st;
	int rc = -1;

	if (asprintf(&path, "%s/%s", fs->dir, name) < 0) {
		mc_seterr("out of memory");
		path = NULL;
		goto out;
	}
	if (excl && lstat(path, &st) == 0) {
		mc_seterr("'%s' already exists; refusing to overwrite it", path);
		goto out;
	}
	if ((!excl && mc_file_check_target(path) < 0) ||
	    mc_file_write(&(struct mc_write){ .path = path, .mode = mode, .uid = (uid_t)-1, .gid = (gid_t)-1,
	        .data = data, .len = len, .how = MC_WRITE_TEMP, .nosync = 1, .tmp = &tmp }) < 0)
		goto out;
	if (fileset_push(fs, tmp, path, excl) < 0) {
		unlink(tmp);
		goto out;
	}
	tmp = path = NULL;
	rc = 0;
out:
	free(tmp);
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
mc_fileset_commit(struct mc_fileset *fs)
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
mc_fileset_free(struct mc_fileset *fs)
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
mc_lock_file(const char *path, int timeout_ms)
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
