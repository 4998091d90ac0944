/*
 * Deployments made before minica: a certificate 'minica import' adopts
 * that sits at a profile's targets (the guide's /etc/ssl/certs/smtpd.crt
 * with /etc/ssl/private/smtpd.key) is recorded as that profile's
 * deployment, as the files are, so check watches it and renew redeploys.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "deploy.h"

static int
same_file(const char *a, const struct stat *sb)
{
	struct stat sa;

	return lstat(a, &sa) == 0 && S_ISREG(sa.st_mode) && sa.st_dev == sb->st_dev &&
	    sa.st_ino == sb->st_ino;
}

static int
fill_file(struct store_deploy_file *f, char *path)
{
	struct stat st;

	f->path = path;
	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || ca_file_sha256(path, f->sha256) < 0) {
		mc_seterr("cannot read '%s'", path);
		return -1;
	}
	f->mode = (int)(st.st_mode & 07777);
	f->uid = st.st_uid;
	f->gid = st.st_gid;
	return 0;
}

/* 1: the key at path is cert's; 0: missing, unreadable, encrypted or
 * another key (then the pair is not a deployment minica can renew). */
static int
key_is_certs(const char *path, X509 *cert)
{
	EVP_PKEY *key = ca_key_load(path, NULL, 0);
	int ok = key != NULL && ca_key_matches_cert(key, cert) == 1;

	EVP_PKEY_free(key);
	mc_clearerr();
	return ok;
}

int
dep_adopt_find(const struct pol_config *cfg, const char *root, const char *source, X509 *cert,
    struct store_deployment *d)
{
	struct stat sb;
	char *cpath = NULL, *kpath = NULL;

	memset(d, 0, sizeof(*d));
	if (lstat(source, &sb) < 0 || !S_ISREG(sb.st_mode))
		return 0;
	for (size_t i = 0; i < cfg->nprofiles; i++) {
		const struct pol_profile *p = &cfg->profiles[i];

		if (p->cert.path == NULL || p->key.path == NULL)
			continue;
		if ((cpath = dep_path(root, p->cert.path)) == NULL)
			return -1;
		if (!same_file(cpath, &sb) || (kpath = dep_path(root, p->key.path)) == NULL ||
		    !key_is_certs(kpath, cert)) {
			free(cpath);
			free(kpath);
			cpath = kpath = NULL;
			continue;
		}
		if ((d->profile = mc_strdup(p->name)) == NULL || (d->root = mc_strdup(root)) == NULL ||
		    (d->detail = mc_strdup("found in place by 'minica import'")) == NULL ||
		    fill_file(&d->cert, cpath) < 0 || fill_file(&d->key, kpath) < 0) {
			if (d->cert.path != cpath)
				free(cpath);
			if (d->key.path != kpath)
				free(kpath);
			store_deploy_free(d);
			return -1;
		}
		return 1;
	}
	return 0;
}
