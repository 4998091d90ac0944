/*
 * The ACME request layer past the JWS (fuzz_jws.c stops at the
 * signature): the payload parsers of newAccount, account update and
 * newOrder, and the ARI certID parser behind renewalInfo, each run as the
 * server runs them, handler and store included (a fresh copy of one store
 * per input, on a tmpfs when there is one).  The first byte picks the handler, the
 * rest is the JWS payload (JSON, parsed as check_post parses it) or the
 * certID.  Whatever comes in, the answer is a JSON body, a problem
 * document of an RFC 8555 type for 4xx/5xx, and a new order echoes the
 * identifiers it was given.  base64url: what decodes encodes back to
 * itself (one spelling per byte string).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "acme/internal.h"
#include "fuzz/fuzz.h"

/* An EC P-256 public key (RFC 7515 A.3's). */
static const char jwk_text[] = "{\"kty\":\"EC\",\"crv\":\"P-256\","
    "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKAk7q-0\"}";

static int
check_name(void *arg, const char *name)
{
	size_t n = strlen(name);

	(void)arg;
	if (n < 13 || strcmp(name + n - 12, ".example.org") != 0 || strstr(name, "..") != NULL) {
		mc_seterr("not below example.org");
		return -1;
	}
	return 0;
}

static void
check_answer(const struct acme_resp *r)
{
	const char *type;
	char *body;

	if (r->status < 200 || r->status > 599 || r->json == NULL || (body = json_dumps(r->json, 0)) == NULL)
		abort();
	free(body);
	if (r->status >= 400) {
		type = json_string_value(json_object_get(r->json, "type"));
		if (type == NULL || strncmp(type, "urn:ietf:params:acme:error:", 27) != 0 || type[27] == '\0' ||
		    strcmp(r->ctype, "application/problem+json") != 0)
			abort();
	}
}

static void
b64_roundtrip(const char *in, size_t len)
{
	unsigned char *raw = NULL;
	size_t rawlen;
	char *again;

	if (acme_b64url_decode(in, len, &raw, &rawlen) < 0)
		return;
	if ((again = acme_b64url_encode(raw, rawlen)) == NULL || strlen(again) != len || memcmp(again, in, len) != 0)
		abort();
	free(again);
	free(raw);
}

static void
certid(struct acme_server *s, const char *id, struct acme_resp *r)
{
	char serial[48];

	if (acme_ari_serial(id, serial) == 0 && (serial[0] == '\0' || strspn(serial, "0123456789abcdef") != strlen(serial)))
		abort();
	acme_renewal_info(s, id, r);
}

static void
run(struct acme_server *s, int which, const uint8_t *data, size_t size)
{
	struct acme_post req = { 0 };
	struct acme_resp r = { .status = 500 };
	char *text = fuzz_cstr(data, size);

	req.jws.jwk = json_loads(jwk_text, 0, NULL);
	if (text == NULL || req.jws.jwk == NULL || store_acme_account_get(s->db, 1, NULL, &req.acct) != 1)
		abort();
	b64_roundtrip(text, size);
	if (which == 3) {
		certid(s, text, &r);
	} else if (size > 0 && ((req.payload = json_loadb(text, size, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    !json_is_object(req.payload))) {
		goto out;	/* check_post answers malformed before any handler */
	} else if (which == 0) {
		acme_new_account(s, &req, &r);
	} else if (which == 1) {
		acme_account(s, &req, 1, &r);
	} else {
		acme_new_order(s, &req, &r);
		if (r.status == 201 && (r.location[0] == '\0' || json_array_size(json_object_get(r.json,
		    "identifiers")) != json_array_size(json_object_get(req.payload, "identifiers"))))
			abort();
	}
	if (which != 3 || r.json != NULL)
		check_answer(&r);
out:
	json_decref(r.json);
	free(r.text);
	json_decref(req.payload);
	json_decref(req.jws.jwk);
	store_acme_account_free(&req.acct);
	free(text);
}

static void
unlink_db(const char *path)
{
	char side[80];

	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

/* A store with the schema and one account, made once; each input gets a
 * fresh copy of its bytes (migrating per input would be 20 times slower). */
static const struct mc_buf *
template_db(const char *path)
{
	static struct mc_buf tpl;
	struct store_acme_account a = { .thumbprint = "fuzz", .contact = "[]", .created_at = 1 };
	struct store *st;

	if (tpl.len > 0)
		return &tpl;
	a.jwk = (char *)jwk_text;
	unlink_db(path);
	if ((st = store_open(path, 1)) == NULL || store_acme_account_add(st, &a) < 0)
		abort();
	store_close(st);
	if (mc_file_read(path, 16 << 20, &tpl) < 0 || tpl.len == 0)
		abort();
	unlink_db(path);
	return &tpl;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct acme_server s = { .cfg = { .base_url = "https://acme.example.org:14000",
	    .issuer = { .check_name = check_name } } };
	const struct mc_buf *tpl;
	FILE *f;

	if (size == 0 || size > ACME_BODY_MAX)
		return 0;
	if (path[0] == '\0')
		snprintf(path, sizeof(path), "%s/minica-fuzz-acme-%ld.db",
		    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid());
	tpl = template_db(path);
	if ((f = fopen(path, "wb")) == NULL || fwrite(tpl->p, 1, tpl->len, f) != tpl->len || fclose(f) != 0)
		abort();
	if ((s.db = store_open(path, 0)) == NULL)
		abort();
	run(&s, data[0] % 4, data + 1, size - 1);
	store_close(s.db);
	unlink_db(path);
	ERR_clear_error();
	return 0;
}
