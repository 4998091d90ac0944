/*
 * Unit tests for policy/names.c: tables of good and bad names, each with
 * the exact normalised output or a substring the refusal must contain.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "policy/policy.h"

struct name_case {
	const char *in;
	int wildcard;		/* allow_wildcard */
	const char *want;	/* normalised output, or NULL: refused */
	const char *err;	/* substring of the refusal */
};

static const struct name_case hostnames[] = {
	/* plain names, case folding, trailing dot */
	{ "example.org", 1, "example.org", NULL },
	{ "mail.example.org", 0, "mail.example.org", NULL },
	{ "MAIL.Example.ORG", 0, "mail.example.org", NULL },
	{ "example.org.", 0, "example.org", NULL },
	{ "EXAMPLE.ORG.", 0, "example.org", NULL },
	{ "localhost", 0, "localhost", NULL },
	{ "a.b", 0, "a.b", NULL },
	{ "a-b.example.org", 0, "a-b.example.org", NULL },
	{ "a--b.example.org", 0, "a--b.example.org", NULL },
	{ "123.example.org", 0, "123.example.org", NULL },
	{ "x1.example.org", 0, "x1.example.org", NULL },
	{ "host.co.uk", 0, "host.co.uk", NULL },
	{ "example.org..", 0, NULL, "invalid hostname 'example.org..': empty label" },
	{ "a..b", 0, NULL, "invalid hostname 'a..b': empty label" },
	{ ".example.org", 0, NULL, "empty label" },
	{ ".", 0, NULL, "invalid hostname '.': empty name" },
	{ "", 0, NULL, "empty name" },
	{ "-mail.example.org", 0, NULL, "may not start or end with a hyphen" },
	{ "mail-.example.org", 0, NULL, "may not start or end with a hyphen" },
	{ "mail.example.org-", 0, NULL, "may not start or end with a hyphen" },
	{ "mail_1.example.org", 0, NULL, "underscore" },
	{ "_dmarc.example.org", 0, NULL, "underscore" },
	{ "a/b.example.org", 0, NULL, "only letters, digits, hyphens and dots" },
	{ "a+b.example.org", 0, NULL, "only letters, digits, hyphens and dots" },
	{ "user@example.org", 0, NULL, "only letters, digits, hyphens and dots" },
	{ "example.123", 0, NULL, "the last label may not be all digits" },
	{ "example.1", 0, NULL, "the last label may not be all digits" },
	{ "example.org1", 0, "example.org1", NULL },
	/* wildcards */
	{ "*.example.org", 1, "*.example.org", NULL },
	{ "*.EXAMPLE.org.", 1, "*.example.org", NULL },
	{ "*.mail.example.org", 1, "*.mail.example.org", NULL },
	{ "*.example.org", 0, NULL, "invalid hostname '*.example.org': a wildcard is not allowed here" },
	{ "f*.example.org", 1, NULL, "a wildcard is only allowed as the whole leftmost label" },
	{ "*f.example.org", 1, NULL, "a wildcard is only allowed as the whole leftmost label" },
	{ "a.*.example.org", 1, NULL, "a wildcard is only allowed as the whole leftmost label" },
	{ "*.*.example.org", 1, NULL, "a wildcard is only allowed as the whole leftmost label" },
	{ "**.example.org", 1, NULL, "a wildcard is only allowed as the whole leftmost label" },
	{ "example.*", 1, NULL, "a wildcard is only allowed as the whole leftmost label" },
	{ "*.com", 1, NULL, "'*.com': a wildcard may not sit directly above a top-level domain" },
	{ "*.com.", 1, NULL, "a wildcard may not sit directly above a top-level domain" },
	{ "*", 1, NULL, "'*': a wildcard may not sit directly above a top-level domain" },
	{ "*.", 1, NULL, "'*': a wildcard may not sit directly above a top-level domain" },
	{ "*..example.org", 1, NULL, "empty label" },
	{ "*.рф", 1, NULL, "'*.рф': a wildcard may not sit directly above a top-level domain" },
	{ "*.bücher\xe3\x80\x82" "example", 1, "*.xn--bcher-kva.example", NULL },	/* ideographic full stop */
	{ "bücher.example\xe3\x80\x82", 0, "xn--bcher-kva.example", NULL },
	{ "bücher.example.\xe3\x80\x82", 0, NULL, "empty label" },
	/* internationalised names */
	{ "bücher.example", 0, "xn--bcher-kva.example", NULL },
	{ "BÜCHER.example", 0, "xn--bcher-kva.example", NULL },
	{ "Bücher.Example.", 0, "xn--bcher-kva.example", NULL },
	{ "*.bücher.example", 1, "*.xn--bcher-kva.example", NULL },
	{ "faß.de", 0, "xn--fa-hia.de", NULL },
	{ "münchen.de", 0, "xn--mnchen-3ya.de", NULL },
	{ "пример.рф", 0, "xn--e1afmkfd.xn--p1ai", NULL },
	{ "例え.テスト", 0, "xn--r8jz45g.xn--zckzah", NULL },
	{ "\xef\xbc\xa5\xef\xbc\xb8\xef\xbc\xa1\xef\xbc\xad\xef\xbc\xb0\xef\xbc\xac\xef\xbc\xa5\xef\xbc\x8e" "com",
	  0, "example.com", NULL },	/* full-width letters and dot */
	{ "xn--bcher-kva.example", 0, "xn--bcher-kva.example", NULL },
	{ "XN--BCHER-KVA.example", 0, "xn--bcher-kva.example", NULL },
	{ "xn--zz.example", 0, NULL, "not a valid A-label" },
	/* IDNA2008 disallows these; UTS #46 transitional would admit them. */
	{ "xn--zz-zzzzz.example", 0, NULL, "not a valid A-label" },	/* z⨜⦌z */
	{ "xn--n3h.example", 0, NULL, "not a valid A-label" },		/* snowman */
	{ "\xe2\x98\x83.example", 0, NULL, "disallowed character" },	/* U+2603 */
	{ "xn--zca.example", 0, "xn--zca.example", NULL },		/* sharp s */
	{ "xn--.example", 0, NULL, "may not start or end with a hyphen" },
	{ "xn--garbage-.example", 0, NULL, "hyphen" },
	{ "b\xfc" "cher.example", 0, NULL, "invalid hostname 'b\\xfccher.example': not valid UTF-8" },	/* Latin-1 ü */
	{ "\xc3\x28.example", 0, NULL, "not valid UTF-8" },
	{ "\xc0\xaf.example", 0, NULL, "not valid UTF-8" },		/* overlong '/' */
	{ "\xed\xa0\x80.example", 0, NULL, "not valid UTF-8" },	/* surrogate */
	{ "\xf4\x90\x80\x80.example", 0, NULL, "not valid UTF-8" },	/* > U+10FFFF */
	{ "b\xc3", 0, NULL, "not valid UTF-8" },			/* truncated */
	{ "\xe2\x80\x8b.example", 0, NULL, "empty label" },		/* zero-width space maps to nothing */
	{ "b\xc3\xbc" "cher_x.example", 0, NULL, "underscore" },
	/* IP addresses */
	{ "192.0.2.1", 0, NULL, "invalid hostname '192.0.2.1': an IP address is not a hostname; use --ip" },
	{ "10.1", 0, NULL, "use --ip" },
	{ "2001:db8::1", 0, NULL, "use --ip" },
	{ "::1", 0, NULL, "use --ip" },
	{ "[::1]", 0, NULL, "use --ip" },
	{ "fe80::1%eth0", 0, NULL, "use --ip" },
	{ "example.org:25", 0, NULL, "':' is not allowed (a port?" },
	/* space and control characters */
	{ "mail example.org", 0, NULL, "contains a space" },
	{ " example.org", 0, NULL, "contains a space" },
	{ "example.org ", 0, NULL, "contains a space" },
	{ "mail\texample.org", 0, NULL, "invalid hostname 'mail\\x09example.org': contains a control character" },
	{ "example.org\n", 0, NULL, "contains a control character" },
	{ "exa\x7fmple.org", 0, NULL, "contains a control character" },
	{ "exa\x1bmple.org", 0, NULL, "contains a control character" },
};

