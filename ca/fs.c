/* SHA-256 fingerprints of data and of files. */
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "ca.h"

void
ca_sha256_hex(const void *data, size_t len, char out[CA_FPR_LEN])
{
	unsigned char md[32];

	SHA256(data, len, md);
	mc_hex(md, sizeof(md), out);
	OPENSSL_cleanse(md, sizeof(md));
}

int
ca_file_sha256(const char *path, char out[CA_FPR_LEN])
{
	struct mc_buf b = { 0 };

	if (mc_file_read(path, CA_FILE_MAX, &b) < 0)
		return -1;
	ca_sha256_hex(b.p, b.len, out);
	mc_buf_free(&b);
	return 0;
}
