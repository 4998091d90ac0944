/*
 * ca: keys, certificates, signing, encodings and safe file writing.
 *
 * Never parses argv, prints or exits: every function returns 0 / a pointer
 * on success and -1 / NULL with a message in mc_err() on failure.
 */
#ifndef MINICA_CA_H
#define MINICA_CA_H

#include <sys/types.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../util/util.h"

/* scrypt parameters for keys at rest: OWASP's N=2^14, r=8, p=5 row.
 * 128*r*N = 16 MiB, under OpenSSL's 32 MiB decoding cap, so
 * `openssl pkey` can still read the key. */
#define CA_SCRYPT_N 16384
#define CA_SCRYPT_R 8
#define CA_SCRYPT_P 5

#define CA_FPR_LEN 65		/* SHA-256 as lowercase hex + NUL */
#define CA_SERIAL_LEN 41	/* 159 bits as hex + NUL, with margin */

/* key.c */
/* type: rsa2048 rsa3072 rsa4096 ec256 ec384.  cb may be NULL. */
EVP_PKEY *ca_key_generate(const char *type, EVP_PKEY_gen_cb *cb);
/* PKCS#8, AES-256-CBC, scrypt (above), PEM. */
int ca_key_encrypt_pem(EVP_PKEY *key, const char *pass, size_t passlen, struct mc_buf *out);
/* Unencrypted PKCS#8 PEM (leaf keys handed to daemons). */
int ca_key_plain_pem(EVP_PKEY *key, struct mc_buf *out);
/* Reads an encrypted (or, with pass NULL, a plain) private key. */
EVP_PKEY *ca_key_load(const char *path, const char *pass, size_t passlen);
EVP_PKEY *ca_key_from_pem(const char *pem, size_t len, const char *pass, size_t passlen);
/* "rsa2048", "ec256", ... for a key; NULL if of no supported kind. */
const char *ca_key_type_name(const EVP_PKEY *key);

/* cert.c */
int ca_cert_pem(X509 *x, struct mc_buf *out);
X509 *ca_cert_from_pem(const char *pem, size_t len);
/* One certificate, PEM or DER (no trailing data after DER). */
X509 *ca_cert_from_mem(const void *data, size_t len);
/* Loads one certificate, PEM or DER. */
X509 *ca_cert_load(const char *path);
void ca_cert_fingerprint(X509 *x, char out[CA_FPR_LEN]);
/* Lowercase hex as BN_bn2hex writes it (the form the store keeps). */
int ca_cert_serial_hex(const X509 *x, char out[CA_SERIAL_LEN]);
int ca_bn_serial_hex(const BIGNUM *bn, char out[CA_SERIAL_LEN]);
/* The first subject entry of kind nid (NID_commonName, ...) as UTF-8;
 * NULL when absent.  Caller frees. */
char *ca_cert_subject_entry(X509 *x, int nid);
/* RFC 2253 one-line subject / issuer / any name ("CN=a,O=b"), the one
 * format every message shows a DN in; caller frees. */
char *ca_cert_subject(const X509 *x);
char *ca_cert_issuer(const X509 *x);
char *ca_name_text(const X509_NAME *name);
int ca_cert_validity(const X509 *x, time_t *not_before, time_t *not_after);
/* Permitted DNS subtrees of the root's nameConstraints; none -> empty. */
int ca_cert_permitted_dns(X509 *x, struct mc_strv *out);

/* constraints.c */
/* 1 if the root's nameConstraints allow this IP (4 or 16 bytes). */
int ca_cert_ip_permitted(X509 *x, const unsigned char *ip, size_t len);
/* 0 if allowed; else -1 with a message naming text (the address) and the
 * permitted ranges, or saying the root permits no IP at all. */
int ca_cert_ip_check(X509 *x, const unsigned char *ip, size_t len, const char *text);
/* Permitted IP subtrees as CIDR ("192.0.2.0/24"); none -> empty. */
int ca_cert_permitted_ip(X509 *x, struct mc_strv *out);
/* Human-readable summary of nameConstraints, "" when none, IP ranges as
 * CIDR ("permitted:IP:192.0.2.0/24"); caller frees. */
char *ca_cert_constraints_text(X509 *x);
/* Fills a fresh random positive 159-bit serial. */
int ca_serial_random(ASN1_INTEGER *serial);

/* sign.c */
/* Adds one extension written in OpenSSL's config syntax
 * (X509V3_EXT_conf_nid), e.g. "critical,CA:FALSE". */
