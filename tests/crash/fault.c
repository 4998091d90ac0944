/*
 * libfault.so: an LD_PRELOAD shim that kills the process (SIGKILL, so
 * no handler, no atexit, no buffered flush: what a power cut or the OOM
 * killer does to a process) at the Nth file-system operation of a kind.
 *
 *   FAULT_OP=write|sync|rename|link|unlink|any   what is counted (default any)
 *     write:  write, pwrite, pwrite64 on a regular file (SQLite's WAL and
 *             database writes, minica's temp and staged files)
 *     sync:   fsync, fdatasync, syncfs (a SQLite commit ends in one)
 *     rename: rename, renameat;  link: link;  unlink: unlink
 *   FAULT_AT=N        kill at the Nth counted operation (1-based); 0 or
 *                     unset: only count
 *   FAULT_WHEN=before|after   kill before the operation runs (default)
 *                     or right after it returned
 *   FAULT_PATH=TEXT   count only operations on a path containing TEXT
 *   FAULT_COUNT=FILE  at a normal exit, write the number counted to FILE
 *   FAULT_TRACE=FILE  append one line per counted operation
 *
 * Only the process that loaded the shim counts (not a forked child), and
 * the shim removes LD_PRELOAD and FAULT_* from the environment at load so
 * the reload commands minica runs are not affected.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

enum kind { K_WRITE = 1, K_SYNC = 2, K_RENAME = 4, K_LINK = 8, K_UNLINK = 16, K_ANY = 31 };

static pid_t main_pid;
static unsigned mask = K_ANY;
static long at, count;
static int after, trace_fd = -1;
static char count_file[4096], path_filter[4096];

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_syncfs)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_link)(const char *, const char *);
static int (*real_unlink)(const char *);

static void *
next(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	if (f == NULL)
		abort();
	return f;
}

static void
resolve(void)
{
	if (real_write != NULL)
		return;
	real_pwrite = next("pwrite");
	real_pwrite64 = next("pwrite64");
	real_fsync = next("fsync");
	real_fdatasync = next("fdatasync");
	real_syncfs = next("syncfs");
	real_rename = next("rename");
	real_renameat = next("renameat");
	real_link = next("link");
	real_unlink = next("unlink");
	real_write = next("write");
}

__attribute__((constructor)) static void
fault_init(void)
{
	const char *op = getenv("FAULT_OP"), *n = getenv("FAULT_AT"), *w = getenv("FAULT_WHEN");
	const char *cf = getenv("FAULT_COUNT"), *tf = getenv("FAULT_TRACE"), *pf = getenv("FAULT_PATH");

	resolve();
	main_pid = getpid();
	if (op != NULL && *op != '\0') {
		mask = strcmp(op, "write") == 0 ? K_WRITE : strcmp(op, "sync") == 0 ? K_SYNC :
		    strcmp(op, "rename") == 0 ? K_RENAME : strcmp(op, "link") == 0 ? K_LINK :
		    strcmp(op, "unlink") == 0 ? K_UNLINK : strcmp(op, "any") == 0 ? K_ANY : 0;
		if (mask == 0) {
			fprintf(stderr, "libfault: unknown FAULT_OP '%s'\n", op);
			_exit(125);
		}
	}
	at = n != NULL ? strtol(n, NULL, 10) : 0;
	after = w != NULL && strcmp(w, "after") == 0;
	if (cf != NULL)
		snprintf(count_file, sizeof(count_file), "%s", cf);
	if (pf != NULL)
		snprintf(path_filter, sizeof(path_filter), "%s", pf);
	if (tf != NULL && *tf != '\0')
		trace_fd = open(tf, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	unsetenv("LD_PRELOAD");
	unsetenv("FAULT_OP");
	unsetenv("FAULT_AT");
	unsetenv("FAULT_WHEN");
	unsetenv("FAULT_COUNT");
	unsetenv("FAULT_TRACE");
	unsetenv("FAULT_PATH");
}

__attribute__((destructor)) static void
fault_done(void)
{
	FILE *f;

	if (getpid() != main_pid || count_file[0] == '\0')
		return;
	if ((f = fopen(count_file, "w")) != NULL) {
		fprintf(f, "%ld\n", count);
		fclose(f);
	}
}

static void
die(void)
{
	kill(getpid(), SIGKILL);
	for (;;)
		pause();
}

/* 1 when this call is the one to kill at (before or after it runs). */
static int
hit(enum kind k, const char *name, const char *a, const char *b)
{
	if (!(mask & k) || getpid() != main_pid)
		return 0;
	if (path_filter[0] != '\0' && strstr(a, path_filter) == NULL && (b == NULL || strstr(b, path_filter) == NULL))
		return 0;
	count++;
	if (trace_fd >= 0) {
		char line[8192];
		int len = snprintf(line, sizeof(line), "%ld %s %s%s%s\n", count, name, a, b ? " -> " : "", b ? b : "");

		if (len > 0)
			real_write(trace_fd, line, (size_t)len < sizeof(line) ? (size_t)len : sizeof(line) - 1);
	}
	return at > 0 && count == at;
}

