/* What every command shares: option parsing, messages, the CA home. */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"

struct cmd_globals g = { .pass_fd = -1, .root_pass_fd = -1 };

struct poptOption cmd_common_options[] = {
	{ "home", 0, POPT_ARG_STRING, &g.home_opt, 0, "CA home folder (default $MINICA_HOME or /var/lib/minica)", "DIR" },
	{ "passphrase-file", 0, POPT_ARG_STRING, &g.pass_file, 0, "read the CA passphrase from FILE", "FILE" },
	{ "passphrase-fd", 0, POPT_ARG_INT, &g.pass_fd, 0, "read the CA passphrase from file descriptor N", "N" },
	POPT_TABLEEND
};

struct poptOption cmd_root_options[] = {
	{ "root-passphrase-file", 0, POPT_ARG_STRING, &g.root_pass_file, 0, "read the root passphrase from FILE", "FILE" },
	{ "root-passphrase-fd", 0, POPT_ARG_INT, &g.root_pass_fd, 0, "read the root passphrase from file descriptor N", "N" },
	{ "root-key", 0, POPT_ARG_STRING, &g.root_key, 0, "the root key's offline copy (when not in the home)", "FILE" },
	POPT_TABLEEND
};

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
cmd_parse(poptContext *ctxp, int argc, const char **argv, struct poptOption *opts, const char *args_help)
{
	char name[64];
	poptContext ctx;
	int rc;

	snprintf(name, sizeof(name), "minica %s", argv[0]);
	ctx = poptGetContext(name, argc, argv, opts, 0);
	if (args_help != NULL)
		poptSetOtherOptionHelp(ctx, args_help);
	while ((rc = poptGetNextOpt(ctx)) > 0)
		;
	if (rc < -1) {
		rc = cmd_usage_error(argv[0], "%s: %s", poptBadOption(ctx, POPT_BADOPTION_NOALIAS),
		    poptStrerror(rc));
		cmd_parse_done(ctx, opts);
		*ctxp = NULL;
		return rc;
	}
	*ctxp = ctx;
	return 0;
}

void
cmd_parse_done(poptContext ctx, struct poptOption *opts)
{
	poptFreeContext(ctx);
	/* popt hands out heap copies of string and argv values. */
	for (struct poptOption *o = opts; o->longName != NULL || o->shortName != '\0' || o->argInfo != 0; o++) {
		if (o->arg == NULL)
			continue;
		if ((o->argInfo & POPT_ARG_MASK) == POPT_ARG_STRING) {
			free(*(char **)o->arg);
			*(char **)o->arg = NULL;
		} else if ((o->argInfo & POPT_ARG_MASK) == POPT_ARG_ARGV) {
			char **v = *(char ***)o->arg;

			for (size_t i = 0; v != NULL && v[i] != NULL; i++)
				free(v[i]);
			free(v);
			*(char ***)o->arg = NULL;
		}
	}
}

int
cmd_resolve_home(void)
{
	static char buf[4096];
	const char *env = getenv("MINICA_HOME");

	if (g.home_opt != NULL && *g.home_opt != '\0') {
		g.home = g.home_opt;
	} else if (env != NULL && *env != '\0') {
		g.home = env;
	} else if (geteuid() == 0) {
		g.home = "/var/lib/minica";
	} else {
		const char *xdg = getenv("XDG_DATA_HOME"), *h = getenv("HOME");

		if (xdg != NULL && *xdg == '/')
			snprintf(buf, sizeof(buf), "%s/minica", xdg);
		else if (h != NULL && *h == '/')
			snprintf(buf, sizeof(buf), "%s/.local/share/minica", h);
		else {
			cmd_error("cannot find a CA home: set MINICA_HOME or use --home DIR");
			return -1;
		}
		g.home = buf;
	}
	return 0;
}

char *
cmd_home_path(const char *rel)
{
	return iss_home_path(g.home, rel);
}

int
cmd_check_home_modes(void)
{
	if (iss_home_check_modes(g.home) < 0)
		return cmd_fail(), -1;
	return 0;
}

static void
print_warning(void *arg, const char *msg)
{
	(void)arg;
	cmd_warn("%s", msg);
}

int
cmd_open_ca(struct mc_ca *ca)
{
	memset(ca, 0, sizeof(*ca));
	ca->lock_fd = -1;
	if (cmd_resolve_home() < 0)
		return -1;
	if (iss_ca_open(ca, g.home) < 0)
		return cmd_fail(), -1;
	ca->warn = print_warning;
	return 0;
}

int
cmd_ca_unlock(struct mc_ca *ca)
{
	struct mc_buf pass = { 0 };
	int rc = -1;

	if (cmd_passphrase("CA passphrase", 0, &pass) < 0 || iss_ca_unlock(ca, pass.p, pass.len) < 0)
		cmd_fail();
	else
		rc = 0;
	mc_buf_free(&pass);
	return rc;
}

int
cmd_ca_unlock_root(struct mc_ca *ca)
{
	struct mc_buf pass = { 0 };
	int rc = -1, here;

	/* Say the key is missing before asking for its passphrase. */
	if (g.root_key == NULL && (here = iss_root_key_here(ca)) <= 0) {
		if (here == 0)
			iss_ca_unlock_root(ca, NULL, "", 0);
		return cmd_fail(), -1;
	}
	if (cmd_root_passphrase("root passphrase", 0, &pass) < 0 ||
	    iss_ca_unlock_root(ca, g.root_key, pass.p, pass.len) < 0)
		cmd_fail();
	else
		rc = 0;
	mc_buf_free(&pass);
	return rc;
}

int
cmd_ca_lock(struct mc_ca *ca)
{
	const char *env = getenv("MINICA_LOCK_TIMEOUT");
	int wait_ms = CA_LOCK_WAIT_MS;
	char who[64];

	/* Scripts that would rather fail fast than queue set this (seconds). */
	if (env != NULL && *env != '\0') {
		char *end;
		long v = strtol(env, &end, 10);

		if (*end != '\0' || v < 0 || v > 3600) {
			cmd_error("MINICA_LOCK_TIMEOUT='%s' is not a number of seconds (0-3600)", env);
			return -1;
		}
		wait_ms = (int)v * 1000;
	}
	snprintf(who, sizeof(who), "minica %s", g.cmdname ? g.cmdname : "");
	if (iss_ca_lock(ca, who, wait_ms) < 0)
		return cmd_fail(), -1;
	return 0;
}

void
cmd_close_ca(struct mc_ca *ca)
{
	iss_ca_close(ca);
}
