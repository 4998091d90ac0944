/* Accounts (RFC 8555 §7.3): newAccount (with its external binding), onlyReturnExisting, update,
 * deactivation, keyChange. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

json_t *
acme_account_json(const struct acme_server *s, const struct store_acme_account *a)
{
	json_t *contact = json_loads(a->contact, 0, NULL);

	if (!json_is_array(contact)) {
		json_decref(contact);
		contact = json_array();
	}
	return json_pack("{s:s, s:o, s:o}", "status", a->status, "contact", contact,
	    "orders", acme_url_json(s, "/acme/acct/%lld/orders", (long long)a->id));
}

/* §7.3: contact is an array of mailto: URLs. */
static int
check_contact(const json_t *contact, struct acme_problem *p)
{
	size_t i;
	const json_t *v;

	if (!json_is_array(contact) || json_array_size(contact) > 10)
		return acme_problem_set(p, 400, "malformed", "contact must be an array of at most 10 mailto: URLs"), -1;
	json_array_foreach(contact, i, v) {
		const char *c = json_string_value(v);

		if (c == NULL || strncmp(c, "mailto:", 7) != 0 || strlen(c) > 320 || strpbrk(c, ",?\r\n ") != NULL)
			return acme_problem_set(p, 400, "unsupportedContact",
			    "contact %zu is not a single mailto: address", i), -1;
	}
	return 0;
}

static void
account_reply(struct acme_server *s, const struct store_acme_account *a, int status, struct acme_resp *r)
{
	acme_resp_json(r, status, acme_account_json(s, a));
	acme_url(s, r->location, sizeof(r->location), "/acme/acct/%lld", (long long)a->id);
}

/* The account and, with a binding (kid not ""), the key id's use: one
 * transaction, so a key id binds one account even between two servers. */
static int
add_account(struct acme_server *s, struct acme_post *req, const char *thumb, const char *kid,
    struct store_acme_account *a, struct acme_problem *p)
{
	const json_t *contact = req->payload != NULL ? json_object_get(req->payload, "contact") : NULL;
	json_t *empty = json_array();
	int rc = -1, bound = 1;

	if (contact != NULL && check_contact(contact, p) < 0)
		goto out;
	if (!json_is_true(json_object_get(req->payload, "termsOfServiceAgreed")) &&
	    json_object_get(req->payload, "termsOfServiceAgreed") != NULL &&
	    !json_is_boolean(json_object_get(req->payload, "termsOfServiceAgreed"))) {
		acme_problem_set(p, 400, "malformed", "termsOfServiceAgreed must be a boolean");
		goto out;
	}
	memset(a, 0, sizeof(*a));
	snprintf(a->thumbprint, sizeof(a->thumbprint), "%s", thumb);
	a->jwk = json_dumps(req->jws.jwk, JSON_SORT_KEYS | JSON_COMPACT);
	a->contact = json_dumps(contact != NULL ? contact : empty, JSON_COMPACT);
	snprintf(a->status, sizeof(a->status), "valid");
	a->created_at = time(NULL);
	if (a->jwk == NULL || a->contact == NULL || store_begin(s->db) < 0)
		goto internal;
	if (store_acme_account_add(s->db, a) < 0 ||
	    (kid[0] != '\0' && (bound = store_acme_eab_bind(s->db, kid, a->id, a->created_at)) < 0) ||
	    store_audit(s->db, "acme-account", NULL, "account=%lld thumbprint=%s eab=%s", (long long)a->id, thumb,
		kid[0] != '\0' ? kid : "none") < 0) {
		store_rollback(s->db);
		goto internal;
	}
	if (bound == 0) {
		/* Taken (or revoked) since acme_eab_check read it. */
		store_rollback(s->db);
		acme_problem_set(p, 403, "unauthorized", "external account key id '%.64s' is no longer usable", kid);
		goto out;
	}
	if (store_commit(s->db) < 0) {
		store_rollback(s->db);
		goto internal;
	}
	if (kid[0] != '\0')
		acme_eab_forget(s, kid);
	rc = 0;
	goto out;
internal:
	acme_problem_set(p, 500, "serverInternal", "cannot record the account");
out:
	json_decref(empty);
	return rc;
}

