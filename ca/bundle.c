/*
 * The trust kit (minica bundle): the root in every encoding clients ask
 * for, an Apple profile, install scripts and a README, all public.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "internal.h"

/* uuid5(NAMESPACE_URL, "urn:minica:bundle"); never change it, or every
 * profile already installed gets a twin instead of an update. */
static const unsigned char uuid_ns[16] = {
	0x73, 0x62, 0x19, 0xba, 0xe2, 0xfe, 0x53, 0xe4,
	0x90, 0xc8, 0x12, 0xec, 0x15, 0x96, 0xe1, 0x8c,
};

/* What the templates get filled with. */
struct kit_info {
	const char *name;
	char fpr[CA_FPR_LEN];
	char fpr_grouped[CA_FPR_GROUPED_LEN];
	char sha1[41];
	char not_after[32];
	char *subject;
};

int
ca_bundle_name_check(const char *name)
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
	size_t n = strlen(name);

	/* A leading '-' would read as an option to cp, certutil or keytool. */
	if (n == 0 || n > CA_BUNDLE_NAME_MAX || name[0] == '.' || name[0] == '-' ||
	    strspn(name, ok) != n) {
		mc_seterr("invalid bundle name '%s': use 1 to %d letters, digits, '.', "
		    "'_' or '-', not starting with '.' or '-'", name, CA_BUNDLE_NAME_MAX);
		return -1;
	}
	return 0;
}

int
ca_bundle_files(const char *name, struct mc_strv *out)
{
	static const char *const ext[] = { ".crt", ".cer", ".p7b", ".mobileconfig" };
	char path[CA_BUNDLE_NAME_MAX + 32];

	if (ca_bundle_name_check(name) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", name, ext[i]);
		if (mc_strv_push(out, path) < 0)
			return -1;
	}
	for (const struct bundle_text *t = bundle_texts; t->file != NULL; t++)
		if (mc_strv_push(out, t->file) < 0)
			return -1;
	return 0;
}

static int
cert_der(X509 *x, struct mc_buf *out)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	int rc;

	if (n <= 0) {
		mc_seterr_ssl("cannot encode the certificate: i2d_X509");
		return -1;
	}
	rc = mc_buf_add(out, der, (size_t)n);
	OPENSSL_free(der);
	return rc;
}

static int
add_str(struct mc_buf *b, const char *s)
{
	return mc_buf_add(b, s, strlen(s));
}

/* Appends BIO's contents to out. */
static int
bio_to_buf(BIO *bio, struct mc_buf *out)
{
	char *p = NULL;
	long n = BIO_get_mem_data(bio, &p);

	if (n < 0 || p == NULL)
		return mc_buf_add(out, "", 0);
	return mc_buf_add(out, p, (size_t)n);
}

int
ca_bundle_uuid(X509 *root, const char *label, char out[CA_UUID_LEN])
{
	struct mc_buf name = { 0 };
	char fpr[CA_FPR_LEN];
	unsigned char h[EVP_MAX_MD_SIZE];
	int rc = -1;

	ca_cert_fingerprint(root, fpr);
	if (fpr[0] == '\0') {
		mc_seterr_ssl("cannot compute the certificate's SHA-256");
		goto out;
	}
	if (mc_buf_add(&name, uuid_ns, sizeof(uuid_ns)) < 0 ||
	    mc_buf_printf(&name, "%s:%s", label, fpr) < 0)
		goto out;
	/* RFC 4122 4.3: SHA-1 of namespace || name, version 5, variant 10. */
	if (EVP_Digest(name.p, name.len, h, NULL, EVP_sha1(), NULL) != 1) {
		mc_seterr_ssl("cannot derive a UUID: EVP_Digest");
		goto out;
	}
	h[6] = (h[6] & 0x0f) | 0x50;
	h[8] = (h[8] & 0x3f) | 0x80;
	snprintf(out, CA_UUID_LEN,
	    "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
	    h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7],
	    h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]);
	rc = 0;
out:
	mc_buf_free(&name);
	return rc;
}