int ca_ext_add(X509 *x, X509V3_CTX *ctx, int nid, const char *value);
/* The hash to sign with under key: SHA-256 for RSA and P-256, SHA-384
 * for P-384, SHA-512 for P-521, none (NULL) for EdDSA. */
int ca_sign_md(EVP_PKEY *key, const EVP_MD **md);
/* X509_sign / X509_CRL_sign with the hash above. */
int ca_x509_sign(X509 *x, EVP_PKEY *key);
int ca_crl_sign(X509_CRL *crl, EVP_PKEY *key);
/* notBefore = not_before (0: now - CA_BACKDATE_SECS), notAfter such that
 * the inclusive validity period (RFC 5280) is exactly days days. */
#define CA_BACKDATE_SECS 300
int ca_set_validity(X509 *x, time_t not_before, int days);

/* root.c */
struct ca_root_req {
	const char *name;		/* subject CN and O */
	int days;
	const struct mc_strv *domains;	/* permitted DNS / email subtrees */
	const struct mc_strv *permit_ip; /* CIDRs; empty: all IPs excluded */
	int name_constraints;		/* 0: none at all */
};
X509 *ca_root_build(EVP_PKEY *key, const struct ca_root_req *req);
/* Parses "10.0.0.0/8" or "fd00::/8" into OpenSSL's "IP:addr/mask" form. */
char *ca_cidr_to_conf(const char *cidr);

/* subca.c: CA certificates a root signs. */
#define CA_INTER_DAYS 1825	/* 5 years, clamped to the root's notAfter */
struct ca_inter_req {
	const char *cn;			/* subject CN; the root's other entries are kept */
	int days;			/* 0: CA_INTER_DAYS */
};
/* An issuing intermediate for pub, signed by root with the hash its key
 * calls for: basicConstraints critical CA:TRUE pathlen:0, keyUsage
 * critical keyCertSign cRLSign, EKU serverAuth clientAuth, SKI, AKI, the
 * root's nameConstraints (critical) when it has any; notAfter never past
 * the root's. */
X509 *ca_inter_build(EVP_PKEY *pub, const struct ca_inter_req *req, X509 *root, EVP_PKEY *root_key);
/* 0 if root may sign an intermediate (CA, keyCertSign, pathlen not 0). */
int ca_root_can_delegate(X509 *root);
/* "<root CN> issuing <8 hex of SHA-256 of pub's SubjectPublicKeyInfo>". */
int ca_inter_default_name(X509 *root, EVP_PKEY *pub, char *out, size_t size);
/* Root rotation: a self-signed successor of old_root for new_key with the
 * same subject and nameConstraints (pathlen 1), and the cross-certificate
 * of new_root signed by old_key (new_root's subject, key, basicConstraints,
 * keyUsage, SKI and nameConstraints; valid no longer than either root). */
X509 *ca_root_successor(X509 *old_root, EVP_PKEY *new_key, int days);
X509 *ca_cross_build(X509 *new_root, X509 *old_root, EVP_PKEY *old_key);

/* verify.c */
/* Chain-verifies leaf against root as strict clients do (X509_STRICT,
 * name constraints, purpose "sslserver"/"sslclient"/NULL). */
int ca_verify_leaf(X509 *leaf, X509 *root, const char *purpose);
/* The same through untrusted intermediates (NULL: none) to one of roots;
 * at_time 0: now. */
int ca_verify_chain(X509 *leaf, STACK_OF(X509) *untrusted, STACK_OF(X509) *roots,
    const char *purpose, time_t at_time);
/* The same with a store made once (ca_verify_chain makes one a call). */
int ca_verify_chain_in(X509_STORE *store, X509 *leaf, STACK_OF(X509) *untrusted, const char *purpose,
    time_t at_time);

/* fs.c (writing files is util/fs.c's) */
#define CA_FILE_MAX (1 << 20)	/* certificates and keys we read back */
/* SHA-256 of data / of a regular file (no symlink followed), lowercase hex. */
void ca_sha256_hex(const void *data, size_t len, char out[CA_FPR_LEN]);
int ca_file_sha256(const char *path, char out[CA_FPR_LEN]);

/* keymove.c: the root key to an offline folder and back.  Both copy
 * src to dst (dst must not exist, or hold exactly src's bytes; a symlink
 * or the same file is refused): temp name, fsync, rename, folder fsync,
 * then read back past the page cache and compared.  sha256 (may be NULL)
 * gets the content's digest.  ca_move_verified then removes src and
 * syncs its folder; on any failure src is untouched. */
