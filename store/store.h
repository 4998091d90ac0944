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

/*
 * Opens (creating if create != 0) and migrates the database.  A database
 * whose user_version is newer than this build knows is refused.  When the
 * file or its folder cannot be written, it is opened read-only: reads
 * work, every write fails with a message saying the home is read-only.
 * The whole-file check runs before the first write, not here.
 */
struct store *store_open(const char *path, int create);
void store_close(struct store *st);
int store_schema_version(struct store *st);
int store_latest_version(void);

/* SQLite's PRAGMA data_version: it changes when another connection (another
 * process) commits, never for this connection's own commits. */
int store_data_version(struct store *st, int64_t *out);
/* 0, or -1 with a message when the store was opened read-only. */
int store_writable(struct store *st);
/* How often `check` runs the whole-file check when nothing else did. */
#define STORE_VERIFY_EVERY (20 * 3600)
/* PRAGMA quick_check unless one passed on this store (and was recorded)
 * less than every seconds ago; *ran (ran may be NULL) says whether it ran.  0 sound, -1 with
 * the message when damaged or on error. */
int store_verify(struct store *st, time_t every, int *ran);

/* BEGIN IMMEDIATE (then the whole-file check before the first write of
 * this handle) / COMMIT / ROLLBACK. */
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
/* How many certificates (leaves of any status, and CA certificates) CA
 * id signed that have not expired at now; -1 on error. */
int64_t store_ca_children(struct store *st, int64_t id, time_t now);
/* The last audit event of action (crl, crl-root) for the CA with this
 * serial (NULL: any), only among those that name a path= when with_path:
 * 1 (*details malloc'd), 0 none, -1 error. */
int store_crl_event_last(struct store *st, const char *action, const char *serial, int with_path,
    char **details, time_t *when);
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
/* The details and time of the newest event of action: 1 found (caller
 * frees *details), 0 none, -1 error. */
int store_audit_last(struct store *st, const char *action, char **details, time_t *when);

/* deploy.c: deployments of a certificate and its key to a profile's
 * targets.  Paths are as written on disk (the --root prefix included);
 * root is that prefix, "/" for none. */
struct store_deploy_file {
	char *path;
	char sha256[65];	/* of what was written */
	char prev_sha256[65];	/* of the file it replaced; "" when there was none */
	char *tmp;		/* staged new file, renamed over path */
	char *backup;		/* hard link to the previous file, kept for rollback */
	char *saved;		/* NAME.pre-minica: a file minica did not write, kept
				 * before the first swap; "" or NULL when none */
	int saved_before;	/* saved was kept by an earlier deployment (not stored) */
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
	char *ca_path;		/* the root file installed with it; "" or NULL: none */
	char ca_sha256[65];
	time_t deployed_at;
	char state[16];		/* pending, current, replaced, failed, retired */
	char repair[16];	/* for pending: forward (finish the swap), back (undo it),
				 * retire, retire-remove, retire-restore (finish an undeploy) */
	char *detail;		/* why it failed or how it was repaired */
};
/* Inserts d as 'pending' (repair forward) and sets d->id. */
int store_deploy_begin(struct store *st, struct store_deployment *d);
/* Inserts d as 'current' as it is on disk (import found it in place),
 * inside the caller's transaction. */
int store_deploy_adopt(struct store *st, struct store_deployment *d);
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
/* 1 if a recorded deployment wrote content sha256 to path (as its
 * certificate or key), 0 if none did, -1 on error. */
int store_deploy_wrote(struct store *st, const char *path, const char *sha256);
/* The NAME.pre-minica name the newest deployment to path recorded, in
 * *saved (caller frees; NULL when none).  0 or -1. */
int store_deploy_saved(struct store *st, const char *path, char **saved);
/* 1 if cert_id has a current deployment (under root; NULL: any), 0 if
 * not, -1 on error. */
int store_deploy_is_current(struct store *st, int64_t cert_id, const char *root);
/* Marks d pending with repair retire* before undeploy touches its files. */
int store_deploy_begin_retire(struct store *st, struct store_deployment *d, const char *repair);
/* Retires deployment id (undeploy) with an audit event; detail says
 * what was done to its files. */
