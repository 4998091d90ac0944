/*
 * Collecting the certificates a root issued before minica: single files,
 * a folder of them, or an easy-rsa pki/ with its index.txt.  Every one
 * must be signed by the root; one that is not fails the whole import.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
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
	mc_strv_free(&s->foreign);
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

/* In a folder (/etc/ssl/certs holds the system's roots too), a
 * certificate naming another issuer is noted and passed over; one that
 * names this root but fails its signature is refused all the same. */
static int
note_foreign(struct ca_import_set *s, X509 *x, const char *source, const char *subj)
{
	char *iss = ca_cert_issuer(x), *note = NULL;
	int rc = -1;

	if (iss != NULL && asprintf(&note, "'%s' ('%s', issued by '%s')", source, subj, iss) >= 0)
		rc = mc_strv_push(&s->foreign, note);
	else
		mc_seterr("out of memory");
	free(note);
	free(iss);
	return rc;
}

/* A new entry at the end of s (its cert still NULL). */
static struct ca_imported *
append(struct ca_import_set *s, const char *source, const char fpr[CA_FPR_LEN], const char serial[CA_SERIAL_LEN])
{
	struct ca_imported *e;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct ca_imported *v = realloc(s->v, cap * sizeof(*v));

		if (v == NULL) {
			mc_seterr("out of memory");
			return NULL;
		}
		s->v = v;
		s->cap = cap;
	}
	e = &s->v[s->n];
	memset(e, 0, sizeof(*e));
	if ((e->source = mc_strdup(source)) == NULL)
		return NULL;
	memcpy(e->fingerprint, fpr, CA_FPR_LEN);
	memcpy(e->serial, serial, CA_SERIAL_LEN);
	s->n++;
	return e;
}

/* Takes x.  Returns the entry (new, or the same certificate seen before)
 * or NULL for the root itself and a foreign certificate in a folder
 * (skipped) and on error (mc_err set). */
static struct ca_imported *
add_cert(struct ca_import_set *s, X509 *x, const char *source, int in_dir, int *err)
{
	struct ca_imported *e = NULL, *same;
	char fpr[CA_FPR_LEN], serial[CA_SERIAL_LEN], *subj = NULL, *iss = NULL, *rname = NULL;

	*err = 0;
	ca_cert_fingerprint(x, fpr);
	if (X509_cmp(x, s->root) == 0)
		goto out;
	*err = 1;
	if (ca_cert_serial_hex(x, serial) < 0 || (subj = ca_cert_subject(x)) == NULL)
		goto out;
	if (in_dir && X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(s->root)) != 0) {
		*err = note_foreign(s, x, source, subj) < 0;
		goto out;
	}
	if (!ca_cert_signed_by(x, s->root)) {
		iss = ca_cert_issuer(x);
		rname = ca_cert_subject(s->root);
		if (X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(s->root)) == 0)
			mc_seterr("'%s': certificate '%s' (serial %s) names the imported root '%s' as "
			    "its issuer, but the root's key did not sign it; nothing was imported",
			    source, subj, serial, rname ? rname : "?");
		else
			mc_seterr("'%s': certificate '%s' (serial %s) was issued by '%s', not by the "
			    "imported root '%s'; nothing was imported", source, subj, serial,
			    iss ? iss : "?", rname ? rname : "?");
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
	if ((e = append(s, source, fpr, serial)) == NULL)
		goto out;
	e->cert = x;
	x = NULL;
	*err = 0;
out:
	X509_free(x);
	free(subj);
	free(iss);
	free(rname);
	return e;
}

/* Every certificate in a PEM file (a chain file holds several), or one
 * DER certificate.  0 certificates: returns 0 with *count 0. */
static int
read_certs(struct ca_import_set *s, const char *path, int in_dir, int *count)
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
			if (add_cert(s, x, path, in_dir, &err) == NULL && err)
				goto out;
		}
		rc = 0;
		goto out;
	}
	if ((bio = BIO_new_mem_buf(b.p, (int)b.len)) == NULL)
		goto out;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		(*count)++;
		if (add_cert(s, x, path, in_dir, &err) == NULL && err)
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

	if (read_certs(s, path, 0, &count) < 0)
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

/* The *.pem / *.crt files of dir, sorted, as full paths; symbolic links
 * (how /etc/ssl/certs holds the system's roots) go to links instead:
 * minica reads no file through a link. */
static int
list_dir(const char *dir, struct mc_strv *out, struct mc_strv *links)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;
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
		if (lstat(p, &st) == 0 && S_ISLNK(st.st_mode))
			rc = mc_strv_push(links, de->d_name);
		else
			rc = mc_strv_push(out, p);
		free(p);
	}
	closedir(d);
	if (rc == 0 && out->n > 1)
		qsort(out->v, out->n, sizeof(char *), cmp_str);
	return rc;
}

/* One note for many files: the count and the first few. */
static int
note_many(struct ca_import_set *s, const struct mc_strv *v, const char *one, const char *many,
    const char *dir, const char *why)
{
	struct mc_buf b = { 0 };
	int rc = -1;

	if (v->n == 0)
		return 0;
	if (mc_buf_printf(&b, "skipped %zu %s in '%s': ", v->n, v->n == 1 ? one : many, dir) < 0)
		goto out;
	for (size_t i = 0; i < v->n && i < 3; i++)
		if (mc_buf_printf(&b, "%s%s", i ? ", " : "", v->v[i]) < 0)
			goto out;
	if ((v->n > 3 && mc_buf_printf(&b, " and %zu more", v->n - 3) < 0) ||
	    mc_buf_printf(&b, " (%s)", why) < 0)
		goto out;
	rc = mc_strv_push(&s->skipped, b.p);
out:
	mc_buf_free(&b);
	return rc;
}

int
ca_import_dir(struct ca_import_set *s, const char *dir)
{
	struct mc_strv files = { 0 }, links = { 0 };
	int rc = -1, count;

	mc_strv_free(&s->foreign);
	if (list_dir(dir, &files, &links) < 0)
		goto out;
	for (size_t i = 0; i < files.n; i++) {
		char note[4200];

		if (read_certs(s, files.v[i], 1, &count) < 0)
			goto out;
		/* Keys and CSRs share the suffixes: passed over, said. */
		snprintf(note, sizeof(note), "'%s' holds no certificate; skipped", files.v[i]);
		if (count == 0 && mc_strv_push(&s->skipped, note) < 0)
			goto out;
	}
	if (note_many(s, &links, "symbolic link", "symbolic links", dir, "minica reads no file "
	    "through a link; give the file it names with --cert if it is this CA's") < 0 ||
	    note_many(s, &s->foreign, "certificate of another issuer",
	    "certificates of other issuers", dir, "not this CA's") < 0)
		goto out;
	rc = 0;
out:
	mc_strv_free(&s->foreign);
	mc_strv_free(&files);
	mc_strv_free(&links);
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
