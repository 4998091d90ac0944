/*
 * An easy-rsa pki/: index.txt (OpenSSL `ca` database: status, expiry,
 * revocation "time[,reason]", serial, file, subject, tab-separated) is
 * the record; certificates are found by serial in certs_by_serial/,
 * revoked/ and renewed/, else among the files in issued/.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/err.h>

#include "ca.h"

#define INDEX_MAX (16 << 20)

static const char *const reasons[] = {
	"unspecified", "keyCompromise", "CACompromise", "affiliationChanged", "superseded",
	"cessationOfOperation", "certificateHold", "removeFromCRL",
};

static int
parse_time(const char *s, time_t *out)
{
	ASN1_TIME *t = ASN1_TIME_new();
	struct tm tm;
	int rc = -1;

	if (t != NULL && ASN1_TIME_set_string(t, s) && ASN1_TIME_to_tm(t, &tm)) {
		*out = timegm(&tm);
		rc = 0;
	}
	ASN1_TIME_free(t);
	ERR_clear_error();
	return rc;
}

/* Splits a line in place at tabs into at most n fields. */
static size_t
split_tabs(char *line, char **f, size_t n)
{
	size_t k = 0;

	while (k < n) {
		f[k++] = line;
		if ((line = strchr(line, '\t')) == NULL)
			break;
		*line++ = '\0';
	}
	return k;
}

static struct ca_imported *
by_serial(struct ca_import_set *s, const char *serial)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].serial, serial) == 0)
			return &s->v[i];
	return NULL;
}

static int
set_revoked(struct ca_imported *e, const char *field, const char *where)
{
	char when[32];
	const char *comma = strchr(field, ',');
	size_t len = comma ? (size_t)(comma - field) : strlen(field);
	const char *reason = "unspecified";

	if (len >= sizeof(when))
		len = sizeof(when) - 1;
	memcpy(when, field, len);
	when[len] = '\0';
	if (parse_time(when, &e->revoked_at) < 0) {
		mc_seterr("%s: revocation time '%s' does not parse", where, when);
		return -1;
	}
	for (size_t i = 0; comma && i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strcmp(comma + 1, reasons[i]) == 0)
			reason = reasons[i];
	e->revoked = 1;
	free(e->reason);
	return (e->reason = mc_strdup(reason)) ? 0 : -1;
}

/* The certificate for one index line: its files by serial first. */
static int
find_cert(struct ca_import_set *s, const char *pki, const char *serial_raw, const char *serial)
{
	static const char *const where[][2] = {
		{ "certs_by_serial/", ".pem" }, { "revoked/certs_by_serial/", ".crt" },
		{ "renewed/certs_by_serial/", ".crt" },
	};

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		char *p = NULL;
		FILE *f;

		if (asprintf(&p, "%s/%s%s%s", pki, where[i][0], serial_raw, where[i][1]) < 0)
			return -1;
		if ((f = fopen(p, "r")) != NULL) {
			int rc;

			fclose(f);
			rc = ca_import_file(s, p);
			free(p);
			return rc < 0 ? -1 : (by_serial(s, serial) ? 1 : 0);
		}
		free(p);
	}
	return 0;
}

static int
index_line(struct ca_import_set *s, const char *pki, char *line, const char *where)
{
	char *f[6], serial[CA_SERIAL_LEN], note[4800];
	struct ca_imported *e;
	int found;

	if (split_tabs(line, f, 6) != 6 || strlen(f[0]) != 1 || strchr("VRE", f[0][0]) == NULL) {
		mc_seterr("%s: not an OpenSSL index line (status, expiry, revocation, serial, file, subject)",
		    where);
		return -1;
	}
	if (ca_serial_normalize(f[3], serial) < 0) {
		mc_preferr("%s", where);
		return -1;
	}
	if ((e = by_serial(s, serial)) == NULL) {
		if ((found = find_cert(s, pki, f[3], serial)) < 0)
			return -1;
		if ((e = by_serial(s, serial)) == NULL) {
			snprintf(note, sizeof(note), "%s: no certificate file for serial %s (%s); skipped",
			    where, f[3], f[5]);
			return mc_strv_push(&s->skipped, note);
		}
	}
	if (f[0][0] == 'R')
		return set_revoked(e, f[2], where);
	return 0;
}

int
ca_import_easyrsa(struct ca_import_set *s, const char *pki)
{
	struct mc_buf b = { 0 };
	char *idx = NULL, *issued = NULL, *line, *next;
	int rc = -1, lineno = 0;

	if (asprintf(&idx, "%s/index.txt", pki) < 0 || asprintf(&issued, "%s/issued", pki) < 0) {
		mc_seterr("out of memory");
		goto out;
	}
	if (mc_file_read(idx, INDEX_MAX, &b) < 0 || mc_buf_add(&b, "", 1) < 0)
		goto out;
	/* issued/ first: a certificate there whose serial is not in
	 * index.txt is still one the root signed. */
	if (access(issued, F_OK) == 0 && ca_import_dir(s, issued) < 0)
		goto out;
	for (line = b.p; line != NULL && *line != '\0'; line = next) {
		char where[4200];

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		lineno++;
		if (*line == '\0')
			continue;
		snprintf(where, sizeof(where), "'%s' line %d", idx, lineno);
		if (index_line(s, pki, line, where) < 0)
			goto out;
	}
	rc = 0;
out:
	mc_buf_free(&b);
	free(idx);
	free(issued);
	return rc;
}
