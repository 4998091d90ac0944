/*
 * Collecting the certificates a root issued before minica: single files,
 * a folder of them, or an easy-rsa pki/ with its index.txt.  Every one
 * must be signed by the root; one that is not fails the whole import.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca.h"

#define CERTFILE_MAX (4 << 20)

void
ca_import_set_free(struct ca_import_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		X509_free(s->v[i].cert);
		free(s->v[i].source);
		free(s->v[i].reason);
	}
	free(s->v);
	mc_strv_free(&s->skipped);
	s->v = NULL;
	s->n = s->cap = 0;
}

static struct ca_imported *
find_fpr(struct ca_import_set *s, const char *fpr)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].fingerprint, fpr) == 0)
			return &s->v[i];
	return NULL;
}

static struct ca_imported *
find_serial(struct ca_import_set *s, const char *serial)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].serial, serial) == 0)
			return &s->v[i];
	return NULL;
}

/* Takes x.  Returns the entry (new, or the same certificate seen before)
 * or NULL for the root itself (skipped) and on error (mc_err set). */
static struct ca_imported *
add_cert(struct ca_import_set *s, X509 *x, const char *source, int *err)
{
	struct ca_imported *e = NULL, *same;
	char fpr[CA_FPR_LEN], serial[CA_SERIAL_LEN], *subj = NULL, *iss = NULL;

	*err = 0;
	ca_cert_fingerprint(x, fpr);
	if (X509_cmp(x, s->root) == 0)
		goto out;
	*err = 1;
	if (ca_cert_serial_hex(x, serial) < 0 || (subj = ca_cert_subject(x)) == NULL)
		goto out;
	if (!ca_cert_signed_by(x, s->root)) {
		iss = X509_NAME_oneline(X509_get_issuer_name(x), NULL, 0);
		mc_seterr("'%s': certificate '%s' (serial %s) was not issued by the imported root "
		    "(its issuer is '%s'); nothing was imported", source, subj, serial, iss ? iss : "?");
		goto out;
	}
	if ((same = find_fpr(s, fpr)) != NULL) {
		e = same;
		*err = 0;
		goto out;
	}
	if ((same = find_serial(s, serial)) != NULL) {
		mc_seterr("serial %s is in two different certificates, '%s' and '%s'; nothing was imported",
		    serial, same->source, source);
		goto out;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct ca_imported *v = realloc(s->v, cap * sizeof(*v));

		if (v == NULL) {
			mc_seterr("out of memory");
			goto out;
		}
		s->v = v;
		s->cap = cap;
	}
	e = &s->v[s->n];
	memset(e, 0, sizeof(*e));
	if ((e->source = mc_strdup(source)) == NULL) {
		e = NULL;
		goto out;
	}
	e->cert = x;
	x = NULL;
	memcpy(e->fingerprint, fpr, sizeof(fpr));
	memcpy(e->serial, serial, sizeof(serial));
	s->n++;
	*err = 0;
out:
	X509_free(x);
	free(subj);
	OPENSSL_free(iss);
	return e;
}

/* Every certificate in a PEM file (a chain file holds several), or one
 * DER certificate.  0 certificates: returns 0 with *count 0. */
static int
read_certs(struct ca_import_set *s, const char *path, int *count)
{
	struct mc_buf b = { 0 };
	BIO *bio = NULL;
	X509 *x;
	int rc = -1, err;

	*count = 0;
	if (mc_file_read(path, CERTFILE_MAX, &b) < 0)
		return -1;
	if (memmem(b.p, b.len, "-----BEGIN", 10) == NULL) {
		const unsigned char *p = (const unsigned char *)b.p;

		if ((x = d2i_X509(NULL, &p, (long)b.len)) != NULL) {
			(*count)++;
			if (add_cert(s, x, path, &err) == NULL && err)
				goto out;
		}
		rc = 0;
		goto out;
	}
	if ((bio = BIO_new_mem_buf(b.p, (int)b.len)) == NULL)
		goto out;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		(*count)++;
		if (add_cert(s, x, path, &err) == NULL && err)
			goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	BIO_free(bio);
	mc_buf_free(&b);
	return rc;
}

int
ca_import_file(struct ca_import_set *s, const char *path)
{
	int count;

	if (read_certs(s, path, &count) < 0)
		return -1;
	if (count == 0) {
		mc_seterr("'%s' holds no certificate (PEM or DER)", path);
		return -1;
	}
	return 0;
}

static int
has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);

	return n > k && strcmp(name + n - k, suffix) == 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular *.pem / *.crt files of dir, sorted, as full paths. */
static int
list_dir(const char *dir, struct mc_strv *out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0;

	if (d == NULL) {
		mc_seterr("cannot open folder '%s': %s", dir, strerror(errno));
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char *p;

		if (de->d_name[0] == '.' || (!has_suffix(de->d_name, ".pem") && !has_suffix(de->d_name, ".crt")))
			continue;
		if (asprintf(&p, "%s/%s", dir, de->d_name) < 0) {
			mc_seterr("out of memory");
			rc = -1;
			break;
		}
		rc = mc_strv_push(out, p);
		free(p);
	}
	closedir(d);
	if (rc == 0 && out->n > 1)
		qsort(out->v, out->n, sizeof(char *), cmp_str);
	return rc;
}

int
ca_import_dir(struct ca_import_set *s, const char *dir)
{
	struct mc_strv files = { 0 };
	int rc = -1, count;

	if (list_dir(dir, &files) < 0)
		goto out;
	for (size_t i = 0; i < files.n; i++) {
		char note[4200];

		if (read_certs(s, files.v[i], &count) < 0)
			goto out;
		/* Keys and CSRs share the suffixes: passed over, said. */
		snprintf(note, sizeof(note), "'%s' holds no certificate; skipped", files.v[i]);
		if (count == 0 && mc_strv_push(&s->skipped, note) < 0)
			goto out;
	}
	rc = 0;
out:
	mc_strv_free(&files);
	return rc;
}

int
ca_serial_normalize(const char *hex, char out[CA_SERIAL_LEN])
{
	BIGNUM *bn = NULL;
	int rc = -1;

	if (strspn(hex, "0123456789abcdefABCDEF") != strlen(hex) || *hex == '\0' ||
	    BN_hex2bn(&bn, hex) == 0 || ca_bn_serial_hex(bn, out) < 0)
		mc_seterr("'%s' is not a serial number", hex);
	else
		rc = 0;
	ERR_clear_error();
	BN_free(bn);
	return rc;
}
