/* Internal to deploy/: the file operations of a pair swap (swap.c). */
#ifndef MINICA_DEPLOY_INTERNAL_H
#define MINICA_DEPLOY_INTERNAL_H

#include "deploy.h"

/* 1: a regular file, hashed into out; 0: missing; -1: anything else. */
int swap_hash(const char *path, char out[CA_FPR_LEN]);
/* Removes a stale staged or backup file of ours; a folder in the way
 * is refused. */
int swap_remove_stale(const char *path);
/* Keeps a hard link to the previous file (if any) and writes the new
 * content to f->tmp with f's mode and owner, fsynced. */
int swap_stage(const struct store_deploy_file *f, const struct mc_buf *data);
/* fsync of both files' folders. */
int swap_sync(const struct store_deployment *d);
/* The two renames, back to back, then both folders synced. */
int swap_rename_pair(const struct store_deployment *d);
/* Completes an interrupted swap if both new files are intact (each
 * either in place or staged): 1 done, 0 not possible, -1 error. */
int swap_forward_pair(const struct store_deployment *d);
/* Puts the previous pair back (or removes new files that had no
 * predecessor) and removes staged files. */
int swap_back_pair(const struct store_deployment *d);
/* After success: the previous pair is no longer needed. */
void swap_drop_backups(const struct store_deployment *d);

/* undeploy.c: finishes an undeploy of d (pending, repair retire*). */
int undeploy_finish(struct store *st, struct store_deployment *d, struct mc_strv *notes);
/* deploy.c: a target's owner and group as ids (names or numbers). */
int dep_resolve_owner(const struct pol_target *t, int64_t *uid, int64_t *gid);

#endif
