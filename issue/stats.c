/* Where a batch's time goes: per stage CPU time, per phase wall time. */
#include <time.h>

#include "issue.h"

const char *const iss_stage_names[ISS_NSTAGES] = {
	"keygen", "sign", "verify", "encode", "store", "files", "sync",
};
const char *const iss_phase_names[ISS_NPHASES] = {
	"planning", "unlocking", "signing", "committing", "writing", "syncing",
};

static int64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) < 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
iss_stats_clock(const struct iss_stats *st)
{
	return st != NULL ? clock_ns(CLOCK_THREAD_CPUTIME_ID) : 0;
}

void
iss_stats_add(struct iss_stats *st, enum iss_stage s, int64_t t0)
{
	if (st != NULL)
		__atomic_add_fetch(&st->cpu_ns[s], clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0, __ATOMIC_RELAXED);
}

int64_t
iss_wall_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}