Test(hostname, table)
{
	for (size_t i = 0; i < sizeof(hostnames) / sizeof(hostnames[0]); i++) {
		const struct name_case *c = &hostnames[i];
		char *got;

		mc_clearerr();
		got = pol_hostname_normalize(c->in, strlen(c->in), c->wildcard);
		if (c->want != NULL) {
			cr_expect_not_null(got, "'%s' refused: %s", c->in, mc_err());
			if (got != NULL)
				cr_expect_str_eq(got, c->want, "'%s'", c->in);
		} else {
			cr_expect_null(got, "'%s' accepted as '%s'", c->in, got);
			cr_expect(strstr(mc_err(), c->err) != NULL,
			    "'%s': message '%s' lacks '%s'", c->in, mc_err(), c->err);
		}
		free(got);
	}
}

/* n labels of lens[i] 'a's, joined by dots. */
static char *
make_name(const size_t *lens, size_t n, const char *suffix)
{
	size_t total = strlen(suffix) + 1;
	char *s, *p;

	for (size_t i = 0; i < n; i++)
		total += lens[i] + 1;
	p = s = malloc(total);
	cr_assert_not_null(s);
	for (size_t i = 0; i < n; i++) {
		memset(p, 'a' + (int)(i % 26), lens[i]);
		p += lens[i];
		if (i + 1 < n)
			*p++ = '.';
	}
	strcpy(p, suffix);
	return s;
}

