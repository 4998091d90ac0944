/* store_cert_each: filters, order, the PEM-less form list uses, and the
 * index walks that keep list and check linear on big stores. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

static char dir[] = "/tmp/minica-each.XXXXXX";
static char path[256];
static struct store *st;

static void
add(const char *serial, const char *profile, time_t not_after)
{
	struct store_cert c = { .profile = (char *)profile, .subject = "CN=x", .cn = (char *)serial,
	    .pem = "-----BEGIN CERTIFICATE-----\n", .not_before = 1, .not_after = not_after };

	snprintf(c.serial, sizeof(c.serial), "%s", serial);
	snprintf(c.key_type, sizeof(c.key_type), "ec256");
	snprintf(c.fingerprint, sizeof(c.fingerprint), "%064d", 0);
	cr_assert_eq(mc_strv_push(&c.sans, serial), 0);
	cr_assert_eq(store_cert_insert(st, &c), 0, "%s", mc_err());
	mc_strv_free(&c.sans);
}

static void
setup(void)
{
	struct store_ca ca = { .subject = "CN=root", .serial = "01", .not_before = 1, .not_after = 1 << 30,
	    .fingerprint = "ff", .pem = "pem", .constraints = "", .created_at = 1 };

	strcpy(dir, "/tmp/minica-each.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/minica.db", dir);
	cr_assert_not_null(st = store_open(path, 1), "%s", mc_err());
	cr_assert_eq(store_ca_insert(st, &ca), 0, "%s", mc_err());
	/* Inserted out of expiry order; "bb" is superseded by "ee". */
	add("aa", "smtpd", 300);
	add("bb", "nginx", 100);
	add("cc", "nginx", 200);
	add("dd", "smtpd", 200);
	add("ee", "nginx", 400);
	cr_assert_eq(store_cert_supersede(st, 2, 5), 0, "%s", mc_err());
}

static void
teardown(void)
{
	char cmd[300];

	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(each, .init = setup, .fini = teardown);

struct seen {
	char order[64];
	int pem_empty, pem_full;
};

static int
collect(const struct store_cert *c, void *arg)
{
	struct seen *s = arg;

	strcat(s->order, c->serial);
	strcat(s->order, " ");
	*(c->pem[0] ? &s->pem_full : &s->pem_empty) += 1;
	return 0;
}

static const char *
run(struct store_cert_filter f, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	cr_assert_eq(store_cert_each(st, &f, collect, s), 0, "%s", mc_err());
	return s->order;
}

Test(each, filters_and_order)
{
	struct seen s;

	/* Soonest expiry first, then insertion order (cc before dd at 200). */
	cr_expect_str_eq(run((struct store_cert_filter){ 0 }, &s), "cc dd aa ee ");
	cr_expect_eq(s.pem_full, 4);
	cr_expect_str_eq(run((struct store_cert_filter){ .all = 1 }, &s), "bb cc dd aa ee ");
	cr_expect_str_eq(run((struct store_cert_filter){ .status = "superseded" }, &s), "bb ");
	cr_expect_str_eq(run((struct store_cert_filter){ .status = "valid", .all = 1 }, &s), "cc dd aa ee ");
	cr_expect_str_eq(run((struct store_cert_filter){ .profile = "nginx" }, &s), "cc ee ");
	cr_expect_str_eq(run((struct store_cert_filter){ .profile = "nginx", .all = 1 }, &s), "bb cc ee ");
	cr_expect_str_eq(run((struct store_cert_filter){ .expiring_before = 250 }, &s), "cc dd ");
	cr_expect_str_eq(run((struct store_cert_filter){ .expiring_before = 250, .all = 1, .profile = "nginx" }, &s),
	    "bb cc ");
	cr_expect_str_eq(run((struct store_cert_filter){ .status = "revoked" }, &s), "");
}

Test(each, no_pem_is_the_same_rows_without_pem)
{
	struct seen s;

	cr_expect_str_eq(run((struct store_cert_filter){ .no_pem = 1 }, &s), "cc dd aa ee ");
	cr_expect_eq(s.pem_empty, 4);
	cr_expect_eq(s.pem_full, 0);
	cr_expect_str_eq(run((struct store_cert_filter){ .no_pem = 1, .all = 1 }, &s), "bb cc dd aa ee ");
	cr_expect_eq(s.pem_empty, 5);
}

/* The plans list and issue rely on: an index walk, no sort of whole rows,
 * and idempotency looked up by (profile, names_key), not a scan. */
Test(each, query_plans_use_the_indexes)
{
	static const struct {
		const char *sql, *want, *unwanted;
	} plans[] = {
		{ "SELECT c.id FROM certificates c WHERE c.status = ?1 AND (?2 IS NULL OR c.profile = ?2)"
		  " AND (?3 = 0 OR c.not_after < ?3) ORDER BY c.not_after, c.id",
		  "USING COVERING INDEX certificates_", "TEMP B-TREE" },
		/* list and check without the PEM: the index alone, never the
		 * rows (schema 3), and the superseding serial by rowid. */
		{ "SELECT c.id, c.serial, c.profile, c.subject, c.cn, c.sans, c.key_type, c.not_before,"
		  " c.not_after, c.fingerprint_sha256, '', c.status, c.superseded_by,"
		  " c.revoked_at, c.revocation_reason, c.imported, c.created_at,"
		  " (SELECT s.serial FROM certificates s WHERE s.id = c.superseded_by)"
		  " FROM certificates c WHERE c.status = ?1 AND (?2 IS NULL OR c.profile = ?2)"
		  " AND (?3 = 0 OR c.not_after < ?3) ORDER BY c.not_after, c.id",
		  "SEARCH c USING COVERING INDEX certificates_list", "TEMP B-TREE" },
		{ "SELECT c.id FROM certificates c WHERE c.profile = ? AND c.names_key = ? AND +c.status = 'valid'"
		  " ORDER BY c.not_after DESC LIMIT 1", "USING INDEX certificates_profile", NULL },
	};
	sqlite3 *db;

	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	for (size_t i = 0; i < sizeof(plans) / sizeof(plans[0]); i++) {
		char sql[1000], all[1000] = "";
		sqlite3_stmt *stmt;

		snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", plans[i].sql);
		cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
		while (sqlite3_step(stmt) == SQLITE_ROW) {
			strncat(all, (const char *)sqlite3_column_text(stmt, 3), sizeof(all) - strlen(all) - 2);
			strcat(all, ";");
		}
		sqlite3_finalize(stmt);
		cr_expect(strstr(all, plans[i].want) != NULL, "plan %zu: %s", i, all);
		if (plans[i].unwanted)
			cr_expect(strstr(all, plans[i].unwanted) == NULL, "plan %zu: %s", i, all);
	}
	sqlite3_close(db);
}
