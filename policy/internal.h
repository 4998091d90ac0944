/*
 * policy/internal.h: shared by profile.c and config.c only.  Not part of
 * the folder's public face (policy.h); other layers must not include it.
 */
#ifndef MINICA_POLICY_INTERNAL_H
#define MINICA_POLICY_INTERNAL_H

#include "policy.h"

#define POL_ANY_MAX_DAYS 3650		/* ten years, for non-server profiles */

/* A config key: its name and the one-line explanation the default text shows. */
struct pol_keydef {
	const char *name;
	const char *help;
};

extern const struct pol_keydef pol_profile_keys[];
extern const size_t pol_nprofile_keys;
extern const struct pol_keydef pol_minica_keys[];
extern const size_t pol_nminica_keys;
extern const struct pol_keydef pol_acme_keys[];
extern const size_t pol_nacme_keys;

/* mc_err "unknown key (known keys: ...)"; returns -1. */
int pol_unknown_key(const struct pol_keydef *keys, size_t n);
/* acme_conf.c: [acme] defaults, one key = value, freeing. */
void pol_acme_defaults(struct pol_acme *a);
int pol_acme_set(struct pol_acme *a, const char *key, const char *val);
void pol_acme_free(struct pol_acme *a);

/* Fills an empty cfg with the built-in profiles and [minica] defaults. */
int pol_builtins(struct pol_config *cfg);
/* A target's mode, and owner and group root. */
int pol_target_defaults(struct pol_target *t, mode_t mode);
/* Appends a profile named name with the defaults a new profile starts from. */
struct pol_profile *pol_profile_new(struct pol_config *cfg, const char *name);
/* "[a-z0-9][a-z0-9_-]*", at most 32: it is typed on the command line. */
int pol_profile_name_valid(const char *name);
/* One key = value from a [profile.NAME] section.  -1: mc_err() says why
 * (an unknown key included), without the section or key. */
int pol_profile_set(struct pol_profile *p, const char *key, const char *val);
/* One key = value from [minica]. */
int pol_minica_set(struct pol_config *cfg, const char *key, const char *val);
/* domains and crl_url from [minica] (scope.c): 0/-1, or 1 for another key. */
int pol_minica_set_scope(struct pol_config *cfg, const char *key, const char *val);
void pol_scope_free(struct pol_config *cfg);
/*
 * Rules that span keys (825 days, default <= max, cert and key paired).
 * On -1, keys[0..1] name the keys involved, most likely culprit first
 * (keys[1] may be NULL), so the caller can point at the one the user set.
 */
int pol_profile_check(const struct pol_profile *p, const char *keys[2]);
/* Appends "key = value" lines for p, each line starting with prefix. */
int pol_profile_write(const struct pol_profile *p, const char *prefix, struct mc_buf *out);

#endif
