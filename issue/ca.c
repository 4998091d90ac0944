/*
 * The CA handle: open the home (store, config, CA certificate), take the
 * lock (which names its holder), unlock the signing key, close.  Nothing
 * here is per process: a server may hold a handle for hours.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "issue.h"

char *
iss_home_path(const char *home, const char *rel)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", home, rel) < 0) {
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
		mc_seterr("cannot use '%s': %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		mc_seterr("'%s' is not a folder", path);
		return -1;
	}
	if (st.st_mode & 077) {
		mc_seterr("'%s' is accessible by group or others (mode %04o); fix it with: chmod 700 '%s'",
		    path, (unsigned)(st.st_mode & 07777), path);
		return -1;
	}
	return 0;
}

int
iss_home_check_modes(const char *home)
{
	char *priv = iss_home_path(home, "private"), *conf = iss_home_path(home, "minica.conf");
	char *db = iss_home_path(home, "minica.db");
	int rc = -1;

	if (priv == NULL || conf == NULL || db == NULL)
		goto out;
	if (check_private_dir(home) < 0 || check_private_dir(priv) < 0)
		goto out;
	/* Another user's home could name any reload command (OpenSSH's rule
	 * for authorized_keys): root's or ours only. */
	if (mc_check_owner(home, "CA home") < 0 || mc_check_owner(priv, "CA folder") < 0 ||
	    mc_check_owner(conf, "CA file") < 0 || mc_check_owner(db, "CA file") < 0)
		goto out;
	rc = 0;
out:
	free(priv);
	free(conf);
	free(db);
	return rc;
}

/* The issuing CA: the current intermediate, or the root of a home that
 * never had one.  With every intermediate revoked or retired there is
 * none: reading commands still work (cert is the root then), signing
 * ones fail in iss_ca_unlock. */
static int
open_issuer(struct mc_ca *ca)
{
	int found = store_issuer_get(ca->db, &ca->rec);

	if (found < 0)
		return -1;
	if (found == 0) {
		ca->two_level = ca->no_issuer = 1;
		if (store_ca_by_id(ca->db, ca->root_rec.id, &ca->rec) != 1)
			return -1;
	} else {
		ca->two_level = ca->rec.id != ca->root_rec.id;
	}
	if (!ca->two_level || ca->no_issuer) {
		ca->cert = X509_dup(ca->root);
		return ca->cert != NULL ? 0 : -1;
	}
	return (ca->cert = ca_cert_from_pem(ca->rec.pem, strlen(ca->rec.pem))) != NULL ? 0 : -1;
}

int
iss_ca_open(struct mc_ca *ca, const char *home)
{
	char *dbpath = NULL, *conf = NULL;
	struct stat st;
	int rc = -1, found;

	memset(ca, 0, sizeof(*ca));
	ca->lock_fd = -1;
	if ((ca->home = strdup(home)) == NULL) {
		mc_seterr("out of memory");
		return -1;
	}
	if ((dbpath = iss_home_path(home, "minica.db")) == NULL || (conf = iss_home_path(home, "minica.conf")) == NULL)
		goto out;
	if (stat(dbpath, &st) < 0 && errno == ENOENT) {
		mc_seterr("no CA in '%s'; create one with 'minica init --domain example.org' "
		    "(or point --home / MINICA_HOME at yours)", home);
		goto out;
	}
	if (iss_home_check_modes(home) < 0 || (ca->db = store_open(dbpath, 0)) == NULL ||
	    (found = store_ca_get(ca->db, &ca->root_rec)) < 0)
		goto out;
	if (found == 0) {
		mc_seterr("database '%s' holds no CA; was 'minica init' interrupted?", dbpath);
		goto out;
	}
	if ((ca->root = ca_cert_from_pem(ca->root_rec.pem, strlen(ca->root_rec.pem))) == NULL ||
	    open_issuer(ca) < 0 || iss_ca_load_cross(ca) < 0 || pol_config_load(conf, &ca->cfg) < 0)
		goto out;
	rc = 0;
out:
	free(dbpath);
	free(conf);
	if (rc < 0)
		iss_ca_close(ca);
	return rc;
}

/* What the lock file says about its holder: "pid N (WHO)", or NULL. */
static char *
lock_holder(const char *path)
{
	char buf[256];
	ssize_t n;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return NULL;
	n = (ssize_t)fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf[0] != '\0' ? strdup(buf) : NULL;
}

/* Leaves "pid N (WHO)" in the lock file for whoever waits next. */
static void
lock_name_holder(int fd, const char *who)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "pid %ld (%s)\n", (long)getpid(), who ? who : "minica");

	if (n < 0 || (size_t)n >= sizeof(buf) || ftruncate(fd, 0) < 0)
		return;
	/* Best effort: the lock is the flock, the text only a hint. */
	if (pwrite(fd, buf, (size_t)n, 0) != n)
		return;
}

