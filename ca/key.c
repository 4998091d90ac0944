/* Private keys: generation, encryption at rest, loading. */
#include <limits.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "internal.h"

static const struct {
	const char *name;
	int rsa_bits;
	const char *curve;
} key_types[] = {
	{ "rsa2048", 2048, NULL },
	{ "rsa3072", 3072, NULL },
	{ "rsa4096", 4096, NULL },
	{ "ec256", 0, "P-256" },
	{ "ec384", 0, "P-384" },
};

EVP_PKEY *
ca_key_generate(const char *type, EVP_PKEY_gen_cb *cb)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	size_t i;

	for (i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
		if (strcmp(type, key_types[i].name) == 0)
			break;
	if (i == sizeof(key_types) / sizeof(key_types[0])) {
		mc_seterr("unknown key type '%s' (use rsa2048, rsa3072, rsa4096, ec256 or ec384)", type);
		return NULL;
	}
	ctx = EVP_PKEY_CTX_new_from_name(NULL, key_types[i].curve ? "EC" : "RSA", NULL);
	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0) {
		mc_seterr_ssl("EVP_PKEY_keygen_init failed");
		goto out;
	}
	if (key_types[i].curve != NULL) {
		if (EVP_PKEY_CTX_set_group_name(ctx, key_types[i].curve) <= 0) {
			mc_seterr_ssl("EVP_PKEY_CTX_set_group_name failed");
			goto out;
		}
	} else if (EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, key_types[i].rsa_bits) <= 0) {
		mc_seterr_ssl("EVP_PKEY_CTX_set_rsa_keygen_bits failed");
		goto out;
	}
	if (cb != NULL)
		EVP_PKEY_CTX_set_cb(ctx, cb);
	if (EVP_PKEY_generate(ctx, &key) <= 0) {
		mc_seterr_ssl("EVP_PKEY_generate failed");
		key = NULL;
	}
out:
	EVP_PKEY_CTX_free(ctx);
	return key;
}

const char *
ca_key_type_name(const EVP_PKEY *key)
{
	char group[32];
	size_t glen = 0;

	if (EVP_PKEY_is_a(key, "RSA")) {
		switch (EVP_PKEY_get_bits(key)) {
		case 2048: return "rsa2048";
		case 3072: return "rsa3072";
		case 4096: return "rsa4096";
		default: return NULL;
		}
	}
	if (EVP_PKEY_is_a(key, "EC") &&
	    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &glen)) {
		if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
			return "ec256";
		if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
			return "ec384";
	}
	return NULL;
}

static int
bio_to_buf(BIO *bio, struct mc_buf *out)
{
	char *data;
	long len = BIO_get_mem_data(bio, &data);

	if (len <= 0) {
		mc_seterr("empty PEM output");
		return -1;
	}
	return mc_buf_add(out, data, (size_t)len);
}

/* A memory BIO that wipes its contents when freed. */
static BIO *
secure_mem_bio(void)
{
	BIO *bio = BIO_new(BIO_s_secmem());

	if (bio == NULL)
		mc_seterr_ssl("BIO_new failed");
	return bio;
}

int
ca_key_encrypt_pem(EVP_PKEY *key, const char *pass, size_t passlen, struct mc_buf *out)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	X509_ALGOR *pbe = NULL;
	X509_SIG *enc = NULL;
	BIO *bio = NULL;
	int rc = -1;

	if (passlen == 0) {
		mc_seterr("refusing an empty passphrase");
		return -1;
	}
	if ((p8 = EVP_PKEY2PKCS8(key)) == NULL) {
		mc_seterr_ssl("EVP_PKEY2PKCS8 failed");
		goto out;
	}
	pbe = PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), NULL, 0, NULL,
	    CA_SCRYPT_N, CA_SCRYPT_R, CA_SCRYPT_P);
	if (pbe == NULL) {
		mc_seterr_ssl("PKCS5_pbe2_set_scrypt failed");
		goto out;
	}
	if ((enc = PKCS8_set0_pbe(pass, (int)passlen, p8, pbe)) == NULL) {
		mc_seterr_ssl("PKCS8_set0_pbe failed");
		goto out;
	}
	pbe = NULL;		/* owned by enc now */
	if ((bio = secure_mem_bio()) == NULL)
		goto out;
	if (!PEM_write_bio_PKCS8(bio, enc)) {
		mc_seterr_ssl("PEM_write_bio_PKCS8 failed");
		goto out;
	}
	rc = bio_to_buf(bio, out);
out:
	BIO_free(bio);
	X509_SIG_free(enc);
	X509_ALGOR_free(pbe);
	PKCS8_PRIV_KEY_INFO_free(p8);
	return rc;
}

int
ca_key_plain_pem(EVP_PKEY *key, struct mc_buf *out)
{
	unsigned char der[256];
	size_t len = 0;
	BIO *bio;
	int rc = -1, ec;

	if ((ec = ca_key_ec_pkcs8(key, der, sizeof(der), &len)) < 0 || (bio = secure_mem_bio()) == NULL)
		goto out;
	if (ec ? !PEM_write_bio(bio, PEM_STRING_PKCS8INF, "", der, (long)len) :
	    !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL))
		mc_seterr_ssl("PEM_write_bio_PrivateKey failed");
	else
		rc = bio_to_buf(bio, out);
	BIO_free(bio);
out:
	OPENSSL_cleanse(der, sizeof(der));
	return rc;
}

int
ca_pass_cb(char *buf, int size, int rwflag, void *u)
{
	const struct ca_pass *pa = u;

	(void)rwflag;
	if (pa == NULL || pa->pass == NULL || size < 0 || pa->len > (size_t)size)
		return -1;
	memcpy(buf, pa->pass, pa->len);
	return (int)pa->len;
}

EVP_PKEY *
ca_key_from_pem(const char *pem, size_t len, const char *pass, size_t passlen)
{
	struct ca_pass pa = { pass, passlen };
	EVP_PKEY *key = NULL;
	BIO *bio;

	/* BIO_new_mem_buf takes an int; a negative one means strlen(). */
	if (len > INT_MAX) {
		mc_seterr("private key larger than %d bytes", INT_MAX);
		return NULL;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		mc_seterr_ssl("BIO_new_mem_buf failed");
		return NULL;
	}
	key = PEM_read_bio_PrivateKey(bio, NULL, ca_pass_cb, &pa);
	if (key == NULL) {
		unsigned long e = ERR_peek_last_error();

		/* A wrong passphrase shows up as a decryption or padding
		 * failure; say so rather than quote OpenSSL's internals. */
		if (pass != NULL && (ERR_GET_REASON(e) == EVP_R_BAD_DECRYPT ||
		    ERR_GET_REASON(e) == PKCS12_R_PKCS12_CIPHERFINAL_ERROR ||
		    ERR_GET_REASON(e) == PEM_R_BAD_DECRYPT ||
		    ERR_GET_REASON(e) == PEM_R_BAD_PASSWORD_READ)) {
			ERR_clear_error();
			mc_seterr("wrong passphrase");
		} else {
			mc_seterr_ssl("cannot read private key (PEM_read_bio_PrivateKey)");
		}
	}
	BIO_free(bio);
	return key;
}

EVP_PKEY *
ca_key_load(const char *path, const char *pass, size_t passlen)
{
	struct mc_buf b = { 0 };
	EVP_PKEY *key = NULL;

	if (mc_file_read(path, 1 << 20, &b) == 0) {
		key = ca_key_from_pem(b.p, b.len, pass, passlen);
		if (key == NULL)
			mc_preferr("'%s'", path);
	}
	mc_buf_free(&b);
	return key;
}