/* Text for XML: markup escaped, control characters dropped. */
static int
xml_add(struct mc_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		int rc;

		if (c == '&')
			rc = mc_buf_add(b, "&amp;", 5);
		else if (c == '<')
			rc = mc_buf_add(b, "&lt;", 4);
		else if (c == '>')
			rc = mc_buf_add(b, "&gt;", 4);
		else if (c < 0x20 || c == 0x7f)
			rc = 0;
		else
			rc = mc_buf_add(b, s, 1);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
plist_string(struct mc_buf *b, const char *indent, const char *key, const char *val)
{
	if (mc_buf_printf(b, "%s<key>%s</key>\n%s<string>", indent, key, indent) < 0 ||
	    xml_add(b, val) < 0)
		return -1;
	return add_str(b, "</string>\n");
}

/* <data> in 64-column base64 lines, as Apple's tools write it. */
static int
plist_data(struct mc_buf *b, const char *indent, const struct mc_buf *bin)
{
	unsigned char line[65];

	if (mc_buf_printf(b, "%s<key>PayloadContent</key>\n%s<data>\n", indent, indent) < 0)
		return -1;
	for (size_t off = 0; off < bin->len; off += 48) {
		size_t n = bin->len - off < 48 ? bin->len - off : 48;

		EVP_EncodeBlock(line, (const unsigned char *)bin->p + off, (int)n);
		if (mc_buf_printf(b, "%s%s\n", indent, (char *)line) < 0)
			return -1;
	}
	return mc_buf_printf(b, "%s</data>\n", indent);
}

/* The com.apple.security.root payload dictionary. */
static int
plist_root_payload(struct mc_buf *b, X509 *root, const char *name, const char *cn)
{
	static const char in[] = "\t\t\t";
	struct mc_buf der = { 0 }, file = { 0 }, id = { 0 };
	char uuid[CA_UUID_LEN];
	int rc = -1;

	if (ca_bundle_uuid(root, "root", uuid) < 0 || cert_der(root, &der) < 0 ||
	    mc_buf_printf(&file, "%s.cer", name) < 0 ||
	    mc_buf_printf(&id, "minica.root.%s", uuid) < 0)
		goto out;
	if (add_str(b, "\t\t<dict>\n") < 0 ||
	    plist_string(b, in, "PayloadCertificateFileName", file.p) < 0 ||
	    plist_data(b, in, &der) < 0 ||
	    plist_string(b, in, "PayloadDescription", "Adds a CA root certificate") < 0 ||
	    plist_string(b, in, "PayloadDisplayName", cn) < 0 ||
	    plist_string(b, in, "PayloadIdentifier", id.p) < 0 ||
	    plist_string(b, in, "PayloadType", "com.apple.security.root") < 0 ||
	    plist_string(b, in, "PayloadUUID", uuid) < 0 ||
	    mc_buf_printf(b, "%s<key>PayloadVersion</key>\n%s<integer>1</integer>\n"
		"\t\t</dict>\n", in, in) < 0)
		goto out;
	rc = 0;
out:
	mc_buf_free(&der);
	mc_buf_free(&file);
	mc_buf_free(&id);
	return rc;
}

static const char plist_head[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
    "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
    "<plist version=\"1.0\">\n<dict>\n\t<key>PayloadContent</key>\n\t<array>\n";

/* The Apple profile (com.apple.security.root) as XML plist. */
static int
bundle_mobileconfig(X509 *root, const char *name, struct mc_buf *out)
{
	struct mc_buf desc = { 0 }, disp = { 0 }, id = { 0 };
	char *cn = NULL, *org = NULL;
	char uuid[CA_UUID_LEN], fpr[CA_FPR_LEN];
	int rc = -1;

	if (ca_bundle_name_check(name) < 0 || ca_bundle_uuid(root, "profile", uuid) < 0)
		return -1;
	ca_cert_fingerprint(root, fpr);
	if ((cn = ca_cert_subject_entry(root, NID_commonName)) == NULL && (cn = mc_strdup(name)) == NULL)
		goto out;
	org = ca_cert_subject_entry(root, NID_organizationName);
	if (mc_buf_printf(&desc, "Installs the root certificate \"%s\" (SHA-256 %s). "
		"On iPhone and iPad, then turn on full trust for it in Settings > General > "
		"About > Certificate Trust Settings.", cn, fpr) < 0 ||
	    mc_buf_printf(&disp, "%s root certificate", name) < 0 ||
	    mc_buf_printf(&id, "minica.profile.%s", uuid) < 0)
		goto out;
	if (add_str(out, plist_head) < 0 ||
	    plist_root_payload(out, root, name, cn) < 0 ||
	    add_str(out, "\t</array>\n") < 0 ||
	    plist_string(out, "\t", "PayloadDescription", desc.p) < 0 ||
	    plist_string(out, "\t", "PayloadDisplayName", disp.p) < 0 ||
	    plist_string(out, "\t", "PayloadIdentifier", id.p) < 0 ||
	    (org != NULL && plist_string(out, "\t", "PayloadOrganization", org) < 0) ||
	    add_str(out, "\t<key>PayloadRemovalDisallowed</key>\n\t<false/>\n") < 0 ||
	    plist_string(out, "\t", "PayloadType", "Configuration") < 0 ||
	    plist_string(out, "\t", "PayloadUUID", uuid) < 0 ||
	    add_str(out, "\t<key>PayloadVersion</key>\n\t<integer>1</integer>\n"
		"</dict>\n</plist>\n") < 0)
		goto out;
	rc = 0;
out:
	free(cn);
	free(org);
	mc_buf_free(&desc);
	mc_buf_free(&disp);
	mc_buf_free(&id);
	return rc;
}

/* Degenerate PKCS#7 SignedData holding root, DER. */
static int
bundle_p7b(X509 *root, struct mc_buf *out)
{
	PKCS7 *p7 = NULL;
	unsigned char *der = NULL;
	int n, rc = -1;

	/* What `openssl crl2pkcs7 -nocrl` makes: SignedData, no content, no
	 * signers, the certificate in the certificates field. */
	if ((p7 = PKCS7_new()) == NULL || !PKCS7_set_type(p7, NID_pkcs7_signed) ||
	    !PKCS7_content_new(p7, NID_pkcs7_data) || !PKCS7_set_detached(p7, 1) ||
	    !PKCS7_add_certificate(p7, root)) {
		mc_seterr_ssl("cannot build the PKCS#7 file");
		goto out;
	}
	if ((n = i2d_PKCS7(p7, &der)) <= 0) {
		mc_seterr_ssl("cannot encode the PKCS#7 file: i2d_PKCS7");
		goto out;
	}
	rc = mc_buf_add(out, der, (size_t)n);
out:
	OPENSSL_free(der);
	PKCS7_free(p7);
	return rc;
}

static int
cert_pem(X509 *x, struct mc_buf *out)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int rc = -1;

	if (bio == NULL || !PEM_write_bio_X509(bio, x))
		mc_seterr_ssl("cannot encode the certificate: PEM_write_bio_X509");
	else
		rc = bio_to_buf(bio, out);
	BIO_free(bio);
	return rc;
}

void
ca_fpr_grouped(const char hex[CA_FPR_LEN], char out[CA_FPR_GROUPED_LEN])
{
	size_t o = 0;

	/* Sixteen groups of four upper-case digits: easy to read aloud. */
	for (size_t i = 0; i < CA_FPR_LEN - 1 && hex[i] != '\0'; i++) {
		if (i > 0 && i % 4 == 0 && o + 1 < CA_FPR_GROUPED_LEN)
			out[o++] = ' ';
		if (o + 1 >= CA_FPR_GROUPED_LEN)
			break;
		out[o++] = (char)toupper((unsigned char)hex[i]);
	}
	out[o] = '\0';
}

static int
kit_info_fill(X509 *root, const char *name, struct kit_info *ki)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	struct tm tm;

	ki->name = name;
	ca_cert_fingerprint(root, ki->fpr);
	ca_fpr_grouped(ki->fpr, ki->fpr_grouped);
	if (ki->fpr[0] == '\0' || X509_digest(root, EVP_sha1(), md, &n) != 1 || n != 20 ||
	    !ASN1_TIME_to_tm(X509_get0_notAfter(root), &tm)) {
		mc_seterr_ssl("cannot read the root certificate");
		return -1;
	}
	mc_hex(md, n, ki->sha1);
	strftime(ki->not_after, sizeof(ki->not_after), "%Y-%m-%d %H:%M:%S UTC", &tm);
	return (ki->subject = ca_cert_subject(root)) == NULL ? -1 : 0;
}