static const char *
fd_name(int fd, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, len - 1);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

/* Writes that reach a file, not a terminal or pipe (stdout, stderr, the
 * reload command's output). */
static int
file_fd(int fd, int dirs_too)
{
	struct stat st;

	return fd > 2 && fd != trace_fd && fstat(fd, &st) == 0 &&
	    (S_ISREG(st.st_mode) || (dirs_too && S_ISDIR(st.st_mode)));
}

static int
hit_fd(enum kind k, const char *name, int fd)
{
	char buf[4096];

	if (!(mask & k) || getpid() != main_pid || !file_fd(fd, k == K_SYNC))
		return 0;
	return hit(k, name, trace_fd >= 0 || path_filter[0] ? fd_name(fd, buf, sizeof(buf)) : "", NULL);
}

#define AROUND(call, h)                                                 \
	do {                                                            \
		int kill_ = (h);                                        \
		int saved_;                                             \
		if (kill_ && !after)                                    \
			die();                                          \
		r = (call);                                             \
		saved_ = errno;                                         \
		if (kill_)                                              \
			die();                                          \
		errno = saved_;                                         \
	} while (0)

ssize_t
write(int fd, const void *p, size_t n)
{
	ssize_t r;

	resolve();
	AROUND(real_write(fd, p, n), hit_fd(K_WRITE, "write", fd));
	return r;
}

ssize_t
pwrite(int fd, const void *p, size_t n, off_t off)
{
	ssize_t r;

	resolve();
	AROUND(real_pwrite(fd, p, n, off), hit_fd(K_WRITE, "pwrite", fd));
	return r;
}

ssize_t
pwrite64(int fd, const void *p, size_t n, off_t off)
{
	ssize_t r;

	resolve();
	AROUND(real_pwrite64(fd, p, n, off), hit_fd(K_WRITE, "pwrite64", fd));
	return r;
}

int
fsync(int fd)
{
	int r;

	resolve();
	AROUND(real_fsync(fd), hit_fd(K_SYNC, "fsync", fd));
	return r;
}

int
fdatasync(int fd)
{
	int r;

	resolve();
	AROUND(real_fdatasync(fd), hit_fd(K_SYNC, "fdatasync", fd));
	return r;
}

int
syncfs(int fd)
{
	int r;

	resolve();
	AROUND(real_syncfs(fd), hit_fd(K_SYNC, "syncfs", fd));
	return r;
}

int
rename(const char *a, const char *b)
{
	int r;

	resolve();
	AROUND(real_rename(a, b), hit(K_RENAME, "rename", a, b));
	return r;
}

int
renameat(int da, const char *a, int db, const char *b)
{
	int r;

	resolve();
	AROUND(real_renameat(da, a, db, b), hit(K_RENAME, "renameat", a, b));
	return r;
}

int
link(const char *a, const char *b)
{
	int r;

	resolve();
	AROUND(real_link(a, b), hit(K_LINK, "link", a, b));
	return r;
}

int
unlink(const char *a)
{
	int r;

	resolve();
	AROUND(real_unlink(a), hit(K_UNLINK, "unlink", a, NULL));
	return r;
}
