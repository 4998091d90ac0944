#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "util.h"

char *
mc_strdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		mc_seterr("out of memory");
	return p;
}

int
mc_catf(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strnlen(buf, size);
	va_list ap;
	int n;

	if (size == 0)
		return -1;
	if (len == size) {
		buf[size - 1] = '\0';
		return -1;
	}
	va_start(ap, fmt);
	n = vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		buf[len] = '\0';
		return -1;
	}
	return (size_t)n < size - len ? 0 : -1;
}

int
mc_strv_push(struct mc_strv *sv, const char *s)
{
	char *d;

	if (sv->n + 1 >= sv->cap) {
		size_t ncap = sv->cap ? sv->cap * 2 : 8;
		char **nv = realloc(sv->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			mc_seterr("out of memory");
			return -1;
		}
		sv->v = nv;
		sv->cap = ncap;
	}
	if ((d = mc_strdup(s)) == NULL)
		return -1;
	sv->v[sv->n++] = d;
	sv->v[sv->n] = NULL;
	return 0;
}

int
mc_strv_has(const struct mc_strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return 1;
	return 0;
}

void
mc_strv_free(struct mc_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

char *
mc_strv_join(const struct mc_strv *sv, const char *sep)
{
	struct mc_buf b = { 0 };

	if (mc_buf_add(&b, "", 1) < 0)
		return NULL;
	b.len = 0;
	for (size_t i = 0; i < sv->n; i++) {
		if ((i > 0 && mc_buf_add(&b, sep, strlen(sep)) < 0) ||
		    mc_buf_add(&b, sv->v[i], strlen(sv->v[i]) + 1) < 0) {
			mc_buf_free(&b);
			return NULL;
		}
		b.len--;
	}
	return b.p;
}

int
mc_buf_add(struct mc_buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		char *np;

		while (ncap < b->len + len + 1)
			ncap *= 2;
		/* Never realloc: old contents may be secret and must be wiped. */
		if ((np = malloc(ncap)) == NULL) {
			mc_seterr("out of memory");
			return -1;
		}
		if (b->p != NULL) {
			memcpy(np, b->p, b->len);
			OPENSSL_cleanse(b->p, b->cap);
			free(b->p);
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

int
mc_buf_printf(struct mc_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n, rc;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		mc_seterr("out of memory");
		return -1;
	}
	rc = mc_buf_add(b, s, (size_t)n);
	free(s);
	return rc;
}

void
mc_buf_free(struct mc_buf *b)
{
	if (b->p != NULL) {
		OPENSSL_cleanse(b->p, b->cap);
		free(b->p);
	}
	b->p = NULL;
	b->len = b->cap = 0;
}

void
mc_hex(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

long
mc_days_left(time_t not_after, time_t now)
{
	if (not_after >= now)
		return (long)((not_after - now) / 86400);
	return -(long)((now - not_after + 86399) / 86400);
}

void
mc_iso8601(time_t t, char out[static 21])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
mc_parse_time(const char *s, time_t *out)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0') {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
		if (end == NULL || *end != '\0') {
			mc_seterr("invalid date '%s' (expected YYYY-MM-DD)", s);
			return -1;
		}
	}
	*out = timegm(&tm);
	return 0;
}
