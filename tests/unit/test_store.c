/* store/: migrations, version refusal, the CA row, the append-only audit log. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"

static char dir[] = "/tmp/minica-store.XXXXXX";
static char path[256];

static void
setup(void)
{
	strcpy(dir, "/tmp/minica-store.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/minica.db", dir);
}

static void
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static int
raw_exec(const char *sql)
{
	sqlite3 *db;
	int rc;

	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

TestSuite(store, .init = setup, .fini = teardown);

Test(store, creates_latest_schema)
{
	struct store *st = store_open(path, 1);

	cr_assert_not_null(st, "%s", mc_err());
	cr_assert_eq(store_schema_version(st), store_latest_version());
	cr_assert_geq(store_latest_version(), 1);
	store_close(st);
	/* Reopening an up-to-date database runs no migration and works. */
	st = store_open(path, 0);
	cr_assert_not_null(st, "%s", mc_err());
	store_close(st);
}

Test(store, missing_without_create_fails)
{
	cr_assert_null(store_open(path, 0));
	cr_assert(strstr(mc_err(), path) != NULL, "%s", mc_err());
}

Test(store, version_zero_migrated_only_by_create)
{
	/* A file with user_version 0 (emptied, or another program's) is
	 * refused and left as it is; only init (create) builds a schema. */
	cr_assert_eq(raw_exec("CREATE TABLE unrelated(x)"), SQLITE_OK);
	cr_assert_null(store_open(path, 0));
	cr_assert(strstr(mc_err(), "has no minica schema") != NULL, "%s", mc_err());
	cr_assert_neq(raw_exec("SELECT count(*) FROM certificates"), SQLITE_OK);
	struct store *st = store_open(path, 1);
	cr_assert_not_null(st, "%s", mc_err());
	cr_assert_eq(store_schema_version(st), store_latest_version());
	store_close(st);
}

Test(store, empty_file_refused_untouched)
{
	FILE *f = fopen(path, "w");
	struct stat sb;

	cr_assert_not_null(f);
	fclose(f);
	cr_assert_null(store_open(path, 0));
	cr_assert(strstr(mc_err(), "has no minica schema") != NULL, "%s", mc_err());
	cr_assert_eq(stat(path, &sb), 0);
	cr_expect_eq(sb.st_size, 0, "an empty database was written to");
}

Test(store, damaged_page_refused)
{
	struct store *st = store_open(path, 1);
	char big[3000];
	int ran = -1;
	FILE *f;

	cr_assert_not_null(st);
	store_close(st);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 20; i++) {
		char sql[3100];

		snprintf(sql, sizeof(sql), "CREATE TABLE IF NOT EXISTS filler(x); INSERT INTO filler VALUES('%s')", big);
		cr_assert_eq(raw_exec(sql), SQLITE_OK);
	}
	/* Scribble over page 5 (of about 20) from its header on: only the
	 * pages a query touches would show it without a check at open. */
	f = fopen(path, "r+");
	cr_assert_not_null(f);
	cr_assert_eq(fseek(f, 4 * 4096, SEEK_SET), 0);
	for (int i = 0; i < 2000; i++)
		fputc((i * 7919) & 0xff, f);
	fclose(f);
	/* Opening for reads no longer pays for the whole-file check (issue
	 * 18); the first write and store_verify find the damage. */
	cr_assert_not_null(st = store_open(path, 0), "%s", mc_err());
	cr_assert_eq(store_begin(st), -1, "a write began on a damaged store");
	cr_assert(strstr(mc_err(), "damaged") != NULL, "%s", mc_err());
	cr_assert(strchr(mc_err(), '\n') == NULL, "not one line: %s", mc_err());
	cr_assert_eq(store_audit(st, "x", NULL, "y"), -1, "a write outside a transaction landed");
	cr_assert(strstr(mc_err(), "damaged") != NULL, "%s", mc_err());
	cr_assert_eq(store_verify(st, STORE_VERIFY_EVERY, &ran), -1);
	cr_assert_eq(ran, 1);
	cr_assert(strstr(mc_err(), "damaged") != NULL, "%s", mc_err());
	store_close(st);
}

static sqlite3_int64
recorded_pass(void)
{
	sqlite3 *db;
	sqlite3_stmt *stmt;
	sqlite3_int64 t = -1;

	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT checked_at FROM integrity", -1, &stmt, NULL), SQLITE_OK);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		t = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return t;
}

