/* What every command shares: option parsing, messages, the CA home. */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"

struct cmd_globals g = { .pass_fd = -1 };

struct poptOption cmd_common_options[] = {
	{ "home", 0, POPT_ARG_STRING, &g.home_opt, 0, "CA home folder (default $MINICA_HOME or /var/lib/minica)", "DIR" },
	{ "passphrase-file", 0, POPT_ARG_STRING, &g.pass_file, 0, "read the CA passphrase from FILE", "FILE" },
	{ "passphrase-fd", 0, POPT_ARG_INT, &g.pass_fd, 0, "read the CA passphrase from file descriptor N", "N" },
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
	char *p = NULL;

	if (asprintf(&p, "%s/%s", g.home, rel) < 0) {
		mc_seterr("out of memory");
		return NULL;
	}
	return p;
}

static int
check_private_dir(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		cmd_error("cannot use '%s': %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		cmd_error("'%s' is not a folder", path);
		return -1;
	}
	if (st.st_mode & 077) {
		cmd_error("'%s' is accessible by group or others (mode %04o); fix it with: chmod 700 '%s'",
		    path, (unsigned)(st.st_mode & 07777), path);
		return -1;
	}
	return 0;
}

int
cmd_check_home_modes(void)
{
	char *priv = cmd_home_path("private"), *conf = cmd_home_path("minica.conf");
	char *db = cmd_home_path("minica.db");
	int rc;

	if (priv == NULL || conf == NULL || db == NULL) {
		rc = -1;
		cmd_fail();
		goto out;
	}
	rc = check_private_dir(g.home) < 0 || check_private_dir(priv) < 0 ? -1 : 0;
	/* Another user's home could name any reload command (OpenSSH's rule
	 * for authorized_keys): root's or ours only. */
	if (rc == 0 && (mc_check_owner(g.home, "CA home") < 0 || mc_check_owner(priv, "CA folder") < 0 ||
	    mc_check_owner(conf, "CA file") < 0 || mc_check_owner(db, "CA file") < 0)) {
		rc = -1;
		cmd_fail();
	}
out:
	free(priv);
	free(conf);
	free(db);
	return rc;
}

int
cmd_open_ca(struct cmd_ca *ca)
{
	char *dbpath = NULL, *conf = NULL;
	struct stat st;
	int rc = -1, found;

	memset(ca, 0, sizeof(*ca));
	ca->lock_fd = -1;
	if (cmd_resolve_home() < 0)
		return -1;
	if ((dbpath = cmd_home_path("minica.db")) == NULL || (conf = cmd_home_path("minica.conf")) == NULL)
		goto fail;
	if (stat(dbpath, &st) < 0 && errno == ENOENT) {
		cmd_error("no CA in '%s'; create one with 'minica init --domain example.org' "
		    "(or point --home / MINICA_HOME at yours)", g.home);
		goto out;
	}
	if (cmd_check_home_modes() < 0)
		goto out;
	if ((ca->db = store_open(dbpath, 0)) == NULL)
		goto fail;
	if ((found = store_ca_get(ca->db, &ca->rec)) < 0)
		goto fail;
	if (found == 0) {
		cmd_error("database '%s' holds no CA; was 'minica init' interrupted?", dbpath);
		goto out;
	}
	if ((ca->cert = ca_cert_from_pem(ca->rec.pem, strlen(ca->rec.pem))) == NULL ||
	    pol_config_load(conf, &ca->cfg) < 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	cmd_fail();
out:
	free(dbpath);
	free(conf);
	if (rc < 0)
		cmd_close_ca(ca);
	return rc;
}

int
cmd_ca_unlock(struct cmd_ca *ca)
{
	struct mc_buf pass = { 0 };
	char *keypath = cmd_home_path("private/ca.key");
	int rc = -1;

	if (keypath == NULL || cmd_passphrase("CA passphrase", 0, &pass) < 0)
		goto out;
	if ((ca->key = ca_key_load(keypath, pass.p, pass.len)) == NULL)
		goto out;
	if (X509_check_private_key(ca->cert, ca->key) != 1) {
		mc_seterr("'%s' does not match the CA certificate in the store", keypath);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		cmd_fail();
	mc_buf_free(&pass);
	free(keypath);
	return rc;
}

int
cmd_ca_lock(struct cmd_ca *ca)
{
	char *path = cmd_home_path("lock");
	const char *env = getenv("MINICA_LOCK_TIMEOUT");
	int wait_ms = CA_LOCK_WAIT_MS;

	/* Scripts that would rather fail fast than queue set this (seconds). */
	if (env != NULL && *env != '\0') {
		char *end;
		long v = strtol(env, &end, 10);

		if (*end != '\0' || v < 0 || v > 3600) {
			free(path);
			cmd_error("MINICA_LOCK_TIMEOUT='%s' is not a number of seconds (0-3600)", env);
			return -1;
		}
		wait_ms = (int)v * 1000;
	}
	if (path == NULL || (ca->lock_fd = mc_lock_file(path, wait_ms)) < 0) {
		free(path);
		return cmd_fail(), -1;
	}
	free(path);
	/* Temp files of ours older than this are a dead process's. */
	clock_gettime(CLOCK_REALTIME, &g.locked_at);
	return 0;
}

void
cmd_close_ca(struct cmd_ca *ca)
{
	if (ca->lock_fd >= 0)
		close(ca->lock_fd);
	store_close(ca->db);
	pol_config_free(&ca->cfg);
	store_ca_free(&ca->rec);
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	memset(ca, 0, sizeof(*ca));
	ca->lock_fd = -1;
}
