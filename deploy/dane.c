/*
 * dane.c: the DANE TLSA records (RFC 6698, 7671, 7672) for what a
 * profile has deployed, the next key staged for a rollover, and the
 * matching of published records against a chain.
 *
 * Two records per host, the pair Viktor Dukhovni's DANE guidance and
 * Postfix's documentation recommend: "2 1 1" for the root (the trust
 * anchor: it stays valid across every leaf renewal, as long as the
 * server sends the root in its chain, RFC 7671 5.2.2) and "3 1 1" for
 * the leaf key (no chain needed; it changes with the key unless the next
 * key is published before the renewal).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/pem.h>

#include "deploy.h"

void
dep_tlsa_set_free(struct dep_tlsa_set *s)
{
	for (size_t i = 0; s != NULL && i < s->n; i++) {
		free(s->v[i].host);
		free(s->v[i].data);
		free(s->v[i].rr);
	}
	if (s != NULL) {
		free(s->v);
		memset(s, 0, sizeof(*s));
	}
}

/* A name a TLSA record can sit under: a DNS host name, not an IP
 * address, an e-mail address or a wildcard (an MX target is a host). */
static int
dane_host(const char *name)
{
	unsigned char ip[16];

	if (name[0] == '\0' || name[0] == '*' || strchr(name, '@') != NULL)
		return 0;
	return inet_pton(AF_INET, name, ip) != 1 && inet_pton(AF_INET6, name, ip) != 1;
}

int
dep_dane_hosts(const char *cn, const struct mc_strv *names, struct mc_strv *out)
{
	if (cn != NULL && dane_host(cn) && !mc_strv_has(out, cn) && mc_strv_push(out, cn) < 0)
		return -1;
	for (size_t i = 0; names != NULL && i < names->n; i++)
		if (dane_host(names->v[i]) && !mc_strv_has(out, names->v[i]) &&
		    mc_strv_push(out, names->v[i]) < 0)
			return -1;
	return 0;
}

static int
add_record(struct dep_tlsa_set *s, const char *host, int port, int usage, X509 *cert,
    EVP_PKEY *key, int next)
{
	struct mc_buf hex = { 0 }, rr = { 0 };
	struct dep_tlsa *t;

	if (s->n == s->cap) {
		size_t ncap = s->cap ? 2 * s->cap : 8;
		struct dep_tlsa *nv = realloc(s->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			mc_seterr("out of memory");
			return -1;
		}
		s->v = nv;
		s->cap = ncap;
	}
	if (ca_tlsa_hex(cert, key, CA_TLSA_SEL_SPKI, CA_TLSA_SHA256, &hex) < 0 ||
	    mc_buf_printf(&rr, "_%d._tcp.%s. IN TLSA %d %d %d %s", port, host, usage,
	    CA_TLSA_SEL_SPKI, CA_TLSA_SHA256, hex.p) < 0) {
		mc_buf_free(&hex);
		mc_buf_free(&rr);
		return -1;
	}
	t = &s->v[s->n];
	memset(t, 0, sizeof(*t));
	t->port = port;
	t->usage = usage;
	t->selector = CA_TLSA_SEL_SPKI;
	t->mtype = CA_TLSA_SHA256;
	t->next = next;
	t->data = hex.p;
	t->rr = rr.p;
	if ((t->host = mc_strdup(host)) == NULL) {
		free(t->data);
		free(t->rr);
		return -1;
	}
	s->n++;
	return 0;
}

int
dep_dane_records(const struct dep_dane_req *r, struct dep_tlsa_set *out)
{
	struct mc_strv hosts = { 0 };
	int rc = -1;

	if (r->leaf == NULL || r->ta == NULL || r->port < 1 || r->port > 65535) {
		mc_seterr("TLSA records need the certificate, its trust anchor and a port");
		return -1;
	}
	if (dep_dane_hosts(r->cn, r->names, &hosts) < 0)
		goto out;
	if (hosts.n == 0) {
		mc_seterr("the certificate names no DNS host (only IP or e-mail addresses or "
		    "wildcards), so no TLSA record can name it");
		goto out;
	}
	for (size_t i = 0; i < hosts.n; i++)
		if (add_record(out, hosts.v[i], r->port, CA_TLSA_DANE_TA, r->ta, NULL, 0) < 0 ||
		    add_record(out, hosts.v[i], r->port, CA_TLSA_DANE_EE, r->leaf, NULL, 0) < 0 ||
		    (r->next != NULL &&
		     add_record(out, hosts.v[i], r->port, CA_TLSA_DANE_EE, NULL, r->next, 1) < 0))
			goto out;
	rc = 0;
out:
	if (rc < 0)
		dep_tlsa_set_free(out);
	mc_strv_free(&hosts);
	return rc;
}

