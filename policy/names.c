/*
 * policy/names.c: DNS names, e-mail addresses and IP addresses as they go
 * into subjectAltName, and the domain check against the root's name
 * constraints.
 *
 * The rules are stricter than DNS itself (RFC 1035 allows any octet) and
 * match what TLS clients accept in a certificate: LDH labels (RFC 952/1123),
 * A-labels for internationalised names (RFC 5890), and wildcards only in
 * the form RFC 6125 section 6.4.3 lets every client understand.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>

#include "policy.h"

#define LABEL_MAX 63
#define EMAIL_LOCAL_MAX 64		/* RFC 5321 4.5.3.1.1 */
#define SHOW_MAX 80			/* how much of a bad name an error shows */

static int utf8_valid(const unsigned char *s, size_t len);

/*
 * A printable, bounded copy of untrusted input for error messages: a name
 * with a tab, stray Latin-1 bytes or 10,000 labels must not garble or
 * flood the terminal.  Cuts only between whole UTF-8 characters.
 */
static void
show(const char *in, size_t len, char *out, size_t outsz)
{
	int utf8 = utf8_valid((const unsigned char *)in, len);
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (o + 8 >= outsz && (!utf8 || (c & 0xc0) != 0x80)) {
			memcpy(out + o, "...", 4);
			return;
		}
		if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8))
			o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

/* Sets "invalid hostname '<in>': <why>". */
static void
bad_name(const char *in, size_t len, const char *why)
{
	char s[SHOW_MAX + 8];

	show(in, len, s, sizeof(s));
	mc_seterr("invalid hostname '%s': %s", s, why);
}

/*
 * Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF.  libidn2 would reject most of these too, but with a message
 * about punycode that tells the user nothing.
 */
static int
utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else
			return 0;
		if (len - i <= n)
			return 0;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

/*
 * A person's plain name as a CN: valid UTF-8, no control character, at
 * most POL_CN_MAX characters (RFC 5280 ub-common-name counts characters,
 * not bytes: 40 x U+00E9 is 80 bytes and fits).
 */
int
pol_cn_text_check(const char *cn)
{
	size_t len = strlen(cn), chars = 0;

	if (!utf8_valid((const unsigned char *)cn, len)) {
		mc_seterr("--cn is not valid UTF-8");
		return -1;
	}
	for (const unsigned char *c = (const unsigned char *)cn; *c; c++) {
		if (*c < 0x20 || *c == 0x7f) {
			mc_seterr("--cn contains a control character");
			return -1;
		}
		if ((*c & 0xc0) != 0x80)
			chars++;
	}
	if (chars > POL_CN_MAX) {
		mc_seterr("--cn '%s' is %zu characters long, more than %d", cn, chars, POL_CN_MAX);
		return -1;
	}
	return 0;
}

/* Refuses NUL, space and control bytes before anything else looks at it. */
static int
check_bytes(const char *in, size_t len, int *ascii)
{
	*ascii = 1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '\0') {
			bad_name(in, len, "contains a NUL byte");
			return -1;
		}
		if (c == ' ') {
			bad_name(in, len, "contains a space");
			return -1;
		}
		if (c < 0x20 || c == 0x7f) {
			bad_name(in, len, "contains a control character");
			return -1;
		}
		if (c >= 0x80)
			*ascii = 0;
	}
	if (!*ascii && !utf8_valid((const unsigned char *)in, len)) {
		bad_name(in, len, "not valid UTF-8");
		return -1;
	}
	return 0;
}

/*
 * An address typed where a name belongs gets its own message: it must go
 * into an iPAddress SAN, and a dNSName "192.0.2.1" is ignored by clients.
 */