int store_deploy_retire(struct store *st, struct store_deployment *d, const char *detail);
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
	int key_from_csr;	/* the key is a CSR's: renew keeps it */
};
int store_cert_insert(struct store *st, struct store_cert *c);
/* A deep copy (all or nothing: on -1 dst holds nothing to free). */
int store_cert_dup(struct store_cert *dst, const struct store_cert *src);
/* A serial as typed (colons, any case) in the store's form: lowercase
 * hex.  -1 if it is not hexadecimal or does not fit. */
int store_serial_normalise(const char *in, char *out, size_t len);
/* 1 if prefix, as typed, starts serial (the store's form), else 0. */
int store_serial_has_prefix(const char *serial, const char *prefix);
/* The newest (latest notBefore, then latest row) valid certificate of
 * profile that has not expired at now: 1 and its serial, 0 none, -1. */
int store_cert_newest(struct store *st, const char *profile, time_t now, char serial[48]);
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

/* lifecycle.c */
/* Marks a valid certificate revoked (time, reason); -1 if it is not valid. */
int store_cert_revoke(struct store *st, int64_t id, time_t when, const char *reason);
/* Marks old superseded by new (both rows must exist; old must be valid). */
/* A revoked certificate's replacement: linked (superseded_by), status
 * kept revoked; once. */
int store_cert_replace_revoked(struct store *st, int64_t old_id, int64_t new_id);
int store_cert_supersede(struct store *st, int64_t old_id, int64_t new_id);
/* Increments and returns the current issuer's CRL number (inside the
 * caller's transaction). */
int64_t store_crl_next_number(struct store *st);
int store_cert_each_revoked(struct store *st, store_cert_cb cb, void *arg);

/* acme.c: the ACME server's accounts, orders, authorizations and
 * challenges (the nonces live in memory: acme/nonce.c).  Getters return
 * 1 found, 0 none, -1 error. */
struct store_acme_account {
	int64_t id;
	char thumbprint[64];	/* RFC 7638, base64url */
	char *jwk;		/* JSON */
	char *contact;		/* JSON array */
	char status[16];	/* valid, deactivated, revoked */
	time_t created_at;
};
int store_acme_account_add(struct store *st, struct store_acme_account *a);
/* By thumbprint when it is not NULL, else by id. */
int store_acme_account_get(struct store *st, int64_t id, const char *thumbprint, struct store_acme_account *out);
/* NULL leaves a field as it is. */
int store_acme_account_update(struct store *st, int64_t id, const char *contact, const char *status);
typedef int (*store_acme_account_cb)(const struct store_acme_account *a, void *arg);
int store_acme_account_each(struct store *st, store_acme_account_cb cb, void *arg);
void store_acme_account_free(struct store_acme_account *a);

struct store_acme_order {
	int64_t id;
	int64_t account_id;
	char status[16];	/* pending, ready, processing, valid, invalid */
	char *identifiers;	/* JSON array */
	time_t expires;
	char cert_serial[48];	/* "" until issued */
	char *replaces;		/* RFC 9773 certID or NULL */
	char *error;		/* JSON problem or NULL */
	time_t created_at;
};
int store_acme_order_add(struct store *st, struct store_acme_order *o);
int store_acme_order_get(struct store *st, int64_t id, struct store_acme_order *out);
int store_acme_order_by_cert(struct store *st, const char *serial, struct store_acme_order *out);
/* cert_serial and error NULL: unchanged. */
int store_acme_order_set(struct store *st, int64_t id, const char *status, const char *cert_serial,
    const char *error);
void store_acme_order_free(struct store_acme_order *o);
/* RFC 9773: 1 if an order that is not invalid has replaces = certid, 0 if
 * none, -1 on error. */
int store_acme_order_replacing(struct store *st, const char *certid);