static void
expect_ok(const char *in, size_t len, const char *want)
{
	char *got = pol_hostname_normalize(in, len, 1);

	cr_assert_not_null(got, "refused: %s", mc_err());
	cr_expect_str_eq(got, want);
	free(got);
}

static void
expect_err(const char *in, size_t len, const char *err)
{
	char *got;

	mc_clearerr();
	got = pol_hostname_normalize(in, len, 1);
	cr_expect_null(got, "accepted: '%s'", got);
	cr_expect(strstr(mc_err(), err) != NULL, "message '%s' lacks '%s'", mc_err(), err);
	free(got);
}

Test(hostname, label_63_ok_64_refused)
{
	size_t l63[] = { 63, 3 }, l64[] = { 64, 3 };
	char *a = make_name(l63, 2, ""), *b = make_name(l64, 2, "");

	expect_ok(a, strlen(a), a);
	expect_err(b, strlen(b), "a label is longer than 63 characters");
	free(a);
	free(b);
}

Test(hostname, total_253_ok_254_refused)
{
	size_t l253[] = { 63, 63, 63, 61 }, l254[] = { 63, 63, 63, 62 };
	char *a = make_name(l253, 4, ""), *b = make_name(l254, 4, "");
	char *dot = make_name(l253, 4, ".");
	char *wild = make_name(l253, 4, "");

	cr_assert_eq(strlen(a), 253);
	cr_assert_eq(strlen(b), 254);
	expect_ok(a, strlen(a), a);
	/* The trailing dot is not part of the 253. */
	expect_ok(dot, strlen(dot), a);
	expect_err(b, strlen(b), "longer than 253 characters");
	/* "*." counts: 253 + 2 is too long. */
	memcpy(wild, "*.", 2);
	expect_ok(wild, strlen(wild), wild);
	free(wild);
	{
		size_t l[] = { 1, 63, 63, 63, 61 };

		wild = make_name(l, 5, "");
		wild[0] = '*';
		expect_err(wild, strlen(wild), "longer than 253 characters");
	}
	free(a);
	free(b);
	free(dot);
	free(wild);
}

Test(hostname, ten_thousand_labels)
{
	size_t n = 10000;
	char *s = malloc(2 * n);

	cr_assert_not_null(s);
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = 'a';
		s[2 * i + 1] = '.';
	}
	memcpy(s + 2 * n - 4, "org", 4);
	expect_err(s, strlen(s), "longer than 253 characters");
	/* The message stays short however long the name. */
	cr_expect_lt(strlen(mc_err()), 200);
	free(s);
}

Test(hostname, embedded_nul)
{
	expect_err("evil.example.org\0.good.example.org", 34, "contains a NUL byte");
	expect_err("\0", 1, "contains a NUL byte");
	/* len, not strlen, decides what is looked at. */
	expect_ok("example.orgXXX", 11, "example.org");
	expect_err(NULL, 0, "empty name");
}

Test(hostname, idn_long_label)
{
	/* 60 x 'ü' is 120 bytes; its A-label is far more than 63 characters. */
	char s[200] = "";

	for (int i = 0; i < 60; i++)
		strcat(s, "\xc3\xbc");
	strcat(s, ".example");
	expect_err(s, strlen(s), "a label is longer than 63 characters");
}

