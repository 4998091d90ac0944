/*
 * Root rotation, for the day the root nears its end: a new root (new key,
 * the old root's subject and name constraints), the cross-certificate
 * (the new root's name and key, issued by the old root) and a new
 * intermediate under the new root.  Clients that trust only the old root
 * build leaf -> intermediate -> cross -> old root; clients that trust the
 * new one stop at it.  Every chain minica writes ends with the cross-
 * certificate until the old root expires.
 *
 * Crash safety follows inter.c: both new keys go to *.next files (whole,
 * synced, exclusive); one transaction records the three certificates with
 * the keys' digests and retires the old root, intermediate and cross;
 * then the roll-forwards rename the .next files into place.  A .next file
 * the store did not record is a leftover of a transaction that never
 * committed, and is removed.  The old root key, when it was in the home,
 * is kept as private/root-SERIAL.key (a hard link: it never stops
 * existing), since its CRL and older leaves may still need it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "issue.h"

#define ROOT_DAYS_DEFAULT 3650

struct find_row {
	const char *role;	/* the current row of this role */
	int64_t id;		/* or this id (role NULL) */
	struct store_ca *out;
	int found;
};

static int
find_cb(const struct store_ca *c, void *arg)
{
	struct find_row *f = arg;

	if (f->role != NULL ? strcmp(c->role, f->role) != 0 || strcmp(c->status, "current") != 0 : c->id != f->id)
		return 0;
	f->found = 1;
	*f->out = *c;
	/* Deep-copy what the callback's row owns. */
	f->out->subject = mc_strdup(c->subject);
	f->out->pem = mc_strdup(c->pem);
	f->out->constraints = mc_strdup(c->constraints);
	f->out->revocation_reason = c->revocation_reason ? mc_strdup(c->revocation_reason) : NULL;
	return f->out->subject == NULL || f->out->pem == NULL || f->out->constraints == NULL ? -1 : 1;
}

/* The current cross-certificate's row: 1, 0 none, -1 error. */
static int
current_cross(struct store *db, struct store_ca *out)
{
	struct find_row f = { .role = "cross", .out = out };

	memset(out, 0, sizeof(*out));
	if (store_ca_each(db, find_cb, &f) < 0) {
		store_ca_free(out);
		return -1;
	}
	return f.found;
}

int
iss_ca_load_cross(struct mc_ca *ca)
{
	struct store_ca cross, prev = { 0 };
	int found = current_cross(ca->db, &cross), rc = -1;

	if (found <= 0)
		return found;
	/* Past its end it is no use to anyone: chains stop with the intermediate. */
	if (cross.not_after <= time(NULL)) {
		rc = 0;
		goto out;
	}
	if (store_ca_by_id(ca->db, cross.parent_id, &prev) != 1) {
		mc_seterr("the store's cross-certificate %s names no old root", cross.serial);
		goto out;
	}
	if ((ca->cross = ca_cert_from_pem(cross.pem, strlen(cross.pem))) == NULL ||
	    (ca->prev_root = ca_cert_from_pem(prev.pem, strlen(prev.pem))) == NULL)
		goto out;
	rc = 0;
out:
	store_ca_free(&cross);
	store_ca_free(&prev);
	return rc;
}

/* The old root key goes aside under its serial before the new one takes
 * its name. */
static int
keep_old_root_key(struct mc_ca *ca, const char *cur)
{
	char rel[96], serial[CA_SERIAL_LEN] = "old", *aside;
	int rc = -1;

	if (ca->prev_root != NULL && ca_cert_serial_hex(ca->prev_root, serial) < 0)
		return -1;
	snprintf(rel, sizeof(rel), "private/root-%.40s.key", serial);
	if ((aside = iss_home_path(ca->home, rel)) == NULL)
		return -1;
	if (link(cur, aside) < 0 && errno != EEXIST)
		mc_seterr("cannot keep the old root key as '%s': %s", aside, strerror(errno));
	else
		rc = 0;
	free(aside);
	return rc;
}

