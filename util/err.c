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

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	e = ERR_peek_last_error();
	if (e != 0) {
		const char *r = ERR_reason_error_string(e);

		if (r != NULL)
			(void)mc_catf(errbuf, sizeof(errbuf), ": %s", r);
	}
	ERR_clear_error();
}

void
mc_preferr(const char *fmt, ...)
{
	char old[MC_ERR_MAX];
	va_list ap;

	memcpy(old, errbuf, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	if (old[0] != '\0')
		(void)mc_catf(errbuf, sizeof(errbuf), ": %s", old);
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
