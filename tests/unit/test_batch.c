/*
 * Unit tests for policy/batch.c (the --batch file) and util/pool.c (the
 * thread pool that signs a batch).
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "policy/policy.h"

static struct pol_batch
parse_ok(const char *text)
{
	struct pol_batch b;
	int bad = -1;

	cr_assert_eq(pol_batch_parse(text, strlen(text), &b, &bad), 0, "'%s': %s", text, mc_err());
	cr_expect_eq(bad, 0);
	return b;
}

Test(batch, full_line)
{
	struct pol_batch b = parse_ok("nginx www.example.org example.org 192.0.2.1 2001:db8::1 days=90 key=ec256\n");

	cr_assert_eq(b.n, 1);
	cr_expect_eq(b.v[0].line, 1);
	cr_expect_str_eq(b.v[0].profile, "nginx");
	cr_expect_str_eq(b.v[0].cn, "www.example.org");
	cr_assert_eq(b.v[0].names.n, 1);
	cr_expect_str_eq(b.v[0].names.v[0], "example.org");
	cr_expect_null(b.v[0].names.v[1], "names are NULL-terminated for issue_req");
	cr_assert_eq(b.v[0].ips.n, 2);
	cr_expect_str_eq(b.v[0].ips.v[0], "192.0.2.1");
	cr_expect_str_eq(b.v[0].ips.v[1], "2001:db8::1");
	cr_expect_eq(b.v[0].days, 90);
	cr_expect_str_eq(b.v[0].key_type, "ec256");
	pol_batch_free(&b);
}

Test(batch, defaults_comments_blank_lines_crlf)
{
	struct pol_batch b = parse_ok("# a comment\n\n   \t\nsmtpd mail.example.org # trailing\r\n"
	    "  dovecot\timap.example.org\r\n# end");

	cr_assert_eq(b.n, 2);
	cr_expect_eq(b.v[0].line, 4);
	cr_expect_str_eq(b.v[0].profile, "smtpd");
	cr_expect_str_eq(b.v[0].cn, "mail.example.org");
	cr_expect_eq(b.v[0].names.n, 0);
	cr_expect_eq(b.v[0].days, 0);
	cr_expect_null(b.v[0].key_type);
	cr_expect_eq(b.v[1].line, 5);
	cr_expect_str_eq(b.v[1].cn, "imap.example.org");
	pol_batch_free(&b);
}

Test(batch, options_anywhere_quotes_emails)
{
	struct pol_batch b = parse_ok("client key=rsa3072 \"Jane Q. Doe\" jane=q@example.org days=1\n"
	    "client \"#not a comment\"\n");

	cr_assert_eq(b.n, 2);
	cr_expect_str_eq(b.v[0].cn, "Jane Q. Doe");
	cr_assert_eq(b.v[0].names.n, 1);
	/* An e-mail address may hold '=' and is a name, not an option. */
	cr_expect_str_eq(b.v[0].names.v[0], "jane=q@example.org");
	cr_expect_str_eq(b.v[0].key_type, "rsa3072");
	cr_expect_eq(b.v[0].days, 1);
	cr_expect_str_eq(b.v[1].cn, "#not a comment");
	pol_batch_free(&b);
}

Test(batch, large_file_keeps_line_numbers)
{
	char *text = malloc(5000 * 40);
	size_t len = 0;
	struct pol_batch b;
	int bad;

	cr_assert_not_null(text);
	for (int i = 0; i < 5000; i++)
		len += (size_t)sprintf(text + len, i % 2 ? "# c\n" : "server h%d.example.org\n", i);
	cr_assert_eq(pol_batch_parse(text, len, &b, &bad), 0, "%s", mc_err());
	cr_assert_eq(b.n, 2500);
	cr_expect_eq(b.v[2499].line, 4999);
	cr_expect_str_eq(b.v[2499].cn, "h4998.example.org");
	pol_batch_free(&b);
	free(text);
}

struct bad_case {
	const char *text;
	int line;
	const char *err;
};