Test(store, whole_file_check_once_per_period)
{
	struct store *st = store_open(path, 1);
	int ran = -1;

	cr_assert_not_null(st, "%s", mc_err());
	store_close(st);
	cr_assert_eq(raw_exec("DELETE FROM integrity"), SQLITE_OK);
	/* Nothing recorded: verify runs the check and records the pass. */
	cr_assert_not_null(st = store_open(path, 0), "%s", mc_err());
	cr_assert_eq(store_verify(st, STORE_VERIFY_EVERY, &ran), 0, "%s", mc_err());
	cr_assert_eq(ran, 1);
	store_close(st);
	cr_assert_geq(recorded_pass(), time(NULL) - 5);
	/* A recent pass: a new handle does not check again. */
	cr_assert_not_null(st = store_open(path, 0), "%s", mc_err());
	cr_assert_eq(store_verify(st, STORE_VERIFY_EVERY, &ran), 0, "%s", mc_err());
	cr_assert_eq(ran, 0);
	store_close(st);
	/* An old pass, or one in the future: checked again. */
	cr_assert_eq(raw_exec("UPDATE integrity SET checked_at = 1000"), SQLITE_OK);
	cr_assert_not_null(st = store_open(path, 0), "%s", mc_err());
	cr_assert_eq(store_verify(st, STORE_VERIFY_EVERY, &ran), 0, "%s", mc_err());
	cr_assert_eq(ran, 1);
	store_close(st);
	cr_assert_eq(raw_exec("UPDATE integrity SET checked_at = 99999999999"), SQLITE_OK);
	cr_assert_not_null(st = store_open(path, 0), "%s", mc_err());
	cr_assert_eq(store_verify(st, STORE_VERIFY_EVERY, &ran), 0, "%s", mc_err());
	cr_assert_eq(ran, 1);
	store_close(st);
	/* A write checks first and records its pass too. */
	cr_assert_eq(raw_exec("DELETE FROM integrity"), SQLITE_OK);
	cr_assert_not_null(st = store_open(path, 0), "%s", mc_err());
	cr_assert_eq(store_audit(st, "x", NULL, "y"), 0, "%s", mc_err());
	store_close(st);
	cr_assert_geq(recorded_pass(), time(NULL) - 5);
}

Test(store, negative_version_named)
{
	struct store *st = store_open(path, 1);

	cr_assert_not_null(st);
	store_close(st);
	cr_assert_eq(raw_exec("PRAGMA user_version = -1"), SQLITE_OK);
	cr_assert_null(store_open(path, 0));
	cr_assert(strstr(mc_err(), "schema version -1") != NULL, "%s", mc_err());
}

/* An old database upgraded step by step; a failing step is named by its
 * number, and its SQL is not in the message. */
Test(store, migration_error_named_without_sql)
{
	struct store *st = store_open(path, 1);

	cr_assert_not_null(st);
	store_close(st);
	/* Version 2 but with the column migration 2 adds already there
	 * under a clashing state: downgrade the number only. */
	cr_assert_eq(raw_exec("PRAGMA user_version = 1"), SQLITE_OK);
	cr_assert_null(store_open(path, 0));
	cr_assert(strstr(mc_err(), "migration 2") != NULL, "%s", mc_err());
	cr_assert(strstr(mc_err(), "ALTER TABLE") == NULL, "SQL in the message: %s", mc_err());
	cr_assert(strchr(mc_err(), '\n') == NULL, "not one line: %s", mc_err());
}

Test(store, refuses_future_version)
{
	char sql[64];
	struct store *st = store_open(path, 1);

	cr_assert_not_null(st);
	store_close(st);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", store_latest_version() + 1);
	cr_assert_eq(raw_exec(sql), SQLITE_OK);
	cr_assert_null(store_open(path, 0));
	cr_assert(strstr(mc_err(), "newer than this minica") != NULL, "%s", mc_err());
}

Test(store, refuses_garbage_file)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	for (int i = 0; i < 4096; i++)
		fputc((i * 7919) & 0xff, f);
	fclose(f);
	cr_assert_null(store_open(path, 0));
	cr_assert(strstr(mc_err(), "not a minica database") != NULL ||
	    strstr(mc_err(), "damaged") != NULL, "%s", mc_err());
}

Test(store, ca_round_trip_and_audit)
{
	struct store *st = store_open(path, 1);
	struct store_ca in = { 0 }, out;

	cr_assert_not_null(st);
	in.subject = "CN=Test";
	strcpy(in.serial, "7f01");
	in.not_before = 1000;
	in.not_after = 2000;
	strcpy(in.fingerprint, "ab");
	in.pem = "-----BEGIN CERTIFICATE-----\n";
	in.constraints = "permitted:DNS:example.org";
	cr_assert_eq(store_ca_get(st, &out), 0);
	cr_assert_eq(store_ca_insert(st, &in), 0, "%s", mc_err());
	cr_assert_eq(store_ca_get(st, &out), 1);
	cr_assert_str_eq(out.subject, "CN=Test");
	cr_assert_str_eq(out.serial, "7f01");
	cr_assert_eq(out.not_after, 2000);
	cr_assert_str_eq(out.constraints, "permitted:DNS:example.org");
	store_ca_free(&out);
	cr_assert_eq(store_audit(st, "init", "7f01", "detail %d", 42), 0);
	store_close(st);
	/* The audit log refuses UPDATE and DELETE. */
	cr_assert_neq(raw_exec("UPDATE audit SET action = 'x'"), SQLITE_OK);
	cr_assert_neq(raw_exec("DELETE FROM audit"), SQLITE_OK);
}

Test(store, transaction_rollback_leaves_nothing)
{
	struct store *st = store_open(path, 1);
	struct store_ca in = { .subject = "CN=X", .pem = "p", .constraints = "" }, out;

	cr_assert_not_null(st);
	strcpy(in.serial, "01");
	strcpy(in.fingerprint, "cd");
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_ca_insert(st, &in), 0);
	store_rollback(st);
	cr_assert_eq(store_ca_get(st, &out), 0);
	store_close(st);
}
