/* minica import's --cert and --profile, kept in command-line order. */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

void
cmd_import_order_cb(poptContext ctx, enum poptCallbackReason why, const struct poptOption *opt,
    const char *arg, const void *data)
{
	struct cmd_import_certs *l = (struct cmd_import_certs *)data;
	struct cmd_import_cert *v, *last = l->n ? &l->v[l->n - 1] : NULL;
	char *copy;

	(void)ctx;
	if (why != POPT_CALLBACK_REASON_OPTION)
		return;
	if (arg == NULL || (copy = mc_strdup(arg)) == NULL) {
		l->failed = 1;
		return;
	}
	if (strcmp(opt->longName, "profile") == 0) {
		char **slot = last != NULL && last->profile == NULL ? &last->profile : &l->dflt;

		free(*slot);
		*slot = copy;
		return;
	}
	if ((v = realloc(l->v, (l->n + 1) * sizeof(*v))) == NULL) {
		mc_seterr("out of memory");
		l->failed = 1;
		free(copy);
		return;
	}
	l->v = v;
	l->v[l->n++] = (struct cmd_import_cert){ copy, NULL };
}

const char *
cmd_import_profile(const void *certs, const char *source)
{
	const struct cmd_import_certs *l = certs;

	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].path, source) == 0 && l->v[i].profile != NULL)
			return l->v[i].profile;
	return l->dflt;
}

const char *
cmd_import_profiles_check(const struct cmd_import_certs *l, const struct pol_config *cfg)
{
	if (l->dflt != NULL && pol_profile_find(cfg, l->dflt) == NULL)
		return l->dflt;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].profile != NULL && pol_profile_find(cfg, l->v[i].profile) == NULL)
			return l->v[i].profile;
	mc_clearerr();
	return NULL;
}

void
cmd_import_certs_free(struct cmd_import_certs *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].profile);
	}
	free(l->v);
	free(l->dflt);
	memset(l, 0, sizeof(*l));
}
