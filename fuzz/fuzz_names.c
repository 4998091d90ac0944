/*
 * pol_email_normalize, pol_ip_parse and pol_name_permitted.  The input is
 * split at the first newline: line one is the name, the rest a list of
 * permitted domains, one a line.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "policy/policy.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mc_strv doms = { 0 };
	const uint8_t *nl = memchr(data, '\n', size);
	size_t nlen = nl != NULL ? (size_t)(nl - data) : size;
	char *name = fuzz_cstr(data, nlen), *rest, *line, *save = NULL;
	char *email, *host;
	unsigned char bin[16];
	char canon[64];
	size_t blen = 0;

	rest = fuzz_cstr(nl != NULL ? nl + 1 : data + size, nl != NULL ? size - nlen - 1 : 0);
	if (name == NULL || rest == NULL)
		goto out;
	for (line = strtok_r(rest, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
		if (mc_strv_push(&doms, line) < 0)
			goto out;
	if ((email = pol_email_normalize((const char *)data, nlen)) != NULL) {
		if (strchr(email, '@') == NULL)
			abort();
		(void)pol_name_permitted(strchr(email, '@') + 1, &doms);
		free(email);
	}
	if (pol_ip_parse(name, bin, &blen, canon) == 0 && blen != 4 && blen != 16)
		abort();
	(void)pol_name_permitted(name, &doms);
	if ((host = pol_hostname_normalize(name, strlen(name), 1)) != NULL) {
		(void)pol_name_permitted(host, &doms);
		free(host);
	}
out:
	mc_strv_free(&doms);
	free(name);
	free(rest);
	return 0;
}
