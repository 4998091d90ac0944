/*
 * A new CA home in its safe order, shared by init (a new root) and import
 * (a root made elsewhere): the key, the store, ca.crt, minica.conf.
 */
#include <stdlib.h>
#include <string.h>

#include "issue.h"

/* Files a new CA home gets, in creation order. */
const char *const iss_home_files[] = {
	"private/ca.key", "minica.db", "minica.db-wal", "minica.db-shm", "ca.crt", "minica.conf",
	"lock", ISS_INTER_KEY_NEXT, ISS_INTER_KEY, ISS_INTER_CRT, NULL,
};

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
iss_new_ca_write(const struct iss_new_ca *n)
{
	struct mc_buf keypem = { 0 }, certpem = { 0 };
	struct store_ca rec = { 0 };
	struct store *db = NULL;
	char *kp = iss_home_path(n->home, "private/ca.key"), *dbp = iss_home_path(n->home, "minica.db");
	char *cp = iss_home_path(n->home, "ca.crt"), *confp = iss_home_path(n->home, "minica.conf");
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
