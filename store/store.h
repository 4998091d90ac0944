/*
 * store: the SQLite database.  Schema, migrations, every query, the audit
 * log.  Prepared statements with bound parameters only.
 */
#ifndef MINICA_STORE_H
#define MINICA_STORE_H

#include <stdint.h>
#include <time.h>

#include "../util/util.h"

struct store;

#define STORE_BUSY_MS 10000

/* Opens (creating if create != 0) and migrates the database.  A database
 * whose user_version is newer than this build knows is refused. */
struct store *store_open(const char *path, int create);
void store_close(struct store *st);
int store_schema_version(struct store *st);
int store_latest_version(void);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* ca.c: every CA certificate the home has had: roots, intermediates
 * (parent_id: the root that signed them) and cross-certificates. */
struct store_ca {
	int64_t id;
	char *subject;
	char serial[48];
	time_t not_before;
	time_t not_after;
	char fingerprint[65];
	char *pem;
	char *constraints;	/* human-readable, "" for none */
	int imported;
	time_t created_at;
	char role[16];		/* root, intermediate, cross; "" on insert: root */
	int64_t parent_id;	/* 0: none */
	char key_type[16];	/* "" when not known (roots made before) */
	char status[16];	/* current, retired, revoked; "" on insert: current */
	time_t revoked_at;
	char *revocation_reason;
	char key_sha256[65];	/* key file digest: an intermediate's as made, the root's
				 * when it went offline */
	int64_t crl_number;	/* the last CRL number it used */
};
int store_ca_insert(struct store *st, struct store_ca *ca);
/* The current root; 1 found, 0 none, -1 error. */
int store_ca_get(struct store *st, struct store_ca *out);
/* The CA that signs new certificates: the current intermediate under the
 * current root; the root itself only if it never had an intermediate.
 * 1 found, 0 none (an intermediate was revoked or retired and none
 * replaced it), -1 error. */
int store_issuer_get(struct store *st, struct store_ca *out);
/* By id, or by serial (any case, colons allowed; exact).  1/0/-1. */
int store_ca_by_id(struct store *st, int64_t id, struct store_ca *out);
int store_ca_find(struct store *st, const char *serial, struct store_ca *out);
typedef int (*store_ca_cb)(const struct store_ca *ca, void *arg);
/* Every row, oldest first; a non-zero return from cb stops and is returned. */
int store_ca_each(struct store *st, store_ca_cb cb, void *arg);
/* current -> retired (a rotated intermediate, a replaced root); -1 if
 * the row is not current. */
int store_ca_retire(struct store *st, int64_t id);
/* Marks an intermediate or cross-certificate revoked; -1 if it already is
 * or is a root. */
int store_ca_revoke(struct store *st, int64_t id, time_t when, const char *reason);
int store_ca_set_key_sha256(struct store *st, int64_t id, const char *sha256);
/* Increments and returns this CA's CRL number (inside the caller's
 * transaction). */
int64_t store_ca_crl_next(struct store *st, int64_t id);
void store_ca_free(struct store_ca *ca);

