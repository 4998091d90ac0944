/* minica acme serve | accounts | deactivate ACCOUNT */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "acme_cmd.h"

/* 127.0.0.1, ::1 and the rest of 127/8: where tls = no may listen. */
static int
loopback(const char *addr)
{
	return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0;
}

/* Runs until SIGINT or SIGTERM. */
static int
run_server(struct cmd_ctx *ctx, struct acme_config *cfg)
{
	struct acme_server *srv;
	char *db = cmd_home_path(ctx, "minica.db");
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

/* The [acme] section checked against the CA: the profile exists and the
 * hostname is one the CA may issue for.  Messages as minica.conf's own. */
static int
check_settings(struct cmd_ctx *ctx, const struct pol_acme *a, const char *profile)
{
	const char *conf = ctx->ca.cfg.path != NULL ? ctx->ca.cfg.path : "minica.conf";

	if (a->hostname == NULL) {
		mc_seterr("'%s': [acme] hostname is not set: add hostname = NAME (the name in every URL and in "
		    "the server's certificate, inside the CA's domains)", conf);
		return -1;
	}
	if (pol_profile_find(&ctx->ca.cfg, profile) == NULL) {
		mc_preferr("'%s': [acme] profile = %s", conf, profile);
		return -1;
	}
	if (acme_cmd_check_name(&(struct acme_issuing){ .ca = &ctx->ca, .profile = profile }, a->hostname) < 0) {
		mc_preferr("'%s': [acme] hostname = %s", conf, a->hostname);
		return -1;
	}
	return 0;
}

static int
serve(struct cmd_ctx *ctx, const char *listen)
{
	const struct pol_acme *a = &ctx->ca.cfg.acme;
	struct acme_issuing ai = { .ca = &ctx->ca };
	struct acme_config cfg = { 0 };
	struct mc_buf cert = { 0 }, key = { 0 }, chain = { 0 };
	char addr[64], base[600];
	int rc;

	/* A long-running server must not hold the CA lock: it locks per signing. */
	ctx->flags &= ~(unsigned)LOCKS_CA;
	if ((rc = cmd_setup(ctx)) != 0)
		return rc;
	/* Read once the CA (and with it minica.conf) is open. */
	ai.profile = a->profile != NULL ? a->profile : "server";
	cfg = (struct acme_config){ .http01_port = a->http01_port, .tlsalpn01_port = a->tlsalpn01_port,
				    .eab_required = a->eab_required, .resolver = a->resolver };
	if (listen == NULL)
		listen = a->listen != NULL ? a->listen : "127.0.0.1:443";
	if (pol_addr_port_split(listen, addr, sizeof(addr), &cfg.port) < 0) {
		mc_preferr("--listen");
		return cmd_fail();
	}
	if (!a->tls && !loopback(addr)) {
		mc_seterr("'%s': [acme] tls = no listens on the loopback address only (behind a local "
		    "proxy): set listen = 127.0.0.1:PORT", ctx->ca.cfg.path != NULL ? ctx->ca.cfg.path : "minica.conf");
		return cmd_fail();
	}
	if (check_settings(ctx, a, ai.profile) < 0)
		return cmd_fail();
	if ((rc = cmd_unlock(ctx)) != 0)
		return rc;
	rc = EXIT_ERR;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (a->tls && acme_cmd_tls_cert(&ai, a->hostname, &cert, &key) < 0) {
		mc_preferr("cannot issue the server's certificate for '%s'", a->hostname);
		cmd_fail();
		goto out;
	}
	snprintf(base, sizeof(base), "%s://%s:%d", a->tls ? "https" : "http", a->hostname, cfg.port);
	cfg.listen_addr = addr;
	cfg.base_url = base;
	cfg.tls_cert_pem = a->tls ? cert.p : NULL;
	cfg.tls_key_pem = a->tls ? key.p : NULL;
	/* The issuing certificate follows the leaf, even when it is the root:
	 * certbot refuses a chain of one. */
	if (ca_cert_pem(ctx->ca.cert, &chain) < 0 || (ctx->ca.cross != NULL && ca_cert_pem(ctx->ca.cross, &chain) < 0) ||
	    mc_buf_add(&chain, "", 1) < 0) {
		cmd_fail();
		goto out;
	}
	cfg.chain_pem = chain.p;
	cfg.issuer = (struct acme_issuer){ acme_cmd_issue, acme_cmd_check_name, acme_cmd_revoke, &ai };
	rc = run_server(ctx, &cfg);
out:
	mc_buf_free(&cert);
	mc_buf_free(&key);
	mc_buf_free(&chain);
	curl_global_cleanup();
	return rc;
}

static int
cmd_acme_serve(struct cmd_ctx *ctx)
{
	char *listen = NULL;
	struct poptOption opts[] = {
		{ "listen", 0, POPT_ARG_STRING, &listen, 0,
		  "address and port, over minica.conf's [acme] listen (default 127.0.0.1:443)", "ADDR:PORT" },
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};
	int rc;

	if ((rc = cmd_args(ctx, opts, "", 0)) != 0)
		return rc;
	return serve(ctx, listen);
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
deactivate(struct mc_ca *ca, const char *arg)
{
	struct store_acme_account a;
	char *end;
	long long id = strtoll(arg, &end, 10);
	int found;

	if (id <= 0 || *end != '\0')
		return cmd_usage_error("acme deactivate", "ACCOUNT is a number (see 'minica acme accounts')");
	if ((found = store_acme_account_get(ca->db, id, NULL, &a)) <= 0)
		return found == 0 ? (cmd_error("no ACME account %lld", id), EXIT_ERR) : cmd_fail();
	store_acme_account_free(&a);
	if (store_begin(ca->db) < 0)
		return cmd_fail();
	if (store_acme_account_update(ca->db, id, NULL, "deactivated") < 0 ||
	    store_audit(ca->db, "acme-deactivate", NULL, "account=%lld", id) < 0 || store_commit(ca->db) < 0) {
		store_rollback(ca->db);
		return cmd_fail();
	}
	printf("deactivated ACME account %lld\n", id);
	return EXIT_OK;
}

static int
cmd_acme_accounts(struct cmd_ctx *ctx, int deact)
{
	int json = 0, rc;
	struct poptOption opts[] = {
		{ "json", 0, POPT_ARG_NONE, &json, 0, "one JSON object a line", NULL },
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};

	if ((rc = cmd_args(ctx, opts, deact ? "ACCOUNT" : "", deact ? 1 : 0)) != 0)
		return rc;
	if (deact && ctx->nargs != 1)
		return cmd_usage_error("acme deactivate", "give exactly one ACCOUNT");
	ctx->flags &= ~(unsigned)(NEEDS_KEY | LATE_KEY);
	if (!deact)
		ctx->flags &= ~(unsigned)LOCKS_CA;
	if ((rc = cmd_setup(ctx)) != 0)
		return rc;
	if (deact)
		return deactivate(&ctx->ca, ctx->args[0]);
	return store_acme_account_each(ctx->ca.db, print_account, &json) < 0 ? cmd_fail() : EXIT_OK;
}

int
cmd_acme(struct cmd_ctx *ctx)
{
	const char *sub = ctx->argc >= 2 ? ctx->argv[1] : "";

	/* The subcommand's own argv: popt sees "serve --listen ...". */
	ctx->argc--;
	ctx->argv++;
	if (strcmp(sub, "serve") == 0)
		return cmd_acme_serve(ctx);
	if (strcmp(sub, "accounts") == 0)
		return cmd_acme_accounts(ctx, 0);
	if (strcmp(sub, "deactivate") == 0)
		return cmd_acme_accounts(ctx, 1);
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "-?") == 0) {
		printf("Usage: minica acme serve|accounts|deactivate ACCOUNT [OPTION...]\n"
		    "  'minica acme serve --help' and so on for each one's options.\n");
		return EXIT_OK;
	}
	return cmd_usage_error("acme", "give one of: serve, accounts, deactivate ACCOUNT");
}