static const struct name_case emails[] = {
	{ "alice@example.org", 0, "alice@example.org", NULL },
	{ "Alice.Smith@EXAMPLE.ORG", 0, "Alice.Smith@example.org", NULL },
	{ "bob+tag@mail.example.org.", 0, "bob+tag@mail.example.org", NULL },
	{ "o'hara@example.org", 0, "o'hara@example.org", NULL },
	{ "carol@bücher.example", 0, "carol@xn--bcher-kva.example", NULL },
	{ "x@localhost", 0, "x@localhost", NULL },
	{ "@example.org", 0, NULL, "invalid e-mail address '@example.org': empty local part" },
	{ "alice", 0, NULL, "expected exactly one '@'" },
	{ "a@b@example.org", 0, NULL, "expected exactly one '@'" },
	{ "alice@", 0, NULL, "invalid e-mail address 'alice@': invalid hostname '': empty name" },
	{ "al ice@example.org", 0, NULL, "printable ASCII without spaces" },
	{ "al\tice@example.org", 0, NULL, "printable ASCII without spaces" },
	{ "jörg@example.org", 0, NULL, "printable ASCII without spaces" },
	{ "alice@*.example.org", 0, NULL, "a wildcard is not allowed here" },
	{ "alice@example..org", 0, NULL, "empty label" },
	{ "alice@192.0.2.1", 0, NULL, "use --ip" },
	{ "alice@exa_mple.org", 0, NULL, "underscore" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.org",
	  0, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.org", NULL },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.org",
	  0, NULL, "local part longer than 64 characters" },
	{ "", 0, NULL, "invalid e-mail address" },
};

Test(email, table)
{
	for (size_t i = 0; i < sizeof(emails) / sizeof(emails[0]); i++) {
		const struct name_case *c = &emails[i];
		char *got;

		mc_clearerr();
		got = pol_email_normalize(c->in, strlen(c->in));
		if (c->want != NULL) {
			cr_expect_not_null(got, "'%s' refused: %s", c->in, mc_err());
			if (got != NULL)
				cr_expect_str_eq(got, c->want, "'%s'", c->in);
		} else {
			cr_expect_null(got, "'%s' accepted as '%s'", c->in, got);
			cr_expect(strstr(mc_err(), c->err) != NULL,
			    "'%s': message '%s' lacks '%s'", c->in, mc_err(), c->err);
		}
		free(got);
	}
}

Test(email, embedded_nul)
{
	char *got = pol_email_normalize("a@example.org\0.evil", 19);

	cr_expect_null(got);
	cr_expect(strstr(mc_err(), "contains a NUL byte") != NULL, "%s", mc_err());
	free(got);
}

struct ip_case {
	const char *in;
	size_t len;		/* 0: refused */
	const char *canon;
	const unsigned char bytes[16];
};

static const struct ip_case ips[] = {
	{ "192.0.2.1", 4, "192.0.2.1", { 192, 0, 2, 1 } },
	{ "127.0.0.1", 4, "127.0.0.1", { 127, 0, 0, 1 } },
	{ "0.0.0.0", 4, "0.0.0.0", { 0 } },
	{ "255.255.255.255", 4, "255.255.255.255", { 255, 255, 255, 255 } },
	{ "::1", 16, "::1", { [15] = 1 } },
	{ "2001:DB8:0:0:0:0:0:1", 16, "2001:db8::1", { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } },
	{ "2001:db8::0:1", 16, "2001:db8::1", { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } },
	{ "::ffff:192.0.2.1", 16, "::ffff:192.0.2.1",
	  { [10] = 0xff, [11] = 0xff, [12] = 192, [13] = 0, [14] = 2, [15] = 1 } },
	{ "256.0.0.1", 0, NULL, { 0 } },
	{ "1.2.3", 0, NULL, { 0 } },
	{ "010.0.0.1", 0, NULL, { 0 } },
	{ "192.0.2.1 ", 0, NULL, { 0 } },
	{ "fe80::1%eth0", 0, NULL, { 0 } },
	{ "[::1]", 0, NULL, { 0 } },
	{ "2001:db8:::1", 0, NULL, { 0 } },
	{ "example.org", 0, NULL, { 0 } },
	{ "", 0, NULL, { 0 } },
};

