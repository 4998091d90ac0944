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

#endif
