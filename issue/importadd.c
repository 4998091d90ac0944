/*
 * What 'minica import' records: a store row per certificate found, and a
 * deployment for each one sitting at its profile's targets with its key.
 * Shared by the first import and by 'import --cert' into an existing CA.
 */
#include <stdlib.h>
#include <string.h>

#include "issue.h"

void
iss_import_rows_free(struct iss_import_rows *r)
{
	for (size_t i = 0; i < r->n; i++) {
		store_cert_free(&r->rows[i]);
		store_deploy_free(&r->deps[i]);
	}
	free(r->rows);
	free(r->deps);
	free(r->has_dep);
	memset(r, 0, sizeof(*r));
}

/* A certificate found at a profile's targets with its key takes that
 * profile (unless --profile named another for it) and its deployment. */
static int
adopt(const struct iss_import_req *q, const struct ca_imported *e, size_t i, struct iss_import_rows *r)
{
	const char *asked = q->profile_for ? q->profile_for(q->arg, e->source) : NULL;
	struct store_deployment *d = &r->deps[i];
	char *p;
	int found;

	if (e->revoked || q->cfg == NULL || q->root == NULL)
		return 0;
	if ((found = dep_adopt_find(q->cfg, q->root, e->source, e->cert, d)) <= 0)
		return found;
	if (asked != NULL && strcmp(asked, d->profile) != 0) {
		store_deploy_free(d);
		return 0;
	}
	if ((p = mc_strdup(d->profile)) == NULL)
		return -1;
	free(r->rows[i].profile);
	r->rows[i].profile = p;
	r->has_dep[i] = 1;
	r->ndeps++;
	return 0;
}

int
iss_import_rows_make(const struct iss_import_req *q, const struct ca_import_set *set,
    struct iss_import_rows *r, struct mc_strv *names)
{
	memset(r, 0, sizeof(*r));
	if (set->n > 0 && ((r->rows = calloc(set->n, sizeof(*r->rows))) == NULL ||
	    (r->deps = calloc(set->n, sizeof(*r->deps))) == NULL ||
	    (r->has_dep = calloc(set->n, sizeof(*r->has_dep))) == NULL)) {
		mc_seterr("out of memory");
		return -1;
	}
	for (size_t i = 0; i < set->n; i++) {
		const struct ca_imported *e = &set->v[i];
		struct store_cert *row = &r->rows[i];

		if (iss_import_row(e, q->profile_for ? q->profile_for(q->arg, e->source) : NULL, row) < 0)
			return -1;
		r->n++;
		r->revoked += e->revoked != 0;
		if (adopt(q, e, i, r) < 0)
			return -1;
		if (!e->revoked && pol_profile_find(q->cfg, row->profile) != NULL &&
		    pol_profile_find(q->cfg, row->profile)->server) {
			r->long_lived += row->not_after - row->not_before >
			    (time_t)POL_SERVER_MAX_DAYS * 86400;
			r->no_san += X509_get_ext_by_NID(e->cert, NID_subject_alt_name, -1) < 0;
		}
		for (size_t k = 0; names != NULL && k < row->sans.n; k++)
			if (!mc_strv_has(names, row->sans.v[k]) && mc_strv_push(names, row->sans.v[k]) < 0)
				return -1;
	}
	mc_clearerr();
	return 0;
}

int
iss_import_rows_record(struct store *db, struct iss_import_rows *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct store_deployment *d = &r->deps[i];

		if (store_cert_insert(db, &r->rows[i]) < 0)
			return -1;
		if (!r->has_dep[i])
			continue;
		d->cert_id = r->rows[i].id;
		if (store_deploy_adopt(db, d) < 0 ||
		    store_audit(db, "deploy", r->rows[i].serial, "profile=%s cert=%s key=%s found in "
		    "place by import", d->profile, d->cert.path, d->key.path) < 0)
			return -1;
	}
	return 0;
}

/* Drops from set what the store already holds (by serial). */
static int
drop_known(struct store *db, struct ca_import_set *set, size_t *known)
{
	size_t k = 0;

	*known = 0;
	for (size_t i = 0; i < set->n; i++) {
		int r = store_cert_serial_exists(db, set->v[i].serial);

		if (r < 0)
			return -1;
		if (r == 0) {
			set->v[k++] = set->v[i];
			continue;
		}
		(*known)++;
		X509_free(set->v[i].cert);
		free(set->v[i].source);
		free(set->v[i].reason);
	}
	set->n = k;
	return 0;
}

int
iss_import_add(struct mc_ca *ca, const struct iss_import_req *q, struct ca_import_set *set,
    struct iss_import_rows *r, size_t *known)
{
	if (drop_known(ca->db, set, known) < 0 || iss_import_rows_make(q, set, r, NULL) < 0)
		return -1;
	if (r->n == 0)
		return 0;
	/* The root signed them (set->root), not a later intermediate. */
	for (size_t i = 0; i < r->n; i++)
		r->rows[i].ca_id = ca->root_rec.id;
	if (store_begin(ca->db) < 0)
		return -1;
	if (iss_import_rows_record(ca->db, r) < 0 ||
	    store_audit(ca->db, "import", ca->rec.serial, "added certificates=%zu revoked=%zu "
	    "deployments=%zu already=%zu", r->n, r->revoked, r->ndeps, *known) < 0 ||
	    store_commit(ca->db) < 0) {
		store_rollback(ca->db);
		return -1;
	}
	return 0;
}
