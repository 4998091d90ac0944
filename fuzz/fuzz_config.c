/* minica.conf text through pol_config_load_mem; whatever loads must find
 * its profiles and write them back out. */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "fuzz/fuzz.h"
#include "policy/policy.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pol_config cfg;

	if (pol_config_load_mem("fuzz.conf", data, size, &cfg) == 0) {
		/* NCONF stops a line at a NUL: such text must be refused. */
		if (memchr(data, '\0', size) != NULL)
			abort();
		for (size_t i = 0; i < cfg.nprofiles; i++)
			if (pol_profile_find(&cfg, cfg.profiles[i].name) == NULL)
				abort();
		pol_config_free(&cfg);
	}
	ERR_clear_error();
	return 0;
}
