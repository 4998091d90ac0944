/*
 * acme/nonce.c: replay nonces in memory.  Single use, unknown ones
 * refused, the newest ACME_NONCES_MAX kept and the oldest dropped first,
 * through wrap-arounds with slots freed out of order, and from several
 * threads at once.
 */
#include <pthread.h>
#include <string.h>

#include <criterion/criterion.h>

#include "acme/internal.h"

static struct acme_nonces *n;

static void
setup(void)
{
	n = acme_nonces_new();
	cr_assert_not_null(n);
}

static void
teardown(void)
{
	acme_nonces_free(n);
}

TestSuite(acme_nonce, .init = setup, .fini = teardown);

Test(acme_nonce, single_use)
{
	char a[ACME_NONCE_LEN], b[ACME_NONCE_LEN];

	cr_assert_eq(acme_nonce_new(n, a), 0);
	cr_assert_eq(acme_nonce_new(n, b), 0);
	cr_assert_eq(strlen(a), 22);
	cr_assert_eq(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 22);
	cr_assert_str_neq(a, b);
	cr_assert_eq(acme_nonce_take(n, b), 1);
	cr_assert_eq(acme_nonce_take(n, b), 0, "a nonce is good once");
	cr_assert_eq(acme_nonce_take(n, a), 1);
	cr_assert_eq(acme_nonce_take(n, a), 0);
}

Test(acme_nonce, unknown_refused)
{
	char a[ACME_NONCE_LEN], longer[64];

	cr_assert_eq(acme_nonce_new(n, a), 0);
	cr_assert_eq(acme_nonce_take(n, ""), 0);
	cr_assert_eq(acme_nonce_take(n, "AAAAAAAAAAAAAAAAAAAAAA"), 0);
	snprintf(longer, sizeof(longer), "%sxyz", a);
	cr_assert_eq(acme_nonce_take(n, longer), 0, "a prefix match is no match");
	a[21] = a[21] == 'A' ? 'B' : 'A';
	cr_assert_eq(acme_nonce_take(n, a), 0);
}

Test(acme_nonce, oldest_dropped_first)
{
	static char v[ACME_NONCES_MAX + 2][ACME_NONCE_LEN];

	for (int i = 0; i < ACME_NONCES_MAX + 2; i++)
		cr_assert_eq(acme_nonce_new(n, v[i]), 0);
	cr_assert_eq(acme_nonce_take(n, v[0]), 0, "the oldest went when the table was full");
	cr_assert_eq(acme_nonce_take(n, v[1]), 0);
	cr_assert_eq(acme_nonce_take(n, v[2]), 1, "the oldest kept one");
	cr_assert_eq(acme_nonce_take(n, v[ACME_NONCES_MAX + 1]), 1, "the newest");
}

Test(acme_nonce, wraps_with_slots_freed_out_of_order)
{
	static char v[ACME_NONCES_MAX][ACME_NONCE_LEN], w[ACME_NONCES_MAX][ACME_NONCE_LEN];

	for (int i = 0; i < ACME_NONCES_MAX; i++)
		cr_assert_eq(acme_nonce_new(n, v[i]), 0);
	for (int i = 0; i < ACME_NONCES_MAX; i += 3)
		cr_assert_eq(acme_nonce_take(n, v[i]), 1);
	for (int i = 0; i < ACME_NONCES_MAX; i++)
		cr_assert_eq(acme_nonce_new(n, w[i]), 0);
	for (int i = 0; i < ACME_NONCES_MAX; i++)
		cr_assert_eq(acme_nonce_take(n, v[i]), 0, "old nonce %d still taken after a full turn", i);
	for (int i = ACME_NONCES_MAX - 1; i >= 0; i--)
		cr_assert_eq(acme_nonce_take(n, w[i]), 1, "new nonce %d lost", i);
	for (int i = 0; i < ACME_NONCES_MAX; i++)
		cr_assert_eq(acme_nonce_take(n, w[i]), 0);
}

/*
 * Each thread makes a nonce and takes it twice.  The second take must
 * fail: that is single use.  The first may fail too, but only because the
 * thread was descheduled while the others made ACME_NONCES_MAX newer ones
 * (the oldest is dropped first, as it should be): counted apart, and
 * bounded only loosely, since a busy machine decides how often.
 */
struct churn {
	long twice, dropped;
};

static void *
churn(void *arg)
{
	struct churn *c = arg;

	for (int i = 0; i < 20000; i++) {
		char a[ACME_NONCE_LEN];

		if (acme_nonce_new(n, a) != 0) {
			c->twice++;
			continue;
		}
		if (acme_nonce_take(n, a) != 1)
			c->dropped++;
		if (acme_nonce_take(n, a) != 0)
			c->twice++;
	}
	return NULL;
}

Test(acme_nonce, threads)
{
	pthread_t th[4];
	struct churn c[4] = { 0 };

	for (int i = 0; i < 4; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, churn, &c[i]), 0);
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(pthread_join(th[i], NULL), 0);
		cr_assert_eq(c[i].twice, 0, "thread %d: %ld nonces not single-use", i, c[i].twice);
		cr_assert_lt(c[i].dropped, 10000, "thread %d: %ld of 20000 nonces lost", i, c[i].dropped);
	}
}
