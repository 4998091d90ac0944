/*
 * The issuing intermediate: made (intermediate new) or replaced
 * (intermediate rotate) by the root, revoked by the root.
 *
 * The switch to a new key must survive a crash at any point without a
 * home whose current intermediate has no key.  Order: the new key goes
 * to private/intermediate.key.next (whole, synced); the store records
 * the new certificate with that file's digest (and retires the old one)
 * in one transaction; then the old key is kept aside under its serial,
 * .next is renamed over intermediate.key and intermediate.crt rewritten.
 * iss_inter_roll_forward finishes the last step after a crash: a .next
 * whose digest the store recorded replaces the key, any other .next is
 * a leftover of a transaction that never committed and goes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "issue.h"

static const char *const inter_key_types[] = { "ec256", "ec384", "rsa3072", "rsa4096" };

int
iss_inter_key_type_ok(const char *t)
{
	for (size_t i = 0; i < sizeof(inter_key_types) / sizeof(inter_key_types[0]); i++)
		if (strcmp(t, inter_key_types[i]) == 0)
			return 1;
	mc_seterr("key type '%s' is not offered for an intermediate (ec256, ec384, rsa3072, rsa4096)", t);
	return 0;
}

struct find_sha {
	const char *sha;
	char serial[48];
};

static int
find_sha_cb(const struct store_ca *c, void *arg)
{
	struct find_sha *f = arg;

	if (strcmp(c->role, "intermediate") == 0 && strcmp(c->key_sha256, f->sha) == 0) {
		snprintf(f->serial, sizeof(f->serial), "%s", c->serial);
		return 1;
	}
	return 0;
}

/* The current key goes aside as private/intermediate-<serial>.key (its
 * leaves may still need a CRL), hard-linked so it never stops existing. */
static int
keep_old_key(struct mc_ca *ca, const char *cur)
{
	char sha[CA_FPR_LEN], *aside = NULL, rel[96];
	struct find_sha f = { .sha = sha };
	int rc = -1;

	if (ca_file_sha256(cur, sha) < 0 || store_ca_each(ca->db, find_sha_cb, &f) < 0)
		return -1;
	snprintf(rel, sizeof(rel), "private/intermediate-%.40s.key", f.serial[0] ? f.serial : sha);
	if ((aside = iss_home_path(ca->home, rel)) == NULL)
		return -1;
	if (link(cur, aside) < 0 && errno != EEXIST)
		mc_seterr("cannot keep the old intermediate key as '%s': %s", aside, strerror(errno));
	else
		rc = 0;
	free(aside);
	return rc;
}

int
iss_home_pem_put(struct mc_ca *ca, const char *rel, const char *pem)
{
	char *p = iss_home_path(ca->home, rel);
	struct mc_buf have = { 0 };
	int rc = -1;

	if (p == NULL)
		return -1;
	if (mc_file_read(p, CA_FILE_MAX, &have) == 0 && have.len == strlen(pem) &&
	    memcmp(have.p, pem, have.len) == 0)
		rc = 0;
	else
		rc = mc_file_replace(p, 0644, (uid_t)-1, (gid_t)-1, pem, strlen(pem));
	mc_buf_free(&have);
	free(p);
	return rc;
}

int
iss_inter_roll_forward(struct mc_ca *ca)
{
	char *next = iss_home_path(ca->home, ISS_INTER_KEY_NEXT), *cur = iss_home_path(ca->home, ISS_INTER_KEY);
	char *priv = iss_home_path(ca->home, "private");
	char sha[CA_FPR_LEN];
	struct stat st;
	int rc = -1;

	if (next == NULL || cur == NULL || priv == NULL)
		goto out;
	/* Only the lock holder may decide about another process's file. */
	if (ca->lock_fd < 0 || !ca->two_level || ca->no_issuer) {
		rc = 0;
		goto out;
	}
	if (lstat(next, &st) == 0) {
		if (ca_file_sha256(next, sha) < 0)
			goto out;
		if (strcmp(sha, ca->rec.key_sha256) != 0) {
			iss_warn(ca, "removed '%s', left by an intermediate rotation that was "
			    "interrupted before it was recorded", next);
			if (unlink(next) < 0 || mc_fsync_dir(priv) < 0) {
				mc_seterr("cannot remove '%s': %s", next, strerror(errno));
				goto out;
			}
		} else {
			if (lstat(cur, &st) == 0 && keep_old_key(ca, cur) < 0)
				goto out;
			if (rename(next, cur) < 0) {
				mc_seterr("cannot rename '%s' to '%s': %s", next, cur, strerror(errno));
				goto out;
			}
			if (mc_fsync_dir(priv) < 0)
				goto out;
		}
	} else if (errno != ENOENT) {
		mc_seterr("cannot inspect '%s': %s", next, strerror(errno));
		goto out;
	}
	rc = iss_home_pem_put(ca, ISS_INTER_CRT, ca->rec.pem);
out:
	free(next);
	free(cur);
	free(priv);
	return rc;
}

