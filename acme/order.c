/* Orders, authorizations and challenges (RFC 8555 §7.4, §7.5, §8). */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "internal.h"

#define ORDER_LIFETIME (7 * 24 * 3600)
#define ORDER_MAX_NAMES 100

static json_t *
time_json(time_t t)
{
	char iso[21];

	mc_iso8601(t, iso);
	return json_string(iso);
}

struct authz_urls {
	const struct acme_server *s;
	json_t *arr;
	int all_valid, any_invalid;
};

static int
collect_authz(const struct store_acme_authz *a, void *arg)
{
	struct authz_urls *u = arg;

	json_array_append_new(u->arr, acme_url_json(u->s, "/acme/authz/%lld", (long long)a->id));
	if (strcmp(a->status, "valid") != 0)
		u->all_valid = 0;
	if (strcmp(a->status, "invalid") == 0 || strcmp(a->status, "deactivated") == 0 ||
	    strcmp(a->status, "revoked") == 0)
		u->any_invalid = 1;
	return 0;
}

int
acme_order_next(struct acme_server *s, const struct store_acme_order *o, const char **nextp)
{
	struct authz_urls u = { s, json_array(), 1, 0 };
	const char *next = NULL;
	int rc = -1;

	if (u.arr == NULL || store_acme_authz_each(s->db, o->id, collect_authz, &u) < 0)
		goto out;
	/* Requests are served one at a time, so an order still processing
	 * is a finalize the process did not finish (killed): with its
	 * certificate recorded it is valid, else it may be finalized again. */
	if (strcmp(o->status, "processing") == 0)
		next = o->cert_serial[0] != '\0' ? "valid" : "ready";
	else if (strcmp(o->status, "pending") == 0 && u.any_invalid)
		next = "invalid";
	else if (strcmp(o->status, "pending") == 0 && u.all_valid)
		next = "ready";
	else if ((strcmp(o->status, "pending") == 0 || strcmp(o->status, "ready") == 0) && o->expires < time(NULL))
		next = "invalid";
	*nextp = next;
	rc = 0;
out:
	json_decref(u.arr);
	return rc;
}

int
acme_order_refresh(struct acme_server *s, struct store_acme_order *o)
{
	const char *next;

	if (acme_order_next(s, o, &next) < 0)
		return -1;
	if (next != NULL) {
		if (store_acme_order_set(s->db, o->id, next, NULL, NULL) < 0)
			return -1;
		snprintf(o->status, sizeof(o->status), "%s", next);
	}
	return 0;
}

static json_t *
order_json(struct acme_server *s, const struct store_acme_order *o)
{
	struct authz_urls u = { s, json_array(), 1, 0 };
	json_t *ids = json_loads(o->identifiers, 0, NULL);
	json_t *j;

	if (u.arr == NULL || ids == NULL || store_acme_authz_each(s->db, o->id, collect_authz, &u) < 0) {
		json_decref(u.arr);
		json_decref(ids);
		return NULL;
	}
	j = json_pack("{s:s, s:o, s:o, s:o, s:o}", "status", o->status, "expires", time_json(o->expires),
	    "identifiers", ids, "authorizations", u.arr,
	    "finalize", acme_url_json(s, "/acme/finalize/%lld", (long long)o->id));
	if (j != NULL && o->cert_serial[0] != '\0' && strcmp(o->status, "valid") == 0)
		json_object_set_new(j, "certificate", acme_url_json(s, "/acme/cert/%lld", (long long)o->id));
	if (j != NULL && o->replaces != NULL)
		json_object_set_new(j, "replaces", json_string(o->replaces));
	if (j != NULL && o->error != NULL)
		json_object_set_new(j, "error", json_loads(o->error, 0, NULL));
	return j;
}

static void
order_reply(struct acme_server *s, const struct store_acme_order *o, int status, struct acme_resp *r)
{
	json_t *j = order_json(s, o);

	if (j == NULL) {
		acme_internal_error(r);
		return;
	}
	acme_resp_json(r, status, j);
	acme_url(s, r->location, sizeof(r->location), "/acme/order/%lld", (long long)o->id);
	if (strcmp(o->status, "processing") == 0 ||
	    (strcmp(o->status, "pending") == 0 && store_acme_order_validating(s->db, o->id) == 1))
		r->retry_after = 1;
}

