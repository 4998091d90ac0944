/*
 * The HTTP side: libmicrohttpd on one internal thread (so the store has
 * one user), bounded bodies, routing, nonces, and the JWS checks every
 * POST goes through before a handler sees it (RFC 8555 §6).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "internal.h"

struct conn {
	struct mc_buf body;
	int too_big;
};

void
acme_url(const struct acme_server *s, char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	size_t n = (size_t)snprintf(out, len, "%s", s->cfg.base_url);

	if (n >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(out + n, len - n, fmt, ap);
	va_end(ap);
}

json_t *
acme_url_json(const struct acme_server *s, const char *fmt, ...)
{
	char path[512], url[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	acme_url(s, url, sizeof(url), "%s", path);
	return json_string(url);
}

void
acme_resp_json(struct acme_resp *r, int status, json_t *body)
{
	r->status = status;
	json_decref(r->json);
	r->json = body;
	r->ctype = "application/json";
}

void
acme_resp_problem(struct acme_resp *r, const struct acme_problem *p)
{
	char type[128];

	snprintf(type, sizeof(type), "urn:ietf:params:acme:error:%s", p->type);
	acme_resp_json(r, p->status, json_pack("{s:s, s:s, s:i}", "type", type, "detail", p->detail,
	    "status", p->status));
	r->ctype = "application/problem+json";
	r->location[0] = '\0';
}

void
acme_internal_error(struct acme_resp *r)
{
	struct acme_problem p;

	/* mc_err names files and SQL; the client gets the type only. */
	acme_problem_set(&p, 500, "serverInternal", "internal error; see the server's log");
	acme_resp_problem(r, &p);
}

static json_t *
directory(const struct acme_server *s)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:{s:b}}",
	    "newNonce", acme_url_json(s, "/acme/new-nonce"),
	    "newAccount", acme_url_json(s, "/acme/new-account"),
	    "newOrder", acme_url_json(s, "/acme/new-order"),
	    "revokeCert", acme_url_json(s, "/acme/revoke-cert"),
	    "keyChange", acme_url_json(s, "/acme/key-change"),
	    "renewalInfo", acme_url_json(s, "/acme/renewal-info"),
	    "meta", "externalAccountRequired", s->cfg.eab_required != 0);
}

/*
 * The account's key, from the cache or made from its JWK: OpenSSL's
 * decoders building an EVP_PKEY cost more than checking the signature,
 * and every request of an account would pay it again.  NULL on error.
 */
static EVP_PKEY *
account_key(struct acme_server *s, const struct store_acme_account *a)
{
	struct acme_key_slot *k;
	json_t *jwk;
	EVP_PKEY *key;

	for (size_t i = 0; i < ACME_KEY_CACHE; i++) {
		k = &s->keys[i];
		if (k->key != NULL && k->id == a->id && strcmp(k->jwk, a->jwk) == 0)
			return EVP_PKEY_up_ref(k->key) == 1 ? k->key : NULL;
	}
	jwk = json_loads(a->jwk, 0, NULL);
	key = jwk != NULL ? acme_jwk_to_pkey(jwk) : NULL;
	json_decref(jwk);
	if (key == NULL)
		return NULL;
	k = &s->keys[s->keys_next];
	s->keys_next = (s->keys_next + 1) % ACME_KEY_CACHE;
	free(k->jwk);
	EVP_PKEY_free(k->key);
	k->key = NULL;
	if ((k->jwk = mc_strdup(a->jwk)) != NULL && EVP_PKEY_up_ref(key) == 1) {
		k->id = a->id;
		k->key = key;
	}
	return key;
}

static void
account_keys_free(struct acme_server *s)
{
	for (size_t i = 0; i < ACME_KEY_CACHE; i++) {
		free(s->keys[i].jwk);
		EVP_PKEY_free(s->keys[i].key);
	}
}

/* The account behind kid, which must be one of our account URLs. */
static int
load_kid(struct acme_server *s, struct acme_post *req, struct acme_problem *p)
{
	char prefix[600];
	const char *kid = req->jws.kid;
	char *end;
	long long id;
	int found;

	acme_url(s, prefix, sizeof(prefix), "/acme/acct/");
	if (strncmp(kid, prefix, strlen(prefix)) != 0 ||
	    (id = strtoll(kid + strlen(prefix), &end, 10)) <= 0 || *end != '\0')
		return acme_problem_set(p, 400, "accountDoesNotExist", "kid '%.100s' is not an account of this server",
		    kid), -1;
	if ((found = store_acme_account_get(s->db, id, NULL, &req->acct)) < 0)
		return acme_problem_set(p, 500, "serverInternal", "cannot read the account"), -1;
	if (found == 0)
		return acme_problem_set(p, 400, "accountDoesNotExist", "no account %lld", id), -1;
	if (strcmp(req->acct.status, "valid") != 0)
		return acme_problem_set(p, 403, "unauthorized", "account %lld is %s", id, req->acct.status), -1;
	if ((req->key = account_key(s, &req->acct)) == NULL)
		return acme_problem_set(p, 500, "serverInternal", "cannot read the account key"), -1;
	return 0;
}

