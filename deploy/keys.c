/*
 * Where the key of a certificate minica signed may still be: the files
 * issue wrote (or kept after a failed deploy) and the profile's deployed
 * key.  minica keeps no leaf keys, so these are the only places.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

static int
push_owned(struct mc_strv *v, char *p, int n)
{
	int rc;

	if (n < 0) {
		mc_seterr("out of memory");
		return -1;
	}
	rc = mc_strv_push(v, p);
	free(p);
	return rc;
}

int
dep_key_places(const char *dir, const char *name, const char *serial, const struct pol_profile *prof,
    const char *root, struct mc_strv *out)
{
	char *p = NULL;
	int n;

	n = asprintf(&p, "%s/%s.key", dir, name);
	if (push_owned(out, p, n) < 0)
		return -1;
	/* cmd_keep_key's NAME-SERIAL.key */
	n = asprintf(&p, "%s/%s-%.16s.key", dir, name, serial);
	if (push_owned(out, p, n) < 0)
		return -1;
	/* PROFILE-NAME.key, when NAME.key was another certificate's */
	if (prof != NULL) {
		n = asprintf(&p, "%s/%s-%s.key", dir, prof->name, name);
		if (push_owned(out, p, n) < 0)
			return -1;
	}
	if (prof != NULL && prof->key.path != NULL) {
		if ((p = dep_path(root, prof->key.path)) == NULL)
			return -1;
		if (push_owned(out, p, 0) < 0)
			return -1;
	}
	return 0;
}

EVP_PKEY *
dep_key_find(X509 *cert, const struct mc_strv *places, char **found)
{
	struct stat st;

	*found = NULL;
	for (size_t i = 0; i < places->n; i++) {
		EVP_PKEY *k;

		/* Only a regular file, never through a symlink. */
		if (lstat(places->v[i], &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if ((k = ca_key_load(places->v[i], NULL, 0)) == NULL)
			continue;
		if (ca_key_matches_cert(k, cert) == 1) {
			if ((*found = mc_strdup(places->v[i])) == NULL) {
				EVP_PKEY_free(k);
				return NULL;
			}
			return k;
		}
		EVP_PKEY_free(k);
	}
	mc_seterr("its key is in none of the places minica looks");
	return NULL;
}

EVP_PKEY *
dep_deployed_key(const struct pol_profile *prof, const char *root, X509 *cert)
{
	struct mc_strv places = { 0 };
	char *k = NULL, *found = NULL;
	EVP_PKEY *key = NULL;

	if (prof == NULL || prof->key.path == NULL) {
		mc_seterr("profile has no key target");
		return NULL;
	}
	if ((k = dep_path(root, prof->key.path)) != NULL && mc_strv_push(&places, k) == 0)
		key = dep_key_find(cert, &places, &found);
	free(k);
	free(found);
	mc_strv_free(&places);
	return key;
}
