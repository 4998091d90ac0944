/* pol_hostname_normalize on raw bytes, with and without wildcards; a name
 * it accepts must be stable (normalising it again gives itself). */
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "policy/policy.h"

static void
one(const uint8_t *data, size_t size, int wild)
{
	char *n = pol_hostname_normalize((const char *)data, size, wild), *again;

	if (n == NULL)
		return;
	if (strlen(n) == 0 || strlen(n) > POL_HOSTNAME_MAX)
		abort();
	/* What goes into a certificate: lowercase LDH A-labels, dots, "*." first. */
	for (const char *c = n; *c != '\0'; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '.' ||
		    (*c == '*' && c == n && wild && c[1] == '.')))
			abort();
	again = pol_hostname_normalize(n, strlen(n), wild);
	if (again == NULL || strcmp(again, n) != 0)
		abort();
	free(again);
	free(n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* data is not NUL-terminated: a read past size is an ASan report. */
	one(data, size, 0);
	one(data, size, 1);
	return 0;
}