int ca_copy_verified(const char *src, const char *dst, char sha256[CA_FPR_LEN]);
int ca_move_verified(const char *src, const char *dst, char sha256[CA_FPR_LEN]);
/* "minica-root-<16 hex of the root's SHA-256>.<ext>": the name the root's
 * key ("key") and certificate ("crt") have in an offline folder. */
int ca_root_key_offline_name(X509 *root, const char *ext, char *out, size_t size);

/* ---- leaf.c, csr.c, crl.c (leaf signing, CSRs, CRLs) ---- */

#define CA_CN_MAX 64		/* RFC 5280 ub-common-name, characters */
#define CA_MAX_DAYS 36500	/* sanity bound only; lifetime rules are policy's */
/* The key types minica issues for, as the messages list them. */
#define CA_KEY_TYPES_TEXT "rsa2048, rsa3072, rsa4096, ec256 (P-256), ec384 (P-384)"
#define CA_CSR_MAX (64 * 1024)	/* bytes read from a CSR file */

/* leaf.c */
struct ca_leaf_req {
	EVP_PKEY *pubkey;		/* subject public key */
	const char *cn;			/* NULL or "": empty subject */
	const struct mc_strv *dns;	/* normalised DNS names ("*.x" allowed); may be NULL */
	const struct mc_strv *ips;	/* canonical text IPv4/IPv6; may be NULL */
	const struct mc_strv *emails;	/* rfc822Name (client certs); may be NULL */
	const struct mc_strv *eku;	/* serverAuth clientAuth emailProtection; empty: none */
	int days;
	time_t not_before;		/* 0: now */
	const ASN1_INTEGER *serial;	/* NULL: fresh random positive 159-bit */
	const char *crl_url;		/* NULL: no cRLDistributionPoints */
	const struct ca_leaf_cache *cache;	/* NULL: everything made for this leaf */
};
/* Signs a leaf with the issuer key's hash (ca_sign_md): v3, subject CN only, basicConstraints
 * critical CA:FALSE, keyUsage critical (digitalSignature, plus
 * keyEncipherment for an RSA key with serverAuth, emailProtection or no
 * EKU; an RSA clientAuth-only leaf signs only), EKU, SKI, AKI keyid (the
 * issuer must have an SKI), SAN of every name (critical when the subject
 * is empty), and with crl_url a cRLDistributionPoints fullName URI.
 * Needs a CN or at least one name; refuses a notAfter past the issuer's. */
X509 *ca_leaf_sign(const struct ca_leaf_req *req, X509 *issuer, EVP_PKEY *issuer_key);
/* leafcache.c: what every leaf one issuer signs, self-checked up to the
 * same roots, can share, made once and then read by any number of threads
 * at a time: the self-check's trust store, the leaf curves' groups and the
 * authorityKeyIdentifier.  untrusted may be NULL; the cache holds its own
 * references. */
struct ca_leaf_cache;
struct ca_leaf_cache *ca_leaf_cache_new(X509 *issuer, STACK_OF(X509) *untrusted, STACK_OF(X509) *roots);
void ca_leaf_cache_free(struct ca_leaf_cache *c);
/* ca_verify_chain through the cache's intermediates to its roots, now. */
int ca_leaf_cache_verify(const struct ca_leaf_cache *c, X509 *leaf, const char *purpose);
/* ca_key_generate(type), from the cache's parameters for ec256 and ec384
 * (c NULL or another type: ca_key_generate itself). */
EVP_PKEY *ca_leaf_cache_keygen(const struct ca_leaf_cache *c, const char *type);
/* 0 if key is RSA 2048, 3072 or 4096 (e odd, >= 65537) or EC P-256/P-384
 * on a named curve with uncompressed point; -1 otherwise, saying that the
 * key "is not one of" CA_KEY_TYPES_TEXT. */
int ca_leaf_key_check(EVP_PKEY *key);
/* 1: key's public half is cert's; 0: not; -1: error. */
int ca_key_matches_cert(EVP_PKEY *key, X509 *cert);

/* csr.c */
/* PEM or DER, at most CA_CSR_MAX bytes, self-signature verified, key
 * checked with ca_leaf_key_check. */
X509_REQ *ca_csr_load(const char *path);
X509_REQ *ca_csr_from_mem(const void *data, size_t len);
/* Requested subject CN (NULL if none; caller frees) and SAN names, raw,
 * appended to the lists (which the caller frees, also on failure).  A
 * SAN of another type (URI, otherName, ...) is refused.  Only the names
 * and the public key of a CSR are ever used. */
