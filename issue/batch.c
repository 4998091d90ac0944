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

struct batch_files {
	struct mc_fileset *fs;
	const struct mc_ca *ca;
	const char *const *names;
	const struct iss_issued *issued;
};

static int
add_files_one(void *arg, size_t i)
{
	struct batch_files *bf = arg;

	return iss_leaf_files_add(bf->fs, bf->ca, bf->names[i], &bf->issued[i]);
}

static int
write_files(struct mc_ca *ca, const struct iss_batch_req *req, const struct iss_issued *out)
{
	struct batch_files bf = { NULL, ca, req->names, out };
	int rc = -1;
	int64_t t, w = iss_wall_ns();

	if ((bf.fs = iss_leaf_fileset(ca, req->dir)) == NULL ||
	    mc_pool_run(req->n, req->jobs, add_files_one, &bf, NULL) < 0)
		goto out;
	t = iss_stats_clock(ca->stats);
	if (ca->stats != NULL)
		ca->stats->wall_ns[ISS_PH_FILES] += iss_wall_ns() - w;
	w = iss_wall_ns();
	if (mc_fileset_commit(bf.fs) < 0)
		goto out;
	iss_stats_add(ca->stats, ISS_ST_SYNC, t);
	if (ca->stats != NULL)
		ca->stats->wall_ns[ISS_PH_SYNC] += iss_wall_ns() - w;
	rc = 0;
out:
	mc_fileset_free(bf.fs);
	return rc;
}

int
iss_batch_issue(struct mc_ca *ca, const struct iss_batch_req *req, struct iss_issued *out,
    enum iss_batch_step *failed, size_t *failed_at)
{
	struct iss_stats *st = ca->stats;
	int64_t w = iss_wall_ns();
	int in_record = 0;

	/* Rows go in while later leaves are signed; the commit is after
	 * the last, the files after the commit. */
	if (iss_sign_record_many(ca, req->plans, req->n, req->jobs, out, "issue", failed_at, &in_record) < 0) {
		*failed = in_record ? ISS_BATCH_RECORD : ISS_BATCH_SIGN;
		return -1;
	}
	if (st != NULL)
		st->wall_ns[ISS_PH_SIGN] += iss_wall_ns() - w;
	*failed = ISS_BATCH_FILES;
	if (req->dir != NULL && write_files(ca, req, out) < 0)
		return -1;
	if (st != NULL)
		st->leaves += req->n;
	return 0;
}

int
iss_first_shared_targets(struct iss_plan *const *plans, size_t n, size_t *first, size_t *second)
{
	for (size_t i = 1; i < n; i++) {
		for (size_t j = 0; j < i; j++) {
			if (pol_profiles_share_targets(plans[i]->prof, plans[j]->prof)) {
				*first = j;
				*second = i;
				return 1;
			}
		}
	}
	return 0;
}
