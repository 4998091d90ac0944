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
};
int store_ca_insert(struct store *st, struct store_ca *ca);
/* The current CA; 1 found, 0 none, -1 error. */
int store_ca_get(struct store *st, struct store_ca *out);
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

#endif