static const struct bad_case bads[] = {
	{ "smtpd\n", 1, "no common name after the profile 'smtpd' (PROFILE CN [NAME ...] [days=N] [key=TYPE])" },
	{ "# c\nsmtpd a.example.org\nsmtpd days=30\n", 3, "no common name after the profile 'smtpd'" },
	{ "smtpd a.example.org days=abc\n", 1, "'days=abc' is not a number of days (days=1 to days=100000)" },
	{ "smtpd a.example.org days=0\n", 1, "'days=0' is not a number of days" },
	{ "smtpd a.example.org days=-5\n", 1, "'days=-5' is not a number of days" },
	{ "smtpd a.example.org days=100001\n", 1, "'days=100001' is not a number of days" },
	{ "smtpd a.example.org days=\n", 1, "'days=' is not a number of days" },
	{ "smtpd a.example.org days=9 days=9\n", 1, "days= given twice" },
	{ "\n\nsmtpd a.example.org key=dsa\n", 3, "unknown key type 'dsa' (use rsa2048, rsa3072, rsa4096, ec256 or ec384)" },
	{ "smtpd a.example.org key=ec256 key=ec384\n", 1, "key= given twice" },
	{ "smtpd a.example.org lifetime=9\n", 1, "unknown option 'lifetime=' (use days=N or key=TYPE)" },
	{ "days=30 smtpd a.example.org\n", 1, "the line starts with 'days=30'; put the profile first" },
	{ "client \"Jane Doe\n", 1, "a quote (\") is not closed" },
	{ "client \"Jane\"Doe\n", 1, "a closing quote must end the word" },
	{ "client Ja\"ne\n", 1, "a quote (\") may only start a word" },
	{ "client \"\"\n", 1, "an empty word (\"\")" },
	{ "smtpd a.example.org\nsmtpd b.exa\001mple.org\n", 2, "a control character (0x01)" },
	{ "smtpd a.example.org\x7f\n", 1, "a control character (0x7f)" },
	{ "# only\n\n# comments\n", 0, "no certificates: every line is blank or a comment" },
	{ "", 0, "no certificates" },
};

Test(batch, refusals)
{
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct pol_batch b = { 0 };
		int bad = -1;

		cr_expect_eq(pol_batch_parse(bads[i].text, strlen(bads[i].text), &b, &bad), -1,
		    "accepted '%s'", bads[i].text);
		cr_expect_eq(bad, bads[i].line, "'%s': line %d, want %d", bads[i].text, bad, bads[i].line);
		cr_expect(strncmp(mc_err(), bads[i].err, strlen(bads[i].err)) == 0,
		    "'%s': got '%s', want '%s'", bads[i].text, mc_err(), bads[i].err);
		cr_expect_eq(b.n, 0, "nothing is returned on failure");
		cr_expect_null(b.v);
	}
}

Test(batch, too_many_words)
{
	size_t cap = 3000 * 4 + 64, len;
	char *text = malloc(cap);
	struct pol_batch b;
	int bad;

	cr_assert_not_null(text);
	len = (size_t)sprintf(text, "server a.example.org");
	for (int i = 0; i < 1100; i++)
		len += (size_t)sprintf(text + len, " x%d", i % 10);
	cr_expect_eq(pol_batch_parse(text, len, &b, &bad), -1);
	cr_expect_eq(bad, 1);
	cr_expect_str_eq(mc_err(), "more than 1024 words");
	free(text);
}

/* ---- util/pool.c ---- */

#define N 1000

struct count {
	pthread_mutex_t lock;
	int seen[N];
	pthread_t who[N];
	long fail_from;		/* items >= this fail; -1: none */
};

static int
count_one(void *arg, size_t i)
{
	struct count *c = arg;

	pthread_mutex_lock(&c->lock);
	c->seen[i]++;
	c->who[i] = pthread_self();
	pthread_mutex_unlock(&c->lock);
	usleep(20);
	if (c->fail_from >= 0 && (long)i >= c->fail_from) {
		mc_seterr("item %zu failed", i);
		return -1;
	}
	return 0;
}

Test(pool, every_item_once_on_several_threads)
{
	static struct count c = { .lock = PTHREAD_MUTEX_INITIALIZER, .fail_from = -1 };
	int threads = 0;

	cr_assert_eq(mc_pool_run(N, 4, count_one, &c, NULL), 0);
	for (size_t i = 0; i < N; i++) {
		cr_expect_eq(c.seen[i], 1, "item %zu ran %d times", i, c.seen[i]);
		threads |= pthread_equal(c.who[i], pthread_self()) ? 1 : 2;
	}
	/* Work went to threads other than the caller's. */
	cr_expect(threads & 2, "threads used: %d", threads);
}