int
iss_root_roll_forward(struct mc_ca *ca)
{
	char *next = iss_home_path(ca->home, ISS_ROOT_KEY_NEXT), *cur = iss_home_path(ca->home, ISS_ROOT_KEY);
	char *priv = iss_home_path(ca->home, "private"), sha[CA_FPR_LEN];
	struct stat st;
	int rc = -1;

	if (next == NULL || cur == NULL || priv == NULL)
		goto out;
	/* Only the lock holder may decide about another process's file. */
	if (ca->lock_fd < 0) {
		rc = 0;
		goto out;
	}
	if (lstat(next, &st) == 0) {
		if (ca_file_sha256(next, sha) < 0)
			goto out;
		if (strcmp(sha, ca->root_rec.key_sha256) != 0) {
			iss_warn(ca, "removed '%s', left by a root rotation that was interrupted before "
			    "it was recorded", next);
			if (unlink(next) < 0 || mc_fsync_dir(priv) < 0) {
				mc_seterr("cannot remove '%s': %s", next, strerror(errno));
				goto out;
			}
		} else if ((lstat(cur, &st) == 0 && keep_old_root_key(ca, cur) < 0) || rename(next, cur) < 0 ||
		    mc_fsync_dir(priv) < 0) {
			mc_preferr("cannot put the new root key in place ('%s' -> '%s')", next, cur);
			goto out;
		}
	} else if (errno != ENOENT) {
		mc_seterr("cannot inspect '%s': %s", next, strerror(errno));
		goto out;
	}
	rc = 0;
	/* After a rotation (this one or one a crash interrupted): the
	 * home's files name the new root and the cross-certificate. */
	if (ca->cross != NULL) {
		struct mc_buf pem = { 0 };

		rc = iss_home_pem_put(ca, "ca.crt", ca->root_rec.pem) < 0 || ca_cert_pem(ca->cross, &pem) < 0 ||
		    mc_buf_add(&pem, "", 1) < 0 || iss_home_pem_put(ca, ISS_CROSS_CRT, pem.p) < 0 ? -1 : 0;
		mc_buf_free(&pem);
	}
out:
	free(next);
	free(cur);
	free(priv);
	return rc;
}

/* What a rotation makes before anything is written. */
struct made {
	EVP_PKEY *root_key, *key;
	X509 *root, *cross, *cert;
	struct mc_buf root_pem, key_pem, root_crt, cross_crt, crt;
	char root_sha[CA_FPR_LEN], key_sha[CA_FPR_LEN];
};

static void
made_free(struct made *m)
{
	EVP_PKEY_free(m->root_key);
	EVP_PKEY_free(m->key);
	X509_free(m->root);
	X509_free(m->cross);
	X509_free(m->cert);
	mc_buf_free(&m->root_pem);
	mc_buf_free(&m->key_pem);
	mc_buf_free(&m->root_crt);
	mc_buf_free(&m->cross_crt);
	mc_buf_free(&m->crt);
}

static int
pem_z(X509 *x, struct mc_buf *b)
{
	return ca_cert_pem(x, b) < 0 || mc_buf_add(b, "", 1) < 0 ? -1 : 0;
}

/* The old-root client's path, checked as strictly as every leaf's. */
static int
check_paths(struct mc_ca *ca, struct made *m)
{
	STACK_OF(X509) *u = sk_X509_new_null(), *r = sk_X509_new_null();
	int rc = -1;

	if (u == NULL || r == NULL || !sk_X509_push(u, m->cross) || !sk_X509_push(r, ca->root))
		mc_seterr("out of memory");
	else if (ca_verify_chain(m->cert, u, r, NULL, 0) < 0)
		mc_preferr("the new intermediate does not verify through the cross-certificate");
	else
		rc = 0;
	sk_X509_free(u);
	sk_X509_free(r);
	return rc;
}

static int
make_all(struct mc_ca *ca, const struct iss_root_rotate *q, struct made *m)
{
	int days = q->days ? q->days : ROOT_DAYS_DEFAULT;

	if ((m->root_key = ca_key_generate("rsa4096", NULL)) == NULL ||
	    (m->root = ca_root_successor(ca->root, m->root_key, days)) == NULL ||
	    (m->cross = ca_cross_build(m->root, ca->root, ca->root_key)) == NULL ||
	    (m->key = ca_key_generate(q->inter_key ? q->inter_key : "ec256", NULL)) == NULL ||
	    (m->cert = iss_inter_cert(m->root, m->root_key, m->key, 0)) == NULL || check_paths(ca, m) < 0)
		return -1;
	if (ca_key_encrypt_pem(m->root_key, q->root_pass, q->root_passlen, &m->root_pem) < 0 ||
	    ca_key_encrypt_pem(m->key, q->pass, q->passlen, &m->key_pem) < 0 || pem_z(m->root, &m->root_crt) < 0 ||
	    pem_z(m->cross, &m->cross_crt) < 0 || pem_z(m->cert, &m->crt) < 0)
		return -1;
	ca_sha256_hex(m->root_pem.p, m->root_pem.len, m->root_sha);
	ca_sha256_hex(m->key_pem.p, m->key_pem.len, m->key_sha);
	return 0;
}

/* One transaction: old root, intermediate and cross retired; the three
 * new rows; the audit event. */
static int
record(struct mc_ca *ca, const struct iss_root_rotate *q, struct made *m, int64_t *root_id, int64_t *inter_id)
{
	struct store_ca nr, cr, ir, oc;
	int have_oc, rc = -1;

