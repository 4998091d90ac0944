/* Before signing: every refusal a deployment could meet that does not
 * depend on the certificate, so no key is signed for and then lost. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

/* A staged or backup name of ours beside path that is a folder: the
 * swap could never remove it. */
static int
side_ok(const char *path, const char *prefix)
{
	char *a = mc_strdup(path), *b = mc_strdup(path), *side = NULL;
	struct stat st;
	int rc = -1;

	if (a == NULL || b == NULL || asprintf(&side, "%s/%s%s", dirname(a), prefix, basename(b)) < 0) {
		side = NULL;
		mc_seterr("out of memory");
		goto out;
	}
	if (lstat(side, &st) == 0 && !S_ISREG(st.st_mode)) {
		mc_seterr("refusing to deploy to '%s': '%s' is in the way (not a regular file); remove it",
		    path, side);
		goto out;
	}
	rc = 0;
out:
	free(side);
	free(a);
	free(b);
	return rc;
}

/* One target: owner and group exist, side names free, folders trusted. */
static int
target_ok(const struct pol_target *t, const char *root)
{
	char *path = dep_path(root, t->path), *copy = NULL;
	int64_t uid, gid;
	int rc = -1;

	if (path == NULL || (copy = mc_strdup(path)) == NULL)
		goto out;
	if (dep_resolve_owner(t, &uid, &gid) < 0 || side_ok(path, ".minica-new.") < 0 ||
	    side_ok(path, ".minica-old.") < 0 || mc_check_folders(dirname(copy), root) < 0)
		goto out;
	rc = 0;
out:
	free(copy);
	free(path);
	return rc;
}

/* The folder part resolved, the name kept: two spellings of one file
 * (a symlinked folder, "a/../b") come out the same. */
static char *
canonical(const char *path)
{
	char *a = mc_strdup(path), *b = mc_strdup(path), *out = NULL, real[PATH_MAX];

	if (a != NULL && b != NULL) {
		if (realpath(dirname(a), real) == NULL)
			out = mc_strdup(path);
		else if (asprintf(&out, "%s/%s", strcmp(real, "/") ? real : "", basename(b)) < 0)
			out = NULL;
	}
	free(a);
	free(b);
	return out;
}

static int
not_alias(const struct pol_profile *prof, const char *root)
{
	char *cp = dep_path(root, prof->cert.path), *kp = dep_path(root, prof->key.path);
	char *cc = cp ? canonical(cp) : NULL, *kc = kp ? canonical(kp) : NULL;
	struct stat a, b;
	int rc = -1;

	if (cc == NULL || kc == NULL) {
		mc_seterr("out of memory");
		goto out;
	}
	if (strcmp(cc, kc) == 0 ||
	    (stat(cp, &a) == 0 && stat(kp, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)) {
		mc_seterr("profile '%s': cert_file '%s' and key_file '%s' are the same file; "
		    "a certificate file never holds a key", prof->name, cp, kp);
		goto out;
	}
	rc = 0;
out:
	free(cc);
	free(kc);
	free(cp);
	free(kp);
	return rc;
}

int
dep_preflight(const struct pol_config *cfg, const struct pol_profile *prof, const char *root)
{
	char *ca = NULL;
	int rc = -1;

	if (dep_targets_check(prof, root) < 0 || not_alias(prof, root) < 0 ||
	    target_ok(&prof->cert, root) < 0 || target_ok(&prof->key, root) < 0)
		return -1;
	if (cfg == NULL || cfg->ca_cert.path == NULL)
		return 0;
	if ((ca = dep_path(root, cfg->ca_cert.path)) == NULL || mc_file_check_target(ca) < 0 ||
	    target_ok(&cfg->ca_cert, root) < 0)
		goto out;
	rc = 0;
out:
	free(ca);
	return rc;
}