Test(pool, one_job_runs_in_order_on_the_caller)
{
	static struct count c = { .lock = PTHREAD_MUTEX_INITIALIZER, .fail_from = -1 };

	cr_assert_eq(mc_pool_run(N, 1, count_one, &c, NULL), 0);
	for (size_t i = 0; i < N; i++)
		cr_expect(pthread_equal(c.who[i], pthread_self()));
	cr_expect_eq(mc_pool_run(0, 8, count_one, &c, NULL), 0, "nothing to do is fine");
}

Test(pool, failure_stops_and_reports_lowest_index)
{
	static struct count c = { .lock = PTHREAD_MUTEX_INITIALIZER, .fail_from = 100 };
	size_t at = 0;
	int ran = 0;

	mc_clearerr();
	cr_assert_eq(mc_pool_run(N, 4, count_one, &c, &at), -1);
	cr_expect_eq(at, 100);
	/* The worker's message arrives in the caller's thread. */
	cr_expect_str_eq(mc_err(), "item 100 failed");
	for (size_t i = 0; i < N; i++)
		ran += c.seen[i];
	/* No new item starts after a failure: at most one in flight per thread. */
	cr_expect_leq(ran, 104, "%d items ran", ran);
}

/* mc_pool_run_ordered: the consumer sees every item once, in order, only
 * after fn finished it, on the caller's thread; a failure on either side
 * stops the run and is reported with its index and side. */
struct ordered {
	struct count c;
	size_t next;		/* the consumer's next expected index */
	int bad;		/* out of order, early, or off the caller's thread */
	pthread_t caller;
	long consume_fail;	/* this index fails in the consumer; -1: none */
};

static int
consume_one(void *arg, size_t i)
{
	struct ordered *o = arg;
	int seen;

	pthread_mutex_lock(&o->c.lock);
	seen = o->c.seen[i];
	pthread_mutex_unlock(&o->c.lock);
	if (i != o->next++ || seen != 1 || !pthread_equal(pthread_self(), o->caller))
		o->bad++;
	if ((long)i == o->consume_fail) {
		mc_seterr("consumer refused %zu", i);
		return -1;
	}
	return 0;
}

Test(pool, ordered_consumer_in_order_after_each_item)
{
	static struct ordered o = { .c = { .lock = PTHREAD_MUTEX_INITIALIZER, .fail_from = -1 }, .consume_fail = -1 };
	size_t at = 0;
	int side = -1;

	o.caller = pthread_self();
	cr_assert_eq(mc_pool_run_ordered(N, 3, count_one, &o.c, consume_one, &o, &at, &side), 0, "%s", mc_err());
	cr_expect_eq(o.next, N);
	cr_expect_eq(o.bad, 0, "%d items consumed out of order, early or elsewhere", o.bad);
	for (size_t i = 0; i < N; i++)
		cr_expect(!pthread_equal(o.c.who[i], o.caller), "item %zu ran on the consumer's thread", i);
	cr_expect_eq(mc_pool_run_ordered(0, 3, count_one, &o.c, consume_one, &o, &at, &side), 0);
}

Test(pool, ordered_failures_name_their_side)
{
	static struct ordered o = { .c = { .lock = PTHREAD_MUTEX_INITIALIZER, .fail_from = 300 }, .consume_fail = -1 };
	static struct ordered q = { .c = { .lock = PTHREAD_MUTEX_INITIALIZER, .fail_from = -1 }, .consume_fail = 50 };
	size_t at = 0;
	int side = -1;

	o.caller = q.caller = pthread_self();
	cr_assert_eq(mc_pool_run_ordered(N, 2, count_one, &o.c, consume_one, &o, &at, &side), -1);
	cr_expect_eq(at, 300);
	cr_expect_eq(side, 0);
	cr_expect_str_eq(mc_err(), "item 300 failed");
	cr_expect_leq(o.next, 300, "consumed past the failed item");
	cr_assert_eq(mc_pool_run_ordered(N, 2, count_one, &q.c, consume_one, &q, &at, &side), -1);
	cr_expect_eq(at, 50);
	cr_expect_eq(side, 1);
	cr_expect_str_eq(mc_err(), "consumer refused 50");
	cr_expect_eq(q.next, 51, "consumed past the refused item");
}

Test(pool, cpu_count)
{
	cr_expect_geq(mc_cpu_count(), 1);
	cr_expect_leq(mc_cpu_count(), MC_POOL_MAX);
}