	memset(&nr, 0, sizeof(nr));
	memset(&cr, 0, sizeof(cr));
	memset(&ir, 0, sizeof(ir));
	if ((have_oc = current_cross(ca->db, &oc)) < 0)
		return -1;
	if (store_begin(ca->db) < 0)
		goto out;
	if ((have_oc && store_ca_retire(ca->db, oc.id) < 0) || store_ca_retire(ca->db, ca->root_rec.id) < 0 ||
	    (!ca->no_issuer && store_ca_retire(ca->db, ca->rec.id) < 0) ||
	    iss_ca_row(m->root, m->root_crt.p, "root", 0, "rsa4096", m->root_sha, &nr) < 0 ||
	    store_ca_insert(ca->db, &nr) < 0 ||
	    iss_ca_row(m->cross, m->cross_crt.p, "cross", ca->root_rec.id, "rsa4096", "", &cr) < 0 ||
	    store_ca_insert(ca->db, &cr) < 0 ||
	    iss_ca_row(m->cert, m->crt.p, "intermediate", nr.id, q->inter_key ? q->inter_key : "ec256",
	    m->key_sha, &ir) < 0 || store_ca_insert(ca->db, &ir) < 0 ||
	    store_audit(ca->db, "root-rotate", nr.serial, "subject=%s previous=%s cross=%s intermediate=%s "
	    "not_after=%lld", nr.subject, ca->root_rec.serial, cr.serial, ir.serial, (long long)nr.not_after) < 0 ||
	    store_commit(ca->db) < 0) {
		store_rollback(ca->db);
		goto out;
	}
	*root_id = nr.id;
	*inter_id = ir.id;
	rc = 0;
out:
	if (have_oc)
		store_ca_free(&oc);
	free(nr.subject);
	free(nr.constraints);
	free(cr.subject);
	free(cr.constraints);
	free(ir.subject);
	free(ir.constraints);
	return rc;
}

/* The handle signs from the new intermediate, under the new root, from here on. */
static int
adopt(struct mc_ca *ca, struct made *m, int64_t root_id, int64_t inter_id)
{
	store_ca_free(&ca->root_rec);
	store_ca_free(&ca->rec);
	if (store_ca_by_id(ca->db, root_id, &ca->root_rec) != 1 || store_ca_by_id(ca->db, inter_id, &ca->rec) != 1)
		return -1;
	X509_free(ca->prev_root);
	X509_free(ca->cross);
	X509_free(ca->cert);
	ca->prev_root = ca->root;
	ca->root = m->root;
	ca->cross = m->cross;
	ca->cert = m->cert;
	EVP_PKEY_free(ca->root_key);
	EVP_PKEY_free(ca->key);
	ca->root_key = m->root_key;
	ca->key = m->key;
	m->root = m->cross = m->cert = NULL;
	m->root_key = m->key = NULL;
	ca->two_level = 1;
	ca->no_issuer = 0;
	return 0;
}

static int
put_next(const char *home, const char *rel, const struct mc_buf *pem, char **path)
{
	if ((*path = iss_home_path(home, rel)) == NULL)
		return -1;
	return mc_file_create_excl(*path, 0600, pem->p, pem->len);
}

int
iss_root_rotate(struct mc_ca *ca, const struct iss_root_rotate *q)
{
	struct made m = { 0 };
	char *rnext = NULL, *inext = NULL;
	int64_t root_id = 0, inter_id = 0;
	int rc = -1, written = 0;

	if (ca->root_key == NULL) {
		mc_seterr("the root key is not unlocked");
		return -1;
	}
	if (!ca->two_level) {
		mc_seterr("this CA's root signs its certificates itself: give it an intermediate first "
		    "('minica intermediate new'), then rotate the root");
		return -1;
	}
	if ((q->inter_key != NULL && !iss_inter_key_type_ok(q->inter_key)) ||
	    iss_root_roll_forward(ca) < 0 || iss_inter_roll_forward(ca) < 0 || make_all(ca, q, &m) < 0)
		goto out;
	if (X509_get_pathlen(ca->root) == 1)
		iss_warn(ca, "the old root says pathlen:1: GnuTLS and Go clients that trust only it will "
		    "refuse leaf -> intermediate -> cross -> old root (OpenSSL and NSS accept it); "
		    "give those the new trust kit ('minica bundle')");
	if (put_next(ca->home, ISS_ROOT_KEY_NEXT, &m.root_pem, &rnext) < 0)
		goto out;
	written = 1;
	if (put_next(ca->home, ISS_INTER_KEY_NEXT, &m.key_pem, &inext) < 0)
		goto out;
	written = 2;
	if (record(ca, q, &m, &root_id, &inter_id) < 0)
		goto out;
	written = 0;	/* recorded: from here on they are the keys */
	if (adopt(ca, &m, root_id, inter_id) < 0)
		goto out;
	rc = iss_root_roll_forward(ca) < 0 || iss_inter_roll_forward(ca) < 0 ? -1 : 0;
out:
	if (written >= 1 && rnext != NULL)
		unlink(rnext);
	if (written >= 2 && inext != NULL)
		unlink(inext);
	free(rnext);
	free(inext);
	made_free(&m);
	return rc;
}