/* An IP identifier (RFC 8738 §3): canonical text, inside the root's IP constraints. */
static int
check_ip(struct acme_server *s, const char *value, struct acme_problem *p)
{
	char canon[64];

	if (acme_ip_canonical(value, canon) < 0)
		return acme_problem_set(p, 400, "malformed", "'%.100s' is not an IP address", value), -1;
	if (strcmp(value, canon) != 0)
		return acme_problem_set(p, 400, "malformed", "IP identifier '%.100s' is not in its canonical form; "
		    "send '%s' (RFC 8738 §3)", value, canon), -1;
	if (s->cfg.issuer.check_name(s->cfg.issuer.arg, value) < 0)
		return acme_problem_set(p, 400, "rejectedIdentifier", "'%.100s': %.250s", value, mc_err()), -1;
	return 0;
}

/* One identifier: a DNS name or an IP address the CA may issue for
 * (RFC 8555 §7.1.4, RFC 8738). */
static int
check_identifier(struct acme_server *s, const json_t *id, struct acme_problem *p)
{
	const char *type = json_string_value(json_object_get(id, "type"));
	const char *value = json_string_value(json_object_get(id, "value"));
	char canon[64];

	if (type == NULL || value == NULL)
		return acme_problem_set(p, 400, "malformed", "an identifier needs a type and a value"), -1;
	if (strcmp(type, "ip") == 0)
		return check_ip(s, value, p);
	if (strcmp(type, "dns") != 0)
		return acme_problem_set(p, 400, "unsupportedIdentifier", "identifier type '%.20s' is not supported "
		    "(dns and ip only)", type), -1;
	/* The CA's name check would take an address for a name to check as one. */
	if (acme_ip_canonical(value, canon) == 0)
		return acme_problem_set(p, 400, "rejectedIdentifier", "'%.100s' is an IP address: order it as "
		    "{\"type\": \"ip\"} (RFC 8738)", value), -1;
	if (strlen(value) > 253 || s->cfg.issuer.check_name(s->cfg.issuer.arg, value) < 0)
		return acme_problem_set(p, 400, "rejectedIdentifier", "'%.200s': %.200s", value, mc_err()), -1;
	return 0;
}

static int
add_challenge(struct acme_server *s, int64_t authz_id, const char *type)
{
	struct store_acme_chall c = { .authz_id = authz_id };
	unsigned char raw[32];
	char *tok;

	if (RAND_bytes(raw, sizeof(raw)) != 1 || (tok = acme_b64url_encode(raw, sizeof(raw))) == NULL) {
		mc_seterr("cannot make a challenge token");
		return -1;
	}
	snprintf(c.type, sizeof(c.type), "%s", type);
	snprintf(c.token, sizeof(c.token), "%s", tok);
	free(tok);
	return store_acme_chall_add(s->db, &c);
}

/* http-01 and tls-alpn-01 (RFC 8737 §3: not for a wildcard) for names and
 * IPs, dns-01 for names only (RFC 8738 §7: no reverse-zone TXT). */
static int
add_challenges(struct acme_server *s, const struct store_acme_authz *a)
{
	int ip = strcmp(a->type, "ip") == 0;

	if (!a->wildcard && (add_challenge(s, a->id, "http-01") < 0 || add_challenge(s, a->id, "tls-alpn-01") < 0))
		return -1;
	return ip ? 0 : add_challenge(s, a->id, "dns-01");
}

