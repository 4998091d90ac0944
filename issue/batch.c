/* The file of 'minica issue --batch': read whole, refused if binary, then
 * parsed by policy (one certificate a line). */
#include <stdlib.h>
#include <string.h>

#include "issue.h"

int
iss_batch_load(const char *path, size_t max, struct pol_batch *out, int *bad_line)
{
	struct mc_buf text = { 0 };
	int rc = -1;

	*bad_line = 0;
	if (mc_file_read(path, max, &text) < 0) {
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

struct name_at {
	const char *name;
	size_t i;
};

static int
cmp_name_at(const void *a, const void *b)
{
	const struct name_at *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->i > y->i) - (x->i < y->i);
}

int
iss_first_duplicate(const char *const *names, size_t n, size_t *first, size_t *second)
{
	struct name_at *v = malloc((n ? n : 1) * sizeof(*v));
	int found = 0;

	if (v == NULL) {
		mc_seterr("out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = (struct name_at){ names[i], i };
	qsort(v, n, sizeof(*v), cmp_name_at);
	for (size_t i = 1; i < n && !found; i++) {
		if (strcmp(v[i - 1].name, v[i].name) == 0) {
			*first = v[i - 1].i;
			*second = v[i].i;
			found = 1;
		}
	}
	free(v);
	return found;
}
