/*
 * External Account Binding (RFC 8555 §7.3.4).  A key id and an HMAC key
 * are made by 'minica acme eab new' and handed to the client's operator;
 * the client's newAccount carries a JWS MACed with that key over its
 * account key, and the key id then binds that one account for good.
 *
 * Where the HMAC key lives: private/eab/KID (0600 in the 0700 private/
 * folder, next to the CA keys), not in minica.db.  The database is read
 * by every command, copied for backups and bug reports, and keeps old
 * values in its WAL and free pages; a copy of it must not let anyone
 * open accounts.  The file exists only while the key is usable: it is
 * removed when its key id binds an account or is revoked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "internal.h"

#define EAB_KID_BYTES 16
#define EAB_HMAC_BYTES 32	/* 256 bits */

static int
kid_ok(const char *kid)
{
	size_t n = strlen(kid);

	if (n == 0 || n > 63)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((kid[i] >= 'A' && kid[i] <= 'Z') || (kid[i] >= 'a' && kid[i] <= 'z') ||
		    (kid[i] >= '0' && kid[i] <= '9') || kid[i] == '-' || kid[i] == '_'))
			return 0;
	return 1;
}

static char *
key_path(const char *dir, const char *kid)
{
	char *path = NULL;

	if (!kid_ok(kid) || asprintf(&path, "%s/%s", dir, kid) < 0) {
		mc_seterr("cannot name the HMAC key file of key id '%.64s'", kid);
		return NULL;
	}
	return path;
}

/* A random base64url string of n bytes into out (wiped raw bytes). */
static int
random_b64(size_t n, char *out, size_t outlen)
{
	unsigned char raw[64];
	char *b64 = NULL;
	int rc = -1;

	if (n <= sizeof(raw) && RAND_bytes(raw, (int)n) == 1 && (b64 = acme_b64url_encode(raw, n)) != NULL &&
	    strlen(b64) < outlen) {
		memcpy(out, b64, strlen(b64) + 1);
		rc = 0;
	}
	OPENSSL_cleanse(raw, sizeof(raw));
	if (b64 != NULL)
		OPENSSL_cleanse(b64, strlen(b64));
	free(b64);
	if (rc < 0)
		mc_seterr("cannot make random bytes for an EAB key");
	return rc;
}

static void
remove_key(const char *dir, const char *kid)
{
	char *path = key_path(dir, kid);

	if (path != NULL && unlink(path) == 0)
		mc_fsync_dir(dir);
	free(path);
}

/*
 * dir (private/eab), 0700, owned like private/: root running 'acme eab
 * new' in a home the server's own user owns (the systemd unit's
 * User=minica) must leave files that server can read.  *uid, *gid: the
 * owner for the key files ((uid_t)-1: the process's own).
 */
