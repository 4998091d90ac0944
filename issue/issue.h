/*
 * issue: the issuing pipeline and the CA handle, shared by every command
 * and by long-running processes (the ACME server):
 *   plan (policy) -> serial (store) -> sign (ca) -> record (store, one
 *   transaction) -> files (only after the commit) -> deploy.
 * Also: a new CA home in its safe order, import rows, and the deployment
 * findings of 'check'.  Functions here set mc_err and return 0/-1 (or a
 * pointer/NULL); they never print, prompt or exit.  Warnings go to the
 * handle's warn callback.  No globals: a process may hold many handles.
 */
#ifndef MINICA_ISSUE_H
#define MINICA_ISSUE_H

#include <time.h>

#include "../ca/ca.h"
#include "../deploy/deploy.h"
#include "../policy/policy.h"
#include "../store/store.h"
#include "../util/util.h"

/* ---- the CA handle (ca.c) ---- */

/* Called with one line (no "minica: warning: " prefix, no newline). */
typedef void iss_warn_fn(void *arg, const char *msg);

struct mc_ca {
	char *home;		/* the CA home folder (owned) */
	struct store *db;
	struct pol_config cfg;
	struct store_ca rec;	/* the issuing CA: the intermediate, or a root
				 * that signs leaves itself */
	X509 *cert;		/* the issuing certificate */
	EVP_PKEY *key;		/* only after iss_ca_unlock */
	struct store_ca root_rec;	/* the current root (a copy of rec when
					 * the root issues) */
	X509 *root;		/* the root certificate: what clients trust */
	EVP_PKEY *root_key;	/* only after iss_ca_unlock_root */
	X509 *cross;		/* after a root rotation, until the old root
				 * expires: the new root issued by the old one,
				 * last in every chain minica writes */
	X509 *prev_root;	/* that old root (the trust kit carries it too) */
	int two_level;		/* the root has (or had) an intermediate */
	int no_issuer;		/* two_level, but none is current (revoked) */
	int lock_fd;		/* >= 0 while iss_ca_lock holds the CA */
	struct timespec locked_at;	/* when the lock was taken; 0: not held */
	iss_warn_fn *warn;	/* NULL: warnings are dropped */
	void *warn_arg;
	/* Test seam: the serial source (NULL: ca_serial_random). */
	int (*serial_rng)(void *arg, ASN1_INTEGER *serial);
	void *serial_rng_arg;
	struct iss_stats *stats;	/* NULL: not measured (stats.c) */
};

#define ISS_LOCK_WAIT_MS 60000

/* Checks that home and home/private are folders closed to group/others. */
int iss_home_check_modes(const char *home);
/* home/rel, malloc'd; NULL (mc_err) on no memory. */
char *iss_home_path(const char *home, const char *rel);
/* The ACME server's own certificate, then its key (cmd/acme_tls.c). */
#define ISS_ACME_TLS_FILE "private/acme-tls.pem"
#define ISS_ACME_TLS_MAX (64 * 1024)
/* Opens the store, the config and the CA certificate in home.  "no CA in
 * ..." (run minica init) when there is none.  On -1 the handle is closed. */
int iss_ca_open(struct mc_ca *ca, const char *home);
/* Serialises everything that changes the CA or deployed files: waits up
 * to wait_ms for the lock, then fails "CA busy: held by pid N (WHO)".
 * who names this holder for others to see (e.g. "minica issue"). */
int iss_ca_lock(struct mc_ca *ca, const char *who, int wait_ms);
/* Lets the lock go while the caller waits for a person (a passphrase
 * prompt), so nobody else waits on someone who went for coffee: 1 it was
 * held and is let go (*version says what the store looked like), 0 it was
 * not held.  iss_ca_lock_resume takes it back and fails ("... run the
 * command again") when another process committed to the store meanwhile,
 * since what the command checked before may no longer hold. */
int iss_ca_lock_pause(struct mc_ca *ca, int64_t *version);
int iss_ca_lock_resume(struct mc_ca *ca, int64_t version, const char *who, int wait_ms);
/* A deployment a kill or a full disk left pending is settled by whatever
 * opens the CA next: rolled forward from its staged files (and its
 * service reloaded) or back, under the lock (taken, then kept for the
 * rest of the command).  What was done goes to ca->warn.  0 nothing
 * left, 1 something could not be settled (said), -1 error. */
