/*
 * Reading a CA key made by hand: `openssl genrsa -des3` (traditional PEM,
 * "Proc-Type: 4,ENCRYPTED"), `openssl genpkey -des3` (PKCS#8, PBES2 with
 * des-ede3-cbc), easy-rsa's PKCS#8 AES, or no encryption at all.  Keys
 * from older OpenSSL may use single DES or RC2, which OpenSSL 3 keeps in
 * its legacy provider: that is loaded for a second try.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509.h>

#include "internal.h"

#define OLDKEY_MAX (1 << 20)

int
ca_key_pem_encrypted(const char *pem, size_t len)
{
	return memmem(pem, len, "BEGIN ENCRYPTED PRIVATE KEY", 27) != NULL ||
	    memmem(pem, len, "Proc-Type: 4,ENCRYPTED", 22) != NULL;
}

static int
is_bad_decrypt(unsigned long e)
{
	int r = ERR_GET_REASON(e);

	return r == EVP_R_BAD_DECRYPT || r == PKCS12_R_PKCS12_CIPHERFINAL_ERROR ||
	    r == PEM_R_BAD_DECRYPT || r == PEM_R_BAD_PASSWORD_READ;
}

/* NULL when not read; *bad_pass is set when OpenSSL's errors say the
 * passphrase was wrong.  The error queue is emptied either way. */
static EVP_PKEY *
read_key(const char *pem, size_t len, const struct ca_pass *pa, int *bad_pass)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *key = NULL;

	if (bio == NULL)
		return NULL;
	key = PEM_read_bio_PrivateKey(bio, NULL, ca_pass_cb, (void *)pa);
	if (key == NULL) {
		unsigned long e;

		while ((e = ERR_get_error()) != 0)
			if (is_bad_decrypt(e))
				*bad_pass = 1;
	}
	BIO_free(bio);
	return key;
}

/* Traditional PEM decryption fetches its cipher from the default library
 * context, so the legacy provider goes there, for this read only;
 * retain_fallbacks keeps the default provider available alongside. */
static EVP_PKEY *
read_key_legacy(const char *pem, size_t len, const struct ca_pass *pa, int *bad_pass)
{
	OSSL_PROVIDER *legacy = OSSL_PROVIDER_try_load(NULL, "legacy", 1);
	EVP_PKEY *key = NULL;

	if (legacy != NULL) {
		key = read_key(pem, len, pa, bad_pass);
		OSSL_PROVIDER_unload(legacy);
	}
	ERR_clear_error();
	return key;
}

EVP_PKEY *
ca_key_load_old(const char *path, const char *pass, size_t passlen)
{
	struct ca_pass pa = { pass, passlen };
	struct mc_buf b = { 0 };
	EVP_PKEY *key = NULL;
	int bad_pass = 0;

	if (mc_file_read(path, OLDKEY_MAX, &b) < 0)
		goto out;
	if (memmem(b.p, b.len, "PRIVATE KEY-----", 16) == NULL) {
		mc_seterr("'%s' is not a PEM private key", path);
		goto out;
	}
	if (ca_key_pem_encrypted(b.p, b.len) && pass == NULL) {
		mc_seterr("'%s' is encrypted and no passphrase was given", path);
		goto out;
	}
	ERR_clear_error();
	if ((key = read_key(b.p, b.len, &pa, &bad_pass)) == NULL) {
		bad_pass = 0;	/* a cipher only the legacy provider has fails like a bad key */
		key = read_key_legacy(b.p, b.len, &pa, &bad_pass);
	}
	if (key == NULL && bad_pass)
		mc_seterr("cannot read '%s': wrong old passphrase", path);
	else if (key == NULL && pass != NULL)
		mc_seterr("cannot read '%s': wrong old passphrase, or a format OpenSSL cannot read "
		    "(PEM_read_bio_PrivateKey, also with the legacy provider)", path);
	else if (key == NULL)
		mc_seterr("cannot read '%s': not a private key OpenSSL can read "
		    "(PEM_read_bio_PrivateKey, also with the legacy provider)", path);
out:
	ERR_clear_error();
	mc_buf_free(&b);
	return key;
}