/* RFC 7672 3.1.3: an SMTP client uses DANE-TA(2) and DANE-EE(3) only;
 * PKIX-TA(0) and PKIX-EE(1) would need a public CA and are unusable. */
int
dep_tlsa_usable(const struct ca_tlsa_rr *rr)
{
	return (rr->usage == CA_TLSA_DANE_TA || rr->usage == CA_TLSA_DANE_EE) &&
	    (rr->selector == CA_TLSA_SEL_CERT || rr->selector == CA_TLSA_SEL_SPKI) &&
	    (rr->mtype == CA_TLSA_FULL || rr->mtype == CA_TLSA_SHA256 || rr->mtype == CA_TLSA_SHA512);
}

int
dep_tlsa_match_chain(const struct ca_tlsa_rr *rr, X509 *leaf, X509 *const *tas, size_t ntas)
{
	int m;

	if (!dep_tlsa_usable(rr))
		return 0;
	if (rr->usage == CA_TLSA_DANE_EE)
		return ca_tlsa_match(leaf, NULL, rr->selector, rr->mtype, rr->data, rr->len);
	/* DANE-TA: any certificate the server sends above its leaf. */
	for (size_t i = 0; i < ntas; i++)
		if ((m = ca_tlsa_match(tas[i], NULL, rr->selector, rr->mtype, rr->data, rr->len)) != 0)
			return m;
	return 0;
}

int
dep_tlsa_match_key(const struct ca_tlsa_rr *rr, EVP_PKEY *key)
{
	if (!dep_tlsa_usable(rr) || rr->usage != CA_TLSA_DANE_EE || rr->selector != CA_TLSA_SEL_SPKI)
		return 0;
	return ca_tlsa_match(NULL, key, rr->selector, rr->mtype, rr->data, rr->len);
}

/* ---- the next key, staged for a rollover ---- */

int
dep_dane_next_paths(const char *dir, const char *serial, char **key_path, char **pub_path)
{
	*key_path = *pub_path = NULL;
	if (strspn(serial, "0123456789abcdef") != strlen(serial) || serial[0] == '\0') {
		mc_seterr("bad serial '%s' for a staged key", serial);
		return -1;
	}
	if (asprintf(key_path, "%s/%s.key", dir, serial) < 0 ||
	    asprintf(pub_path, "%s/%s.pub", dir, serial) < 0) {
		free(*key_path);
		*key_path = *pub_path = NULL;
		mc_seterr("out of memory");
		return -1;
	}
	return 0;
}

EVP_PKEY *
dep_dane_next_pub(const char *dir, const char *serial, int *found)
{
	char *kp = NULL, *pp = NULL;
	struct mc_buf b = { 0 };
	EVP_PKEY *pub = NULL;
	BIO *bio = NULL;

	*found = 0;
	if (dep_dane_next_paths(dir, serial, &kp, &pp) < 0)
		goto out;
	if (access(pp, F_OK) < 0 && errno == ENOENT)
		goto out;	/* none staged */
	*found = 1;
	if (mc_file_read(pp, CA_FILE_MAX, &b) < 0)
		goto out;
	if ((bio = BIO_new_mem_buf(b.p, (int)b.len)) == NULL ||
	    (pub = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)) == NULL)
		mc_seterr_ssl("'%s' holds no public key", pp);
out:
	BIO_free(bio);
	mc_buf_free(&b);
	free(kp);
	free(pp);
	return pub;
}

/* The public half next to the encrypted key, so dane and check can show
 * and compare the staged key without the passphrase. */
