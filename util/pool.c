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
	int stop;		/* the consumer failed: no new items either */
	unsigned char *done;	/* NULL, or done[i] once fn(arg, i) returned 0 */
	pthread_cond_t cond;	/* signalled when an item is done or failed */
};

static int
take(struct pool *p, size_t *i)
{
	int ok;

	pthread_mutex_lock(&p->lock);
	ok = !p->failed && !p->stop && p->next < p->n;
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
		if (p->fn(p->arg, i) == 0) {
			if (p->done != NULL) {
				pthread_mutex_lock(&p->lock);
				p->done[i] = 1;
				pthread_cond_signal(&p->cond);
				pthread_mutex_unlock(&p->lock);
			}
			continue;
		}
		pthread_mutex_lock(&p->lock);
		/* The lowest failing index wins, so the error a user sees
		 * does not depend on thread timing when several fail. */
		if (!p->failed || i < p->failed_at) {
			p->failed = 1;
			p->failed_at = i;
			snprintf(p->err, sizeof(p->err), "%s", mc_err());
		}
		if (p->done != NULL)
			pthread_cond_signal(&p->cond);
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

/* The caller's thread takes each item in order once it is done, and
 * stops at the first failure of either side. */
static int
consume_all(struct pool *p, int (*consume)(void *carg, size_t i), void *carg, size_t *at)
{
	for (size_t i = 0; i < p->n; i++) {
		int ready;

		pthread_mutex_lock(&p->lock);
		while (!(ready = p->done[i]) && !p->failed)
			pthread_cond_wait(&p->cond, &p->lock);
		pthread_mutex_unlock(&p->lock);
		if (!ready)
			return 0;	/* fn failed: its error is the one reported */
		if (consume(carg, i) < 0) {
			pthread_mutex_lock(&p->lock);
			p->stop = 1;
			pthread_mutex_unlock(&p->lock);
			*at = i;
			return -1;
		}
	}
	return 0;
}

int
mc_pool_run_ordered(size_t n, int jobs, int (*fn)(void *arg, size_t i), void *arg,
    int (*consume)(void *carg, size_t i), void *carg, size_t *failed_at, int *in_consume)
{
	struct pool p = { .n = n, .fn = fn, .arg = arg };
	pthread_t tid[MC_POOL_MAX];
	int started = 0, crc;
	size_t at = 0;

	*in_consume = 0;
	if (n == 0)
		return 0;
	if ((p.done = calloc(n, 1)) == NULL) {
		mc_seterr("out of memory");
		return -1;
	}
	if (jobs > MC_POOL_MAX)
		jobs = MC_POOL_MAX;
	if ((size_t)jobs > n)
		jobs = (int)n;
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.cond, NULL);
	for (int t = 0; t < (jobs < 1 ? 1 : jobs); t++) {
		if (pthread_create(&tid[started], NULL, worker, &p) != 0)
			break;
		started++;
	}
	/* No thread at all: the items one by one here, each taken at once. */
	if (started == 0) {
		for (size_t i = 0; i < n && !p.failed; i++) {
			if (fn(arg, i) < 0) {
				p.failed = 1;
				p.failed_at = i;
				snprintf(p.err, sizeof(p.err), "%s", mc_err());
			} else {
				p.done[i] = 1;
			}
		}
	}
	crc = consume_all(&p, consume, carg, &at);
	for (int t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	pthread_cond_destroy(&p.cond);
	pthread_mutex_destroy(&p.lock);
	free(p.done);
	if (p.failed) {
		mc_seterr("%s", p.err);
		*failed_at = p.failed_at;
		return -1;
	}
	if (crc < 0) {
		*in_consume = 1;
		*failed_at = at;
		return -1;
	}
	return 0;
}
