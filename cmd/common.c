/* What every command shares: option parsing, messages, the CA home. */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"

static void __attribute__((format(printf, 2, 0)))
vmsg(const char *kind, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "minica: %s", kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
cmd_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void
cmd_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

int
cmd_fail(void)
{
	cmd_error("%s", mc_err());
	return EXIT_ERR;
}

int
cmd_usage_error(const char *cmdname, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cmd_error("%s: %s; see 'minica %s --help'", cmdname, msg, cmdname);
	return EXIT_USAGE;
}

int
cmd_resolve_home(struct cmd_ctx *ctx)
{
	char *buf = ctx->home_buf;
	size_t len = sizeof(ctx->home_buf);
	const char *env = getenv("MINICA_HOME");
	const char *opt = ctx->opt.home_opt != NULL ? ctx->opt.home_opt : ctx->global_home;

	if (opt != NULL && *opt != '\0') {
		ctx->home = opt;
	} else if (env != NULL && *env != '\0') {
		ctx->home = env;
	} else if (geteuid() == 0) {
		ctx->home = "/var/lib/minica";
	} else {
		const char *xdg = getenv("XDG_DATA_HOME"), *h = getenv("HOME");

		if (xdg != NULL && *xdg == '/')
			snprintf(buf, len, "%s/minica", xdg);
		else if (h != NULL && *h == '/')
			snprintf(buf, len, "%s/.local/share/minica", h);
		else {
			cmd_error("cannot find a CA home: set MINICA_HOME or use --home DIR");
			return -1;
		}
		ctx->home = buf;
	}
	return 0;
}

char *
cmd_home_path(const struct cmd_ctx *ctx, const char *rel)
{
	return iss_home_path(ctx->home, rel);
}

int
cmd_check_home_modes(const struct cmd_ctx *ctx)
{
	if (iss_home_check_modes(ctx->home) < 0)
		return cmd_fail(), -1;
	return 0;
}

void
cmd_print_warning(void *arg, const char *msg)
{
	(void)arg;
	cmd_warn("%s", msg);
}