void
acme_new_account(struct acme_server *s, struct acme_post *req, struct acme_resp *r)
{
	struct store_acme_account a = { 0 };
	struct acme_problem p;
	const json_t *eab;
	char thumb[64], kid[64] = "";
	int found;

	if (req->payload == NULL) {
		acme_problem_set(&p, 400, "malformed", "newAccount needs a payload");
		goto problem;
	}
	if (acme_jwk_thumbprint(req->jws.jwk, thumb) < 0) {
		acme_problem_set(&p, 400, "badPublicKey", "cannot compute the key's thumbprint");
		goto problem;
	}
	if ((found = store_acme_account_get(s->db, 0, thumb, &a)) < 0) {
		acme_internal_error(r);
		return;
	}
	if (found && strcmp(a.status, "valid") != 0) {
		/* §7.3.6: a deactivated account's key is refused from then on. */
		acme_problem_set(&p, 403, "unauthorized", "account %lld is %s", (long long)a.id, a.status);
		goto problem;
	}
	if (found) {
		/* §7.3.1: an existing account for this key: 200 and its URL. */
		account_reply(s, &a, 200, r);
		store_acme_account_free(&a);
		return;
	}
	if (json_is_true(json_object_get(req->payload, "onlyReturnExisting"))) {
		acme_problem_set(&p, 400, "accountDoesNotExist", "no account for this key");
		goto problem;
	}
	eab = json_object_get(req->payload, "externalAccountBinding");
	if (s->cfg.eab_required && eab == NULL) {
		acme_problem_set(&p, 403, "externalAccountRequired", "this server requires an external account binding "
		    "(a key id and HMAC key from 'minica acme eab new')");
		goto problem;
	}
	/* Checked when sent even where not required: its domains then apply. */
	if (eab != NULL && acme_eab_check(s, req, eab, kid, &p) < 0)
		goto problem;
	if (add_account(s, req, thumb, kid, &a, &p) < 0)
		goto problem;
	account_reply(s, &a, 201, r);
	store_acme_account_free(&a);
	return;
problem:
	store_acme_account_free(&a);
	acme_resp_problem(r, &p);
}

/* The change and its audit event: one transaction. */
static int
update_account(struct acme_server *s, int64_t id, const char *contact, const char *status)
{
	if (store_begin(s->db) < 0)
		return -1;
	if (store_acme_account_update(s->db, id, contact, status) < 0 ||
	    store_audit(s->db, status != NULL ? "acme-deactivate" : "acme-account-update", NULL,
		"account=%lld%s%s via=acme", (long long)id, contact != NULL ? " contact=" : "",
		contact != NULL ? contact : "") < 0 ||
	    store_commit(s->db) < 0) {
		store_rollback(s->db);
		return -1;
	}
	return 0;
}

/* §7.3.2 update (contact), §7.3.6 deactivation, or POST-as-GET. */
void
acme_account(struct acme_server *s, struct acme_post *req, int64_t id, struct acme_resp *r)
{
	struct acme_problem p;
	const json_t *contact = NULL, *status = NULL;
	char *ctext = NULL;

	if (req->acct.id != id) {
		acme_problem_set(&p, 403, "unauthorized", "the account URL is not the signer's");
		acme_resp_problem(r, &p);
		return;
	}
	if (req->payload != NULL) {
		contact = json_object_get(req->payload, "contact");
		status = json_object_get(req->payload, "status");
	}
	if (status != NULL && (!json_is_string(status) || strcmp(json_string_value(status), "deactivated") != 0)) {
		acme_problem_set(&p, 400, "malformed", "an account's status can only be set to \"deactivated\"");
		acme_resp_problem(r, &p);
		return;
	}
	if (contact != NULL && check_contact(contact, &p) < 0) {
		acme_resp_problem(r, &p);
		return;
	}
	if (contact != NULL || status != NULL) {
		ctext = contact != NULL ? json_dumps(contact, JSON_COMPACT) : NULL;
		if (update_account(s, id, ctext, status != NULL ? "deactivated" : NULL) < 0) {
			free(ctext);
			acme_internal_error(r);
			return;
		}
		if (ctext != NULL) {
			free(req->acct.contact);
			req->acct.contact = ctext;
		}
		if (status != NULL)
			snprintf(req->acct.status, sizeof(req->acct.status), "deactivated");
	}
	account_reply(s, &req->acct, 200, r);
}

/* §7.3.5 steps 3-6: the inner JWS's payload names this account and its
 * current key. */
