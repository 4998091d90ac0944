/* A list of problems with severities (check). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "issue.h"

const char *
iss_sev_name(enum iss_sev s)
{
	static const char *const names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

	return names[s];
}

int
iss_finding_add(struct iss_findings *f, enum iss_sev sev, const char *serial, const char *what,
    const char *fmt, ...)
{
	struct iss_finding *x;
	va_list ap;
	int n;

	if (f->n == f->cap) {
		size_t ncap = f->cap ? 2 * f->cap : 8;
		struct iss_finding *nv = realloc(f->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			mc_seterr("out of memory");
			return -1;
		}
		f->v = nv;
		f->cap = ncap;
	}
	x = &f->v[f->n];
	memset(x, 0, sizeof(*x));
	x->sev = sev;
	snprintf(x->serial, sizeof(x->serial), "%s", serial ? serial : "");
	snprintf(x->what, sizeof(x->what), "%s", what);
	va_start(ap, fmt);
	n = vasprintf(&x->message, fmt, ap);
	va_end(ap);
	if (n < 0) {
		mc_seterr("out of memory");
		return -1;
	}
	f->n++;
	if (sev > f->worst)
		f->worst = sev;
	return 0;
}

void
iss_findings_free(struct iss_findings *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].message);
	free(f->v);
	memset(f, 0, sizeof(*f));
}