Test(ip, table)
{
	for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
		const struct ip_case *c = &ips[i];
		unsigned char out[16];
		char canon[46];
		size_t len = 0;
		int rc;

		mc_clearerr();
		rc = pol_ip_parse(c->in, out, &len, canon);
		if (c->len == 0) {
			cr_expect_eq(rc, -1, "'%s' accepted", c->in);
			cr_expect(strstr(mc_err(), "invalid IP address '") != NULL,
			    "'%s': %s", c->in, mc_err());
			continue;
		}
		cr_expect_eq(rc, 0, "'%s': %s", c->in, mc_err());
		cr_expect_eq(len, c->len, "'%s'", c->in);
		cr_expect_str_eq(canon, c->canon, "'%s'", c->in);
		cr_expect_arr_eq(out, c->bytes, c->len, "'%s'", c->in);
	}
}

Test(ip, canon_may_be_null)
{
	unsigned char out[16];
	size_t len = 0;

	cr_expect_eq(pol_ip_parse("192.0.2.7", out, &len, NULL), 0);
	cr_expect_eq(len, 4);
	cr_expect_eq(out[3], 7);
	cr_expect_eq(pol_ip_parse(NULL, out, &len, NULL), -1);
}

struct permit_case {
	const char *name;
	int want;
};

static const struct permit_case permits[] = {
	{ "example.org", 1 },
	{ "mail.example.org", 1 },
	{ "a.b.c.example.org", 1 },
	{ "*.example.org", 1 },
	{ "MAIL.EXAMPLE.ORG", 1 },
	{ "example.net", 1 },
	{ "www.example.net", 1 },
	{ "badexample.org", 0 },
	{ "example.org.evil.com", 0 },
	{ "org", 0 },
	{ "example.com", 0 },
	{ "xample.org", 0 },
	{ "*.org", 0 },
	{ "sub.internal.test", 0 },		/* ".internal.test": below only */
	{ "internal.test", 0 },
	{ "a.sub.internal.test", 1 },
};

Test(permitted, table)
{
	struct mc_strv doms = { 0 };

	cr_assert_eq(mc_strv_push(&doms, "example.org"), 0);
	cr_assert_eq(mc_strv_push(&doms, "example.net"), 0);
	cr_assert_eq(mc_strv_push(&doms, ".sub.internal.test"), 0);
	for (size_t i = 0; i < sizeof(permits) / sizeof(permits[0]); i++)
		cr_expect_eq(pol_name_permitted(permits[i].name, &doms), permits[i].want,
		    "'%s'", permits[i].name);
	mc_strv_free(&doms);
}

Test(permitted, empty_list_permits_all)
{
	struct mc_strv none = { 0 };

	cr_expect_eq(pol_name_permitted("anything.example", &none), 1);
	cr_expect_eq(pol_name_permitted("anything.example", NULL), 1);
}

Test(permitted, email_domain_part)
{
	struct mc_strv doms = { 0 };
	char *e;
	const char *dom;

	cr_assert_eq(mc_strv_push(&doms, "xn--bcher-kva.example"), 0);
	e = pol_email_normalize("carol@Bücher.example", strlen("carol@Bücher.example"));
	cr_assert_not_null(e, "%s", mc_err());
	dom = strchr(e, '@') + 1;
	cr_expect_eq(pol_name_permitted(dom, &doms), 1);
	cr_expect_eq(pol_name_permitted("xn--bcher-kvb.example", &doms), 0);
	free(e);
	mc_strv_free(&doms);
}

/* ub-common-name counts characters: 40 x U+00E9 is 80 bytes and fits. */
Test(cn_text, characters_not_bytes)
{
	char buf[200] = "";

	for (int i = 0; i < 40; i++)
		strcat(buf, "\xc3\xa9");
	cr_expect_eq(pol_cn_text_check(buf), 0, "%s", mc_err());
	buf[0] = '\0';
	for (int i = 0; i < 64; i++)
		strcat(buf, "\xc3\xa9");
	cr_expect_eq(pol_cn_text_check(buf), 0, "64 characters: %s", mc_err());
	strcat(buf, "e");
	cr_expect_eq(pol_cn_text_check(buf), -1);
	cr_expect(strstr(mc_err(), "is 65 characters long, more than 64") != NULL, "%s", mc_err());
	cr_expect_eq(pol_cn_text_check("Alice \x1b[31m"), -1);
	cr_expect(strstr(mc_err(), "control character") != NULL, "%s", mc_err());
	cr_expect_eq(pol_cn_text_check("Alice \xc3"), -1);
	cr_expect(strstr(mc_err(), "UTF-8") != NULL, "%s", mc_err());
}