static int
write_pub(const char *path, EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int rc = -1;

	if (bio == NULL || !PEM_write_bio_PUBKEY(bio, key)) {
		mc_seterr_ssl("PEM_write_bio_PUBKEY");
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	rc = mc_file_create_excl(path, 0644, data, (size_t)len);
out:
	BIO_free(bio);
	return rc;
}

EVP_PKEY *
dep_dane_next_stage(const struct dep_next_req *r, int *made)
{
	struct mc_buf pem = { 0 };
	char *kp = NULL, *pp = NULL;
	EVP_PKEY *key = NULL, *pub;
	int found = 0;

	*made = 0;
	if ((pub = dep_dane_next_pub(r->dir, r->serial, &found)) != NULL || found)
		return pub;	/* staged before: the same key, already published maybe */
	if (dep_dane_next_paths(r->dir, r->serial, &kp, &pp) < 0 ||
	    mc_mkdir_p(r->dir, 0700) < 0)
		goto fail;
	{
		/* An existing folder too: by fd, never a path a link could redirect. */
		int dfd = open(r->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (dfd < 0 || fchmod(dfd, 0700) < 0) {
			mc_seterr("cannot make '%s' private (0700): %s", r->dir, strerror(errno));
			if (dfd >= 0)
				close(dfd);
			goto fail;
		}
		close(dfd);
	}
	if ((key = ca_key_generate(r->key_type, NULL)) == NULL ||
	    ca_key_encrypt_pem(key, r->pass, r->passlen, &pem) < 0 ||
	    mc_file_create_excl(kp, 0600, pem.p, pem.len) < 0)
		goto fail;
	if (write_pub(pp, key) < 0) {
		unlink(kp);
		goto fail;
	}
	*made = 1;
	mc_buf_free(&pem);
	free(kp);
	free(pp);
	return key;
fail:
	EVP_PKEY_free(key);
	mc_buf_free(&pem);
	free(kp);
	free(pp);
	return NULL;
}

EVP_PKEY *
dep_dane_next_load(const char *dir, const char *serial, const char *pass, size_t passlen, int *found)
{
	char *kp = NULL, *pp = NULL;
	EVP_PKEY *key = NULL, *pub = NULL;

	*found = 0;
	if ((pub = dep_dane_next_pub(dir, serial, found)) == NULL)
		goto out;
	if (dep_dane_next_paths(dir, serial, &kp, &pp) < 0 ||
	    (key = ca_key_load(kp, pass, passlen)) == NULL)
		goto out;
	if (EVP_PKEY_eq(key, pub) != 1) {
		mc_seterr("'%s' does not hold the key of '%s'", kp, pp);
		EVP_PKEY_free(key);
		key = NULL;
	}
out:
	EVP_PKEY_free(pub);
	free(kp);
	free(pp);
	return key;
}

int
dep_dane_next_drop(const char *dir, const char *serial)
{
	char *kp = NULL, *pp = NULL;
	int rc = -1;

	if (dep_dane_next_paths(dir, serial, &kp, &pp) < 0)
		return -1;
	if ((unlink(kp) < 0 && errno != ENOENT) || (unlink(pp) < 0 && errno != ENOENT))
		mc_seterr("cannot remove the used staged key '%s': %s", kp, strerror(errno));
	else
		rc = mc_fsync_dir(dir);
	free(kp);
	free(pp);
	return rc;
}

/* ---- which certificate a profile has deployed ---- */

struct newest {
	char serial[48];
	char *path;
};

static int
take_newest(const struct store_deployment *d, void *arg)
{
	struct newest *n = arg;

	snprintf(n->serial, sizeof(n->serial), "%s", d->serial);
	n->path = mc_strdup(d->cert.path);
	return n->path != NULL ? 1 : -1;
}

int
dep_dane_deployed(struct store *st, const char *profile, const char *root, struct store_cert *out,
    char **cert_path)
{
	struct store_deploy_filter f = { .state = "current", .root = root, .profile = profile };
	struct newest n = { "", NULL };
	int found = -1;

	if (store_deploy_each(st, &f, take_newest, &n) < 0)
		goto out;
	found = 0;
	if (n.serial[0] == '\0')
		goto out;
	if ((found = store_cert_find(st, n.serial, out)) == 0) {
		mc_seterr("the deployed certificate %s is not in the store", n.serial);
		found = -1;
	}
out:
	if (found == 1 && cert_path != NULL) {
		*cert_path = n.path;
		n.path = NULL;
	}
	free(n.path);
	return found;
}