struct store_acme_authz {
	int64_t id;
	int64_t order_id;
	char type[8];		/* dns, ip */
	char value[256];
	int wildcard;
	char status[16];
	time_t expires;
};
int store_acme_authz_add(struct store *st, struct store_acme_authz *a);
int store_acme_authz_get(struct store *st, int64_t id, struct store_acme_authz *out);
typedef int (*store_acme_authz_cb)(const struct store_acme_authz *a, void *arg);
int store_acme_authz_each(struct store *st, int64_t order_id, store_acme_authz_cb cb, void *arg);
int store_acme_authz_set(struct store *st, int64_t id, const char *status);

struct store_acme_chall {
	int64_t id;
	int64_t authz_id;
	char type[16];		/* http-01, dns-01, tls-alpn-01 */
	char token[64];
	char status[16];	/* pending, processing, valid, invalid */
	time_t validated_at;
	char error[512];	/* JSON problem, "" for none */
};
int store_acme_chall_add(struct store *st, struct store_acme_chall *c);
int store_acme_chall_get(struct store *st, int64_t id, struct store_acme_chall *out);
typedef int (*store_acme_chall_cb)(const struct store_acme_chall *c, void *arg);
int store_acme_chall_each(struct store *st, int64_t authz_id, store_acme_chall_cb cb, void *arg);
int store_acme_chall_set(struct store *st, int64_t id, const char *status, time_t validated_at, const char *error);

/* Challenges left processing (a validation under way, or cut short by a
 * kill), by id. */
typedef int (*store_acme_id_cb)(int64_t id, void *arg);
int store_acme_chall_processing_each(struct store *st, store_acme_id_cb cb, void *arg);
/* 1 when a challenge of the order is being validated, 0 if not, -1 on error. */
int store_acme_order_validating(struct store *st, int64_t order_id);

/* Where an ACME-issued certificate came from: its order, the account and
 * the challenge that validated each name (minica show). */
struct store_acme_validation {
	char name[256];		/* the authorization's name (a wildcard's base name) */
	int wildcard;
	char type[16];		/* http-01, dns-01, tls-alpn-01 */
	time_t validated_at;
};
struct store_acme_origin {
	int64_t order_id, account_id;
	time_t ordered_at;
	char *contact;		/* JSON array */
	char account_status[16];
	size_t n;
	struct store_acme_validation *v;
};
/* 1 found (the certificate came from an order), 0 not, -1 on error. */
int store_acme_cert_origin(struct store *st, const char *serial, struct store_acme_origin *out);
void store_acme_origin_free(struct store_acme_origin *o);

/* Whether a certificate came from an ACME order (its client holds the
 * key and renews it): 1 with the order's account and the certificate's
 * successor, the newest later valid certificate from an ACME order with
 * the same profile, names and key type ("" none: what a client renewing
 * without RFC 9773 replaces leaves valid); 0 not from an order; -1. */
int store_acme_cert_lineage(struct store *st, const char *serial, int64_t *account_id, char successor[48]);

/* External Account Binding (RFC 8555 §7.3.4): key ids and what each may
 * order.  The HMAC key is not in the store (acme/eab.c). */
struct store_acme_eab {
	int64_t id;
	char kid[64];
	char name[128];
	char *domains;		/* one name per line; "" any the CA allows */
	int64_t account_id;	/* 0: not bound yet */
	time_t created_at, bound_at, revoked_at;	/* 0: not (yet) */
};
int store_acme_eab_add(struct store *st, struct store_acme_eab *e);
/* By kid when it is not NULL, else by the account it binds. */
int store_acme_eab_get(struct store *st, const char *kid, int64_t account_id, struct store_acme_eab *out);
/* 1: kid now binds account_id; 0: unknown, revoked or bound before. */
int store_acme_eab_bind(struct store *st, const char *kid, int64_t account_id, time_t now);
/* 1: revoked now; 0: unknown or revoked before. */
int store_acme_eab_revoke(struct store *st, const char *kid, time_t now);
typedef int (*store_acme_eab_cb)(const struct store_acme_eab *e, void *arg);
int store_acme_eab_each(struct store *st, store_acme_eab_cb cb, void *arg);
void store_acme_eab_free(struct store_acme_eab *e);
/* keyChange (RFC 8555 §7.3.5): the account's new key. */
int store_acme_account_set_key(struct store *st, int64_t id, const char *thumbprint, const char *jwk);

#endif
