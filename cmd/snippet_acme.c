/* minica snippet nginx-acme: the location block that puts 'minica acme
 * serve' (tls = no) behind the user's nginx. */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* proxy_pass wants an IPv6 address in brackets. */
static void
upstream(const char *addr, int port, char *out, size_t len)
{
	snprintf(out, len, strchr(addr, ':') != NULL ? "[%s]:%d" : "%s:%d", addr, port);
}

int
cmd_snippet_nginx_acme(struct cmd_ctx *ctx)
{
	const struct pol_acme *a;
	const char *conf, *listen;
	char addr[64], up[80], url[600];
	int port;

	ctx->flags &= ~(unsigned)(NEEDS_KEY | LATE_KEY | LOCKS_CA);
	if (cmd_setup(ctx) != 0)
		return EXIT_ERR;
	a = &ctx->ca.cfg.acme;
	conf = ctx->ca.cfg.path != NULL ? ctx->ca.cfg.path : "minica.conf";
	listen = a->listen != NULL ? a->listen : "127.0.0.1:443";
	if (a->hostname == NULL) {
		cmd_error("'%s': [acme] hostname is not set: add hostname = NAME (the name nginx serves the ACME "
		    "server under)", conf);
		return EXIT_ERR;
	}
	if (a->tls) {
		cmd_error("'%s': [acme] tls is yes, so 'minica acme serve' speaks TLS itself: behind nginx set "
		    "tls = no and listen = 127.0.0.1:PORT", conf);
		return EXIT_ERR;
	}
	if (pol_addr_port_split(listen, addr, sizeof(addr), &port) < 0 || pol_acme_base_url(a, port, url, sizeof(url)) < 0) {
		mc_preferr("'%s'", conf);
		return cmd_fail();
	}
	upstream(addr, port, up, sizeof(up));
	printf("# nginx: inside the server block that answers %s\n"
	    "# (server_name %s; listen ... ssl; a certificate for that name, e.g.\n"
	    "# 'minica issue nginx --cn %s --deploy').  Clients then use\n"
	    "# %s/acme/directory.\n"
	    "location /acme/ {\n"
	    "    proxy_pass http://%s;\n"
	    "    proxy_http_version 1.1;\n"
	    "    proxy_set_header Host $host;\n"
	    "    proxy_set_header Connection \"\";\n"
	    "    # Every reply carries a single-use Replay-Nonce: passed on as it\n"
	    "    # comes, never cached.\n"
	    "    proxy_buffering off;\n"
	    "    proxy_cache off;\n"
	    "    # finalize waits for the signature and a durable commit.\n"
	    "    proxy_read_timeout 60s;\n"
	    "}\n", url, a->hostname, a->hostname, url, up);
	return EXIT_OK;
}