/* RFC 8555 §6.2-6.5: form, url, nonce, key, signature, payload. */
static int
check_post(struct acme_server *s, const char *path, const struct conn *c, int jwk_ok, struct acme_post *req,
    struct acme_problem *p)
{
	char url[1024];

	if (acme_jws_parse(c->body.p != NULL ? c->body.p : "", c->body.len, &req->jws, p) < 0)
		return -1;
	acme_url(s, url, sizeof(url), "%s", path);
	if (strcmp(req->jws.url, url) != 0)
		return acme_problem_set(p, 401, "unauthorized", "the JWS url is not the URL requested (%s)", url), -1;
	if (req->jws.nonce == NULL)
		return acme_problem_set(p, 400, "badNonce", "the JWS has no nonce"), -1;
	if (!acme_nonce_take(s->nonces, req->jws.nonce))
		return acme_problem_set(p, 400, "badNonce", "the nonce is unknown or was used before"), -1;
	if (req->jws.jwk != NULL && !jwk_ok)
		return acme_problem_set(p, 400, "malformed", "this request must be signed with the account's kid"), -1;
	if (req->jws.jwk != NULL) {
		if ((req->key = acme_jwk_to_pkey(req->jws.jwk)) == NULL)
			return acme_problem_set(p, 400, "badPublicKey", "%s", mc_err()), -1;
	} else if (load_kid(s, req, p) < 0) {
		return -1;
	}
	if (acme_jws_verify(&req->jws, req->key, p) < 0)
		return -1;
	if (req->jws.payloadlen > 0 &&
	    ((req->payload = json_loadb((char *)req->jws.payload, req->jws.payloadlen, JSON_REJECT_DUPLICATES,
	    NULL)) == NULL || !json_is_object(req->payload)))
		return acme_problem_set(p, 400, "malformed", "the JWS payload is not a JSON object"), -1;
	return 0;
}

static void
post_free(struct acme_post *req)
{
	acme_jws_free(&req->jws);
	json_decref(req->payload);
	store_acme_account_free(&req->acct);
	EVP_PKEY_free(req->key);
}

/* "/acme/NAME/ID": the ID, or 0 when path is not of that form. */
static int64_t
path_id(const char *path, const char *name)
{
	size_t n = strlen(name);
	char *end;
	long long id;

	if (strncmp(path, "/acme/", 6) != 0 || strncmp(path + 6, name, n) != 0 || path[6 + n] != '/')
		return 0;
	id = strtoll(path + 7 + n, &end, 10);
	return *end == '\0' && id > 0 ? id : 0;
}

static void
route_post(struct acme_server *s, const char *path, const struct conn *c, struct acme_resp *r)
{
	struct acme_post req = { 0 };
	struct acme_problem p;
	int jwk_ok = strcmp(path, "/acme/new-account") == 0 || strcmp(path, "/acme/revoke-cert") == 0;
	int64_t id;

	if (check_post(s, path, c, jwk_ok, &req, &p) < 0)
		acme_resp_problem(r, &p);
	else if (strcmp(path, "/acme/new-account") == 0)
		acme_new_account(s, &req, r);
	else if (strcmp(path, "/acme/new-order") == 0)
		acme_new_order(s, &req, r);
	else if (strcmp(path, "/acme/revoke-cert") == 0)
		acme_revoke(s, &req, r);
	else if (strcmp(path, "/acme/key-change") == 0)
		acme_key_change(s, &req, r);
	else if ((id = path_id(path, "acct")) > 0)
		acme_account(s, &req, id, r);
	else if ((id = path_id(path, "order")) > 0)
		acme_order(s, &req, id, r);
	else if ((id = path_id(path, "authz")) > 0)
		acme_authz(s, &req, id, r);
	else if ((id = path_id(path, "chall")) > 0)
		acme_challenge(s, &req, id, r);
	else if ((id = path_id(path, "finalize")) > 0)
		acme_finalize(s, &req, id, r);
	else if ((id = path_id(path, "cert")) > 0)
		acme_certificate(s, &req, id, r);
	else {
		acme_problem_set(&p, 404, "malformed", "no such resource");
		acme_resp_problem(r, &p);
	}
	post_free(&req);
}

static void
route(struct acme_server *s, const char *method, const char *path, const struct conn *c, struct acme_resp *r)
{
	struct acme_problem p;
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

	if (c->too_big) {
		acme_problem_set(&p, 413, "malformed", "request body over %d bytes", ACME_BODY_MAX);
		acme_resp_problem(r, &p);
	} else if (get && strcmp(path, "/acme/directory") == 0) {
		acme_resp_json(r, 200, directory(s));
	} else if (strcmp(path, "/acme/new-nonce") == 0 && get) {
		r->status = strcmp(method, "HEAD") == 0 ? 200 : 204;
	} else if (get && strncmp(path, "/acme/renewal-info/", 19) == 0) {
		acme_renewal_info(s, path + 19, r);
	} else if (strcmp(method, "POST") == 0) {
		route_post(s, path, c, r);
	} else {
		acme_problem_set(&p, 405, "malformed", "%s is not allowed here", method);
		acme_resp_problem(r, &p);
	}
}

