/* The append-only audit log (triggers refuse UPDATE and DELETE). */
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* "root", or "root (sudo alice)" so the log names the person. */
static void
current_user(char *out, size_t len)
{
	struct passwd *pw = getpwuid(getuid());
	const char *sudo = getenv("SUDO_USER");

	if (pw != NULL)
		snprintf(out, len, "%s", pw->pw_name);
	else
		snprintf(out, len, "uid %u", (unsigned)getuid());
	if (sudo != NULL && *sudo != '\0' && strlen(out) + strlen(sudo) + 9 < len)
		snprintf(out + strlen(out), len - strlen(out), " (sudo %s)", sudo);
}

int
store_audit(struct store *st, const char *action, const char *serial, const char *fmt, ...)
{
	sqlite3_stmt *stmt;
	char *details = NULL;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&details, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		mc_seterr("out of memory");
		return -1;
	}
	/* Once a handle: getpwuid reads the password database each time. */
	if (st->user[0] == '\0')
		current_user(st->user, sizeof(st->user));
	stmt = store_kept(st, STORE_KEPT_AUDIT_INSERT,
	    "INSERT INTO audit (time, user, action, serial, details) VALUES (?,?,?,?,?)");
	if (stmt == NULL) {
		free(details);
		return -1;
	}
	sqlite3_bind_int64(stmt, 1, time(NULL));
	sqlite3_bind_text(stmt, 2, st->user, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, action, -1, SQLITE_STATIC);
	if (serial != NULL)
		sqlite3_bind_text(stmt, 4, serial, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(stmt, 4);
	sqlite3_bind_text(stmt, 5, details, -1, SQLITE_STATIC);
	rc = store_exec_kept(st, stmt);
	free(details);
	return rc;
}

/* The event's strings are the statement's own, valid for one row. */
static int
read_event(sqlite3_stmt *stmt, void *row)
{
	struct store_event *ev = row;

	ev->id = sqlite3_column_int64(stmt, 0);
	ev->time = sqlite3_column_int64(stmt, 1);
	ev->user = (char *)sqlite3_column_text(stmt, 2);
	ev->action = (char *)sqlite3_column_text(stmt, 3);
	ev->serial = (char *)sqlite3_column_text(stmt, 4);
	ev->details = (char *)sqlite3_column_text(stmt, 5);
	return 0;
}

static const struct store_rowtype event_row = { read_event, NULL };

struct each_event {
	store_event_cb cb;
	void *arg;
};

static int
call_event(void *row, void *arg)
{
	const struct each_event *e = arg;

	return e->cb(row, e->arg);
}

int
store_audit_each(struct store *st, time_t since, store_event_cb cb, void *arg)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "SELECT id, time, user, action, serial, details FROM audit WHERE time >= ? ORDER BY id");
	struct each_event e = { cb, arg };
	struct store_event ev;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, since);
	return store_rows_each(st, stmt, &event_row, &ev, call_event, &e, "read audit log");
}

int
store_audit_last(struct store *st, const char *action, char **details, time_t *when)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "SELECT details, time FROM audit WHERE action = ? ORDER BY id DESC LIMIT 1");
	int rc = -1, step;

	*details = NULL;
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, action, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		if ((*details = store_col_text(stmt, 0)) != NULL) {
			*when = sqlite3_column_int64(stmt, 1);
			rc = 1;
		}
	} else if (step == SQLITE_DONE) {
		rc = 0;
	} else {
		store_seterr(st, "read audit log");
	}
	sqlite3_finalize(stmt);
	return rc;
}
