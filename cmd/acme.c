/* minica acme serve | accounts | deactivate ACCOUNT */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "acme_cmd.h"

struct serve_opts {
	char *listen;		/* ADDR:PORT */
	char *hostname;
	char *profile;
	int http01_port;
	int no_tls;
};

static int
split_listen(const char *s, char *addr, size_t len, int *port)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long p;

	if (colon == NULL || (size_t)(colon - s) >= len || colon == s)
		return -1;
	p = strtol(colon + 1, &end, 10);
	if (*end != '\0' || p < 1 || p > 65535)
		return -1;
	memcpy(addr, s, (size_t)(colon - s));
	addr[colon - s] = '\0';
	*port = (int)p;
	return 0;
}

/* Runs until SIGINT or SIGTERM. */
static int
run_server(struct acme_config *cfg)
{
	struct acme_server *srv;
	char *db = cmd_home_path("minica.db");
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	/* Blocked before the server thread starts, so only sigwait sees them. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (db == NULL || (srv = acme_server_start(cfg, db)) == NULL) {
		free(db);
		return cmd_fail();
	}
	free(db);
	fprintf(stderr, "minica: ACME directory at %s/acme/directory\n", cfg->base_url);
	sigwait(&set, &sig);
	acme_server_stop(srv);
	fprintf(stderr, "minica: ACME server stopped (signal %d)\n", sig);
	return EXIT_OK;
}

static int
serve(const struct serve_opts *o)
{
	struct acme_issuing ai = { .profile = o->profile != NULL ? o->profile : "server" };
	struct acme_config cfg = { .http01_port = o->http01_port > 0 ? o->http01_port : 80 };
	struct mc_buf cert = { 0 }, key = { 0 };
	char addr[64], base[600];
	int rc = EXIT_ERR;

	if (split_listen(o->listen != NULL ? o->listen : "127.0.0.1:443", addr, sizeof(addr), &cfg.port) < 0)
		return cmd_usage_error("acme serve", "--listen wants ADDR:PORT, e.g. 127.0.0.1:14000");
	if (o->hostname == NULL)
		return cmd_usage_error("acme serve", "--hostname NAME is needed (the name in every URL)");
	if (o->no_tls && strcmp(addr, "127.0.0.1") != 0)
		return cmd_usage_error("acme serve", "--no-tls listens on 127.0.0.1 only (behind a local proxy)");
	if (cmd_open_ca(&ai.ca) < 0)
		return EXIT_ERR;
	if (cmd_ca_unlock(&ai.ca) < 0)
		goto out;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!o->no_tls && acme_cmd_tls_cert(&ai, o->hostname, &cert, &key) < 0) {
		mc_preferr("cannot issue the server's certificate for '%s'", o->hostname);
		cmd_fail();
		goto out;
	}
	snprintf(base, sizeof(base), "%s://%s:%d", o->no_tls ? "http" : "https", o->hostname, cfg.port);
	cfg.listen_addr = addr;
	cfg.base_url = base;
	cfg.tls_cert_pem = o->no_tls ? NULL : cert.p;
	cfg.tls_key_pem = o->no_tls ? NULL : key.p;
	/* The issuing certificate follows the leaf, even when it is the root:
	 * certbot refuses a chain of one. */
	cfg.chain_pem = ai.ca.rec.pem;
	cfg.issuer = (struct acme_issuer){ acme_cmd_issue, acme_cmd_check_name, acme_cmd_revoke, &ai };
	rc = run_server(&cfg);
out:
	mc_buf_free(&cert);
	mc_buf_free(&key);
	cmd_close_ca(&ai.ca);
	curl_global_cleanup();
	return rc;
}

static int
cmd_acme_serve(int argc, const char **argv)
{
	struct serve_opts o = { 0 };
	struct poptOption opts[] = {
		{ "listen", 0, POPT_ARG_STRING, &o.listen, 0, "address and port (default 127.0.0.1:443)", "ADDR:PORT" },
		{ "hostname", 0, POPT_ARG_STRING, &o.hostname, 0, "the server's name in URLs and its certificate", "NAME" },
		{ "profile", 0, POPT_ARG_STRING, &o.profile, 0, "profile of ACME certificates (default server)", "NAME" },
		{ "http01-port", 0, POPT_ARG_INT, &o.http01_port, 0, "port http-01 validation connects to (default 80)", "N" },
		{ "no-tls", 0, POPT_ARG_NONE, &o.no_tls, 0, "plain HTTP on 127.0.0.1, behind a local proxy", NULL },
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, cmd_common_options, 0, "Common options:", NULL },
		POPT_AUTOHELP
		POPT_TABLEEND
	};
	poptContext ctx = NULL;
	int rc;

	if ((rc = cmd_parse(&ctx, argc, argv, opts, "")) != 0)
		return rc;
	if (poptPeekArg(ctx) != NULL)
		rc = cmd_usage_error("acme serve", "unexpected argument '%s'", poptPeekArg(ctx));
	else if (o.http01_port < 0 || o.http01_port > 65535)
		rc = cmd_usage_error("acme serve", "--http01-port must be 1-65535");
	else
		rc = serve(&o);
	cmd_parse_done(ctx, opts);
	return rc;
}

