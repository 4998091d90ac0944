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

static void *
churn(void *arg)
{
	long bad = 0;

	(void)arg;
	for (int i = 0; i < 20000; i++) {
		char a[ACME_NONCE_LEN];

		if (acme_nonce_new(n, a) != 0 || acme_nonce_take(n, a) != 1 || acme_nonce_take(n, a) != 0)
			bad++;
	}
	return (void *)bad;
}

Test(acme_nonce, threads)
{
	pthread_t th[4];

	for (int i = 0; i < 4; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, churn, NULL), 0);
	for (int i = 0; i < 4; i++) {
		void *bad;

		cr_assert_eq(pthread_join(th[i], &bad), 0);
		cr_assert_eq((long)bad, 0, "thread %d: %ld nonces not single-use", i, (long)bad);
	}
}
