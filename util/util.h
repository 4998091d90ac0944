/*
 * util: what every layer shares and nothing more.
 *
 * Errors: library functions return -1 / NULL and leave one lowercase line
 * here for the caller (cmd/) to print.  The buffer is per thread so batch
 * issuance can sign on several threads at once.
 */
#ifndef MINICA_UTIL_H
#define MINICA_UTIL_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <sys/types.h>

#define MC_ERR_MAX 1024

void mc_seterr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like mc_seterr, then appends ": " and the reason of the newest OpenSSL
 * error (the last one queued: the failing call's own, where the oldest is
 * usually a low-level symptom), if any, and clears the OpenSSL error queue. */
void mc_seterr_ssl(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prefix the current message: "cannot load 'x': <old message>". */
void mc_preferr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *mc_err(void);
void mc_clearerr(void);

/* A growable list of strings.  Owns its elements. */
struct mc_strv {
	char **v;
	size_t n;
	size_t cap;
};
int mc_strv_push(struct mc_strv *sv, const char *s);
int mc_strv_has(const struct mc_strv *sv, const char *s);
void mc_strv_free(struct mc_strv *sv);
/* Joins with sep into a new string ("" for an empty list). */
char *mc_strv_join(const struct mc_strv *sv, const char *sep);

/* A growable byte buffer. */
struct mc_buf {
	char *p;
	size_t len;
	size_t cap;
};
int mc_buf_add(struct mc_buf *b, const void *data, size_t len);
int mc_buf_printf(struct mc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Wipes, then frees. */
void mc_buf_free(struct mc_buf *b);

char *mc_strdup(const char *s);
/*
 * Appends printf output to the string in buf (size bytes in all), cutting
 * it short where buf is full; buf stays terminated.  0, or -1 when the
 * output was cut (messages may be cut; callers that must not, check).
 */
int mc_catf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Lowercase hex of len bytes into out (2*len+1 bytes). */
void mc_hex(const unsigned char *in, size_t len, char *out);
/* Whole days from now to not_after: 0 on its last day, negative (rounded
 * away from zero) once it has passed. */
long mc_days_left(time_t not_after, time_t now);
/* "2026-11-25T10:00:00Z" into out (at least 21 bytes). */
void mc_iso8601(time_t t, char out[static 21]);
/* Parses "YYYY-MM-DD" or the ISO form above; -1 on error. */
int mc_parse_time(const char *s, time_t *out);

/* pool.c: a parallel for-loop on POSIX threads. */
#define MC_POOL_MAX 256
/* Online processors, 1 to MC_POOL_MAX. */
int mc_cpu_count(void);
/*
 * Calls fn(arg, i) for every i in [0, n) on up to jobs threads, the
 * caller's among them (jobs <= 1: all in the caller's thread, in order).
 * fn returns 0, or -1 with mc_err set in its thread.  After a failure no
 * new item is started; the call returns -1 with the failure's message in
 * the caller's mc_err() and its index in *failed_at (may be NULL); when
 * several fail, the lowest index is reported.
 */
int mc_pool_run(size_t n, int jobs, int (*fn)(void *arg, size_t i), void *arg, size_t *failed_at);
/*
 * The same with a consumer: fn(arg, i) on jobs threads started for it,
 * and on the caller's thread consume(carg, i) for each i in order as soon
 * as fn(arg, i) is done, while later items are still being worked on.
 * The first failure on either side stops both: -1, its index in
 * *failed_at and *in_consume 1 when it was consume's (a failure of fn,
 * the lowest index, wins over consume's).  Items fn finished that were not
 * consumed are the caller's to clean up.
 */
int mc_pool_run_ordered(size_t n, int jobs, int (*fn)(void *arg, size_t i), void *arg,
    int (*consume)(void *carg, size_t i), void *carg, size_t *failed_at, int *in_consume);

/* proc.c: what children get.  mc_child_state_save records the umask
 * and RLIMIT_CORE the process started with (call it before changing
 * them); mc_child_prepare, in a forked child before exec (async-signal-
 * safe), restores them and closes every descriptor above 2. */
void mc_child_state_save(void);
void mc_child_prepare(void);

/* trust.c: sshd's StrictModes.  mc_check_owner: path (if it exists, not
 * followed) is owned by root or the effective user; what names it in the
 * refusal ("CA home").  mc_check_folders: every symlink on the way to dir
 * is root's or ours, and every folder dir really is, up to stop (an
 * absolute folder without symlinks, e.g. --root; NULL or "/": up to "/"),
 * is owned by root or us and not writable by group or others (a sticky
 * one like /tmp is allowed above, not as dir itself).  One line naming
 * the folder and the chown/chmod that fixes it. */
int mc_check_owner(const char *path, const char *what);
int mc_check_folders(const char *dir, const char *stop);

/* fs.c: files written safely. */
/* Temp files are named MC_TMP_PREFIX + the target's name + ".XXXXXX",
 * next to the target. */
#define MC_TMP_PREFIX ".minica-tmp."
enum mc_write_how {
	/* A temp name in the same folder (mode and owner set before any
	 * content), fsynced, renamed over path, the folder fsynced.  A
	 * symlink or anything but a regular file at path is refused. */
	MC_WRITE_REPLACE,
	/* Only if path does not exist, whole: the temp file is hard-linked
	 * to path (EEXIST refused) and the folder fsynced.  Nothing is left
	 * under path on failure or crash. */
	MC_WRITE_EXCL,
	/* Exactly path (O_EXCL|O_NOFOLLOW), filled and fsynced; renaming it
	 * into place and syncing the folder are the caller's (deploy). */
	MC_WRITE_STAGE,
	/* The filled temp file only; its name goes to *tmp (the caller
	 * places it and frees the name). */
	MC_WRITE_TEMP,
};
struct mc_write {
	const char *path;
	mode_t mode;
	uid_t uid, gid;		/* (uid_t)-1 / (gid_t)-1: the process's own */
	const void *data;
	size_t len;
	enum mc_write_how how;
	int nosync;		/* no fsync of the file (the caller syncs the file system) */
	char **tmp;		/* MC_WRITE_TEMP: the temp file's name */
};
/* The one way minica writes a file. */
int mc_file_write(const struct mc_write *w);
/* MC_WRITE_REPLACE and MC_WRITE_EXCL in one line. */
int mc_file_replace(const char *path, mode_t mode, uid_t uid, gid_t gid, const void *data, size_t len);
int mc_file_create_excl(const char *path, mode_t mode, const void *data, size_t len);
/* 0: path does not exist; 1: a regular file; -1: a symlink or anything
 * else, refused with a message naming it. */
int mc_file_check_target(const char *path);
/* Reads a regular file (no symlink followed) of at most max bytes. */
int mc_file_read(const char *path, size_t max, struct mc_buf *out);
/* Removes the temp files a process killed inside mc_file_write left in
 * dir: regular files named MC_TMP_PREFIX... last modified before
 * `before`.  A caller holding the CA lock passes the time it took it, so
 * no live writer's file is touched.  Appends each path removed to removed
 * (may be NULL).  Returns the number removed (0 for a missing folder) or -1. */
int mc_file_sweep_tmp(const char *dir, const struct timespec *before, struct mc_strv *removed);
/* The one write loop: all of data to fd (EINTR retried). */
int mc_write_all(int fd, const char *path, const void *data, size_t len);
int mc_fsync_dir(const char *dir);
/* The folder part of path (dirname), malloc'd; NULL on no memory. */
char *mc_dir_of(const char *path);
/* mkdir -p: the folders it creates get exactly mode, set on an fd opened
 * with O_NOFOLLOW relative to the parent's fd (no path is chmodded, a
 * folder swapped for a symlink meanwhile is refused). */
int mc_mkdir_p(const char *path, mode_t mode);
/*
 * Many files in one folder made durable with one sync: one fsync per
 * file costs more than signing a leaf, and a batch writes thousands.
 * mc_fileset_add writes a temp file in the folder with its final mode
 * (thread-safe; a symlink or, for excl, any existing file at the name is
 * refused); mc_fileset_commit syncs the file system once, moves every
 * file into place in the order added (excl with link(), which never
 * replaces an existing file; the others with rename()), then syncs the
 * folder.  mc_fileset_free removes the temp files not yet placed.
 */
struct mc_fileset;
struct mc_fileset *mc_fileset_new(const char *dir);
int mc_fileset_add(struct mc_fileset *fs, const char *name, mode_t mode, int excl, const void *data, size_t len);
int mc_fileset_commit(struct mc_fileset *fs);
void mc_fileset_free(struct mc_fileset *fs);
/* An exclusive flock on path (created 0600), waiting at most timeout_ms;
 * returns the fd to close to release it, or -1 ("CA busy"). */
int mc_lock_file(const char *path, int timeout_ms);

/* suggest.c: the candidate nearest to word (ignoring case; one edit
 * for short words, up to three for long ones; a candidate that word
 * begins counts as near), or NULL when none is near: for "did you mean". */
const char *mc_suggest(const char *word, const char *const *cands, size_t n);

#endif
