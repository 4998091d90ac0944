/* What check reports about one deployment: files as recorded or not. */
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

static const char *const kind_names[] = {
	[DEP_PENDING] = "pending",
	[DEP_MISSING] = "missing",
	[DEP_NOT_FILE] = "not-a-file",
	[DEP_UNREADABLE] = "unreadable",
	[DEP_CHANGED] = "changed",
	[DEP_MODE] = "mode",
	[DEP_OWNER] = "owner",
	[DEP_MISMATCH] = "key-mismatch",
};

const char *
dep_problem_name(enum dep_problem_kind kind)
{
	return (size_t)kind < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[kind] : "?";
}

static int __attribute__((format(printf, 4, 5)))
add(struct dep_report *r, enum dep_problem_kind kind, const char *path, const char *fmt, ...)
{
	struct dep_problem *nv = realloc(r->v, (r->n + 1) * sizeof(*nv));
	va_list ap;
	int n;

	if (nv == NULL) {
		mc_seterr("out of memory");
		return -1;
	}
	r->v = nv;
	memset(&nv[r->n], 0, sizeof(nv[0]));
	nv[r->n].kind = kind;
	va_start(ap, fmt);
	n = vasprintf(&nv[r->n].text, fmt, ap);
	va_end(ap);
	if (n < 0 || (path != NULL && (nv[r->n].path = mc_strdup(path)) == NULL)) {
		free(n < 0 ? NULL : nv[r->n].text);
		mc_seterr("out of memory");
		return -1;
	}
	r->n++;
	return 0;
}

/* The folders on the way to a deployed file still pass StrictModes
 * (mc_check_folders up to the deployment's root). */
static int
inspect_folders(const struct store_deploy_file *f, const char *root, const char *what, struct dep_report *r)
{
	char *copy = mc_strdup(f->path);
	int rc = 0;

	if (copy == NULL)
		return -1;
	if (mc_check_folders(dirname(copy), root) < 0)
		rc = add(r, DEP_OWNER, f->path, "%s '%s': %s", what, f->path, mc_err());
	free(copy);
	return rc;
}

/* 1 if the file is there as a regular file (so its content can be
 * compared), 0 if not (a problem was added), -1 on error. */
static int
inspect_file(const struct store_deploy_file *f, const char *what, struct dep_report *r)
{
	char h[CA_FPR_LEN];
	struct stat st;

	if (lstat(f->path, &st) < 0) {
		if (errno == ENOENT)
			return add(r, DEP_MISSING, f->path, "%s '%s' is missing", what, f->path) < 0 ? -1 : 0;
		return add(r, DEP_UNREADABLE, f->path, "cannot inspect %s '%s': %s", what, f->path,
		    strerror(errno)) < 0 ? -1 : 0;
	}
	if (!S_ISREG(st.st_mode))
		return add(r, DEP_NOT_FILE, f->path, "%s '%s' is %s, not the deployed file", what, f->path,
		    S_ISLNK(st.st_mode) ? "a symbolic link" : S_ISDIR(st.st_mode) ? "a folder" :
		    "not a regular file") < 0 ? -1 : 0;
	if ((st.st_mode & 07777) != (mode_t)f->mode &&
	    add(r, DEP_MODE, f->path, "%s '%s' has mode %04o, deployed as %04o", what, f->path,
	    (unsigned)(st.st_mode & 07777), (unsigned)f->mode) < 0)
		return -1;
	if (((int64_t)st.st_uid != f->uid || (int64_t)st.st_gid != f->gid) &&
	    add(r, DEP_OWNER, f->path, "%s '%s' is owned by %u:%u, deployed as %lld:%lld", what, f->path,
	    (unsigned)st.st_uid, (unsigned)st.st_gid, (long long)f->uid, (long long)f->gid) < 0)
		return -1;
	if (ca_file_sha256(f->path, h) < 0)
		return add(r, DEP_UNREADABLE, f->path, "%s: %s", what, mc_err()) < 0 ? -1 : 0;
	if (strcmp(h, f->sha256) != 0 &&
	    add(r, DEP_CHANGED, f->path, "%s '%s' changed since it was deployed", what, f->path) < 0)
		return -1;
	return 1;
}

static int
inspect_match(const struct store_deployment *d, struct dep_report *r)
{
	X509 *cert = ca_cert_load(d->cert.path);
	EVP_PKEY *key = cert ? ca_key_load(d->key.path, NULL, 0) : NULL;
	int m = key ? ca_key_matches_cert(key, cert) : -1, rc = 0;

	if (m < 0)
		rc = add(r, DEP_UNREADABLE, NULL, "cannot compare key '%s' with certificate '%s': %s",
		    d->key.path, d->cert.path, mc_err());
	else if (m == 0)
		rc = add(r, DEP_MISMATCH, d->key.path, "key '%s' does not match certificate '%s'",
		    d->key.path, d->cert.path);
	EVP_PKEY_free(key);
	X509_free(cert);
	return rc;
}

/* The root file clients and Postfix's smtpd_tls_CAfile trust: there,
 * a regular file, and what minica wrote (a later deployment under the
 * same root writes the same root). */
static int
inspect_root_file(const struct store_deployment *d, struct dep_report *r)
{
	char h[CA_FPR_LEN];
	struct stat st;

	if (d->ca_path == NULL || d->ca_path[0] == '\0')
		return 0;
	if (lstat(d->ca_path, &st) < 0)
		return add(r, errno == ENOENT ? DEP_MISSING : DEP_UNREADABLE, d->ca_path, "root file '%s' %s",
		    d->ca_path, errno == ENOENT ? "is missing" : strerror(errno));
	if (!S_ISREG(st.st_mode))
		return add(r, DEP_NOT_FILE, d->ca_path, "root file '%s' is not a regular file", d->ca_path);
	if (ca_file_sha256(d->ca_path, h) < 0)
		return add(r, DEP_UNREADABLE, d->ca_path, "root file: %s", mc_err());
	if (strcmp(h, d->ca_sha256) != 0)
		return add(r, DEP_CHANGED, d->ca_path, "root file '%s' is not the CA's root certificate "
		    "minica installed", d->ca_path);
	return 0;
}

int
dep_inspect(const struct store_deployment *d, struct dep_report *r)
{
	size_t before = r->n;
	int c, k;

	if (strcmp(d->state, "pending") == 0 &&
	    add(r, DEP_PENDING, NULL, "deployment %lld of %s certificate %s was interrupted during its "
	    "file swap; the next 'minica deploy %s' repairs it", (long long)d->id, d->profile, d->serial,
	    d->profile) < 0)
		return -1;
	if ((c = inspect_file(&d->cert, "certificate", r)) < 0 || (k = inspect_file(&d->key, "key", r)) < 0)
		return -1;
	if ((c == 1 && inspect_folders(&d->cert, d->root, "certificate", r) < 0) ||
	    (k == 1 && inspect_folders(&d->key, d->root, "key", r) < 0))
		return -1;
	if (c == 1 && k == 1 && inspect_match(d, r) < 0)
		return -1;
	if (inspect_root_file(d, r) < 0)
		return -1;
	return (int)(r->n - before);
}

void
dep_report_free(struct dep_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].path);
		free(r->v[i].text);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}
