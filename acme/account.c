/* Accounts (RFC 8555 §7.3): newAccount, onlyReturnExisting, update, deactivation. */
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

static int
add_account(struct acme_server *s, struct acme_post *req, const char *thumb, struct store_acme_account *a,
    struct acme_problem *p)
{
	const json_t *contact = req->payload != NULL ? json_object_get(req->payload, "contact") : NULL;
	json_t *empty = json_array();
	int rc = -1;

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
	    store_audit(s->db, "acme-account", NULL, "account=%lld thumbprint=%s", (long long)a->id, thumb) < 0 ||
	    store_commit(s->db) < 0) {
		store_rollback(s->db);
		goto internal;
	}
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
	char thumb[64];
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
	if (s->cfg.eab_required && json_object_get(req->payload, "externalAccountBinding") == NULL) {
		acme_problem_set(&p, 403, "externalAccountRequired", "this server requires an external account binding");
		goto problem;
	}
	if (add_account(s, req, thumb, &a, &p) < 0)
		goto problem;
	account_reply(s, &a, 201, r);
	store_acme_account_free(&a);
	return;
problem:
	store_acme_account_free(&a);
	acme_resp_problem(r, &p);
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
		if (store_acme_account_update(s->db, id, ctext, status != NULL ? "deactivated" : NULL) < 0) {
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