int iss_ca_settle(struct mc_ca *ca, const char *who, int wait_ms);
/* Decrypts the issuing key (private/intermediate.key, or private/ca.key
 * when the root issues) with pass and checks it matches the issuing
 * certificate.  The key stays in the handle until iss_ca_close. */
int iss_ca_unlock(struct mc_ca *ca, const char *pass, size_t passlen);
/* Frees everything (the key too) and releases the lock.  Safe twice. */
void iss_ca_close(struct mc_ca *ca);
/* Sends one formatted warning to ca->warn (if set). */
void iss_warn(const struct mc_ca *ca, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- the two levels (root.c, inter.c) ---- */

#define ISS_ROOT_KEY "private/ca.key"
#define ISS_INTER_KEY "private/intermediate.key"
#define ISS_INTER_KEY_NEXT "private/intermediate.key.next"
#define ISS_INTER_CRT "intermediate.crt"
#define ISS_ROOT_KEY_NEXT "private/ca.key.next"
#define ISS_CROSS_CRT "cross.crt"
#define ISS_INTER_WARN_DAYS 90	/* check warns this long before it expires */

/* 1 if the root key is in the home (private/ca.key), 0 if not (offline),
 * -1 on error. */
int iss_root_key_here(const struct mc_ca *ca);
/* Decrypts the root key: key_file (an offline copy), or NULL for the
 * home's private/ca.key; checks it matches the root.  Missing: one line
 * saying how to bring it online. */
int iss_ca_unlock_root(struct mc_ca *ca, const char *key_file, const char *pass, size_t passlen);
/* Moves the root key (and a copy of ca.crt) to dir as
 * minica-root-<fingerprint>.key/.crt: verified copy, digest recorded in
 * the store with an audit event, then removed from the home.  *dst (may
 * be NULL) gets the key's new path (caller frees). */
int iss_root_offline(struct mc_ca *ca, const char *dir, char **dst);
/* Brings it back from dir (or a file, if from names one): it must be
 * byte for byte the file that went out when that was recorded. */
int iss_root_online(struct mc_ca *ca, const char *from, char **src);

/* A new intermediate signed by the unlocked root (ca->root_key): key of
 * key_type (NULL: ec256) encrypted with pass, days (0: 5 years, clamped
 * to the root).  The current one, if any, is retired in the same
 * transaction (intermediate rotate; the caller has unlocked it with the
 * same pass, so cron's passphrase file keeps working) and its key kept
 * as private/intermediate-<serial>.key.  The handle then issues from
 * the new one.  Crash-safe: the new key is written as
 * private/intermediate.key.next first, the store records its digest,
 * and iss_inter_roll_forward finishes an interrupted switch. */
int iss_inter_new(struct mc_ca *ca, const char *key_type, int days, const char *pass, size_t passlen);
/* Root rotation (rotate.c): a new root (RSA-4096, the old root's subject
 * and name constraints, pathlen 2, days 0: 3650), the cross-certificate
 * (the new root's name and key issued by the old root, ca->root_key) and
 * a new intermediate (inter_key NULL: ec256) under the new root, recorded
 * in one transaction that retires the old root, intermediate and cross.
 * The new root key is encrypted with root_pass (the old root's: unlocked
 * with it), the new intermediate's with pass (the current one's, so
 * cron's file keeps working).  Crash-safe as iss_inter_new: both keys go
 * to *.next files first, whose digests the store records; then
 * iss_root_roll_forward and iss_inter_roll_forward put them in place
 * (the old root key, if in the home, kept as private/root-SERIAL.key). */
struct iss_root_rotate {
	int days;
	const char *inter_key;
	const char *root_pass, *pass;
	size_t root_passlen, passlen;
};
int iss_root_rotate(struct mc_ca *ca, const struct iss_root_rotate *r);
/* Finishes what an interrupted rotation left (lock held): a
 * private/ca.key.next the store recorded replaces private/ca.key, any
 * other is removed; ca.crt and cross.crt are rewritten when they differ. */
int iss_root_roll_forward(struct mc_ca *ca);
/* Fills ca->cross and ca->prev_root from the store (none, or an expired
 * cross-certificate: both NULL).  Part of iss_ca_open. */
int iss_ca_load_cross(struct mc_ca *ca);
/* What follows a leaf of CA ca_id (0: the current issuer) in the files
 * minica writes: its intermediate (NULL when a root signed it) and, for
 * one under the current root while a cross-certificate lives, the cross
 * (else NULL).  New references: the caller frees them.  0 or -1. */
int iss_chain_of(const struct mc_ca *ca, int64_t ca_id, X509 **inter, X509 **cross);
/* An intermediate certificate for key under root (verified against it). */
X509 *iss_inter_cert(X509 *root, EVP_PKEY *root_key, EVP_PKEY *key, int days);
/* 1 if t is a key type offered for an intermediate, else 0 (mc_err set). */
int iss_inter_key_type_ok(const char *t);
/* Writes pem to home/rel (0644) unless it holds exactly that already. */
int iss_home_pem_put(struct mc_ca *ca, const char *rel, const char *pem);
/* A store row for a CA certificate minica made (subject and constraints
 * allocated: the caller frees them; pem is borrowed). */
int iss_ca_row(X509 *cert, const char *pem, const char *role, int64_t parent_id, const char *key_type,
    const char *key_sha256, struct store_ca *r);
/* Completes or discards what an interrupted iss_inter_new left: a .next
 * key the store recorded replaces intermediate.key; one it did not is
 * removed.  intermediate.crt is rewritten when it differs. */
int iss_inter_roll_forward(struct mc_ca *ca);
/* Revokes an intermediate (a root operation: the root's CRL lists it). */
int iss_inter_revoke(struct mc_ca *ca, const struct store_ca *inter, const char *reason);
/* ---- CRLs, one per CA that still has valid children (crl.c, crls.c, crlkeys.c) ---- */

#define ISS_CRL_DIR "crl"	/* HOME/crl/ROLE-SKI8.pem and .crl */

struct iss_crl_file {
	char *path;
	time_t next_update;
	enum pol_crl_state state;	/* missing, unreadable or foreign: DUE */
	char problem[256];		/* why it cannot be read; "" if it can */
};
struct iss_crl_ca {
	struct store_ca rec;
	X509 *cert;
	int current;			/* the current issuer (leaf level) or root */
	int root_level;
	int days;			/* the lifetime its last CRL had (30: none yet) */
	char stem[40];			/* "intermediate-1a2b3c4d" */
	struct iss_crl_file file;	/* HOME/crl/STEM.pem */
	struct iss_crl_file legacy;	/* current only (else path NULL): where the
					 * level's last CRL went (crl --out), or
					 * HOME/crl.pem, HOME/root-crl.pem */
};
struct iss_crl_set {
	struct iss_crl_ca *v;
	size_t n;
	int root_level;
	int in_use;			/* a CRL of this level was ever written */
};
/* The CAs that need a CRL at a level, with their files' state: leaf
 * level (root_level 0): every intermediate neither revoked nor expired
 * that is current or has unexpired leaves (a root that signs leaves in a
 * home without intermediate); root level: every root not expired that is
 * current or has unexpired children. */
int iss_crl_set_load(struct mc_ca *ca, int root_level, time_t now, struct iss_crl_set *s);
void iss_crl_set_free(struct iss_crl_set *s);
/* 1 if one of e's files is missing, foreign or within POL_CRL_WARN_DAYS
 * of its nextUpdate. */
int iss_crl_due(const struct iss_crl_ca *e);
/* "root-SKI8" or "intermediate-SKI8" (the first 4 bytes of the SKI). */
int iss_crl_stem(X509 *cert, const char *role, char *out, size_t len);
/* HOME/crl/STEM.ext, malloc'd. */
char *iss_crl_path(const struct mc_ca *ca, const struct iss_crl_ca *e, const char *ext);
/* The cRLDistributionPoints URI for a new leaf of the current issuer:
 * crl_url as given, or for one ending in '/' crl_url + STEM.crl (so each
 * CA's leaves name its own CRL).  1 (out set), 0 no crl_url, -1 error. */
int iss_crl_url(const struct mc_ca *ca, char *out, size_t len);
/* The key that signs e's CRL (a new reference): one unlocked in the
 * handle, else the home's file for it (private/intermediate-SERIAL.key,
 * private/root-SERIAL.key; for a current one intermediate.key, ca.key),
 * else for a root key_file or its folder's offline name; opened with
 * pass.  "wrong passphrase" in mc_err when one was there but did not
 * open. */
EVP_PKEY *iss_crl_key(struct mc_ca *ca, const struct iss_crl_ca *e, const char *key_file, const char *pass,
    size_t passlen);
/* e's CRL signed by key: its revoked leaves and CA certificates, e's
 * next CRL number, days to nextUpdate, recorded (audit crl or crl-root,
 * serial e's, path=legacy when given), then written to HOME/crl/STEM.pem
 * and .crl and to legacy (absolute; NULL: none). */
int iss_crl_publish(struct mc_ca *ca, const struct iss_crl_ca *e, EVP_PKEY *key, int days, const char *legacy,
    long *number, size_t *count);
/* check: every CRL of a level in use, its files as iss_crl_due says (a
 * WARNING, CRITICAL past nextUpdate), naming the command that fixes it. */
struct iss_findings;
int iss_check_crls(struct mc_ca *ca, time_t now, struct iss_findings *fs);
/* CRL_REASON_* for "keyCompromise" etc.; -1 for an unknown name. */
int iss_reason_code(const char *name);

/* ---- the pipeline (engine.c) ---- */

struct iss_req {
	const char *profile;
	const char *cn;
	const char **sans;	/* NULL-terminated; may be NULL */
	const char **ips;
	int days;		/* 0: profile default */
	const char *key_type;	/* NULL: profile default */
	const char *csr_path;
	/* The CSR itself (DER or PEM) instead of reading csr_path, which
	 * then only names it in messages (the ACME server: no file). */
	const void *csr_mem;
	size_t csr_memlen;
	int any_domain;		/* --any-domain: past [minica] domains */
};

struct iss_plan {
	const struct pol_profile *prof;
	char *cn;		/* subject CN; NULL when the name is too long */
	struct mc_strv dns, ips, emails;
	struct mc_strv names;	/* every name, in SAN order */
	int days;
	char key_type[16];
	EVP_PKEY *csr_key;	/* public key from --csr */
	EVP_PKEY *key;		/* a staged key to certify instead of a new one (owned) */
};

struct iss_issued {
	X509 *cert;
	EVP_PKEY *key;		/* NULL for a CSR */
	struct store_cert rec;
};

/* Policy: profile, names, name constraints, lifetime, key type. */
int iss_plan_make(struct mc_ca *ca, const struct iss_req *req, struct iss_plan *plan);
void iss_plan_free(struct iss_plan *plan);
/* Idempotence for configuration management: 1 (and *out filled) when a
 * valid certificate for the plan's profile and names exists that is not
 * due for renewal; 0 when none is (or it is due); -1 on error. */
int iss_find_current(struct mc_ca *ca, const struct iss_plan *p, time_t now, struct store_cert *out);
/* Key generation (unless CSR), signing with a serial unique in the store,
 * and the strict self-check. */
int iss_sign(struct mc_ca *ca, const struct iss_plan *plan, struct iss_issued *out);
/*
 * The same for many plans at once (batch, and renew when several are
 * due): serials are picked on the calling thread (the only one that
 * touches the store); keys are generated, leaves signed and self-checked
 * on up to jobs threads with the CA key unlocked once by the caller.
 * out[i] is plans[i]'s.  All or nothing: on -1 every out[] is freed and
 * *failed_at (may be NULL) is the index of the plan that failed.
 */
int iss_sign_many(struct mc_ca *ca, struct iss_plan *const *plans, size_t n, int jobs,
    struct iss_issued *out, size_t *failed_at);
/* Both at once, in one transaction as iss_record_many: each row (and its
 * audit event) inserted on the calling thread as soon as its leaf is
 * signed, while the next ones are; committed after the last.  On -1
 * nothing is recorded, every out[] is freed, *failed_at is the plan at
 * fault and *in_record 1 when recording failed (0: signing). */
int iss_sign_record_many(struct mc_ca *ca, struct iss_plan *const *plans, size_t n, int jobs,
    struct iss_issued *out, const char *action, size_t *failed_at, int *in_record);
/* One transaction: the certificate row and its audit event. */
int iss_record(struct mc_ca *ca, struct iss_issued *is, const char *action);
/* issue --force: the row, and old (the current certificate of the same
 * profile and names) superseded by it, not revoked; one transaction. */
int iss_record_superseding(struct mc_ca *ca, struct iss_issued *is, const struct store_cert *old);
/* The same with extra(db, &is->rec, arg) run inside that transaction
 * (the ACME server links its order to the row), so both or neither last. */
int iss_record_with(struct mc_ca *ca, struct iss_issued *is, const char *action,
    int (*extra)(struct store *db, const struct store_cert *rec, void *arg), void *arg);
/* One transaction for n rows and their audit events: all or none. */
int iss_record_many(struct mc_ca *ca, struct iss_issued *is, size_t n, const char *action);
void iss_issued_free(struct iss_issued *is);
/* NAME.crt, NAME-fullchain.crt and (unless CSR) NAME.key (0600,
 * exclusive) in dir (created 0700), chained to ca->cert.  Check first,
 * write after commit. */
int iss_leaf_files_check(const char *dir, const char *name, int with_key);
/* Only the folder: there or creatable, and writable (a probe file). */
int iss_out_dir_check(const char *dir);
/* Only the key: dir/NAME.key must not exist (batch checks the folder once). */
int iss_leaf_key_check(const char *dir, const char *name);
int iss_leaf_files_write(struct mc_ca *ca, const char *dir, const char *name, const struct iss_issued *is);
/* The same in steps, for many leaves with one sync (mc_fileset): the
 * folder created 0700 if missing (temp files a killed minica left there
 * removed, each one a warning), each leaf's files added (thread-safe),
 * then mc_fileset_commit. */
struct mc_fileset *iss_leaf_fileset(struct mc_ca *ca, const char *dir);
int iss_leaf_files_add(struct mc_fileset *fs, const struct mc_ca *ca, const char *name, const struct iss_issued *is);
/* Same, replacing an existing key (renew: the old key's certificate is
 * superseded). */
int iss_leaf_files_replace(struct mc_ca *ca, const char *dir, const char *name, const struct iss_issued *is);
/* The plan that re-issues a stored certificate the minica way. */
int iss_renew_plan(struct mc_ca *ca, const struct store_cert *c, struct iss_plan *plan);
/* One transaction: new row, old one superseded and linked, audit event. */
int iss_renew_record(struct mc_ca *ca, const struct store_cert *old, struct iss_issued *is);
/* What renew renews (renew_due.c): among the current certificates the
 * selected ones (all when nonly is 0; else those whose profile is, or
 * whose serial starts with, one of only[]: matched[i] set to 1 for each
 * that selected any) that are due by pol_cert_due within days (or all
 * with force), or whose lineage's deployment under root (NULL: any)
 * still holds a predecessor; then the revoked ones still deployed there
 * and never renewed.  out->current counts the current certificates.
 * A certificate from an ACME order is never among them (its client holds
 * the key and renews it): when it would be, it is in out->acme instead,
 * unless its client has renewed it already (store_acme_cert_lineage); so
 * is the ACME server's own certificate (iss_acme_tls_serial), which the
 * server renews. */
struct iss_due_sel {
	const char *root;
	int days;
	int force;
	time_t now;
	const char *const *only;
	size_t nonly;
	int *matched;		/* nonly entries, or NULL */
};
struct iss_due_acme {
	struct store_cert cert;
	int64_t account_id;	/* the ACME account its order came from; 0: the
				 * ACME server's own certificate */
};
struct iss_due {
	struct store_cert *v;
	size_t n, cap;
	size_t current;
	struct iss_due_acme *acme;
	size_t nacme, acme_cap;
};
int iss_renew_due(struct mc_ca *ca, const struct iss_due_sel *sel, struct iss_due *out);
void iss_due_free(struct iss_due *l);
/* Renews old[0..n): plans, signs (on up to jobs threads), then calls
 * finish for each new certificate (record it with iss_renew_record and
 * put its files or deployment in place); fail(arg, old) is called, with
 * mc_err set, for each one that could not be renewed.  Returns how many
 * failed; the others are kept. */
typedef int iss_renew_finish_fn(void *arg, const struct store_cert *old, struct iss_issued *is);
typedef void iss_renew_fail_fn(void *arg, const struct store_cert *old);
size_t iss_renew_each(struct mc_ca *ca, const struct store_cert *old, size_t n, int jobs,
    iss_renew_finish_fn *finish, iss_renew_fail_fn *fail, void *arg);
/* The same, certifying keys[i] (if not NULL) for old[i] instead of a new
 * key: the next key staged for a DANE rollover. */
size_t iss_renew_each_keys(struct mc_ca *ca, const struct store_cert *old, EVP_PKEY *const *keys, size_t n,
    int jobs, iss_renew_finish_fn *finish, iss_renew_fail_fn *fail, void *arg);
/* The DANE side of renew (dane_renew.c). */
struct iss_dane_renew_req {
	const char *pass;		/* the CA passphrase: it opens the staged keys */
	size_t passlen;
	int force;			/* renew even where DANE would break */
};
struct iss_dane_renew {
	size_t n, nok;			/* old[0..nok) are to be renewed */
	EVP_PKEY **keys;		/* keys[i]: old[i]'s staged next key, or NULL */
	char **why;			/* why[i]: why old[i] is refused, or NULL */
	char *dir;
};
/* For each certificate of a DANE profile that is the one deployed: its
 * staged next key (decrypted with pass, checked against its public half)
 * and, unless force, the TLSA records in DNS: where they would all stop
 * matching once the key changes, old[i] is refused: moved behind the
 * others (old is reordered with the slots) and reported to fail with
 * mc_err saying what to publish.  A DNS failure is a warning, never a
 * refusal.  Returns how many were refused, or -1. */
long iss_dane_renew_prepare(struct mc_ca *ca, struct store_cert *old, size_t n, const struct iss_dane_renew_req *r,
    iss_renew_fail_fn *fail, void *arg, struct iss_dane_renew *d);
/* iss_renew_each_keys over old[0..d->nok) with their staged keys; each
 * staged key is removed once its certificate is renewed and in place. */
size_t iss_renew_each_dane(struct mc_ca *ca, const struct store_cert *old, const struct iss_dane_renew *d, int jobs,
    iss_renew_finish_fn *finish, iss_renew_fail_fn *fail, void *arg);
void iss_dane_renew_free(struct iss_dane_renew *d);
/* The name (no suffix) c's files get in dir (outname.c): never the
 * files of another certificate.  old: the certificate c renews (its
 * files are replaced), NULL for a new one.  -1 when no name is free. */
int iss_leaf_out_name(struct mc_ca *ca, const char *dir, const struct store_cert *c, const char *profile,
    const struct store_cert *old, char *out, size_t len);
/* A file name for a certificate: its CN or first name, made safe. */
void iss_leaf_file_name(const struct store_cert *c, char *out, size_t len);
/* The same for the certificate a plan will make. */
void iss_plan_file_name(const struct iss_plan *p, char *out, size_t len);

/* ---- a new CA home (home.c), shared by init and import ---- */

struct iss_new_ca {
	const char *home;
	EVP_PKEY *key;
	X509 *cert;
	const struct mc_buf *pass;	/* new passphrase for private/ca.key */
	const struct mc_buf *conf;	/* minica.conf text */
	int imported;
	/* Runs inside the transaction that records the CA row: the audit
	 * event and any rows that belong with it. */
	int (*record)(struct store *db, const struct store_ca *rec, void *arg);
	void *arg;
};
/* private/ca.key (scrypt, 0600, exclusive), minica.db with the CA row,
 * ca.crt, minica.conf, in that order.  The caller removes partial files. */
int iss_new_ca_write(const struct iss_new_ca *n);
/* The files a new CA home gets, in creation order (NULL-terminated). */
extern const char *const iss_home_files[];

/* ---- where the time goes (stats.c) ---- */

/* The stages of issuing one leaf.  Each one's CPU time is that of the
 * thread that ran it (CLOCK_THREAD_CPUTIME_ID), summed over threads; a
 * shared machine's waiting for a processor is not counted.  Phases are
 * the wall time of the batch's steps (CLOCK_MONOTONIC): plan and unlock
 * are the caller's to fill; signing includes inserting the rows (on the
 * calling thread, while the workers sign), committing is their COMMIT,
 * syncing mc_fileset_commit. */
enum iss_stage { ISS_ST_KEYGEN, ISS_ST_SIGN, ISS_ST_VERIFY, ISS_ST_ENCODE, ISS_ST_STORE, ISS_ST_FILES,
	ISS_ST_SYNC, ISS_NSTAGES };
enum iss_phase { ISS_PH_PLAN, ISS_PH_UNLOCK, ISS_PH_SIGN, ISS_PH_COMMIT, ISS_PH_FILES, ISS_PH_SYNC, ISS_NPHASES };
struct iss_stats {
	int64_t cpu_ns[ISS_NSTAGES];	/* added to atomically, from any thread */
	int64_t wall_ns[ISS_NPHASES];
	size_t leaves;
};
extern const char *const iss_stage_names[ISS_NSTAGES];
extern const char *const iss_phase_names[ISS_NPHASES];
/* The thread's CPU clock in ns when st is not NULL (else 0, no system
 * call); iss_stats_add adds the time since t0 to stage s. */
int64_t iss_stats_clock(const struct iss_stats *st);
void iss_stats_add(struct iss_stats *st, enum iss_stage s, int64_t t0);
/* CLOCK_MONOTONIC in ns, for phases. */
int64_t iss_wall_ns(void);

/* ---- the batch file and its pipeline (batch.c) ---- */

/* Sign (on jobs threads), record (one transaction), then write every
 * leaf's files to dir (NULL: none) under names[i]: what 'issue --batch'
 * does once every line is planned.  All or nothing up to the commit.  On
 * -1 *failed is the step that failed and, for ISS_BATCH_SIGN, *failed_at
 * the plan; out[] is freed unless the rows were committed. */
enum iss_batch_step { ISS_BATCH_SIGN, ISS_BATCH_RECORD, ISS_BATCH_FILES };
struct iss_batch_req {
	struct iss_plan *const *plans;
	const char *const *names;	/* the files' base names */
	size_t n;
	int jobs;
	const char *dir;
};
int iss_batch_issue(struct mc_ca *ca, const struct iss_batch_req *req, struct iss_issued *out,
    enum iss_batch_step *failed, size_t *failed_at);

/* Reads and parses a batch file of at most max bytes.  On -1 *bad_line
 * is the line at fault, 0 for the file as a whole, or -1 when it could
 * not be read (mc_err then names the file). */
int iss_batch_load(const char *path, size_t max, struct pol_batch *out, int *bad_line);
/* Leaves whose files would collide: the first equal pair of names in
 * (name, index) order.  1 and *first < *second their indices, 0 none,
 * -1 no memory. */
int iss_first_duplicate(const char *const *names, size_t n, size_t *first, size_t *second);
/* The first two plans (*first < *second) whose profiles deploy to the same
 * targets, so that with --deploy the second would replace the first: 1,
 * or 0 when no two do. */
int iss_first_shared_targets(struct iss_plan *const *plans, size_t n, size_t *first, size_t *second);

/* ---- import rows (importrows.c) ---- */

/* A store row for a certificate found by 'minica import'; profile NULL:
 * "server" or "client" from its extendedKeyUsage. */
int iss_import_row(const struct ca_imported *e, const char *profile, struct store_cert *r);
/* importadd.c: the rows an import records, and each certificate found
 * at a profile's targets with its key as that profile's deployment. */
struct iss_import_req {
	/* The profile asked for a certificate read from source; NULL: none. */
	const char *(*profile_for)(const void *arg, const char *source);
	const void *arg;
	const struct pol_config *cfg;	/* profiles (targets, server or not) */
	const char *root;		/* resolved --root; NULL: no deployments */
};
struct iss_import_rows {
	struct store_cert *rows;
	struct store_deployment *deps;	/* deps[i] is rows[i]'s if has_dep[i] */
	int *has_dep;
	size_t n, revoked, ndeps;
	size_t long_lived, no_san;	/* valid server certificates clients may refuse */
};
/* Rows for every certificate of set; names (may be NULL) gets every name. */
int iss_import_rows_make(const struct iss_import_req *q, const struct ca_import_set *set,
    struct iss_import_rows *r, struct mc_strv *names);
/* Inside the caller's transaction: rows, deployments, their audit events. */
int iss_import_rows_record(struct store *db, struct iss_import_rows *r);
void iss_import_rows_free(struct iss_import_rows *r);
/* Into an existing CA (locked): the certificates of set the store lacks,
 * in one transaction; *known counts those it already had. */
int iss_import_add(struct mc_ca *ca, const struct iss_import_req *q, struct ca_import_set *set,
    struct iss_import_rows *r, size_t *known);

/* ---- deployment findings (findings.c, check_deploy.c) ---- */

/* Severity follows the monitoring-plugin convention so the worst one is
 * check's exit code. */
enum iss_sev { SEV_OK = 0, SEV_WARNING = 1, SEV_CRITICAL = 2, SEV_UNKNOWN = 3 };
struct iss_finding {
	enum iss_sev sev;
	char serial[48];
	char what[128];		/* "smtpd mail.example.org", "root", ... */
	char *message;
};
struct iss_findings {
	struct iss_finding *v;
	size_t n, cap;
	enum iss_sev worst;
};
int iss_finding_add(struct iss_findings *f, enum iss_sev sev, const char *serial, const char *what,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void iss_findings_free(struct iss_findings *f);
const char *iss_sev_name(enum iss_sev s);
/* acme_held.c: what renew leaves to others.  The serial of the
 * certificate 'minica acme serve' keeps as its own: 1 (serial filled, the
 * store's form), 0 none (no such file, unreadable, no certificate in it:
 * serial ""). */
int iss_acme_tls_serial(const struct mc_ca *ca, char serial[48]);
/* "account 2 (EAB lego, mailto:admin@example.test)": the ACME account
 * whose client holds an ACME-issued certificate's key; 0, or -1. */
int iss_acme_account_text(struct mc_ca *ca, int64_t id, char *out, size_t len);
/* check on a certificate an ACME client ordered, or the server's own:
 * INFO while due (its renewal is theirs, never "run 'minica renew'"),
 * WARNING once late (pol_acme_renewal_late), CRITICAL expired.  1 when c
 * is one and due or expired (its finding added), 2 when a client renewed
 * it without RFC 9773 replaces (store_acme_cert_lineage: no finding, not
 * watched), 0 otherwise (the usual rules apply), -1 on error. */
struct iss_acme_held {
	const char *served;	/* iss_acme_tls_serial's, "" none */
	time_t now;
	int days;		/* check --days */
	int due;		/* pol_cert_due at now, days */
};
int iss_check_acme(struct mc_ca *ca, const struct iss_acme_held *h, const struct store_cert *c, const char *what,
    struct iss_findings *f);
/* Every current or interrupted deployment (under root, NULL: all): files
 * as deployed, the certificate still current, and with probe what the
 * daemons serve.  *count: how many deployments were looked at. */
int iss_check_deployments(struct mc_ca *ca, const char *root, int probe, struct iss_findings *f, size_t *count);
/* check --dane (check_dane.c): every profile with dane = yes that has a
 * current deployment (under root, NULL: any): its names' TLSA records
 * against the deployed chain and the staged next key, and with probe the
 * served chain through OpenSSL's DANE verifier.  OK findings are
 * information (no TLSA, a verified probe). */
int iss_check_dane(struct mc_ca *ca, const char *root, int probe, struct iss_findings *f);

#endif
