/* revoke of a deployed certificate: say which deployments will go
 * CRITICAL in 'minica check', and on a terminal ask first. */
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd.h"

struct deployed {
	int64_t cert_id;
	size_t n;
};

static int
note_deployment(const struct store_deployment *d, void *arg)
{
	struct deployed *s = arg;

	if (d->cert_id != s->cert_id)
		return 0;
	s->n++;
	cmd_warn("%s is deployed as %s%s%s (%s): once revoked, 'minica check' reports that deployment CRITICAL "
	    "until 'minica renew' replaces it", d->serial, d->profile, strcmp(d->root, "/") ? " under " : "",
	    strcmp(d->root, "/") ? d->root : "", d->cert.path);
	return 0;
}

/* y or yes from the terminal; anything else (or no terminal) is no. */
static int
ask_yes(const char *question)
{
	char ans[16] = { 0 };
	ssize_t n;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = write(fd, question, strlen(question));
	n = n < 0 ? n : read(fd, ans, sizeof(ans) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	ans[strcspn(ans, "\r\n")] = '\0';
	return strcasecmp(ans, "y") == 0 || strcasecmp(ans, "yes") == 0;
}

int
cmd_revoke_confirm(struct cmd_ctx *ctx, const struct store_cert *c, int yes)
{
	struct store_deploy_filter f = { .state = "current" };
	struct deployed s = { c->id, 0 };

	if (store_deploy_each(ctx->ca.db, &f, note_deployment, &s) < 0)
		return cmd_fail();
	if (s.n == 0 || yes || !isatty(STDIN_FILENO))
		return 0;
	if (ask_yes("revoke it anyway? [y/N] "))
		return 0;
	cmd_error("nothing revoked");
	return EXIT_ERR;
}
