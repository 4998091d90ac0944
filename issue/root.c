/*
 * The root key: where it is, unlocking it for a root operation, and
 * moving it offline (a USB stick) and back.  The store keeps the digest
 * of the file that went out, so the one that comes back is known to be
 * it, byte for byte.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "issue.h"

int
iss_root_key_here(const struct mc_ca *ca)
{
	char *p = iss_home_path(ca->home, ISS_ROOT_KEY);
	struct stat st;
	int rc;

	if (p == NULL)
		return -1;
	if (lstat(p, &st) == 0)
		rc = 1;
	else if (errno == ENOENT)
		rc = 0;
	else {
		mc_seterr("cannot inspect '%s': %s", p, strerror(errno));
		rc = -1;
	}
	free(p);
	return rc;
}

int
iss_ca_unlock_root(struct mc_ca *ca, const char *key_file, const char *pass, size_t passlen)
{
	char *p = key_file != NULL ? mc_strdup(key_file) : iss_home_path(ca->home, ISS_ROOT_KEY);
	int rc = -1, here;

	if (p == NULL)
		return -1;
	/* A rotation a crash interrupted puts the new root key in place first. */
	if (ca->two_level && iss_root_roll_forward(ca) < 0)
		goto out;
	if (key_file == NULL && (here = iss_root_key_here(ca)) <= 0) {
		if (here == 0)
			mc_seterr("the root key is offline (not in '%s'): this is a root operation; "
			    "bring it back with 'minica root online --from DIR', or name the offline "
			    "copy with --root-key FILE", p);
		goto out;
	}
	EVP_PKEY_free(ca->root_key);
	if ((ca->root_key = ca_key_load(p, pass, passlen)) == NULL) {
		if (strstr(mc_err(), "wrong passphrase") != NULL)
			mc_seterr("'%s': wrong root passphrase", p);
		goto out;
	}
	if (X509_check_private_key(ca->root, ca->root_key) != 1) {
		mc_seterr("'%s' is not the key of this CA's root certificate", p);
		EVP_PKEY_free(ca->root_key);
		ca->root_key = NULL;
		goto out;
	}
	rc = 0;
out:
	free(p);
	return rc;
}

static char *
offline_path(const struct mc_ca *ca, const char *dir, const char *ext)
{
	char name[64], *p = NULL;

	if (ca_root_key_offline_name(ca->root, ext, name, sizeof(name)) < 0)
		return NULL;
	if (asprintf(&p, "%s/%s", dir, name) < 0) {
		mc_seterr("out of memory");
		return NULL;
	}
	return p;
}

static int
record(struct mc_ca *ca, const char *action, const char *sha, const char *where)
{
	if (store_begin(ca->db) < 0)
		return -1;
	if ((sha != NULL && store_ca_set_key_sha256(ca->db, ca->root_rec.id, sha) < 0) ||
	    store_audit(ca->db, action, ca->root_rec.serial, "key=%s sha256=%s", where,
	    sha != NULL ? sha : ca->root_rec.key_sha256) < 0 || store_commit(ca->db) < 0) {
		store_rollback(ca->db);
		return -1;
	}
	return 0;
}

/* Copy (verified, synced), then the store notes the digest and where it
 * went, then the home's copy goes: a crash anywhere leaves the key in at
 * least one place, and the offline copy is known before it is the only
 * one. */
int
iss_root_offline(struct mc_ca *ca, const char *dir, char **dst)
{
	char *src = iss_home_path(ca->home, ISS_ROOT_KEY), *kp = NULL, *cp = NULL, *crt = NULL;
	char sha[CA_FPR_LEN];
	struct stat st;
	int rc = -1, here = iss_root_key_here(ca);

	if (src == NULL || here < 0)
		goto out;
	if (here == 0) {
		mc_seterr("the root key is not in '%s': it is offline already", src);
		goto out;
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		mc_seterr("'%s' is not a folder (mount the stick first)", dir);
		goto out;
	}
	if ((kp = offline_path(ca, dir, "key")) == NULL || (cp = offline_path(ca, dir, "crt")) == NULL ||
	    (crt = iss_home_path(ca->home, "ca.crt")) == NULL)
		goto out;
	if (ca_copy_verified(src, kp, sha) < 0 || ca_copy_verified(crt, cp, NULL) < 0 ||
	    record(ca, "root-offline", sha, kp) < 0 || ca_move_verified(src, kp, NULL) < 0)
		goto out;
	if (dst != NULL) {
		*dst = kp;
		kp = NULL;
	}
	rc = 0;
out:
	free(src);
	free(kp);
	free(cp);
	free(crt);
	return rc;
}

int
iss_root_online(struct mc_ca *ca, const char *from, char **srcp)
{
	char *dst = iss_home_path(ca->home, ISS_ROOT_KEY), *src = NULL;
	char sha[CA_FPR_LEN];
	struct stat st;
	int rc = -1;

	if (dst == NULL)
		goto out;
	if (stat(from, &st) == 0 && S_ISDIR(st.st_mode))
		src = offline_path(ca, from, "key");
	else
		src = mc_strdup(from);
	if (src == NULL)
		goto out;
	if (ca_file_sha256(src, sha) < 0) {
		mc_preferr("no root key to bring back");
		goto out;
	}
	if (ca->root_rec.key_sha256[0] != '\0' && strcmp(sha, ca->root_rec.key_sha256) != 0) {
		mc_seterr("'%s' is not the root key that went offline (SHA-256 %.16s..., expected "
		    "%.16s...); nothing was changed", src, sha, ca->root_rec.key_sha256);
		goto out;
	}
	if (ca_copy_verified(src, dst, NULL) < 0 || record(ca, "root-online", NULL, src) < 0)
		goto out;
	if (srcp != NULL) {
		*srcp = src;
		src = NULL;
	}
	rc = 0;
out:
	free(src);
	free(dst);
	return rc;
}
