/* Whose folders we write into: sshd's StrictModes rule, and owners of
 * the files minica trusts. */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static const char *
user_name(uid_t uid, char buf[32])
{
	struct passwd *pw = getpwuid(uid);

	/* Copied: getpwuid's buffer is overwritten by the next call. */
	if (pw != NULL && strlen(pw->pw_name) < 32)
		snprintf(buf, 32, "%s", pw->pw_name);
	else
		snprintf(buf, 32, "%u", (unsigned)uid);
	return buf;
}

static int
owner_ok(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

static int
owner_refused(const char *path, const char *what, uid_t uid)
{
	char a[32], b[32];

	user_name(uid, a);
	user_name(geteuid(), b);
	if (geteuid() == 0)
		mc_seterr("refusing %s '%s': it is owned by %s, not by root; fix it with: chown root '%s'",
		    what, path, a, path);
	else
		mc_seterr("refusing %s '%s': it is owned by %s, not by root or %s; fix it with: chown %s '%s'",
		    what, path, a, b, b, path);
	return -1;
}

int
mc_check_owner(const char *path, const char *what)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		mc_seterr("cannot inspect %s '%s': %s", what, path, strerror(errno));
		return -1;
	}
	return owner_ok(st.st_uid) ? 0 : owner_refused(path, what, st.st_uid);
}

/* One folder: owned by root or us, not writable by group or others
 * (sticky ones are, unless it is the folder the file goes into). */
static int
folder_ok(const char *path, const struct stat *st, int parent)
{
	if (!owner_ok(st->st_uid))
		return owner_refused(path, "to write under folder", st->st_uid);
	if ((st->st_mode & 022) && (parent || !(st->st_mode & S_ISVTX))) {
		mc_seterr("refusing to write under folder '%s': it is writable by %s (mode %04o); "
		    "fix it with: chmod go-w '%s'", path, (st->st_mode & 002) ? "others" : "its group",
		    (unsigned)(st->st_mode & 07777), path);
		return -1;
	}
	return 0;
}

/* Up from dir (no symlinks in it) to stop or "/": each folder passes. */
static int
chain_ok(char *dir, const char *stop)
{
	int parent = 1;

	for (;;) {
		struct stat st;
		char *slash;

		if (stat(dir, &st) < 0) {
			mc_seterr("cannot inspect folder '%s': %s", dir, strerror(errno));
			return -1;
		}
		if (folder_ok(dir, &st, parent) < 0)
			return -1;
		parent = 0;
		if (strcmp(dir, "/") == 0 || (stop != NULL && strcmp(dir, stop) == 0))
			return 0;
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

int
mc_check_folders(const char *dir, const char *stop)
{
	char real[PATH_MAX], walk[PATH_MAX];
	size_t len = strlen(dir);
	int inside;

	if (len == 0 || len >= sizeof(walk)) {
		mc_seterr("invalid folder '%s'", dir);
		return -1;
	}
	/* Every symlink on the way must be ours or root's ... */
	memcpy(walk, dir, len + 1);
	for (char *p = walk + len; p > walk; p--) {
		struct stat st;

		if (*p != '/' && p != walk + len)
			continue;
		*p = '\0';
		if (walk[0] != '\0' && lstat(walk, &st) == 0 && S_ISLNK(st.st_mode) && !owner_ok(st.st_uid))
			return owner_refused(walk, "the symbolic link", st.st_uid);
		if (p != walk + len)
			*p = '/';
	}
	/* ... and the folders it really names pass, up to stop when inside it. */
	/* A folder still to be made: its nearest existing ancestor. */
	memcpy(walk, dir, len + 1);
	while (realpath(walk, real) == NULL) {
		char *slash = strrchr(walk, '/');

		if (errno != ENOENT || slash == NULL || slash == walk) {
			mc_seterr("cannot resolve folder '%s': %s", dir, strerror(errno));
			return -1;
		}
		*slash = '\0';
	}
	inside = stop != NULL && strcmp(stop, "/") != 0 &&
	    strncmp(real, stop, strlen(stop)) == 0 && (real[strlen(stop)] == '/' || real[strlen(stop)] == '\0');
	return chain_ok(real, inside ? stop : NULL);
}