int
iss_ca_lock(struct mc_ca *ca, const char *who, int wait_ms)
{
	char *path;

	if (ca->lock_fd >= 0)	/* taken already (iss_ca_settle) */
		return 0;
	/* A read-only home (a backup, a rescue system) says so, not EROFS. */
	if (store_writable(ca->db) < 0 || (path = iss_home_path(ca->home, "lock")) == NULL)
		return -1;
	if ((ca->lock_fd = mc_lock_file(path, wait_ms)) < 0) {
		char *holder = strncmp(mc_err(), "CA busy", 7) == 0 ? lock_holder(path) : NULL;

		if (holder != NULL)
			mc_seterr("CA busy: held by %s (waited %d s for '%s'); try again", holder, wait_ms / 1000,
			    path);
		free(holder);
		free(path);
		return -1;
	}
	free(path);
	lock_name_holder(ca->lock_fd, who);
	/* Temp files of ours older than this are a dead process's. */
	clock_gettime(CLOCK_REALTIME, &ca->locked_at);
	return 0;
}

static void
lock_release(struct mc_ca *ca)
{
	/* The holder's name goes with the lock. */
	if (ftruncate(ca->lock_fd, 0) < 0) {
		/* nothing to do: the flock is released by close */
	}
	close(ca->lock_fd);
	ca->lock_fd = -1;
}

int
iss_ca_lock_pause(struct mc_ca *ca, int64_t *version)
{
	if (ca->lock_fd < 0)
		return 0;
	if (store_data_version(ca->db, version) < 0)
		return -1;
	lock_release(ca);
	return 1;
}

int
iss_ca_lock_resume(struct mc_ca *ca, int64_t version, const char *who, int wait_ms)
{
	int64_t now;

	if (iss_ca_lock(ca, who, wait_ms) < 0 || store_data_version(ca->db, &now) < 0)
		return -1;
	if (now != version) {
		mc_seterr("another minica changed the CA while this one waited for the passphrase; "
		    "nothing was done: run the command again");
		return -1;
	}
	return 0;
}

int
iss_ca_settle(struct mc_ca *ca, const char *who, int wait_ms)
{
	struct mc_strv notes = { 0 };
	size_t n = 0;
	int r;

	if (dep_pending_count(ca->db, &n) < 0)
		return -1;
	if (n == 0)
		return 0;
	if (iss_ca_lock(ca, who, wait_ms) < 0) {
		iss_warn(ca, "%zu interrupted deployment%s left as they are for now: %s", n, n == 1 ? "" : "s",
		    mc_err());
		return 1;
	}
	r = dep_settle(ca->db, &ca->cfg, &notes);
	for (size_t i = 0; i < notes.n; i++)
		iss_warn(ca, "%s", notes.v[i]);
	if (r < 0)
		iss_warn(ca, "interrupted deployments not settled: %s", mc_err());
	mc_strv_free(&notes);
	return r < 0 ? -1 : r;
}

int
iss_ca_unlock(struct mc_ca *ca, const char *pass, size_t passlen)
{
	char *keypath = NULL;
	int rc = -1;

	if (ca->no_issuer) {
		mc_seterr("no current intermediate: it was revoked or retired; make a new one with "
		    "'minica intermediate rotate' (a root operation)");
		return -1;
	}
	if (ca->two_level && (iss_root_roll_forward(ca) < 0 || iss_inter_roll_forward(ca) < 0))
		return -1;
	if ((keypath = iss_home_path(ca->home, ca->two_level ? ISS_INTER_KEY : ISS_ROOT_KEY)) == NULL)
		return -1;
	EVP_PKEY_free(ca->key);
	if ((ca->key = ca_key_load(keypath, pass, passlen)) == NULL)
		goto out;
	if (X509_check_private_key(ca->cert, ca->key) != 1) {
		mc_seterr("'%s' does not match the %s certificate in the store", keypath,
		    ca->two_level ? "intermediate" : "CA");
		EVP_PKEY_free(ca->key);
		ca->key = NULL;
		goto out;
	}
	rc = 0;
out:
	free(keypath);
	return rc;
}

void
iss_ca_close(struct mc_ca *ca)
{
	if (ca->lock_fd >= 0)
		lock_release(ca);
	store_close(ca->db);
	pol_config_free(&ca->cfg);
	store_ca_free(&ca->rec);
	store_ca_free(&ca->root_rec);
	X509_free(ca->cert);
	X509_free(ca->root);
	X509_free(ca->cross);
	X509_free(ca->prev_root);
	EVP_PKEY_free(ca->key);	/* OpenSSL clears private key material on free */
	EVP_PKEY_free(ca->root_key);
	free(ca->home);
	memset(ca, 0, sizeof(*ca));
	ca->lock_fd = -1;
}

void
iss_warn(const struct mc_ca *ca, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (ca == NULL || ca->warn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ca->warn(ca->warn_arg, msg);
}