static int
looks_like_ip(const char *s)
{
	unsigned char b[16];
	char v6[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(s);
	int digits_dots;

	if (inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1)
		return 1;
	/* "[::1]" as in URLs, "fe80::1%eth0" with a zone. */
	if (n > 2 && n < sizeof(v6) && strchr(s, ':') != NULL) {
		size_t skip = s[0] == '[';

		memcpy(v6, s + skip, n - skip + 1);
		v6[strcspn(v6, "]%")] = '\0';
		if (inet_pton(AF_INET6, v6, b) == 1)
			return 1;
	}
	/* "10.1" is what inet_aton would take for 10.0.0.1. */
	digits_dots = strspn(s, "0123456789.") == n;
	return digits_dots && strchr(s, '.') != NULL &&
	    strcspn(s, "0123456789") < n;
}

/* One LDH label of an ASCII, lowercased name; why gets the reason. */
static int
check_label(const char *l, size_t n, const char **why)
{
	if (n == 0) {
		*why = "empty label";
		return -1;
	}
	if (n > LABEL_MAX) {
		*why = "a label is longer than 63 characters";
		return -1;
	}
	if (l[0] == '-' || l[n - 1] == '-') {
		*why = "a label may not start or end with a hyphen";
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char c = l[i];

		if (c == '_') {
			*why = "underscore is not allowed in a hostname";
			return -1;
		}
		if (c == ':') {
			*why = "':' is not allowed (a port? an IPv6 address "
			    "goes in --ip)";
			return -1;
		}
		if (c == '*') {
			*why = "a wildcard is only allowed as the whole leftmost "
			    "label ('*.example.org')";
			return -1;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
			*why = "only letters, digits, hyphens and dots are allowed";
			return -1;
		}
	}
	return 0;
}

/*
 * Nontransitional UTS #46 only (as browsers since 2017): "faß" stays
 * "xn--fa-hia", and a label IDNA2008 disallows (emoji, math symbols,
 * "xn--zz-zzzzz") is refused.  The transitional rules would admit those,
 * and a name no client resolves the same way is only a hidden typo.
 */
static int
idn_to_ascii(const char *s, char **out)
{
	return idn2_to_ascii_8z(s, out, IDN2_NONTRANSITIONAL);
}

/*
 * An A-label must survive the same libidn2 checks a U-label gets: "xn--zz"
 * is not a name any client can show, and issuing it would only hide a typo.
 */
static int
check_alabel(const char *l, size_t n, const char **why)
{
	char buf[LABEL_MAX + 1];
	char *a = NULL;
	int rc;

	if (n < 4 || strncmp(l, "xn--", 4) != 0)
		return 0;
	memcpy(buf, l, n);
	buf[n] = '\0';
	rc = idn_to_ascii(buf, &a);
	if (rc != IDN2_OK || strcmp(a, buf) != 0) {
		*why = "a label starting with 'xn--' is not a valid A-label";
		rc = -1;
	} else
		rc = 0;
	idn2_free(a);
	return rc;
}

/* Walks the labels of s (ASCII, lowercase, no trailing dot). */
static int
check_labels(const char *s, const char **why)
{
	const char *p = s, *dot, *last = s;
	size_t total = strlen(s);

	if (total > POL_HOSTNAME_MAX) {
		*why = "longer than 253 characters";
		return -1;
	}
	for (;;) {
		size_t n;

		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (check_label(p, n, why) < 0 || check_alabel(p, n, why) < 0)
			return -1;
		last = p;
		if (dot == NULL)
			break;
		p = dot + 1;
	}
	/* RFC 3696 2: a TLD is never all-numeric, else "1.2.3.4" parses two ways. */
	if (strspn(last, "0123456789") == strlen(last)) {
		*why = "the last label may not be all digits";
		return -1;
	}
	return 0;
}

/* U-labels to A-labels; UTS #46 mapping also folds case and full-width dots. */
static char *
to_alabels(const char *in, size_t len, const char *s)
{
	char *out = NULL, *ret = NULL;
	int rc;

	if (rc = idn_to_ascii(s, &out), rc == IDN2_PUNYCODE_BIG_OUTPUT ||
	    rc == IDN2_TOO_BIG_LABEL) {
		bad_name(in, len, "a label is longer than 63 characters "
		    "once converted to its A-label");
	} else if (rc == IDN2_TOO_BIG_DOMAIN) {
		bad_name(in, len, "longer than 253 characters once converted "
		    "to A-labels");
	} else if (rc != IDN2_OK) {
		char why[256];

		snprintf(why, sizeof(why), "cannot convert to an A-label: %s",
		    idn2_strerror(rc));
		bad_name(in, len, why);
	} else
		ret = mc_strdup(out);
	idn2_free(out);
	return ret;
}

/*
 * Splits off "*." and refuses the wildcard forms clients disagree on.  rest
 * points past the "*." on return.
 */
static int
take_wildcard(const char *in, size_t len, const char *s, int allow, const char **rest)
{
	*rest = s;
	if (strcmp(s, "*") == 0) {
		mc_seterr("'*': a wildcard may not sit directly above a "
		    "top-level domain; write '*.example.org'");
		return -1;
	}
	if (strncmp(s, "*.", 2) != 0)
		return 0;
	if (!allow) {
		bad_name(in, len, "a wildcard is not allowed here");
		return -1;
	}
	*rest = s + 2;
	return 1;
}

/* "*.com" would match every name under a TLD; clients refuse it anyway. */
static int
check_wildcard_depth(const char *in, size_t len, const char *conv)
{
	char sh[SHOW_MAX + 8];

	if (strchr(conv, '.') != NULL)
		return 0;
	show(in, len, sh, sizeof(sh));
	mc_seterr("'%s': a wildcard may not sit directly above a top-level "
	    "domain", sh);
	return -1;
}

/* Lowercases ASCII in place (U-labels are folded by libidn2 instead). */
static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/*
 * Builds the final name: trailing dot gone, wildcard split off, rest
 * converted and checked, "*." put back.
 */
static char *
normalize(const char *in, size_t len, char *s, int ascii, int allow_wildcard)
{
	const char *rest, *why = NULL;
	char *conv = NULL, *out = NULL;
	size_t n = strlen(s);
	int wild;

	if (n > 0 && s[n - 1] == '.')
		s[--n] = '\0';
	if (n == 0) {
		bad_name(in, len, "empty name");
		return NULL;
	}
	if ((wild = take_wildcard(in, len, s, allow_wildcard, &rest)) < 0)
		return NULL;
	if (ascii) {
		lower(s);
		conv = mc_strdup(rest);
	} else
		conv = to_alabels(in, len, rest);
	if (conv == NULL)
		return NULL;
	lower(conv);
	/* UTS #46 maps "。" and "．" to '.', so a trailing dot can appear only now. */
	if (n == len && conv[0] != '\0' && conv[strlen(conv) - 1] == '.')
		conv[strlen(conv) - 1] = '\0';
	if (check_labels(conv, &why) < 0) {
		bad_name(in, len, why);
		goto out;
	}
	if (wild && check_wildcard_depth(in, len, conv) < 0)
		goto out;
	if (wild && strlen(conv) + 2 > POL_HOSTNAME_MAX) {
		bad_name(in, len, "longer than 253 characters");
		goto out;
	}
	if ((out = malloc(strlen(conv) + 3)) == NULL) {
		mc_seterr("out of memory");
		goto out;
	}
	snprintf(out, strlen(conv) + 3, "%s%s", wild ? "*." : "", conv);
out:
	free(conv);
	return out;
}

char *
pol_hostname_normalize(const char *in, size_t len, int allow_wildcard)
{
	char *s = NULL, *out = NULL;
	int ascii;

	if (in == NULL || len == 0) {
		mc_seterr("invalid hostname '': empty name");
		return NULL;
	}
	if (check_bytes(in, len, &ascii) < 0)
		return NULL;
	/*
	 * No real name is this long, even in four-byte characters; refusing
	 * early keeps a name of 10,000 labels away from libidn2.
	 */
	if (len > 4 * (POL_HOSTNAME_MAX + 1)) {
		bad_name(in, len, "longer than 253 characters");
		return NULL;
	}
	if ((s = malloc(len + 1)) == NULL) {
		mc_seterr("out of memory");
		return NULL;
	}
	memcpy(s, in, len);
	s[len] = '\0';
	if (ascii && looks_like_ip(s)) {
		bad_name(in, len, "an IP address is not a hostname; use --ip");
		goto out;
	}
	out = normalize(in, len, s, ascii, allow_wildcard);
out:
	free(s);
	return out;
}

/* Sets "invalid e-mail address '<in>': <why>". */
static void
bad_email(const char *in, size_t len, const char *why)
{
	char s[SHOW_MAX + 8];

	show(in, len, s, sizeof(s));
	mc_seterr("invalid e-mail address '%s': %s", s, why);
}

/*
 * The local part is kept byte for byte (RFC 5321 lets servers treat it as
 * case-sensitive); only printable ASCII, since an internationalised local
 * part needs SmtpUTF8Mailbox (RFC 8398), which clients rarely support.
 */
static int
check_local(const char *in, size_t len, size_t at)
{
	if (at == 0) {
		bad_email(in, len, "empty local part before '@'");
		return -1;
	}
	if (at > EMAIL_LOCAL_MAX) {
		bad_email(in, len, "local part longer than 64 characters");
		return -1;
	}
	for (size_t i = 0; i < at; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c <= 0x20 || c >= 0x7f) {
			bad_email(in, len, "the local part must be printable "
			    "ASCII without spaces");
			return -1;
		}
	}
	return 0;
}

