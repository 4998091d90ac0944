/*
 * The keys that sign each CA's CRL, and check's watch over every CRL.
 *
 * A retired intermediate's key stays in the home as
 * private/intermediate-SERIAL.key, encrypted with the passphrase it had
 * when current; rotations keep the current passphrase for the new key,
 * so the cron line's one passphrase opens them all.  An old root's key
 * is private/root-SERIAL.key when it was in the home at the rotation,
 * else its offline copy: --root-key FILE, or FILE's folder under the
 * name 'root offline' gives it (minica-root-FPR.key).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "issue.h"

/* The key at path if it is cert's: 1 (*out set), 0 not there or
 * another's, 2 wrong passphrase, -1 error. */
static int
try_key(const char *path, X509 *cert, const char *pass, size_t passlen, EVP_PKEY **out)
{
	struct stat st;
	EVP_PKEY *k;

	if (path == NULL || lstat(path, &st) < 0)
		return 0;
	if ((k = ca_key_load(path, pass, passlen)) == NULL)
		return strstr(mc_err(), "wrong passphrase") != NULL ? 2 : -1;
	if (X509_check_private_key(cert, k) != 1) {
		EVP_PKEY_free(k);
		return 0;
	}
	*out = k;
	return 1;
}

/* The places e's key may be, most likely first (NULL entries skipped). */
static void
candidates(const struct mc_ca *ca, const struct iss_crl_ca *e, const char *key_file, char *c[5])
{
	int root = strcmp(e->rec.role, "root") == 0;
	char rel[96], name[64], *dir;

	memset(c, 0, 5 * sizeof(c[0]));
	if (e->current)
		c[0] = iss_home_path(ca->home, root ? ISS_ROOT_KEY : ISS_INTER_KEY);
	snprintf(rel, sizeof(rel), "private/%s-%.40s.key", root ? "root" : "intermediate", e->rec.serial);
	c[1] = iss_home_path(ca->home, rel);
	if (!root || key_file == NULL)
		return;
	c[2] = mc_strdup(key_file);
	if (ca_root_key_offline_name(e->cert, "key", name, sizeof(name)) == 0 && (dir = mc_dir_of(key_file)) != NULL) {
		if (asprintf(&c[3], "%s/%s", dir, name) < 0)
			c[3] = NULL;
		free(dir);
	}
}

/* A key already unlocked in the handle, if it is e's. */
static EVP_PKEY *
unlocked(const struct mc_ca *ca, const struct iss_crl_ca *e)
{
	EVP_PKEY *k = NULL;

	if (ca->key != NULL && e->rec.id == ca->rec.id)
		k = ca->key;
	else if (ca->root_key != NULL && e->rec.id == ca->root_rec.id)
		k = ca->root_key;
	if (k == NULL || X509_check_private_key(e->cert, k) != 1 || !EVP_PKEY_up_ref(k))
		return NULL;
	return k;
}

EVP_PKEY *
iss_crl_key(struct mc_ca *ca, const struct iss_crl_ca *e, const char *key_file, const char *pass, size_t passlen)
{
	int root = strcmp(e->rec.role, "root") == 0, r = 0, wrong = 0;
	EVP_PKEY *k = unlocked(ca, e);
	char *c[5];

	if (k != NULL)
		return k;
	candidates(ca, e, key_file, c);
	for (int i = 0; i < 4 && r != 1; i++) {
		if ((r = try_key(c[i], e->cert, pass, passlen, &k)) < 0)
			break;
		wrong += r == 2;
	}
	if (r == 1)
		;
	else if (r < 0)
		mc_preferr("cannot open the key of %s %s", e->rec.role, e->rec.serial);
	else if (wrong)
		mc_seterr("the key of %s %s does not open with this %s passphrase (wrong passphrase)",
		    e->current ? "the current" : "retired", e->rec.serial, root ? "root" : "intermediate");
	else if (root && e->current)
		mc_seterr("the root key is offline (not in '%s'): this is a root operation; bring it back with "
		    "'minica root online --from DIR', or name the offline copy with --root-key FILE", c[0]);
	else if (root)
		mc_seterr("the key of the old root %s is not in '%s'%s: name its offline copy with --root-key FILE "
		    "(or put it next to the current one's, as 'root offline' names it)", e->rec.serial, c[1],
		    key_file ? " nor at --root-key" : "");
	else
		mc_seterr("the key of the retired intermediate %s is missing ('%s')", e->rec.serial, c[1]);
	for (int i = 0; i < 5; i++)
		free(c[i]);
	return r == 1 ? k : NULL;
}

/* One finding for the file f of e's CRL. */
static int
watch_file(struct iss_findings *fs, const struct iss_crl_ca *e, const struct iss_crl_file *f, int legacy)
{
	const char *what = e->root_level ? "root-crl" : "crl";
	const char *serial = legacy ? "" : e->rec.serial;
	char fix[600], date[21];

	if (e->root_level)
		snprintf(fix, sizeof(fix), "run 'minica crl --root' (a root operation)");
	else if (legacy)
		snprintf(fix, sizeof(fix), "run 'minica renew' or 'minica crl --out %s'", f->path);
	else
		snprintf(fix, sizeof(fix), "run 'minica renew' or 'minica crl'");
	mc_iso8601(f->next_update, date);
	if (f->problem[0] != '\0')
		return iss_finding_add(fs, SEV_WARNING, serial, what, "%s (the CRL of %s %s %s); %s", f->problem,
		    e->current ? "the current" : "the retired", e->rec.role, e->rec.serial, fix);
	if (f->state == POL_CRL_EXPIRED)
		return iss_finding_add(fs, SEV_CRITICAL, serial, what, "the CRL at %s expired at %s: verifiers "
		    "that check it refuse every certificate %s %s signed; %s", f->path, date, e->rec.role,
		    e->rec.serial, fix);
	if (f->state == POL_CRL_DUE)
		return iss_finding_add(fs, SEV_WARNING, serial, what, "the CRL at %s expires at %s, within %d days; %s",
		    f->path, date, POL_CRL_WARN_DAYS, fix);
	return 0;
}

int
iss_check_crls(struct mc_ca *ca, time_t now, struct iss_findings *fs)
{
	struct iss_crl_set s;
	int rc = 0;

	for (int level = 0; level < 2 && rc == 0; level++) {
		if (iss_crl_set_load(ca, level, now, &s) < 0)
			return -1;
		for (size_t i = 0; s.in_use && i < s.n && rc == 0; i++) {
			rc = watch_file(fs, &s.v[i], &s.v[i].file, 0);
			if (rc == 0 && s.v[i].legacy.path != NULL && strcmp(s.v[i].legacy.path, s.v[i].file.path) != 0)
				rc = watch_file(fs, &s.v[i], &s.v[i].legacy, 1);
		}
		iss_crl_set_free(&s);
	}
	return rc;
}