static int
print_account(const struct store_acme_account *a, void *arg)
{
	int json = *(int *)arg;
	char when[21];

	mc_iso8601(a->created_at, when);
	if (json) {
		printf("{\"id\": %lld, \"status\": ", (long long)a->id);
		cmd_json_str(stdout, a->status);
		printf(", \"contact\": %s, \"thumbprint\": ", a->contact);
		cmd_json_str(stdout, a->thumbprint);
		printf(", \"created\": \"%s\"}\n", when);
	} else {
		printf("%-6lld %-12s %s %s %s\n", (long long)a->id, a->status, when, a->thumbprint, a->contact);
	}
	return 0;
}

static int
accounts(int json, const char *deactivate)
{
	struct cmd_ca ca;
	char *end;
	long long id = 0;
	int rc = EXIT_ERR;

	if (deactivate != NULL && ((id = strtoll(deactivate, &end, 10)) <= 0 || *end != '\0'))
		return cmd_usage_error("acme deactivate", "ACCOUNT is a number (see 'minica acme accounts')");
	if (cmd_open_ca(&ca) < 0)
		return EXIT_ERR;
	if (deactivate == NULL) {
		rc = store_acme_account_each(ca.db, print_account, &json) < 0 ? cmd_fail() : EXIT_OK;
		goto out;
	}
	struct store_acme_account a;
	int found = store_acme_account_get(ca.db, id, NULL, &a);

	if (found <= 0) {
		rc = found == 0 ? (cmd_error("no ACME account %lld", id), EXIT_ERR) : cmd_fail();
		goto out;
	}
	store_acme_account_free(&a);
	if (cmd_ca_lock(&ca) < 0 || store_begin(ca.db) < 0)
		goto out;
	if (store_acme_account_update(ca.db, id, NULL, "deactivated") < 0 ||
	    store_audit(ca.db, "acme-deactivate", NULL, "account=%lld", id) < 0 || store_commit(ca.db) < 0) {
		store_rollback(ca.db);
		rc = cmd_fail();
		goto out;
	}
	printf("deactivated ACME account %lld\n", id);
	rc = EXIT_OK;
out:
	cmd_close_ca(&ca);
	return rc;
}

static int
cmd_acme_accounts(int argc, const char **argv, int deactivate)
{
	int json = 0;
	struct poptOption opts[] = {
		{ "json", 0, POPT_ARG_NONE, &json, 0, "one JSON object a line", NULL },
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, cmd_common_options, 0, "Common options:", NULL },
		POPT_AUTOHELP
		POPT_TABLEEND
	};
	poptContext ctx = NULL;
	const char *arg;
	int rc;

	if ((rc = cmd_parse(&ctx, argc, argv, opts, deactivate ? "ACCOUNT" : "")) != 0)
		return rc;
	arg = poptGetArg(ctx);
	if (deactivate ? arg == NULL || poptPeekArg(ctx) != NULL : arg != NULL)
		rc = cmd_usage_error(deactivate ? "acme deactivate" : "acme accounts",
		    deactivate ? "give exactly one ACCOUNT" : "no arguments expected");
	else
		rc = accounts(json, deactivate ? arg : NULL);
	cmd_parse_done(ctx, opts);
	return rc;
}

int
cmd_acme(int argc, const char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "serve") == 0)
		return cmd_acme_serve(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "accounts") == 0)
		return cmd_acme_accounts(argc - 1, argv + 1, 0);
	if (argc >= 2 && strcmp(argv[1], "deactivate") == 0)
		return cmd_acme_accounts(argc - 1, argv + 1, 1);
	return cmd_usage_error("acme", "give one of: serve, accounts, deactivate ACCOUNT");
}
