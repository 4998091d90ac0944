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

/* Files a new CA home gets, in creation order. */
static const char *const home_files[] = {
	"private/ca.key", "minica.db", "minica.db-wal", "minica.db-shm", "ca.crt", "minica.conf",
};

int
cmd_home_refuse_existing(void)
{
	for (size_t i = 0; i < sizeof(home_files) / sizeof(home_files[0]); i++) {
		char *p = cmd_home_path(home_files[i]);
		struct stat st;
		int exists = p != NULL && lstat(p, &st) == 0;

		if (exists) {
			cmd_error("a CA already exists in '%s' (found '%s'); nothing was changed", g.home, p);
			free(p);
			return 1;
		}
		free(p);
	}
	return 0;
}

void
cmd_home_remove_partial(const struct cmd_home_made *m)
{
	for (size_t i = sizeof(home_files) / sizeof(home_files[0]); i-- > 0;) {
		char *p = cmd_home_path(home_files[i]);

		if (p != NULL)
			unlink(p);
		free(p);
	}
	if (m->made_private) {
		char *p = cmd_home_path("private");

		if (p != NULL)
			rmdir(p);
		free(p);
	}
	if (m->made_home)
		rmdir(g.home);
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
cmd_home_make(struct cmd_home_made *m)
{
	char *priv = cmd_home_path("private");
	int rc = -1;

	memset(m, 0, sizeof(*m));
	if (priv == NULL || make_dir(g.home, &m->made_home) < 0 || make_dir(priv, &m->made_private) < 0) {
		cmd_fail();
		goto out;
	}
	rc = cmd_check_home_modes();
out:
	free(priv);
	return rc;
}

static int
fill_ca_row(X509 *cert, const struct mc_buf *certpem, int imported, struct store_ca *rec)
{
	rec->subject = ca_cert_subject(cert);
	rec->pem = certpem->p;
	rec->constraints = ca_cert_constraints_text(cert);
	rec->imported = imported;
	rec->created_at = time(NULL);
	ca_cert_fingerprint(cert, rec->fingerprint);
	if (rec->subject == NULL || rec->constraints == NULL || ca_cert_serial_hex(cert, rec->serial) < 0 ||
	    ca_cert_validity(cert, &rec->not_before, &rec->not_after) < 0)
		return -1;
	return 0;
}

/* Key first (not a certificate, nothing leaves), then the store, then
 * the certificate file: the store records the root before it exists
 * anywhere else. */
int
cmd_new_ca_write(const struct cmd_new_ca *n)
{
	struct mc_buf keypem = { 0 }, certpem = { 0 };
	struct store_ca rec = { 0 };
	struct store *db = NULL;
	char *kp = cmd_home_path("private/ca.key"), *dbp = cmd_home_path("minica.db");
	char *cp = cmd_home_path("ca.crt"), *confp = cmd_home_path("minica.conf");
	int rc = -1;

	if (kp == NULL || dbp == NULL || cp == NULL || confp == NULL)
		goto out;
	if (ca_key_encrypt_pem(n->key, n->pass->p, n->pass->len, &keypem) < 0 ||
	    mc_file_create_excl(kp, 0600, keypem.p, keypem.len) < 0 || ca_cert_pem(n->cert, &certpem) < 0 ||
	    fill_ca_row(n->cert, &certpem, n->imported, &rec) < 0)
		goto out;
	if ((db = store_open(dbp, 1)) == NULL || store_begin(db) < 0)
		goto out;
	if (store_ca_insert(db, &rec) < 0 || n->record(db, &rec, n->arg) < 0 || store_commit(db) < 0) {
		store_rollback(db);
		goto out;
	}
	if (mc_file_create_excl(cp, 0644, certpem.p, certpem.len) < 0 ||
	    mc_file_create_excl(confp, 0644, n->conf->p, n->conf->len) < 0)
		goto out;
	rc = 0;
out:
	store_close(db);
	free(rec.subject);
	free(rec.constraints);
	mc_buf_free(&keypem);
	mc_buf_free(&certpem);
	free(kp);
	free(dbp);
	free(cp);
	free(confp);
	return rc;
}
