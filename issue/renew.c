/*
 * Renewing many certificates: each is planned the minica way, then all are
 * signed at once on all cores by the batch signer; each is then finished
 * (recorded, deployed or written) by the caller on its own, so one failure
 * keeps the others.  If the parallel signing fails (all or nothing), each
 * is signed alone to find and skip the bad one.
 */
#include <stdio.h>
#include <stdlib.h>

#include "issue.h"

size_t
iss_renew_each(struct mc_ca *ca, const struct store_cert *old, size_t n, int jobs,
    iss_renew_finish_fn *finish, iss_renew_fail_fn *fail, void *arg)
{
	return iss_renew_each_keys(ca, old, NULL, n, jobs, finish, fail, arg);
}

/* A staged key: its type is what the new certificate records. */
static int
use_key(struct iss_plan *p, EVP_PKEY *key)
{
	const char *kt = ca_key_type_name(key);

	if (kt == NULL || ca_leaf_key_check(key) < 0) {
		mc_seterr("the staged next key is of no kind minica issues for");
		return -1;
	}
	if (!EVP_PKEY_up_ref(key)) {
		mc_seterr("out of memory");
		return -1;
	}
	p->key = key;
	snprintf(p->key_type, sizeof(p->key_type), "%s", kt);
	return 0;
}

size_t
iss_renew_each_keys(struct mc_ca *ca, const struct store_cert *old, EVP_PKEY *const *keys, size_t n,
    int jobs, iss_renew_finish_fn *finish, iss_renew_fail_fn *fail, void *arg)
{
	struct iss_plan *plans = calloc(n, sizeof(*plans));
	struct iss_plan **ready = calloc(n, sizeof(*ready));
	struct iss_issued *is = calloc(n, sizeof(*is));
	size_t *idx = calloc(n, sizeof(*idx)), k = 0, failed = 0;

	if (n > 0 && (plans == NULL || ready == NULL || is == NULL || idx == NULL)) {
		mc_seterr("out of memory");
		for (size_t i = 0; i < n; i++)
			fail(arg, &old[i]);
		failed = n;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (iss_renew_plan(ca, &old[i], &plans[i]) < 0 ||
		    (keys != NULL && keys[i] != NULL && use_key(&plans[i], keys[i]) < 0)) {
			fail(arg, &old[i]);
			failed++;
			continue;
		}
		ready[k] = &plans[i];
		idx[k++] = i;
	}
	if (k > 1 && iss_sign_many(ca, ready, k, jobs, is, NULL) == 0) {
		for (size_t j = 0; j < k; j++)
			if (finish(arg, &old[idx[j]], &is[j]) < 0) {
				fail(arg, &old[idx[j]]);
				failed++;
			}
		goto out;
	}
	for (size_t j = 0; j < k; j++) {
		if (iss_sign(ca, ready[j], &is[j]) < 0 || finish(arg, &old[idx[j]], &is[j]) < 0) {
			fail(arg, &old[idx[j]]);
			failed++;
		}
	}
out:
	for (size_t i = 0; is != NULL && i < n; i++)
		iss_issued_free(&is[i]);
	for (size_t i = 0; plans != NULL && i < n; i++)
		iss_plan_free(&plans[i]);
	free(plans);
	free(ready);
	free(is);
	free(idx);
	return failed;
}