int ca_csr_names(X509_REQ *req, char **cn, struct mc_strv *dns, struct mc_strv *ips,
    struct mc_strv *emails);

/* crl.c */
struct ca_revoked {
	const char *serial_hex;		/* as ca_cert_serial_hex writes it */
	time_t when;
	int reason;			/* CRL_REASON_*; NONE/UNSPECIFIED: no extension */
};
/* CRL v2 signed by issuer with its key's hash (ca_sign_md): entries sorted, with revocation time
 * and reason; crlNumber, AKI keyid, lastUpdate now, nextUpdate now+days. */
X509_CRL *ca_crl_build(X509 *issuer, EVP_PKEY *issuer_key, const struct ca_revoked *r,
    size_t n, long crl_number, int days);
int ca_crl_pem(X509_CRL *crl, struct mc_buf *out);
/* DER, what an http:// CRL distribution point serves (RFC 5280 4.2.1.13). */
int ca_crl_der(X509_CRL *crl, struct mc_buf *out);
/* nextUpdate of the PEM CRL at path, refused unless issuer signed it. */
int ca_crl_file_next_update(const char *path, X509 *issuer, time_t *next);

/* bundle.c: the trust kit for client machines (minica bundle). */
#define CA_BUNDLE_NAME_DEFAULT "minica-ca"
#define CA_BUNDLE_NAME_MAX 64
#define CA_UUID_LEN 37		/* 8-4-4-4-12 + NUL */
#define CA_FPR_GROUPED_LEN 80	/* "8DD1 C458 ..." for SHA-256 + NUL */
/* "ab12cd34..." -> "AB12 CD34 ...": the one form minica shows a fingerprint in. */
void ca_fpr_grouped(const char hex[CA_FPR_LEN], char out[CA_FPR_GROUPED_LEN]);
/* name: 1..64 of [A-Za-z0-9._-], not starting with '.' or '-'. */
int ca_bundle_name_check(const char *name);
/* The kit's file names for name, in the order they are written. */
int ca_bundle_files(const char *name, struct mc_strv *out);
/* Writes every kit file into dir (created 0755 if missing), each one
 * atomically, public (0644, scripts 0755).  name NULL: the default. */
int ca_bundle_write(X509 *root, const char *dir, const char *name);
/* RFC 4122 version 5 UUID (uppercase) of "label:<SHA-256 hex of root>" in
 * minica's namespace 736219ba-e2fe-53e4-90c8-12ec1596e18c, which is
 * uuid5(NAMESPACE_URL, "urn:minica:bundle"): stable for one root. */
int ca_bundle_uuid(X509 *root, const char *label, char out[CA_UUID_LEN]);

/* p12.c: PKCS#12 client kits. */
#define CA_P12_ITER 600000	/* PBKDF2-HMAC-SHA256 and MAC, modern */
#define CA_P12_LEGACY_ITER 2048	/* what old Apple/Windows importers expect */
/* Key, certificate (friendlyName = its CN) and root (may be NULL).
 * legacy 0: AES-256-CBC + PBKDF2-HMAC-SHA256, MAC SHA-256;
 * legacy 1: pbeWithSHA1And3-KeyTripleDES-CBC, MAC SHA-1.
 * pass must be non-empty and hold no NUL. */
int ca_p12_der(EVP_PKEY *key, X509 *cert, X509 *root, const char *pass, size_t passlen, int legacy, struct mc_buf *out);
/* The same, written to a new file (exclusive, 0600). */
int ca_p12_write(const char *path, EVP_PKEY *key, X509 *cert, X509 *root, const char *pass, size_t passlen, int legacy);

/* ---- tlsa.c: DANE TLSA association data (RFC 6698 2.1, RFC 7671) ---- */
enum { CA_TLSA_PKIX_TA = 0, CA_TLSA_PKIX_EE = 1, CA_TLSA_DANE_TA = 2, CA_TLSA_DANE_EE = 3 };
enum { CA_TLSA_SEL_CERT = 0, CA_TLSA_SEL_SPKI = 1 };
enum { CA_TLSA_FULL = 0, CA_TLSA_SHA256 = 1, CA_TLSA_SHA512 = 2 };
/* The association data of cert for selector (0 whole certificate, 1
 * SubjectPublicKeyInfo) and matching type (0 exact DER, 1 SHA-256, 2
 * SHA-512), raw bytes appended to out.  With cert NULL, of key's public
 * half (selector 1 only): the record of a key not yet certified. */
