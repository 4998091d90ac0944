/* cmd/acme*.c only: the ACME server's issuer over the issuing pipeline. */
#ifndef MINICA_CMD_ACME_H
#define MINICA_CMD_ACME_H

#include "../acme/acme.h"
#include "cmd.h"

struct acme_issuing {
	struct mc_ca *ca;	/* the command's, opened once, key unlocked at start */
	const char *profile;	/* the profile ACME certificates follow */
};

/* The struct acme_issuer callbacks (arg: struct acme_issuing). */
int acme_cmd_issue(void *arg, const unsigned char *csr, size_t len, int64_t order_id, char serial[48]);
int acme_cmd_check_name(void *arg, const char *name);
int acme_cmd_revoke(void *arg, const char *serial, const char *reason);
/* A leaf for hostname from the CA, recorded; PEM text, NUL-terminated. */
int acme_cmd_tls_cert(struct acme_issuing *ai, const char *hostname, struct mc_buf *cert, struct mc_buf *key);
/* acme_eab.c: minica acme eab new|list|revoke. */
int cmd_acme_eab(struct cmd_ctx *ctx);

#endif
