/* Internal to ca/: helpers its files share and nothing outside uses. */
#ifndef MINICA_CA_INTERNAL_H
#define MINICA_CA_INTERNAL_H

#include <openssl/asn1.h>

#include "ca.h"

/* key.c: the passphrase handed to OpenSSL's PEM readers (u: a struct
 * ca_pass); never prompts. */
struct ca_pass {
	const char *pass;
	size_t len;
};
int ca_pass_cb(char *buf, int size, int rwflag, void *u);

/* der.c: one object of type it from PEM (a block named pem_name, or one
 * of the older names OpenSSL's readers take for it) or DER, the whole
 * input: trailing bytes after the DER are refused.  what names the object
 * in messages ("certificate", "certificate request").  NULL with the
 * message on failure; free with ASN1_item_free(obj, it). */
void *ca_decode(const void *data, size_t len, const ASN1_ITEM *it, const char *pem_name, const char *what);

#endif