int
iss_ca_row(X509 *cert, const char *pem, const char *role, int64_t parent_id, const char *key_type,
    const char *sha, struct store_ca *r)
{
	memset(r, 0, sizeof(*r));
	r->subject = ca_cert_subject(cert);
	r->pem = (char *)pem;
	r->constraints = ca_cert_constraints_text(cert);
	r->created_at = time(NULL);
	r->parent_id = parent_id;
	snprintf(r->role, sizeof(r->role), "%s", role);
	snprintf(r->key_type, sizeof(r->key_type), "%s", key_type);
	snprintf(r->key_sha256, sizeof(r->key_sha256), "%s", sha);
	ca_cert_fingerprint(cert, r->fingerprint);
	if (r->subject == NULL || r->constraints == NULL || ca_cert_serial_hex(cert, r->serial) < 0 ||
	    ca_cert_validity(cert, &r->not_before, &r->not_after) < 0)
		return -1;
	return 0;
}

static int
record_new(struct mc_ca *ca, struct store_ca *row)
{
	int rotate = ca->two_level && !ca->no_issuer;
	char old[48];

	snprintf(old, sizeof(old), "%s", rotate ? ca->rec.serial : "");
	if (store_begin(ca->db) < 0)
		return -1;
	if ((rotate && store_ca_retire(ca->db, ca->rec.id) < 0) || store_ca_insert(ca->db, row) < 0 ||
	    store_audit(ca->db, rotate ? "intermediate-rotate" : "intermediate-new", row->serial,
	    "subject=%s key=%s not_after=%lld previous=%s", row->subject, row->key_type,
	    (long long)row->not_after, rotate ? old : "none") < 0 ||
	    store_commit(ca->db) < 0) {
		store_rollback(ca->db);
		return -1;
	}
	return 0;
}

/* The handle issues from the new intermediate from here on. */
static int
adopt(struct mc_ca *ca, X509 *cert, EVP_PKEY *key, int64_t id)
{
	store_ca_free(&ca->rec);
	if (store_ca_by_id(ca->db, id, &ca->rec) != 1)
		return -1;
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	ca->cert = cert;
	ca->key = key;
	ca->two_level = 1;
	ca->no_issuer = 0;
	return 0;
}

X509 *
iss_inter_cert(X509 *root, EVP_PKEY *root_key, EVP_PKEY *key, int days)
{
	char cn[CA_CN_MAX + 1];
	struct ca_inter_req req = { .cn = cn, .days = days };
	STACK_OF(X509) *roots = sk_X509_new_null();
	X509 *cert = NULL;

	if (roots == NULL || !sk_X509_push(roots, root)) {
		mc_seterr("out of memory");
		goto out;
	}
	if (ca_inter_default_name(root, key, cn, sizeof(cn)) < 0 ||
	    (cert = ca_inter_build(key, &req, root, root_key)) == NULL)
		goto out;
	/* The same strict check as every leaf gets before it leaves. */
	if (ca_verify_chain(cert, NULL, roots, NULL, 0) < 0) {
		X509_free(cert);
		cert = NULL;
	}
out:
	sk_X509_free(roots);
	return cert;
}

int
iss_inter_new(struct mc_ca *ca, const char *key_type, int days, const char *pass, size_t passlen)
{
	struct mc_buf keypem = { 0 }, certpem = { 0 };
	struct store_ca row = { 0 };
	char *next = iss_home_path(ca->home, ISS_INTER_KEY_NEXT), sha[CA_FPR_LEN];
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int rc = -1, written = 0;

	if (key_type == NULL)
		key_type = "ec256";
	if (next == NULL || !iss_inter_key_type_ok(key_type))
		goto out;
	if (ca->root_key == NULL) {
		mc_seterr("the root key is not unlocked");
		goto out;
	}
	if (ca_root_can_delegate(ca->root) < 0 || iss_inter_roll_forward(ca) < 0)
		goto out;
	if ((key = ca_key_generate(key_type, NULL)) == NULL || (cert = iss_inter_cert(ca->root, ca->root_key, key, days)) == NULL ||
	    ca_key_encrypt_pem(key, pass, passlen, &keypem) < 0 || ca_cert_pem(cert, &certpem) < 0 ||
	    mc_buf_add(&certpem, "", 1) < 0)
		goto out;
	ca_sha256_hex(keypem.p, keypem.len, sha);
	if (mc_file_create_excl(next, 0600, keypem.p, keypem.len) < 0)
		goto out;
	written = 1;
	if (iss_ca_row(cert, certpem.p, "intermediate", ca->root_rec.id, key_type, sha, &row) < 0 || record_new(ca, &row) < 0)
		goto out;
	written = 0;	/* recorded: from here on it is the key */
	if (adopt(ca, cert, key, row.id) < 0)
		goto out;
	cert = NULL;
	key = NULL;
	rc = iss_inter_roll_forward(ca);
out:
	if (written)
		unlink(next);
	free(row.subject);
	free(row.constraints);
	mc_buf_free(&keypem);
	mc_buf_free(&certpem);
	EVP_PKEY_free(key);
	X509_free(cert);
	free(next);
	return rc;
}

int
iss_inter_revoke(struct mc_ca *ca, const struct store_ca *inter, const char *reason)
{
	if (strcmp(inter->role, "root") == 0) {
		mc_seterr("%s is a root: a root cannot be revoked, only replaced ('minica root rotate')",
		    inter->serial);
		return -1;
	}
	if (store_begin(ca->db) < 0)
		return -1;
	if (store_ca_revoke(ca->db, inter->id, time(NULL), reason) < 0 ||
	    store_audit(ca->db, "revoke-intermediate", inter->serial, "subject=%s reason=%s",
	    inter->subject, reason) < 0 || store_commit(ca->db) < 0) {
		store_rollback(ca->db);
		return -1;
	}
	if (inter->id == ca->rec.id)
		ca->no_issuer = 1;
	return 0;
}