/* Fills @KEY@ placeholders; an '@' that starts no known key stays as is. */
static int
render(const char *tmpl, const struct kit_info *ki, struct mc_buf *out)
{
	const struct { const char *key; const char *val; } vars[] = {
		{ "@NAME@", ki->name }, { "@FPR@", ki->fpr },
		{ "@FPR_GROUPED@", ki->fpr_grouped }, { "@SHA1@", ki->sha1 },
		{ "@SUBJECT@", ki->subject }, { "@NOT_AFTER@", ki->not_after },
	};
	const char *p = tmpl, *at;

	while ((at = strchr(p, '@')) != NULL) {
		size_t i, n = sizeof(vars) / sizeof(vars[0]);

		if (mc_buf_add(out, p, (size_t)(at - p)) < 0)
			return -1;
		for (i = 0; i < n; i++)
			if (strncmp(at, vars[i].key, strlen(vars[i].key)) == 0)
				break;
		if (i < n) {
			if (mc_buf_add(out, vars[i].val, strlen(vars[i].val)) < 0)
				return -1;
			p = at + strlen(vars[i].key);
		} else {
			if (mc_buf_add(out, "@", 1) < 0)
				return -1;
			p = at + 1;
		}
	}
	return mc_buf_add(out, p, strlen(p));
}

