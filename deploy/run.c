/* Running reload commands: no shell, bounded wait, killed on timeout. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "deploy.h"

static const char *const sbin_dirs[] = { "/usr/local/sbin", "/usr/sbin", "/sbin", NULL };

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* In the child: only async-signal-safe calls until exec. */
static void __attribute__((noreturn))
child(char *const *argv, int out_fd)
{
	int null = open("/dev/null", O_RDONLY);
	char path[4096];

	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		_exit(127);
	mc_child_prepare();
	execvp(argv[0], argv);
	/* cron runs jobs with PATH=/usr/bin:/bin; postfix and nginx live in sbin. */
	if (errno == ENOENT && strchr(argv[0], '/') == NULL) {
		for (size_t i = 0; sbin_dirs[i] != NULL; i++) {
			size_t dl = strlen(sbin_dirs[i]), nl = strlen(argv[0]);

			if (dl + nl + 2 > sizeof(path))
				break;
			memcpy(path, sbin_dirs[i], dl);
			path[dl] = '/';
			memcpy(path + dl + 1, argv[0], nl + 1);
			execv(path, argv);
		}
		errno = ENOENT;
	}
	{
		const char *e = strerror(errno);

		(void)!write(2, "cannot run '", 12);
		(void)!write(2, argv[0], strlen(argv[0]));
		(void)!write(2, "': ", 3);
		(void)!write(2, e, strlen(e));
		(void)!write(2, "\n", 1);
	}
	_exit(127);
}

#define CAPTURE_MAX (8 * 1024 * 1024)

static void
collect(int fd, struct dep_run_result *res, size_t *used)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (res->capture != NULL && res->capture->len + (size_t)n < CAPTURE_MAX)
			mc_buf_add(res->capture, buf, (size_t)n);
		size_t room = sizeof(res->output) - 1 - *used;
		size_t take = (size_t)n < room ? (size_t)n : room;

		memcpy(res->output + *used, buf, take);
		*used += take;
		res->output[*used] = '\0';
	}
}

/* Waits for pid while draining fd; kills the group at the deadline. */
static int
wait_bounded(pid_t pid, int fd, int timeout, struct dep_run_result *res)
{
	long long deadline = now_ms() + (long long)timeout * 1000;
	size_t used = 0;
	int status = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			mc_seterr("waitpid failed: %s", strerror(errno));
			return -1;
		}
		if (now_ms() >= deadline) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			res->timed_out = 1;
			collect(fd, res, &used);
			return 0;
		}
		/* A daemon the command started may keep the pipe open, so
		 * poll briefly and look at the child again. */
		if (poll(&p, 1, 50) > 0)
			collect(fd, res, &used);
	}
	collect(fd, res, &used);
	if (WIFEXITED(status)) {
		res->exited = 1;
		res->status = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		res->signaled = WTERMSIG(status);
	}
	return 0;
}

/* The last non-empty line of the output, for a one-line message. */
static void
last_line(const char *out, char *line, size_t len)
{
	const char *end = out + strlen(out), *start;

	while (end > out && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	start = end;
	while (start > out && start[-1] != '\n')
		start--;
	snprintf(line, len, "%.*s", (int)(end - start), start);
}

static int
report(const struct mc_strv *argv, int timeout, const struct dep_run_result *res)
{
	char *cmd = mc_strv_join(argv, " "), line[300];

	last_line(res->output, line, sizeof(line));
	if (res->timed_out)
		mc_seterr("'%s' did not finish within %d s and was killed", cmd ? cmd : argv->v[0], timeout);
	else if (res->signaled)
		mc_seterr("'%s' was killed by signal %d", cmd ? cmd : argv->v[0], res->signaled);
	else if (res->status != 0)
		mc_seterr("'%s' failed (exit %d)%s%s", cmd ? cmd : argv->v[0], res->status,
		    line[0] ? ": " : "", line);
	free(cmd);
	return res->exited && res->status == 0 ? 0 : -1;
}

int
dep_run(const struct mc_strv *argv, int timeout, struct dep_run_result *res)
{
	return dep_run_capture(argv, timeout, res, NULL);
}

int
dep_run_capture(const struct mc_strv *argv, int timeout, struct dep_run_result *res, struct mc_buf *all)
{
	char **av = NULL;
	int pfd[2] = { -1, -1 }, rc = -1;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	res->capture = all;
	if (argv->n == 0) {
		mc_seterr("no command to run");
		return -1;
	}
	if ((av = calloc(argv->n + 1, sizeof(*av))) == NULL) {
		mc_seterr("out of memory");
		return -1;
	}
	memcpy(av, argv->v, argv->n * sizeof(*av));
	/* Only our end is non-blocking: a chatty command must not get EAGAIN. */
	if (pipe2(pfd, O_CLOEXEC) < 0 || fcntl(pfd[0], F_SETFL, O_NONBLOCK) < 0) {
		mc_seterr("cannot make a pipe: %s", strerror(errno));
		goto out;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		mc_seterr("cannot start '%s': fork: %s", av[0], strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(av, pfd[1]);
	/* Also here, so there is no window where the child is in ours. */
	setpgid(pid, pid);
	close(pfd[1]);
	pfd[1] = -1;
	if (wait_bounded(pid, pfd[0], timeout, res) < 0)
		goto out;
	rc = report(argv, timeout, res);
out:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	free(av);
	return rc;
}
