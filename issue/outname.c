/*
 * File names in an out folder (issue 13 item 7): no two certificates
 * ever share NAME.crt/NAME.key.  A certificate's files are CN.*; where
 * CN.crt is another profile's certificate (smtpd and dovecot of one
 * host), PROFILE-CN.*.  A new certificate never writes over a key
 * (iss_leaf_files_check refuses); a renewal replaces only the files of
 * the certificate it renews, else takes the first free name of CN,
 * PROFILE-CN and PROFILE-CN-SERIAL, so renewing several certificates
 * with the same CN into one folder keeps every key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "issue.h"

/* 0: neither NAME.crt nor NAME.key is in dir; 1: NAME.crt is a
 * certificate (serial set, normalised); 2: something else is there. */
static int
holder(const char *dir, const char *name, char *serial, size_t len)
{
	char crt[4352], key[4352], hex[CA_SERIAL_LEN];
	struct stat st;
	X509 *x;
	int r;

	if ((size_t)snprintf(crt, sizeof(crt), "%s/%s.crt", dir, name) >= sizeof(crt) ||
	    (size_t)snprintf(key, sizeof(key), "%s/%s.key", dir, name) >= sizeof(key))
		return 2;
	if (lstat(crt, &st) < 0 && lstat(key, &st) < 0)
		return 0;
	if ((x = ca_cert_load(crt)) == NULL)
		return 2;
	r = ca_cert_serial_hex(x, hex) == 0 && store_serial_normalise(hex, serial, len) == 0 ? 1 : 2;
	X509_free(x);
	return r;
}

static int
same_serial(const char *norm, const char *serial)
{
	char b[64];

	return store_serial_normalise(serial, b, sizeof(b)) == 0 && strcmp(norm, b) == 0;
}

/* PROFILE-BASE-first 16 hex digits of serial. */
static void
serial_name(const char *profile, const char *base, const char *serial, char *out, size_t len)
{
	char norm[64] = "";

	if (store_serial_normalise(serial, norm, sizeof(norm)) < 0)
		snprintf(norm, sizeof(norm), "x");
	norm[16] = '\0';
	snprintf(out, len, "%s-%s-%s", profile, base, norm);
}

/* A new certificate: CN, or PROFILE-CN where CN.crt is another
 * profile's certificate. */
static void
new_name(struct mc_ca *ca, const char *dir, const char *profile, const char *base, char *out, size_t len)
{
	struct store_cert other = { 0 };
	char serial[64];

	snprintf(out, len, "%s", base);
	if (holder(dir, base, serial, sizeof(serial)) == 1 && store_cert_find(ca->db, serial, &other) > 0) {
		if (strcmp(other.profile, profile) != 0)
			snprintf(out, len, "%s-%s", profile, base);
		store_cert_free(&other);
	}
}

int
iss_leaf_out_name(struct mc_ca *ca, const char *dir, const struct store_cert *c, const char *profile,
    const struct store_cert *old, char *out, size_t len)
{
	char base[256], cand[3][320], serial[64];

	iss_leaf_file_name(c, base, sizeof(base));
	if (old == NULL) {
		new_name(ca, dir, profile, base, out, len);
		return 0;
	}
	snprintf(cand[0], sizeof(cand[0]), "%s", base);
	snprintf(cand[1], sizeof(cand[1]), "%s-%s", profile, base);
	serial_name(profile, base, old->serial, cand[2], sizeof(cand[2]));
	for (size_t i = 0; i < 3; i++) {
		if (holder(dir, cand[i], serial, sizeof(serial)) == 1 && same_serial(serial, old->serial)) {
			snprintf(out, len, "%s", cand[i]);
			return 0;
		}
	}
	serial_name(profile, base, c->serial, cand[2], sizeof(cand[2]));
	for (size_t i = 0; i < 3; i++) {
		if (holder(dir, cand[i], serial, sizeof(serial)) == 0) {
			snprintf(out, len, "%s", cand[i]);
			return 0;
		}
	}
	mc_seterr("'%s/%s.*', '%s/%s.*' and '%s/%s.*' all hold files of other certificates", dir, cand[0], dir,
	    cand[1], dir, cand[2]);
	return -1;
}
