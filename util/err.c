#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "util.h"

static _Thread_local char errbuf[MC_ERR_MAX];

void
mc_seterr(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
}

void
mc_seterr_ssl(const char *fmt, ...)
{
	va_list ap;
	unsigned long e;
	size_t len;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	e = ERR_peek_last_error();
	len = strlen(errbuf);
	if (e != 0 && len + 3 < sizeof(errbuf)) {
		const char *r = ERR_reason_error_string(e);

		if (r != NULL)
			snprintf(errbuf + len, sizeof(errbuf) - len, ": %s", r);
	}
	ERR_clear_error();
}

void
mc_preferr(const char *fmt, ...)
{
	char old[MC_ERR_MAX];
	va_list ap;
	size_t len;

	memcpy(old, errbuf, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	len = strlen(errbuf);
	if (old[0] != '\0' && len + 3 < sizeof(errbuf))
		snprintf(errbuf + len, sizeof(errbuf) - len, ": %s", old);
}

const char *
mc_err(void)
{
	return errbuf[0] != '\0' ? errbuf : "unknown error";
}

void
mc_clearerr(void)
{
	errbuf[0] = '\0';
}
