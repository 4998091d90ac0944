/* cmd/acme*.c only: the ACME server's issuer over the issuing pipeline. */
#ifndef MINICA_CMD_ACME_H
#define MINICA_CMD_ACME_H

#include <pthread.h>

#include "../acme/acme.h"
#include "cmd.h"

struct acme_issuing {
	struct mc_ca *ca;	/* the command's, opened once, key unlocked at start */
	const char *profile;	/* the profile ACME certificates follow */
	/* The handle serves the server's thread (the callbacks) and the
	 * main thread (its own certificate's renewal): one at a time. */
	pthread_mutex_t mu;
};

/* The struct acme_issuer callbacks (arg: struct acme_issuing). */
int acme_cmd_issue(void *arg, const unsigned char *csr, size_t len, int64_t order_id, char serial[48]);
int acme_cmd_check_name(void *arg, const char *name);
int acme_cmd_revoke(void *arg, const char *serial, const char *reason);
/* The CA lock, held for one signing or revocation only. */
int acme_cmd_lock(struct mc_ca *ca);
void acme_cmd_unlock(struct mc_ca *ca);

/* acme_tls.c: the server's own certificate (private/acme-tls.pem). */
struct acme_tls {
	char *path;		/* private/acme-tls.pem: the leaf, then its key (0600) */
	const char *hostname;
	struct store_cert cur;	/* the certificate served */
	int reused;		/* the kept one was current at start */
};
/* At start: the kept certificate when it is valid in the store, names
 * hostname, is the current issuer's and not due; else a new one (the
 * kept one's renewal when it can be).  chain and key get the PEM the
 * server serves (NUL-terminated). */
int acme_cmd_tls_start(struct acme_issuing *ai, const char *hostname, struct acme_tls *t, struct mc_buf *chain,
    struct mc_buf *key);
/* While running: 1 renewed (chain, key filled), 0 not due, -1 error.
 * Due by pol_cert_due, or no longer valid in the store (revoked). */
int acme_cmd_tls_renew(struct acme_issuing *ai, struct acme_tls *t, time_t now, struct mc_buf *chain,
    struct mc_buf *key);
void acme_cmd_tls_free(struct acme_tls *t);
/* acme_eab.c: minica acme eab new|list|revoke. */
int cmd_acme_eab(struct cmd_ctx *ctx);

#endif
