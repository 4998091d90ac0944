/*
 * Creating a CA home, shared by init (a new root) and import (a root made
 * elsewhere): refuse an existing CA, make the folders, write the key,
 * the store, ca.crt and minica.conf in that order, and on failure remove
 * exactly what was created.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"

int
cmd_home_refuse_existing(const struct cmd_ctx *ctx)
{
	for (size_t i = 0; iss_home_files[i] != NULL; i++) {
		char *p = cmd_home_path(ctx, iss_home_files[i]);
		struct stat st;
		int exists = p != NULL && lstat(p, &st) == 0;

		if (exists) {
			cmd_error("a CA already exists in '%s' (found '%s'); nothing was changed", ctx->home, p);
			free(p);
			return 1;
		}
		free(p);
	}
	return 0;
}

void
cmd_home_remove_partial(const struct cmd_ctx *ctx, const struct cmd_home_made *m)
{
	size_t n = 0;

	while (iss_home_files[n] != NULL)
		n++;
	for (size_t i = n; i-- > 0;) {
		char *p = cmd_home_path(ctx, iss_home_files[i]);

		if (p != NULL)
			unlink(p);
		free(p);
	}
	if (m->made_private) {
		char *p = cmd_home_path(ctx, "private");

		if (p != NULL)
			rmdir(p);
		free(p);
	}
	if (m->made_home)
		rmdir(ctx->home);
}

static int
make_dir(const char *path, int *made)
{
	if (mkdir(path, 0700) == 0) {
		*made = 1;
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	if (errno == ENOENT && mc_mkdir_p(path, 0700) == 0) {
		*made = 1;
		return 0;
	}
	mc_seterr("cannot create folder '%s': %s", path, strerror(errno));
	return -1;
}

int
cmd_home_make(const struct cmd_ctx *ctx, struct cmd_home_made *m)
{
	char *priv = cmd_home_path(ctx, "private");
	int rc = -1;

	memset(m, 0, sizeof(*m));
	if (priv == NULL || make_dir(ctx->home, &m->made_home) < 0 || make_dir(priv, &m->made_private) < 0) {
		cmd_fail();
		goto out;
	}
	rc = cmd_check_home_modes(ctx);
out:
	free(priv);
	return rc;
}

