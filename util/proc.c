/* What a child of minica starts with: the caller's umask and core-size
 * limit (minica narrows its own to 077 and 0), and fds 0, 1, 2 only. */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

/* Process-wide by nature: umask and rlimits are the process's, not a CA's. */
static struct {
	int saved;
	mode_t umask;
	struct rlimit core;
} start;

void
mc_child_state_save(void)
{
	mode_t m = umask(077);

	umask(m);
	start.umask = m;
	if (getrlimit(RLIMIT_CORE, &start.core) < 0)
		start.core = (struct rlimit){ 0, 0 };
	start.saved = 1;
}

void
mc_child_prepare(void)
{
	if (start.saved) {
		umask(start.umask);
		setrlimit(RLIMIT_CORE, &start.core);
	}
	/* Every descriptor above 2: a --passphrase-fd never read, the
	 * database, the lock, whatever the caller left open. */
	if (syscall(SYS_close_range, 3u, ~0u, 0u) < 0) {
		long max = sysconf(_SC_OPEN_MAX);

		for (int fd = 3; fd < (max > 0 && max < 65536 ? (int)max : 65536); fd++)
			close(fd);
	}
}