/* The order, one authorization per name and its challenges: one transaction. */
static int
record_order(struct acme_server *s, struct store_acme_order *o, const json_t *ids)
{
	size_t i;
	const json_t *v;

	if (store_begin(s->db) < 0)
		return -1;
	if (store_acme_order_add(s->db, o) < 0)
		goto fail;
	json_array_foreach(ids, i, v) {
		struct store_acme_authz a = { .order_id = o->id, .expires = o->expires };

		snprintf(a.type, sizeof(a.type), "%s", json_string_value(json_object_get(v, "type")));
		snprintf(a.value, sizeof(a.value), "%s", json_string_value(json_object_get(v, "value")));
		/* §7.1.3: a wildcard's authorization is for the base name, by dns-01 only. */
		if (strncmp(a.value, "*.", 2) == 0) {
			memmove(a.value, a.value + 2, strlen(a.value + 2) + 1);
			a.wildcard = 1;
		}
		for (char *c = a.value; *c != '\0'; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		if (store_acme_authz_add(s->db, &a) < 0 || add_challenges(s, &a) < 0)
			goto fail;
	}
	if (store_audit(s->db, "acme-order", NULL, "account=%lld order=%lld identifiers=%s",
	    (long long)o->account_id, (long long)o->id, o->identifiers) < 0 || store_commit(s->db) < 0)
		goto fail;
	return 0;
fail:
	store_rollback(s->db);
	return -1;
}

void
acme_new_order(struct acme_server *s, struct acme_post *req, struct acme_resp *r)
{
	const json_t *ids = req->payload != NULL ? json_object_get(req->payload, "identifiers") : NULL;
	const json_t *rep = req->payload != NULL ? json_object_get(req->payload, "replaces") : NULL;
	struct store_acme_order o = { .account_id = req->acct.id };
	struct acme_problem p;
	size_t i;
	const json_t *v;

	if (!json_is_array(ids) || json_array_size(ids) == 0 || json_array_size(ids) > ORDER_MAX_NAMES) {
		acme_problem_set(&p, 400, "malformed", "identifiers must be an array of 1 to %d names", ORDER_MAX_NAMES);
		goto problem;
	}
	if (rep != NULL && !json_is_string(rep)) {
		acme_problem_set(&p, 400, "malformed", "replaces must be an ARI certID string");
		goto problem;
	}
	json_array_foreach(ids, i, v)
		if (check_identifier(s, v, &p) < 0)
			goto problem;
	if (rep != NULL && acme_replaces_check(s, req->acct.id, json_string_value(rep), ids, &p) < 0)
		goto problem;
	if (acme_eab_check_order(s, req->acct.id, ids, &p) < 0)
		goto problem;
	if (json_object_get(req->payload, "notBefore") != NULL || json_object_get(req->payload, "notAfter") != NULL) {
		acme_problem_set(&p, 400, "malformed", "notBefore and notAfter are not supported; the profile "
		    "sets the lifetime");
		goto problem;
	}
	o.identifiers = json_dumps(ids, JSON_COMPACT);
	o.replaces = rep != NULL ? mc_strdup(json_string_value(rep)) : NULL;
	o.created_at = time(NULL);
	o.expires = o.created_at + ORDER_LIFETIME;
	snprintf(o.status, sizeof(o.status), "pending");
	if (o.identifiers == NULL || record_order(s, &o, ids) < 0)
		acme_internal_error(r);
	else
		order_reply(s, &o, 201, r);
	store_acme_order_free(&o);
	return;
problem:
	acme_resp_problem(r, &p);
}

/* The order, if it exists and belongs to the signer. */
static int
own_order(struct acme_server *s, struct acme_post *req, int64_t id, struct store_acme_order *o,
    struct acme_resp *r)
{
	struct acme_problem p;
	int found = store_acme_order_get(s->db, id, o);

	if (found < 0)
		return acme_internal_error(r), -1;
	if (found == 0 || o->account_id != req->acct.id) {
		store_acme_order_free(o);
		acme_problem_set(&p, 404, "malformed", "no such order for this account");
		return acme_resp_problem(r, &p), -1;
	}
	return 0;
}

void
acme_order(struct acme_server *s, struct acme_post *req, int64_t id, struct acme_resp *r)
{
	struct store_acme_order o;

	if (own_order(s, req, id, &o, r) < 0)
		return;
	if (acme_order_refresh(s, &o) < 0)
		acme_internal_error(r);
	else
		order_reply(s, &o, 200, r);
	store_acme_order_free(&o);
}

/* The authorization and its order, which must be the signer's. */
static int
own_authz(struct acme_server *s, struct acme_post *req, int64_t id, struct store_acme_authz *a,
    struct acme_resp *r)
{
	struct store_acme_order o;
	struct acme_problem p;
	int found = store_acme_authz_get(s->db, id, a);

	if (found < 0)
		return acme_internal_error(r), -1;
	if (found == 0) {
		acme_problem_set(&p, 404, "malformed", "no such authorization");
		return acme_resp_problem(r, &p), -1;
	}
	if (own_order(s, req, a->order_id, &o, r) < 0)
		return -1;
	store_acme_order_free(&o);
	return 0;
}

struct chall_list {
	const struct acme_server *s;
	json_t *arr;
	int processing;
};

static json_t *
chall_json(const struct acme_server *s, const struct store_acme_chall *c)
{
	json_t *j = json_pack("{s:s, s:o, s:s, s:s}", "type", c->type,
	    "url", acme_url_json(s, "/acme/chall/%lld", (long long)c->id), "token", c->token, "status", c->status);

	if (j != NULL && strcmp(c->status, "valid") == 0)
		json_object_set_new(j, "validated", time_json(c->validated_at));
	if (j != NULL && c->error[0] != '\0')
		json_object_set_new(j, "error", json_loads(c->error, 0, NULL));
	return j;
}

static int
collect_chall(const struct store_acme_chall *c, void *arg)
{
	struct chall_list *l = arg;

	if (strcmp(c->status, "processing") == 0)
		l->processing = 1;
	return json_array_append_new(l->arr, chall_json(l->s, c));
}

static void
authz_reply(struct acme_server *s, const struct store_acme_authz *a, struct acme_resp *r)
{
	struct chall_list l = { s, json_array(), 0 };
	json_t *j;

	if (l.arr == NULL || store_acme_chall_each(s->db, a->id, collect_chall, &l) < 0) {
		json_decref(l.arr);
		acme_internal_error(r);
		return;
	}
	j = json_pack("{s:s, s:o, s:{s:s, s:s}, s:o}", "status", a->status, "expires", time_json(a->expires),
	    "identifier", "type", a->type, "value", a->value, "challenges", l.arr);
	if (j != NULL && a->wildcard)
		json_object_set_new(j, "wildcard", json_true());
	if (j == NULL)
		acme_internal_error(r);
	else
		acme_resp_json(r, 200, j);
	/* §7.5.1: the client polls a pending authorization while it is validated. */
	if (j != NULL && l.processing && strcmp(a->status, "pending") == 0)
		r->retry_after = 1;
}

void
acme_authz(struct acme_server *s, struct acme_post *req, int64_t id, struct acme_resp *r)
{
	struct store_acme_authz a;
	const json_t *st = req->payload != NULL ? json_object_get(req->payload, "status") : NULL;

	if (own_authz(s, req, id, &a, r) < 0)
		return;
	/* §7.5.2: the client may deactivate an authorization. */
	if (st != NULL && json_is_string(st) && strcmp(json_string_value(st), "deactivated") == 0) {
		if (store_acme_authz_set(s->db, a.id, "deactivated") < 0)
			return acme_internal_error(r);
		snprintf(a.status, sizeof(a.status), "deactivated");
	}
	authz_reply(s, &a, r);
}

void
acme_challenge(struct acme_server *s, struct acme_post *req, int64_t id, struct acme_resp *r)
{
	struct store_acme_chall c;
	struct store_acme_authz a;
	int found = store_acme_chall_get(s->db, id, &c);

	if (found <= 0) {
		struct acme_problem p;

		if (found < 0)
			return acme_internal_error(r);
		acme_problem_set(&p, 404, "malformed", "no such challenge");
		return acme_resp_problem(r, &p);
	}
	if (own_authz(s, req, c.authz_id, &a, r) < 0)
		return;
	/* §7.5.1: an empty object asks for validation (on a validator
	 * thread: worker.c); POST-as-GET only reads. */
	if (req->payload != NULL && strcmp(c.status, "pending") == 0 && strcmp(a.status, "pending") == 0) {
		struct acme_problem p;

		if (acme_validate_start(s, &c, &p) < 0)
			return acme_resp_problem(r, &p);
	}
	acme_resp_json(r, 200, chall_json(s, &c));
	if (strcmp(c.status, "processing") == 0)
		r->retry_after = 1;
	{
		char up[400];

		acme_url(s, up, sizeof(up), "/acme/authz/%lld", (long long)a.id);
		snprintf(r->link, sizeof(r->link), "<%s>;rel=\"up\"", up);
	}
}
