/*
 * The file side of a pair swap.  Two renames cannot be one atomic step,
 * so every name involved is fixed and recorded in the pending row
 * before the first rename: a staged file (.minica-new.NAME) and a hard
 * link to the previous file (.minica-old.NAME), both in the target's
 * own folder so each rename stays on one file system.
 */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

int
swap_hash(const char *path, char out[CA_FPR_LEN])
{
	int t = mc_file_check_target(path);

	if (t <= 0)
		return t;
	return ca_file_sha256(path, out) < 0 ? -1 : 1;
}

int
swap_remove_stale(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : (mc_seterr("cannot inspect '%s': %s", path, strerror(errno)), -1);
	if (S_ISDIR(st.st_mode)) {
		mc_seterr("'%s' is in the way: it is a folder", path);
		return -1;
	}
	if (unlink(path) < 0) {
		mc_seterr("cannot remove '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
swap_stage(const struct store_deploy_file *f, const struct mc_buf *data)
{
	if (swap_remove_stale(f->tmp) < 0 || swap_remove_stale(f->backup) < 0)
		return -1;
	/* A link, not a copy: same inode, so same mode, owner and content,
	 * and a kill at any point leaves the file under one name or both. */
	if (f->saved != NULL && f->saved[0] != '\0' && !f->saved_before && link(f->path, f->saved) < 0 &&
	    errno != EEXIST) {
		mc_seterr("cannot keep '%s' (not written by minica) as '%s': %s", f->path, f->saved,
		    strerror(errno));
		return -1;
	}
	if (f->prev_sha256[0] != '\0' && link(f->path, f->backup) < 0) {
		mc_seterr("cannot keep '%s' as '%s' for rollback: %s", f->path, f->backup, strerror(errno));
		return -1;
	}
	return mc_file_write(&(struct mc_write){ .path = f->tmp, .mode = (mode_t)f->mode, .uid = (uid_t)f->uid,
	    .gid = (gid_t)f->gid, .data = data->p, .len = data->len, .how = MC_WRITE_STAGE });
}

static int
sync_dir_of(const char *path)
{
	char *copy = mc_strdup(path);
	int rc;

	if (copy == NULL)
		return -1;
	rc = mc_fsync_dir(dirname(copy));
	free(copy);
	return rc;
}

int
swap_sync(const struct store_deployment *d)
{
	return sync_dir_of(d->cert.path) < 0 || sync_dir_of(d->key.path) < 0 ? -1 : 0;
}

static int
rename_one(const char *from, const char *to)
{
	if (rename(from, to) < 0) {
		mc_seterr("cannot rename '%s' to '%s': %s", from, to, strerror(errno));
		return -1;
	}
	return 0;
}

int
swap_rename_pair(const struct store_deployment *d)
{
	if (rename_one(d->cert.tmp, d->cert.path) < 0 || rename_one(d->key.tmp, d->key.path) < 0)
		return -1;
	return swap_sync(d);
}

/* 1: already in place, 2: staged intact, 0: neither, -1: error. */
static int
forward_state(const struct store_deploy_file *f)
{
	char h[CA_FPR_LEN];
	int r = swap_hash(f->path, h);

	if (r < 0)
		return -1;
	if (r == 1 && strcmp(h, f->sha256) == 0)
		return 1;
	if ((r = swap_hash(f->tmp, h)) < 0)
		return -1;
	return r == 1 && strcmp(h, f->sha256) == 0 ? 2 : 0;
}

int
swap_forward_pair(const struct store_deployment *d)
{
	int c = forward_state(&d->cert), k;

	if (c < 0 || (k = forward_state(&d->key)) < 0)
		return -1;
	/* Both must be able to go forward before either moves. */
	if (c == 0 || k == 0)
		return 0;
	if ((c == 2 && rename_one(d->cert.tmp, d->cert.path) < 0) ||
	    (k == 2 && rename_one(d->key.tmp, d->key.path) < 0) || swap_sync(d) < 0)
		return -1;
	return 1;
}

static int
back_one(const struct store_deploy_file *f)
{
	char h[CA_FPR_LEN];
	struct stat st;
	int r;

	if (f->backup[0] != '\0' && lstat(f->backup, &st) == 0) {
		/* rename of two links to one file does nothing: drop it then. */
		if (rename_one(f->backup, f->path) < 0 || swap_remove_stale(f->backup) < 0)
			return -1;
	} else if ((r = swap_hash(f->path, h)) < 0) {
		return -1;
	} else if (f->prev_sha256[0] == '\0') {
		if (r == 1 && strcmp(h, f->sha256) == 0 && unlink(f->path) < 0) {
			mc_seterr("cannot remove '%s': %s", f->path, strerror(errno));
			return -1;
		}
	} else if (r == 0 || strcmp(h, f->prev_sha256) != 0) {
		mc_seterr("cannot restore '%s': the copy of its previous version ('%s') is gone",
		    f->path, f->backup);
		return -1;
	}
	return swap_remove_stale(f->tmp);
}

int
swap_back_pair(const struct store_deployment *d)
{
	int rc = 0;

	/* Both, even if the first fails: the more restored the better. */
	if (back_one(&d->cert) < 0)
		rc = -1;
	if (back_one(&d->key) < 0)
		rc = -1;
	if (swap_sync(d) < 0)
		rc = -1;
	return rc;
}

void
swap_drop_backups(const struct store_deployment *d)
{
	if (d->cert.backup[0] != '\0')
		unlink(d->cert.backup);
	if (d->key.backup[0] != '\0')
		unlink(d->key.backup);
	swap_sync(d);
}