/* audit.c: append-only (enforced by triggers). */
int store_audit(struct store *st, const char *action, const char *serial, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
struct store_event {
	int64_t id;
	time_t time;
	char *user;
	char *action;
	char *serial;		/* may be NULL */
	char *details;
};
typedef int (*store_event_cb)(const struct store_event *ev, void *arg);
int store_audit_each(struct store *st, time_t since, store_event_cb cb, void *arg);

/* deploy.c: deployments of a certificate and its key to a profile's
 * targets.  Paths are as written on disk (the --root prefix included);
 * root is that prefix, "/" for none. */
struct store_deploy_file {
	char *path;
	char sha256[65];	/* of what was written */
	char prev_sha256[65];	/* of the file it replaced; "" when there was none */
	char *tmp;		/* staged new file, renamed over path */
	char *backup;		/* hard link to the previous file, kept for rollback */
	int mode;
	int64_t uid;
	int64_t gid;
};
struct store_deployment {
	int64_t id;
	int64_t cert_id;
	char serial[48];	/* of cert_id; filled when read */
	char *profile;
	char *root;
	struct store_deploy_file cert, key;
	time_t deployed_at;
	char state[16];		/* pending, current, replaced, failed */
	char repair[16];	/* for pending: forward (finish the swap) or back (undo it) */
	char *detail;		/* why it failed or how it was repaired */
};
/* Inserts d as 'pending' (repair forward) and sets d->id. */
int store_deploy_begin(struct store *st, struct store_deployment *d);
/* Marks a pending deployment to be undone rather than finished. */
int store_deploy_set_repair(struct store *st, int64_t id, const char *repair);
/* One transaction: d's new state ('current' also marks every other
 * current deployment to either of d's paths 'replaced'), detail, and an
 * audit event (action, d's serial, details). */
int store_deploy_finish(struct store *st, struct store_deployment *d, const char *state,
    const char *action, const char *detail);
struct store_deploy_filter {
	const char *state;	/* NULL: any */
	const char *root;	/* NULL: any */
	const char *profile;	/* NULL: any */
	const char *path;	/* NULL: any; else cert or key path equal to it */
	int64_t lineage_of;	/* 0: any; else this certificate's deployments and
				 * those of every certificate renewed into it */
};
typedef int (*store_deploy_cb)(const struct store_deployment *d, void *arg);
/* Calls cb for each match, newest first; a non-zero return stops and is
 * returned. */
int store_deploy_each(struct store *st, const struct store_deploy_filter *f, store_deploy_cb cb, void *arg);
/* By id: 1 found, 0 none, -1 error. */
int store_deploy_get(struct store *st, int64_t id, struct store_deployment *out);
void store_deploy_free(struct store_deployment *d);


/* cert.c: issued certificates.  sans holds every name (DNS, IP, e-mail)
 * in SAN order; the CN is always among them. */
struct store_cert {
	int64_t id;
	char serial[48];	/* lowercase hex */
	char *profile;
	char *subject;
	char *cn;		/* "" when the subject is empty */
	struct mc_strv sans;
	char key_type[16];
	time_t not_before;
	time_t not_after;
	char fingerprint[65];
	char *pem;
	char status[16];	/* valid, superseded, revoked */
	int64_t superseded_by;	/* 0: none */
	char superseded_by_serial[48];
	time_t revoked_at;
	char *revocation_reason;
	int imported;
	time_t created_at;
	int64_t ca_id;		/* the CA that signed it; 0 on insert: the current issuer */
};
int store_cert_insert(struct store *st, struct store_cert *c);
/* 1 if a certificate with this serial exists, 0 if not, -1 on error. */
int store_cert_serial_exists(struct store *st, const char *serial);
/* By serial, any case, or a unique prefix: 1 found, 0 none, -1 error
 * (an ambiguous prefix is an error naming the matches). */
int store_cert_find(struct store *st, const char *serial, struct store_cert *out);
/* The newest valid certificate for profile with exactly these names. */
int store_cert_find_current(struct store *st, const char *profile, const char *cn,
    const struct mc_strv *names, struct store_cert *out);
struct store_cert_filter {
	int all;		/* include superseded and revoked */
	const char *profile;	/* NULL: any */
	time_t expiring_before;	/* 0: any */
	const char *status;	/* only this status (overrides all) */
	int no_pem;		/* pem is "": faster when it is not needed */
	int64_t ca_id;		/* 0: any; else only what this CA signed */
};
typedef int (*store_cert_cb)(const struct store_cert *c, void *arg);
/* Calls cb for each match, soonest expiry first; a non-zero return from
 * cb stops and is returned. */
int store_cert_each(struct store *st, const struct store_cert_filter *f, store_cert_cb cb, void *arg);
void store_cert_free(struct store_cert *c);
/* Sorted, comma-joined names and CN: equal for the same set in any order. */
char *store_names_key(const char *cn, const struct mc_strv *names);

/* lifecycle.c */
/* Marks a valid certificate revoked (time, reason); -1 if it is not valid. */
int store_cert_revoke(struct store *st, int64_t id, time_t when, const char *reason);
/* Marks old superseded by new (both rows must exist; old must be valid). */
int store_cert_supersede(struct store *st, int64_t old_id, int64_t new_id);
/* Increments and returns the current issuer's CRL number (inside the
 * caller's transaction). */
int64_t store_crl_next_number(struct store *st);
int store_cert_each_revoked(struct store *st, store_cert_cb cb, void *arg);

#endif
