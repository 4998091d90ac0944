/*
 * What a batch of leaves under one issuer shares, made once: the trust
 * store of the self-check, a classic EC key on each leaf curve (its group
 * is copied into each leaf's certificate key instead of being built from
 * the curve's name, 25 us a leaf), each curve's parameters (new keys are
 * generated from them, not from the curve's name: 30 us a key) and the
 * authorityKeyIdentifier.
 * Read-only once made, so the batch's threads use it at the same time.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/x509v3.h>

#include "internal.h"

struct ca_leaf_cache {
	X509_STORE *store;
	STACK_OF(X509) *untrusted;
	EVP_PKEY *groups[2];		/* P-256, P-384: classic keys */
	EVP_PKEY *params[2];		/* the same curves' parameters, for keygen */
	X509_EXTENSION *akid;		/* NULL: made per leaf (an issuer without SKI) */
};

static const char *const cache_curves[2][2] = { { "ec256", "prime256v1" }, { "ec384", "secp384r1" } };

void
ca_leaf_cache_free(struct ca_leaf_cache *c)
{
	if (c == NULL)
		return;
	X509_STORE_free(c->store);
	sk_X509_pop_free(c->untrusted, X509_free);
	for (size_t i = 0; i < 2; i++) {
		EVP_PKEY_free(c->groups[i]);
		EVP_PKEY_free(c->params[i]);
	}
	X509_EXTENSION_free(c->akid);
	free(c);
}

static int
cache_groups(struct ca_leaf_cache *c)
{
	for (size_t i = 0; i < 2; i++) {
		EVP_PKEY *k = ca_key_generate(cache_curves[i][0], NULL);
		EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);

		c->groups[i] = k != NULL ? ca_key_classic_public(k, NULL) : NULL;
		if (pc == NULL || EVP_PKEY_paramgen_init(pc) <= 0 ||
		    EVP_PKEY_CTX_set_group_name(pc, cache_curves[i][1]) <= 0 || EVP_PKEY_paramgen(pc, &c->params[i]) <= 0) {
			mc_seterr_ssl("cannot make the parameters of %s", cache_curves[i][1]);
			c->params[i] = NULL;
		}
		EVP_PKEY_CTX_free(pc);
		EVP_PKEY_free(k);
		if (c->groups[i] == NULL || c->params[i] == NULL)
			return -1;
	}
	return 0;
}

/* From the curve's parameters made once: half the time of
 * ca_key_generate, which looks the curve up by name for every key. */
EVP_PKEY *
ca_leaf_cache_keygen(const struct ca_leaf_cache *c, const char *type)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;

	for (size_t i = 0; c != NULL && i < 2; i++)
		if (strcmp(type, cache_curves[i][0]) == 0)
			ctx = EVP_PKEY_CTX_new_from_pkey(NULL, c->params[i], NULL);
	if (ctx == NULL)
		return ca_key_generate(type, NULL);
	if (EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_generate(ctx, &key) <= 0) {
		mc_seterr_ssl("EVP_PKEY_generate failed");
		key = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	return key;
}

struct ca_leaf_cache *
ca_leaf_cache_new(X509 *issuer, STACK_OF(X509) *untrusted, STACK_OF(X509) *roots)
{
	struct ca_leaf_cache *c = calloc(1, sizeof(*c));
	X509V3_CTX ctx;

	if (c == NULL || (untrusted != NULL && (c->untrusted = X509_chain_up_ref(untrusted)) == NULL)) {
		mc_seterr_ssl("cannot set up the self-check");
		goto fail;
	}
	if ((c->store = ca_trust_store(roots)) == NULL)
		goto fail;
	if (cache_groups(c) < 0)
		goto fail;
	/* As leaf_add_akid makes it: the issuer's SKI, or none cached. */
	if (X509_get_ext_by_NID(issuer, NID_subject_key_identifier, -1) >= 0) {
		X509V3_set_ctx(&ctx, issuer, NULL, NULL, NULL, 0);
		if ((c->akid = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always")) == NULL) {
			mc_seterr_ssl("cannot make the authorityKeyIdentifier");
			goto fail;
		}
	}
	return c;
fail:
	ca_leaf_cache_free(c);
	return NULL;
}

int
ca_leaf_cache_verify(const struct ca_leaf_cache *c, X509 *leaf, const char *purpose)
{
	return ca_verify_chain_in(c->store, leaf, c->untrusted, purpose, 0);
}

EVP_PKEY *
ca_leaf_cache_group(const struct ca_leaf_cache *c, EVP_PKEY *key)
{
	char group[32];

	if (c == NULL || !EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL))
		return NULL;
	for (size_t i = 0; i < 2; i++)
		if (strcmp(group, cache_curves[i][1]) == 0)
			return c->groups[i];
	return NULL;
}

const X509_EXTENSION *
ca_leaf_cache_akid(const struct ca_leaf_cache *c)
{
	return c != NULL ? c->akid : NULL;
}