int ca_tlsa_data(X509 *cert, EVP_PKEY *key, int selector, int mtype, struct mc_buf *out);
/* The same as lowercase hex (what a zone file carries). */
int ca_tlsa_hex(X509 *cert, EVP_PKEY *key, int selector, int mtype, struct mc_buf *out);
/* 1 if a record's selector/mtype/data matches cert (or, cert NULL, key);
 * 0 if not or of a form we do not know; -1 on an internal error. */
int ca_tlsa_match(X509 *cert, EVP_PKEY *key, int selector, int mtype, const unsigned char *data,
    size_t len);
/* One published TLSA record, as DNS returns it. */
struct ca_tlsa_rr {
	int usage, selector, mtype;
	unsigned char *data;
	size_t len;
};
/* Hex digits (either case, even count) to bytes appended to out. */
int ca_tlsa_parse_hex(const char *hex, struct mc_buf *out);
/* Every PEM certificate in text, in order (leaf first in a deployed
 * file); none is an error. */
STACK_OF(X509) *ca_chain_from_pem(const char *pem, size_t len);

/* ---- oldkey.c, adopt.c, importset.c, easyrsa.c (minica import) ---- */

/* oldkey.c */
/* 1 if the PEM is an encrypted key (PKCS#8 or "Proc-Type: 4,ENCRYPTED"). */
int ca_key_pem_encrypted(const char *pem, size_t len);
/* Reads a hand-made key: traditional PEM (DES-EDE3, DES, AES), PKCS#8
 * encrypted (PBES2, PKCS#12 PBE) or plain; ciphers OpenSSL 3 keeps in its
 * legacy provider included.  pass NULL: only an unencrypted key.  A
 * wrong passphrase says "wrong old passphrase". */
EVP_PKEY *ca_key_load_old(const char *path, const char *pass, size_t passlen);

/* adopt.c */
/* 0 if x is a self-signed CA (v3 CA:TRUE or a v1 root); -1 naming why not. */
int ca_root_check(X509 *x);
/* One line per shortcoming of a root made elsewhere ("what: what it
 * means"): v1, basicConstraints, keyUsage, name constraints, SKI, RSA
 * size, SHA-1/MD5, expiry and lifetime.  Appended to out. */
int ca_root_findings(X509 *x, time_t now, struct mc_strv *out);
/* 1 if leaf's issuer name is root's subject and root's key verifies
 * leaf's signature; 0 otherwise. */
int ca_cert_signed_by(X509 *leaf, X509 *root);
/* Subject CN (NULL if none; caller frees) and the SAN's DNS, IP and
 * e-mail names (others ignored), appended without duplicates. */
int ca_cert_names(X509 *x, char **cn, struct mc_strv *dns, struct mc_strv *ips, struct mc_strv *emails);
/* "server" (serverAuth or no EKU), "client" (clientAuth only) or NULL. */
const char *ca_cert_role(X509 *x);

/* importset.c, easyrsa.c */
struct ca_imported {
	X509 *cert;
	char *source;			/* the file it was read from */
	char serial[CA_SERIAL_LEN];	/* as ca_cert_serial_hex writes it */
	char fingerprint[CA_FPR_LEN];
	int revoked;			/* from an easy-rsa index.txt */
	time_t revoked_at;
	char *reason;			/* OpenSSL's reason name */
};
struct ca_import_set {
	X509 *root;			/* set by the caller; not owned */
	struct ca_imported *v;
	size_t n, cap;
	struct mc_strv skipped;		/* "'file' ...; skipped" notes */
	struct mc_strv foreign;		/* ca_import_dir's, while it runs */
};
/* Each adds every certificate found, deduplicated by fingerprint; the
 * root itself is passed over.  A certificate the root did not sign, or
 * two certificates with one serial, fail naming the file. */
int ca_import_file(struct ca_import_set *s, const char *path);
/* *.pem and *.crt in dir; files holding no certificate, symbolic links
 * and certificates naming another issuer go to skipped (one note for the
 * links, one for the foreign certificates). */
int ca_import_dir(struct ca_import_set *s, const char *dir);
/* pki/index.txt (V, R with time and reason, E), certificates from
 * certs_by_serial/, revoked/certs_by_serial/, renewed/certs_by_serial/
 * and issued/. */
int ca_import_easyrsa(struct ca_import_set *s, const char *pki);
void ca_import_set_free(struct ca_import_set *s);
/* Hex serial in any case, leading zeros as BN_bn2hex writes them. */
int ca_serial_normalize(const char *hex, char out[CA_SERIAL_LEN]);

#endif
