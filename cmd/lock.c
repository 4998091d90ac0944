/*
 * The CA lock around a passphrase prompt: a person typing (or gone for
 * coffee) at minica's prompt must not make every other minica, the cron
 * line included, wait for them (issue 14, section 7).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"

int
cmd_lock_wait_ms(int *ms)
{
	const char *env = getenv("MINICA_LOCK_TIMEOUT");
	char *end;
	long v;

	*ms = CA_LOCK_WAIT_MS;
	/* Scripts that would rather fail fast than queue set this (seconds). */
	if (env == NULL || *env == '\0')
		return 0;
	v = strtol(env, &end, 10);
	if (*end != '\0' || v < 0 || v > 3600) {
		cmd_error("MINICA_LOCK_TIMEOUT='%s' is not a number of seconds (0-3600)", env);
		return -1;
	}
	*ms = (int)v * 1000;
	return 0;
}

int
cmd_lock_pause(struct cmd_ctx *ctx, int tty, int64_t *version)
{
	int r;

	if (!tty)
		return 0;
	if ((r = iss_ca_lock_pause(&ctx->ca, version)) < 0) {
		cmd_fail();
		return -1;
	}
	return r;
}

int
cmd_lock_resume(struct cmd_ctx *ctx, int paused, int64_t version)
{
	char who[80];
	int wait_ms;

	if (!paused)
		return 0;
	if (cmd_lock_wait_ms(&wait_ms) < 0)
		return -1;
	snprintf(who, sizeof(who), "minica %s", ctx->cmd->name);
	if (iss_ca_lock_resume(&ctx->ca, version, who, wait_ms) < 0) {
		cmd_fail();
		return -1;
	}
	return 0;
}