char *
pol_email_normalize(const char *in, size_t len)
{
	const char *at;
	char *dom = NULL, *out = NULL;
	size_t alen;

	if (in == NULL || len == 0) {
		mc_seterr("invalid e-mail address '': empty");
		return NULL;
	}
	if (memchr(in, '\0', len) != NULL) {
		bad_email(in, len, "contains a NUL byte");
		return NULL;
	}
	if ((at = memchr(in, '@', len)) == NULL ||
	    memchr(at + 1, '@', len - (size_t)(at - in) - 1) != NULL) {
		bad_email(in, len, "expected exactly one '@' (local@domain)");
		return NULL;
	}
	alen = (size_t)(at - in);
	if (check_local(in, len, alen) < 0)
		return NULL;
	dom = pol_hostname_normalize(at + 1, len - alen - 1, 0);
	if (dom == NULL) {
		char s[SHOW_MAX + 8];

		show(in, len, s, sizeof(s));
		mc_preferr("invalid e-mail address '%s'", s);
		return NULL;
	}
	if ((out = malloc(alen + 1 + strlen(dom) + 1)) == NULL)
		mc_seterr("out of memory");
	else
		snprintf(out, alen + 1 + strlen(dom) + 1, "%.*s@%s", (int)alen, in, dom);
	free(dom);
	return out;
}

