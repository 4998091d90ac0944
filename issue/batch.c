/* The file of 'minica issue --batch': read whole, refused if binary, then
 * parsed by policy (one certificate a line). */
#include <string.h>

#include "issue.h"

int
iss_batch_load(const char *path, size_t max, struct pol_batch *out, int *bad_line)
{
	struct mc_buf text = { 0 };
	int rc = -1;

	*bad_line = 0;
	if (ca_file_read(path, max, &text) < 0) {
		*bad_line = -1;
		goto out;
	}
	if (memchr(text.p, '\0', text.len) != NULL) {
		mc_seterr("is not a text file (it holds a NUL byte)");
		goto out;
	}
	rc = pol_batch_parse(text.p, text.len, out, bad_line);
out:
	mc_buf_free(&text);
	return rc;
}