static enum MHD_Result
send_resp(struct acme_server *s, struct MHD_Connection *mc, struct acme_resp *r)
{
	struct MHD_Response *resp;
	char *body = r->json != NULL ? json_dumps(r->json, JSON_INDENT(2)) : r->text;
	char nonce[ACME_NONCE_LEN], idx[600], num[16];
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(body != NULL ? strlen(body) : 0, body != NULL ? body : "",
	    body != NULL ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (body == r->text)
		r->text = NULL;
	if (resp == NULL)
		return MHD_NO;
	if (r->ctype != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype);
	if (acme_nonce_new(s->nonces, nonce) == 0)
		MHD_add_response_header(resp, "Replay-Nonce", nonce);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	acme_url(s, idx, sizeof(idx), "/acme/directory");
	{
		char link[700];

		snprintf(link, sizeof(link), "<%s>;rel=\"index\"", idx);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LINK, link);
	}
	if (r->link[0] != '\0')
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LINK, r->link);
	if (r->location[0] != '\0')
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
	if (r->retry_after > 0) {
		snprintf(num, sizeof(num), "%d", r->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, num);
	}
	ret = MHD_queue_response(mc, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *mc, const char *url, const char *method, const char *version,
    const char *upload, size_t *upload_size, void **con_cls)
{
	struct acme_server *s = cls;
	struct conn *c = *con_cls;
	struct acme_resp r = { .status = 500 };
	enum MHD_Result ret;

	(void)version;
	if (c == NULL) {
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return MHD_NO;
		*con_cls = c;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		/* Bounded: past the limit the rest is read and dropped. */
		if (c->body.len + *upload_size > ACME_BODY_MAX)
			c->too_big = 1;
		else if (mc_buf_add(&c->body, upload, *upload_size) < 0)
			return MHD_NO;
		*upload_size = 0;
		return MHD_YES;
	}
	route(s, method, url, c, &r);
	ret = send_resp(s, mc, &r);
	json_decref(r.json);
	free(r.text);
	return ret;
}

static void
on_done(void *cls, struct MHD_Connection *mc, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct conn *c = *con_cls;

	(void)cls;
	(void)mc;
	(void)toe;
	if (c != NULL) {
		mc_buf_free(&c->body);
		free(c);
	}
	*con_cls = NULL;
}

struct acme_server *
acme_server_start(const struct acme_config *cfg, const char *dbpath)
{
	struct acme_server *s = calloc(1, sizeof(*s));
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->port) };
	struct sockaddr_in6 sa6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)cfg->port) };
	struct sockaddr *addr = (struct sockaddr *)&sa;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
	struct MHD_OptionItem tls[3] = { { MHD_OPTION_END, 0, NULL }, { MHD_OPTION_END, 0, NULL },
		{ MHD_OPTION_END, 0, NULL } };

	if (s == NULL) {
		mc_seterr("out of memory");
		return NULL;
	}
	s->cfg = *cfg;
	if (inet_pton(AF_INET6, cfg->listen_addr, &sa6.sin6_addr) == 1) {
		addr = (struct sockaddr *)&sa6;
		flags |= MHD_USE_IPv6;
	} else if (inet_pton(AF_INET, cfg->listen_addr, &sa.sin_addr) != 1) {
		mc_seterr("listen address '%s' is not an IP address", cfg->listen_addr);
		goto fail;
	}
	if ((s->nonces = acme_nonces_new()) == NULL || (s->db = store_open(dbpath, 0)) == NULL ||
	    acme_tls_init(s, cfg->tls_cert_pem, cfg->tls_key_pem, tls) < 0 || acme_validators_start(s, dbpath) < 0)
		goto fail;
	/* The EAB keys live next to the CA keys (eab.c says why). */
	{
		char *home = mc_dir_of(dbpath);

		if (home == NULL || asprintf(&s->eab_dir, "%s/private/eab", home) < 0) {
			s->eab_dir = NULL;
			free(home);
			mc_seterr("out of memory");
			goto fail;
		}
		free(home);
	}
	if (s->tls != NULL)
		flags |= MHD_USE_TLS;
	s->daemon = MHD_start_daemon(flags, (uint16_t)cfg->port, NULL, NULL, on_request, s,
	    MHD_OPTION_SOCK_ADDR, addr,
	    MHD_OPTION_NOTIFY_COMPLETED, on_done, s,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
	    MHD_OPTION_ARRAY, tls,
	    MHD_OPTION_END);
	if (s->daemon == NULL) {
		mc_seterr("cannot listen on %s:%d (in use, or TLS set-up failed)", cfg->listen_addr, cfg->port);
		goto fail;
	}
	return s;
fail:
	acme_server_stop(s);
	return NULL;
}

void
acme_server_stop(struct acme_server *s)
{
	if (s == NULL)
		return;
	if (s->daemon != NULL)
		MHD_stop_daemon(s->daemon);
	acme_validators_stop(s);
	acme_tls_free(s);
	store_close(s->db);
	acme_nonces_free(s->nonces);
	account_keys_free(s);
	free(s->eab_dir);
	free(s);
}
