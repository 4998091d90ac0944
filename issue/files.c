/*
 * A leaf's files in an output folder: NAME.crt, NAME-fullchain.crt and
 * NAME.key, checked before signing and written only after the commit
 * (the last stage of the pipeline in engine.c).
 */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "issue.h"

void
iss_leaf_file_name(const struct store_cert *c, char *out, size_t len)
{
	const char *src = c->cn[0] ? c->cn : (c->sans.n ? c->sans.v[0] : c->serial);
	size_t n = 0;

	if (strncmp(src, "*.", 2) == 0) {
		n = (size_t)snprintf(out, len, "wildcard");
		src++;
	}
	for (; *src && n + 1 < len; src++) {
		char ch = *src;

		out[n++] = (char)((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '.' || ch == '-' || ch == '@' || ch == '_' ? ch : '_');
	}
	out[n] = '\0';
	if (out[0] == '.' || out[0] == '\0')
		out[0] = '_';
}

static char *
out_path(const char *dir, const char *name, const char *suffix)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s%s", dir, name, suffix) < 0) {
		mc_seterr("out of memory");
		return NULL;
	}
	return p;
}

/* The folder must be one, or be creatable, before anything is signed:
 * files are written only after the rows are committed. */
/* access(W_OK) says yes to root on a read-only mount: a real file
 * (named like our temp files, so a kill leaves nothing foreign) tells. */
static int
probe_writable(const char *where, const char *dir)
{
	char *p = NULL;
	int fd;

	if (asprintf(&p, "%s/.minica-tmp.probe.XXXXXX", where) < 0) {
		mc_seterr("out of memory");
		return -1;
	}
	if ((fd = mkstemp(p)) < 0) {
		mc_seterr("cannot write to --out '%s': %s; nothing was issued", dir, strerror(errno));
		free(p);
		return -1;
	}
	close(fd);
	unlink(p);
	free(p);
	return 0;
}

static int
check_out_dir(const char *dir)
{
	struct stat st;
	char *copy, *parent;
	int rc = 0;

	if (stat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return probe_writable(dir, dir);
		mc_seterr("--out '%s' is not a folder", dir);
		return -1;
	}
	if (errno != ENOENT) {
		mc_seterr("cannot use --out '%s': %s", dir, strerror(errno));
		return -1;
	}
	if ((copy = mc_strdup(dir)) == NULL)
		return -1;
	parent = dirname(copy);
	if (stat(parent, &st) < 0 || !S_ISDIR(st.st_mode)) {
		mc_seterr("cannot create --out '%s': '%s' is not a folder", dir, parent);
		rc = -1;
	} else {
		rc = probe_writable(parent, dir);
	}
	free(copy);
	return rc;
}

int
iss_out_dir_check(const char *dir)
{
	return check_out_dir(dir);
}

int
iss_leaf_files_check(const char *dir, const char *name, int with_key)
{
	if (check_out_dir(dir) < 0)
		return -1;
	return with_key ? iss_leaf_key_check(dir, name) : 0;
}

int
iss_leaf_key_check(const char *dir, const char *name)
{
	char *kp;
	struct stat st;
	int rc = 0;

	if ((kp = out_path(dir, name, ".key")) == NULL)
		return -1;
	if (lstat(kp, &st) == 0) {
		mc_seterr("'%s' already exists; minica never overwrites a key (move it away or use --out DIR)", kp);
		rc = -1;
	}
	free(kp);
	return rc;
}

/* Temp files a killed minica left in the out folder (see iss_ca_lock). */
static int
sweep_out(struct mc_ca *ca, const char *dir)
{
	struct mc_strv removed = { 0 };

	if (ca->locked_at.tv_sec == 0)
		return 0;
	if (mc_file_sweep_tmp(dir, &ca->locked_at, &removed) < 0) {
		mc_strv_free(&removed);
		return -1;
	}
	for (size_t i = 0; i < removed.n; i++)
		iss_warn(ca, "removed '%s', left by an interrupted minica", removed.v[i]);
	mc_strv_free(&removed);
	return 0;
}

struct mc_fileset *
iss_leaf_fileset(struct mc_ca *ca, const char *dir)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		mc_seterr("cannot create folder '%s': %s", dir, strerror(errno));
		return NULL;
	}
	if (sweep_out(ca, dir) < 0)
		return NULL;
	return mc_fileset_new(dir);
}

/*
 * NAME.crt and NAME-fullchain.crt.  Under an intermediate both hold the
 * leaf then the intermediate: a daemon pointed at either one serves a
 * chain clients can complete with the root alone.  A root-only home
 * keeps its old shapes (NAME.crt the leaf, fullchain leaf + root).
 */
int
iss_chain_of(const struct mc_ca *ca, int64_t ca_id, X509 **inter, X509 **cross)
{
	struct store_ca row = { 0 };
	const struct store_ca *r = &ca->rec;
	X509 *x = ca->cert;
	int rc = -1;

	*inter = *cross = NULL;
	if (ca_id != 0 && ca_id != ca->rec.id) {
		if (store_ca_by_id(ca->db, ca_id, &row) != 1) {
			mc_seterr("the store names no CA %lld for this certificate", (long long)ca_id);
			return -1;
		}
		r = &row;
		if ((x = ca_cert_from_pem(row.pem, strlen(row.pem))) == NULL)
			goto out;
	} else if (!X509_up_ref(x)) {
		goto out;
	}
	rc = 0;
	if (strcmp(r->role, "intermediate") != 0 || (ca_id == 0 && !ca->two_level)) {
		X509_free(x);	/* a root signed it: nothing between */
		goto out;
	}
	*inter = x;
	if (ca->cross != NULL && r->parent_id == ca->root_rec.id && X509_up_ref(ca->cross))
		*cross = ca->cross;
out:
	store_ca_free(&row);
	return rc;
}