int
pol_ip_parse(const char *in, unsigned char out[16], size_t *outlen, char *canon)
{
	int af;

	if (in == NULL) {
		mc_seterr("invalid IP address: none given");
		return -1;
	}
	/* inet_pton is strict: no "1.2.3", no octal "010.0.0.1", no zone ids. */
	if (inet_pton(AF_INET, in, out) == 1) {
		af = AF_INET;
		*outlen = 4;
	} else if (inet_pton(AF_INET6, in, out) == 1) {
		af = AF_INET6;
		*outlen = 16;
	} else {
		char s[SHOW_MAX + 8];

		show(in, strlen(in), s, sizeof(s));
		mc_seterr("invalid IP address '%s': expected IPv4 "
		    "(192.0.2.1) or IPv6 (2001:db8::1)", s);
		return -1;
	}
	if (canon != NULL && inet_ntop(af, out, canon, INET6_ADDRSTRLEN) == NULL) {
		mc_seterr("cannot format IP address '%s'", in);
		return -1;
	}
	return 0;
}

/* name is domain or lies below it; a leading dot means strictly below. */
static int
in_domain(const char *name, const char *dom)
{
	size_t nl = strlen(name), dl;
	int below_only = 0;

	if (dom[0] == '.') {
		below_only = 1;
		dom++;
	}
	dl = strlen(dom);
	if (dl > 0 && dom[dl - 1] == '.')
		dl--;
	if (dl == 0)
		return 0;
	if (nl == dl)
		return !below_only && strncasecmp(name, dom, dl) == 0;
	return nl > dl && name[nl - dl - 1] == '.' &&
	    strncasecmp(name + nl - dl, dom, dl) == 0;
}

int
pol_name_permitted(const char *name, const struct mc_strv *domains)
{
	if (domains == NULL || domains->n == 0)
		return 1;
	if (name == NULL)
		return 0;
	for (size_t i = 0; i < domains->n; i++)
		if (in_domain(name, domains->v[i]))
			return 1;
	return 0;
}
