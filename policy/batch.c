/*
 * policy/batch.c: the file `minica issue --batch` reads, one certificate
 * a line.  Only the form is checked here (tokens, quotes, days=, key=);
 * profiles, names and lifetimes are checked by the issuing plan, the
 * same code a single `minica issue` runs.
 */
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define MAX_TOKENS 1024		/* a SAN list longer than this is a mistake */

struct tokens {
	char *v[MAX_TOKENS];
	size_t n;
};

/* Splits one line in place at blanks; "..." keeps blanks; a token that
 * starts with # ends the line. */
static int
split(char *s, struct tokens *t)
{
	t->n = 0;
	for (;;) {
		char *tok;

		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		if (*s == '\0' || *s == '#')
			return 0;
		if (t->n == MAX_TOKENS) {
			mc_seterr("more than %d words", MAX_TOKENS);
			return -1;
		}
		if (*s == '"') {
			tok = ++s;
			if ((s = strchr(s, '"')) == NULL) {
				mc_seterr("a quote (\") is not closed");
				return -1;
			}
			*s++ = '\0';
			if (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\r') {
				mc_seterr("a closing quote must end the word");
				return -1;
			}
		} else {
			tok = s;
			while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\r') {
				if (*s == '"') {
					mc_seterr("a quote (\") may only start a word");
					return -1;
				}
				s++;
			}
			if (*s != '\0')
				*s++ = '\0';
		}
		if (*tok == '\0') {
			mc_seterr("an empty word (\"\")");
			return -1;
		}
		t->v[t->n++] = tok;
	}
}

/* name=value where name is lowercase letters and the token is not an
 * e-mail address (whose local part may hold '='). */
static int
is_option(const char *tok)
{
	const char *eq = strchr(tok, '=');

	if (eq == NULL || eq == tok || strchr(tok, '@') != NULL)
		return 0;
	for (const char *c = tok; c < eq; c++)
		if (*c < 'a' || *c > 'z')
			return 0;
	return 1;
}

static int
parse_option(struct pol_batch_line *l, const char *tok)
{
	const char *val = strchr(tok, '=') + 1;

	if (strncmp(tok, "days=", 5) == 0) {
		char *end;
		long v = strtol(val, &end, 10);

		if (l->days != 0) {
			mc_seterr("days= given twice");
			return -1;
		}
		if (*val < '0' || *val > '9' || *end != '\0' || v < 1 || v > POL_BATCH_MAX_DAYS) {
			mc_seterr("'%s' is not a number of days (days=1 to days=%d)", tok, POL_BATCH_MAX_DAYS);
			return -1;
		}
		l->days = (int)v;
		return 0;
	}
	if (strncmp(tok, "key=", 4) == 0) {
		if (l->key_type != NULL) {
			mc_seterr("key= given twice");
			return -1;
		}
		if (!pol_key_type_valid(val)) {
			mc_seterr("unknown key type '%s' (use rsa2048, rsa3072, rsa4096, ec256 or ec384)", val);
			return -1;
		}
		return (l->key_type = mc_strdup(val)) ? 0 : -1;
	}
	mc_seterr("unknown option '%.*s' (use days=N or key=TYPE)", (int)(strchr(tok, '=') - tok + 1), tok);
	return -1;
}

static int
parse_tokens(struct pol_batch_line *l, const struct tokens *t)
{
	unsigned char bin[16];
	size_t binlen;

	if (is_option(t->v[0])) {
		mc_seterr("the line starts with '%s'; put the profile first", t->v[0]);
		return -1;
	}
	if ((l->profile = mc_strdup(t->v[0])) == NULL)
		return -1;
	for (size_t i = 1; i < t->n; i++) {
		const char *tok = t->v[i];

		if (is_option(tok)) {
			if (parse_option(l, tok) < 0)
				return -1;
		} else if (l->cn == NULL) {
			if ((l->cn = mc_strdup(tok)) == NULL)
				return -1;
		} else if (pol_ip_parse(tok, bin, &binlen, NULL) == 0) {
			if (mc_strv_push(&l->ips, tok) < 0)
				return -1;
		} else if (mc_strv_push(&l->names, tok) < 0) {
			return -1;
		}
	}
	if (l->cn == NULL) {
		mc_seterr("no common name after the profile '%s' (PROFILE CN [NAME ...] [days=N] [key=TYPE])",
		    l->profile);
		return -1;
	}
	return 0;
}

static void
line_free(struct pol_batch_line *l)
{
	free(l->profile);
	free(l->cn);
	free(l->key_type);
	mc_strv_free(&l->names);
	mc_strv_free(&l->ips);
	memset(l, 0, sizeof(*l));
}

static struct pol_batch_line *
grow(struct pol_batch *b, size_t *cap)
{
	if (b->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct pol_batch_line *nv = realloc(b->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			mc_seterr("out of memory");
			return NULL;
		}
		b->v = nv;
		*cap = ncap;
	}
	memset(&b->v[b->n], 0, sizeof(b->v[0]));
	return &b->v[b->n];
}

static int
parse_line(struct pol_batch *b, size_t *cap, char *s, int lineno)
{
	struct tokens *t = malloc(sizeof(*t));
	struct pol_batch_line *l;
	int rc = -1;

	if (t == NULL) {
		mc_seterr("out of memory");
		return -1;
	}
	if (split(s, t) < 0)
		goto out;
	if (t->n == 0) {
		rc = 0;
		goto out;
	}
	if ((l = grow(b, cap)) == NULL)
		goto out;
	l->line = lineno;
	if (parse_tokens(l, t) < 0) {
		line_free(l);
		goto out;
	}
	b->n++;
	rc = 0;
out:
	free(t);
	return rc;
}

int
pol_batch_parse(const char *text, size_t len, struct pol_batch *out, int *bad_line)
{
	char *copy = malloc(len + 1), *s;
	size_t cap = 0;
	int lineno = 0, rc = -1;

	memset(out, 0, sizeof(*out));
	*bad_line = 0;
	if (copy == NULL) {
		mc_seterr("out of memory");
		return -1;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	for (s = copy; s < copy + len; ) {
		char *nl = memchr(s, '\n', (size_t)(copy + len - s));
		char *end = nl ? nl : copy + len;

		lineno++;
		*end = '\0';
		for (const unsigned char *c = (const unsigned char *)s; c < (const unsigned char *)end; c++) {
			if ((*c < 0x20 && *c != '\t' && *c != '\r') || *c == 0x7f) {
				mc_seterr("a control character (0x%02x)", *c);
				*bad_line = lineno;
				goto out;
			}
		}
		if (parse_line(out, &cap, s, lineno) < 0) {
			*bad_line = lineno;
			goto out;
		}
		s = end + 1;
	}
	if (out->n == 0) {
		mc_seterr("no certificates: every line is blank or a comment");
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		pol_batch_free(out);
	free(copy);
	return rc;
}

void
pol_batch_free(struct pol_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		line_free(&b->v[i]);
	free(b->v);
	memset(b, 0, sizeof(*b));
}