static int
put(const char *dir, const char *name, const char *ext, mode_t mode, const struct mc_buf *b)
{
	struct mc_buf path = { 0 };
	int rc;

	if (mc_buf_printf(&path, "%s/%s%s", dir, name, ext) < 0)
		return -1;
	rc = mc_file_replace(path.p, mode, (uid_t)-1, (gid_t)-1, b->p, b->len);
	mc_buf_free(&path);
	return rc;
}

/* The root in PEM, DER, PKCS#7 and as an Apple profile. */
static int
write_encodings(X509 *root, const char *dir, const char *name)
{
	struct mc_buf b[4] = { { 0 } };
	static const char *const ext[4] = { ".crt", ".cer", ".p7b", ".mobileconfig" };
	int rc = -1;

	if (cert_pem(root, &b[0]) < 0 || cert_der(root, &b[1]) < 0 ||
	    bundle_p7b(root, &b[2]) < 0 || bundle_mobileconfig(root, name, &b[3]) < 0)
		goto out;
	for (size_t i = 0; i < 4; i++)
		if (put(dir, name, ext[i], 0644, &b[i]) < 0)
			goto out;
	rc = 0;
out:
	for (size_t i = 0; i < 4; i++)
		mc_buf_free(&b[i]);
	return rc;
}

static int
make_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		mc_seterr("'%s' exists and is not a folder", dir);
		return -1;
	}
	/* The kit is public: the folders made get 0755 whatever the umask. */
	return mc_mkdir_p(dir, 0755);
}

int
ca_bundle_write(X509 *root, const char *dir, const char *name)
{
	struct kit_info ki = { 0 };
	struct mc_buf b = { 0 };
	int rc = -1;

	if (name == NULL)
		name = CA_BUNDLE_NAME_DEFAULT;
	if (ca_bundle_name_check(name) < 0 || kit_info_fill(root, name, &ki) < 0 ||
	    make_dir(dir) < 0 || write_encodings(root, dir, name) < 0)
		goto out;
	for (const struct bundle_text *t = bundle_texts; t->file != NULL; t++) {
		b.len = 0;
		if (render(t->text, &ki, &b) < 0 || put(dir, t->file, "", t->mode, &b) < 0)
			goto out;
	}
	rc = 0;
out:
	free(ki.subject);
	mc_buf_free(&b);
	return rc;
}