static int
key_change_payload(const struct acme_post *req, const struct acme_jws *inner, struct acme_problem *p)
{
	json_t *kc = json_loadb((char *)inner->payload, inner->payloadlen, JSON_REJECT_DUPLICATES, NULL);
	const char *account = json_string_value(json_object_get(kc, "account"));
	int rc = -1;

	if (!json_is_object(kc) || account == NULL || !json_is_object(json_object_get(kc, "oldKey")))
		acme_problem_set(p, 400, "malformed", "the keyChange payload needs account and oldKey");
	else if (strcmp(account, req->jws.kid) != 0)
		acme_problem_set(p, 400, "malformed", "the keyChange account is not the signer's account");
	else if (!acme_jwk_matches(json_object_get(kc, "oldKey"), req->key))
		acme_problem_set(p, 400, "malformed", "the keyChange oldKey is not the account's current key");
	else
		rc = 0;
	json_decref(kc);
	return rc;
}

/* The new key of a verified inner JWS: not another account's (409). */
static int
key_change_store(struct acme_server *s, struct acme_post *req, const struct acme_jws *inner, struct acme_resp *r)
{
	struct store_acme_account other = { 0 };
	struct acme_problem p;
	char thumb[64], *jwk = NULL;
	int found, rc = -1;

	if (acme_jwk_thumbprint(inner->jwk, thumb) < 0) {
		acme_problem_set(&p, 400, "badPublicKey", "cannot compute the new key's thumbprint");
		acme_resp_problem(r, &p);
		return -1;
	}
	if ((found = store_acme_account_get(s->db, 0, thumb, &other)) != 0) {
		if (found < 0)
			return acme_internal_error(r), -1;
		acme_problem_set(&p, 409, "malformed", "the new key is already account %lld's", (long long)other.id);
		acme_resp_problem(r, &p);
		acme_url(s, r->location, sizeof(r->location), "/acme/acct/%lld", (long long)other.id);
		store_acme_account_free(&other);
		return -1;
	}
	if ((jwk = json_dumps(inner->jwk, JSON_SORT_KEYS | JSON_COMPACT)) == NULL || store_begin(s->db) < 0)
		goto internal;
	if (store_acme_account_set_key(s->db, req->acct.id, thumb, jwk) < 0 ||
	    store_audit(s->db, "acme-key-change", NULL, "account=%lld old=%s new=%s", (long long)req->acct.id,
		req->acct.thumbprint, thumb) < 0 || store_commit(s->db) < 0) {
		store_rollback(s->db);
		goto internal;
	}
	snprintf(req->acct.thumbprint, sizeof(req->acct.thumbprint), "%s", thumb);
	free(req->acct.jwk);
	req->acct.jwk = jwk;
	return 0;
internal:
	free(jwk);
	acme_internal_error(r);
	return rc;
}

/* §7.3.5: the outer JWS by the account's key (kid), the inner by the new
 * key (jwk) over {account, oldKey}, both for the keyChange URL. */
void
acme_key_change(struct acme_server *s, struct acme_post *req, struct acme_resp *r)
{
	struct acme_jws inner = { 0 };
	struct acme_problem p;
	EVP_PKEY *newkey = NULL;
	char *text = NULL;

	if (req->payload == NULL || (text = json_dumps(req->payload, JSON_COMPACT)) == NULL) {
		acme_problem_set(&p, 400, "malformed", "keyChange needs an inner JWS as its payload");
		goto problem;
	}
	if (acme_jws_parse(text, strlen(text), &inner, &p) < 0)
		goto problem;
	if (inner.jwk == NULL) {
		acme_problem_set(&p, 400, "malformed", "the inner JWS must carry the new key as jwk");
		goto problem;
	}
	if (strcmp(inner.url, req->jws.url) != 0) {
		acme_problem_set(&p, 400, "malformed", "the inner JWS url is not the outer one");
		goto problem;
	}
	if ((newkey = acme_jwk_to_pkey(inner.jwk)) == NULL) {
		acme_problem_set(&p, 400, "badPublicKey", "%s", mc_err());
		goto problem;
	}
	if (acme_jws_verify(&inner, newkey, &p) < 0 || key_change_payload(req, &inner, &p) < 0)
		goto problem;
	if (key_change_store(s, req, &inner, r) == 0)
		account_reply(s, &req->acct, 200, r);
	goto out;
problem:
	acme_resp_problem(r, &p);
out:
	EVP_PKEY_free(newkey);
	acme_jws_free(&inner);
	free(text);
}