static int
key_folder(const char *dir, uid_t *uid, gid_t *gid)
{
	char *priv = mc_dir_of(dir);
	struct stat st;
	int fd, rc = -1;

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (priv == NULL || lstat(priv, &st) < 0 || !S_ISDIR(st.st_mode)) {
		mc_seterr("cannot use the folder of '%s'", dir);
		goto out;
	}
	if (geteuid() == 0 && st.st_uid != 0) {
		*uid = st.st_uid;
		*gid = st.st_gid;
	}
	if (mc_mkdir_p(dir, 0700) < 0)
		goto out;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    (*uid != (uid_t)-1 && fchown(fd, *uid, *gid) < 0)) {
		mc_seterr("cannot give '%s' to the owner of '%s': %s", dir, priv, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	rc = 0;
out:
	free(priv);
	return rc;
}

int
acme_eab_create(struct store *db, const char *dir, struct store_acme_eab *e, char hmac[64])
{
	char *path = NULL, *list = NULL;
	uid_t uid;
	gid_t gid;
	int rc = -1, written = 0;

	hmac[0] = '\0';
	/* A kid starting with '-' would read as an option on command lines
	 * ('acme eab revoke KID', uacme -e KID:HMAC): drawn again. */
	do {
		if (random_b64(EAB_KID_BYTES, e->kid, sizeof(e->kid)) < 0)
			goto out;
	} while (e->kid[0] == '-' || e->kid[0] == '_');
	if (random_b64(EAB_HMAC_BYTES, hmac, 64) < 0)
		goto out;
	if (key_folder(dir, &uid, &gid) < 0 || (path = key_path(dir, e->kid)) == NULL)
		goto out;
	/* The key first: a kill before the commit leaves a file no row names. */
	if (mc_file_write(&(struct mc_write){ .path = path, .mode = 0600, .uid = uid, .gid = gid, .data = hmac,
	    .len = strlen(hmac), .how = MC_WRITE_EXCL }) < 0)
		goto out;
	written = 1;
	e->created_at = time(NULL);
	if ((list = mc_strdup(e->domains != NULL && e->domains[0] != '\0' ? e->domains : "(any)")) == NULL)
		goto out;
	for (char *c = list; *c != '\0'; c++)
		if (*c == '\n')
			*c = ',';
	if (store_begin(db) < 0)
		goto out;
	if (store_acme_eab_add(db, e) < 0 ||
	    store_audit(db, "acme-eab-new", NULL, "kid=%s name=%s domains=%s", e->kid, e->name, list) < 0 ||
	    store_commit(db) < 0) {
		store_rollback(db);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		if (written)
			remove_key(dir, e->kid);
		OPENSSL_cleanse(hmac, 64);
		hmac[0] = '\0';
	}
	free(path);
	free(list);
	return rc;
}

int
acme_eab_revoke(struct store *db, const char *dir, const char *kid)
{
	int done;

	if (store_begin(db) < 0)
		return -1;
	if ((done = store_acme_eab_revoke(db, kid, time(NULL))) < 0 ||
	    (done == 1 && store_audit(db, "acme-eab-revoke", NULL, "kid=%s", kid) < 0) || store_commit(db) < 0) {
		store_rollback(db);
		return -1;
	}
	if (done == 1)
		remove_key(dir, kid);
	else
		mc_seterr("no usable external account key id '%.64s' (see 'minica acme eab list')", kid);
	return done;
}

/* ---- the binding JWS ---- */

static int
b64_member(const json_t *obj, const char *name, unsigned char **out, size_t *len)
{
	const json_t *v = json_object_get(obj, name);

	*out = NULL;
	if (!json_is_string(v))
		return -1;
	return acme_b64url_decode(json_string_value(v), json_string_length(v), out, len);
}

static const EVP_MD *
eab_md(const char *alg)
{
	if (strcmp(alg, "HS256") == 0)
		return EVP_sha256();
	if (strcmp(alg, "HS384") == 0)
		return EVP_sha384();
	if (strcmp(alg, "HS512") == 0)
		return EVP_sha512();
	return NULL;
}

static int
eab_header(struct acme_eab_jws *e, const char *url, struct acme_problem *p)
{
	const json_t *h = e->header;
	const char *hurl;

	if (!json_is_object(h))
		return acme_problem_set(p, 400, "malformed", "the externalAccountBinding header is not a JSON object"), -1;
	e->alg = json_string_value(json_object_get(h, "alg"));
	if (e->alg == NULL || eab_md(e->alg) == NULL)
		return acme_problem_set(p, 400, "badSignatureAlgorithm",
		    "the externalAccountBinding alg must be HS256, HS384 or HS512"), -1;
	e->kid = json_string_value(json_object_get(h, "kid"));
	if (e->kid == NULL || strlen(e->kid) > 63)
		return acme_problem_set(p, 400, "malformed", "the externalAccountBinding has no key id (kid)"), -1;
	if (json_object_get(h, "nonce") != NULL || json_object_get(h, "jwk") != NULL)
		return acme_problem_set(p, 400, "malformed",
		    "the externalAccountBinding header must not carry a nonce or a jwk"), -1;
	hurl = json_string_value(json_object_get(h, "url"));
	if (hurl == NULL || strcmp(hurl, url) != 0)
		return acme_problem_set(p, 400, "malformed",
		    "the externalAccountBinding url is not the newAccount URL (%.200s)", url), -1;
	return 0;
}

int
acme_eab_parse(const json_t *eab, const char *url, EVP_PKEY *acct_key, struct acme_eab_jws *e,
    struct acme_problem *p)
{
	unsigned char *hdr = NULL;
	size_t hdrlen;
	json_t *jwk = NULL;
	int rc = -1;

	memset(e, 0, sizeof(*e));
	if (!json_is_object(eab) || json_object_get(eab, "signatures") != NULL ||
	    b64_member(eab, "protected", &hdr, &hdrlen) < 0 ||
	    b64_member(eab, "payload", &e->payload, &e->payloadlen) < 0 ||
	    b64_member(eab, "signature", &e->sig, &e->siglen) < 0) {
		acme_problem_set(p, 400, "malformed", "externalAccountBinding is not a flattened JWS "
		    "(protected, payload, signature in base64url)");
		goto out;
	}
	if ((e->header = json_loadb((char *)hdr, hdrlen, JSON_REJECT_DUPLICATES, NULL)) == NULL) {
		acme_problem_set(p, 400, "malformed", "the externalAccountBinding header is not JSON");
		goto out;
	}
	if (eab_header(e, url, p) < 0)
		goto out;
	/* §7.3.4: the payload is the account key, the outer JWS's jwk. */
	jwk = json_loadb((char *)e->payload, e->payloadlen, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(jwk) || !acme_jwk_matches(jwk, acct_key)) {
		acme_problem_set(p, 400, "malformed", "the externalAccountBinding payload is not the account's key");
		goto out;
	}
	if (asprintf(&e->signing_input, "%s.%s", json_string_value(json_object_get(eab, "protected")),
	    json_string_value(json_object_get(eab, "payload"))) < 0) {
		e->signing_input = NULL;
		acme_problem_set(p, 500, "serverInternal", "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(hdr);
	json_decref(jwk);
	if (rc < 0)
		acme_eab_jws_free(e);
	return rc;
}

int
acme_eab_verify_mac(const struct acme_eab_jws *e, const unsigned char *key, size_t keylen, struct acme_problem *p)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t maclen = 0;
	const EVP_MD *md = eab_md(e->alg);
	int ok;

	ok = md != NULL && EVP_Q_mac(NULL, "HMAC", NULL, EVP_MD_get0_name(md), NULL, key, keylen,
	    (const unsigned char *)e->signing_input, strlen(e->signing_input), mac, sizeof(mac), &maclen) != NULL &&
	    maclen == e->siglen && CRYPTO_memcmp(mac, e->sig, maclen) == 0;
	OPENSSL_cleanse(mac, sizeof(mac));
	if (!ok)
		return acme_problem_set(p, 403, "unauthorized",
		    "the externalAccountBinding MAC does not verify with key id '%.64s'", e->kid), -1;
	return 0;
}

void
acme_eab_jws_free(struct acme_eab_jws *e)
{
	json_decref(e->header);
	free(e->payload);
	free(e->sig);
	free(e->signing_input);
	memset(e, 0, sizeof(*e));
}

/* ---- on the server ---- */

/* The HMAC key of kid, decoded; *key wiped and freed by the caller. */
static int
read_key(const char *dir, const char *kid, unsigned char **key, size_t *keylen)
{
	struct mc_buf b = { 0 };
	char *path = key_path(dir, kid);
	int rc = -1;

	*key = NULL;
	if (path == NULL || mc_file_read(path, 256, &b) < 0)
		goto out;
	while (b.len > 0 && (b.p[b.len - 1] == '\n' || b.p[b.len - 1] == '\r'))
		b.len--;
	if (acme_b64url_decode(b.p, b.len, key, keylen) < 0 || *keylen < 16) {
		if (*key != NULL)
			OPENSSL_cleanse(*key, *keylen);
		free(*key);
		*key = NULL;
		mc_seterr("'%s' is not an HMAC key in base64url", path);
		goto out;
	}
	rc = 0;
out:
	mc_buf_free(&b);
	free(path);
	return rc;
}

int
acme_eab_check(struct acme_server *s, const struct acme_post *req, const json_t *eab, char kid[64],
    struct acme_problem *p)
{
	struct acme_eab_jws e;
	struct store_acme_eab row = { 0 };
	unsigned char *key = NULL;
	size_t keylen = 0;
	char url[1024];
	int found, rc = -1;

	acme_url(s, url, sizeof(url), "/acme/new-account");
	if (acme_eab_parse(eab, url, req->key, &e, p) < 0)
		return -1;
	if ((found = store_acme_eab_get(s->db, e.kid, 0, &row)) < 0) {
		acme_problem_set(p, 500, "serverInternal", "cannot read the external account keys");
		goto out;
	}
	if (found == 0 || row.revoked_at != 0 || row.account_id != 0) {
		acme_problem_set(p, 403, "unauthorized", "external account key id '%.64s' is %s", e.kid,
		    found == 0 ? "unknown" : row.revoked_at != 0 ? "revoked" : "already bound to an account");
		goto out;
	}
	if (s->eab_dir == NULL || read_key(s->eab_dir, row.kid, &key, &keylen) < 0) {
		acme_problem_set(p, 500, "serverInternal", "cannot read the HMAC key of key id '%.64s'", e.kid);
		goto out;
	}
	if (acme_eab_verify_mac(&e, key, keylen, p) < 0)
		goto out;
	snprintf(kid, 64, "%s", row.kid);
	rc = 0;
out:
	if (key != NULL)
		OPENSSL_cleanse(key, keylen);
	free(key);
	store_acme_eab_free(&row);
	acme_eab_jws_free(&e);
	return rc;
}

void
acme_eab_forget(struct acme_server *s, const char *kid)
{
	if (s->eab_dir != NULL)
		remove_key(s->eab_dir, kid);
}

int
acme_eab_name_allowed(const char *domains, const char *name)
{
	size_t nlen;

	if (domains == NULL || domains[0] == '\0')
		return 1;
	if (strncmp(name, "*.", 2) == 0)
		name += 2;
	nlen = strlen(name);
	for (const char *d = domains; *d != '\0';) {
		size_t dlen = strcspn(d, "\n");

		if (dlen > 0 && (nlen == dlen || (nlen > dlen && name[nlen - dlen - 1] == '.')) &&
		    strncasecmp(name + nlen - dlen, d, dlen) == 0)
			return 1;
		d += dlen;
		if (*d == '\n')
			d++;
	}
	return 0;
}

int
acme_eab_check_order(struct acme_server *s, int64_t account_id, const json_t *ids, struct acme_problem *p)
{
	struct store_acme_eab row;
	size_t i;
	const json_t *v;
	int found, rc = 0;

	if ((found = store_acme_eab_get(s->db, NULL, account_id, &row)) < 0)
		return acme_problem_set(p, 500, "serverInternal", "cannot read the account's external binding"), -1;
	if (found == 0 || row.domains[0] == '\0') {
		store_acme_eab_free(&row);
		return 0;
	}
	json_array_foreach(ids, i, v) {
		const char *type = json_string_value(json_object_get(v, "type"));
		const char *value = json_string_value(json_object_get(v, "value"));

		if (type == NULL || value == NULL)
			continue;	/* the identifier checks name it */
		if (strcmp(type, "dns") != 0 || !acme_eab_name_allowed(row.domains, value)) {
			acme_problem_set(p, 400, "rejectedIdentifier",
			    "'%.100s' is outside the names external account '%.40s' may order", value,
			    row.name[0] != '\0' ? row.name : row.kid);
			rc = -1;
			break;
		}
	}
	store_acme_eab_free(&row);
	return rc;
}