/* NAME.crt and NAME-fullchain.crt (the same bytes under an
 * intermediate), the leaf's PEM taken from its row, each certificate
 * encoded once. */
static int
leaf_pems(const struct mc_ca *ca, const struct iss_issued *is, X509 *inter, X509 *cross, struct mc_buf *leaf,
    struct mc_buf *chain)
{
	struct mc_buf one = { 0 }, up = { 0 }, last = { 0 };
	int rc = -1;

	if ((is->rec.pem != NULL ? mc_buf_add(&one, is->rec.pem, strlen(is->rec.pem)) : ca_cert_pem(is->cert, &one)) < 0 ||
	    ca_cert_pem(inter != NULL ? inter : ca->cert, &up) < 0 || (cross != NULL && ca_cert_pem(cross, &last) < 0))
		goto out;
	if (mc_buf_add(leaf, one.p, one.len) < 0 || (inter != NULL && mc_buf_add(leaf, up.p, up.len) < 0) ||
	    (cross != NULL && mc_buf_add(leaf, last.p, last.len) < 0) ||
	    mc_buf_add(chain, one.p, one.len) < 0 || mc_buf_add(chain, up.p, up.len) < 0 ||
	    (cross != NULL && mc_buf_add(chain, last.p, last.len) < 0))
		goto out;
	rc = 0;
out:
	mc_buf_free(&one);
	mc_buf_free(&up);
	mc_buf_free(&last);
	return rc;
}

static int
leaf_files_add(struct mc_fileset *fs, const struct mc_ca *ca, const char *name, const struct iss_issued *is,
    int replace_key)
{
	struct mc_buf leaf = { 0 }, chain = { 0 }, key = { 0 };
	X509 *inter = NULL, *cross = NULL;
	struct iss_stats *st = ca->stats;
	char fname[300];
	int rc = -1;
	int64_t t = iss_stats_clock(st);

	/* Root-only: NAME.crt the leaf, fullchain leaf + root.  Else both
	 * leaf + intermediate (+ the cross-certificate after a rotation). */
	if (iss_chain_of(ca, is->rec.ca_id, &inter, &cross) < 0 || leaf_pems(ca, is, inter, cross, &leaf, &chain) < 0)
		goto out;
	if (is->key != NULL && ca_key_plain_pem(is->key, &key) < 0)
		goto out;
	iss_stats_add(st, ISS_ST_ENCODE, t);
	t = iss_stats_clock(st);
	snprintf(fname, sizeof(fname), "%s.key", name);
	if (is->key != NULL && mc_fileset_add(fs, fname, 0600, !replace_key, key.p, key.len) < 0)
		goto out;
	snprintf(fname, sizeof(fname), "%s.crt", name);
	if (mc_fileset_add(fs, fname, 0644, 0, leaf.p, leaf.len) < 0)
		goto out;
	snprintf(fname, sizeof(fname), "%s-fullchain.crt", name);
	if (mc_fileset_add(fs, fname, 0644, 0, chain.p, chain.len) < 0)
		goto out;
	iss_stats_add(st, ISS_ST_FILES, t);
	rc = 0;
out:
	X509_free(inter);
	X509_free(cross);
	mc_buf_free(&leaf);
	mc_buf_free(&chain);
	mc_buf_free(&key);
	return rc;
}

int
iss_leaf_files_add(struct mc_fileset *fs, const struct mc_ca *ca, const char *name, const struct iss_issued *is)
{
	return leaf_files_add(fs, ca, name, is, 0);
}

static int
leaf_files_write(struct mc_ca *ca, const char *dir, const char *name, const struct iss_issued *is, int replace_key)
{
	struct mc_fileset *fs = iss_leaf_fileset(ca, dir);
	int rc = -1;

	if (fs != NULL && leaf_files_add(fs, ca, name, is, replace_key) == 0 && mc_fileset_commit(fs) == 0)
		rc = 0;
	mc_fileset_free(fs);
	return rc;
}

int
iss_leaf_files_write(struct mc_ca *ca, const char *dir, const char *name, const struct iss_issued *is)
{
	return leaf_files_write(ca, dir, name, is, 0);
}

int
iss_leaf_files_replace(struct mc_ca *ca, const char *dir, const char *name, const struct iss_issued *is)
{
	return leaf_files_write(ca, dir, name, is, 1);
}

/* A certificate signed from a CSR is renewed for the same key: the
 * requester's machine still holds it, and minica never had it. */
void
iss_plan_file_name(const struct iss_plan *p, char *out, size_t len)
{
	struct store_cert probe = { .cn = p->cn ? p->cn : (char *)"", .sans = p->names };

	iss_leaf_file_name(&probe, out, len);
}
