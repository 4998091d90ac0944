/*
 * A parallel for-loop on POSIX threads: the work items of batch issuance
 * (key generation, signing) are independent and each takes milliseconds,
 * so a shared counter under a mutex is all the scheduling needed.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

struct pool {
	pthread_mutex_t lock;
	size_t next, n;
	int (*fn)(void *arg, size_t i);
	void *arg;
	int failed;		/* set once: no new items are handed out */
	size_t failed_at;
	char err[MC_ERR_MAX];
};

static int
take(struct pool *p, size_t *i)
{
	int ok;

	pthread_mutex_lock(&p->lock);
	ok = !p->failed && p->next < p->n;
	if (ok)
		*i = p->next++;
	pthread_mutex_unlock(&p->lock);
	return ok;
}

static void *
worker(void *arg)
{
	struct pool *p = arg;
	size_t i;

	while (take(p, &i)) {
		if (p->fn(p->arg, i) == 0)
			continue;
		pthread_mutex_lock(&p->lock);
		/* The lowest failing index wins, so the error a user sees
		 * does not depend on thread timing when several fail. */
		if (!p->failed || i < p->failed_at) {
			p->failed = 1;
			p->failed_at = i;
			snprintf(p->err, sizeof(p->err), "%s", mc_err());
		}
		pthread_mutex_unlock(&p->lock);
	}
	return NULL;
}

int
mc_cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > MC_POOL_MAX ? MC_POOL_MAX : (int)n;
}

int
mc_pool_run(size_t n, int jobs, int (*fn)(void *arg, size_t i), void *arg, size_t *failed_at)
{
	struct pool p = { .n = n, .fn = fn, .arg = arg };
	pthread_t tid[MC_POOL_MAX];
	int started = 0;

	if (jobs > MC_POOL_MAX)
		jobs = MC_POOL_MAX;
	if ((size_t)jobs > n)
		jobs = (int)n;
	pthread_mutex_init(&p.lock, NULL);
	/* The calling thread is one of the workers. */
	for (int t = 1; t < jobs; t++) {
		if (pthread_create(&tid[started], NULL, worker, &p) != 0)
			break;	/* fewer threads is slower, not wrong */
		started++;
	}
	worker(&p);
	for (int t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	pthread_mutex_destroy(&p.lock);
	if (!p.failed)
		return 0;
	mc_seterr("%s", p.err);
	if (failed_at != NULL)
		*failed_at = p.failed_at;
	return -1;
}
