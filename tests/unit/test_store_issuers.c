/*
 * store/ca.c: the rows of a two-level CA.  A root-only database from
 * before the migration keeps working unchanged; with an intermediate,
 * new certificates are recorded under it, CRL numbers are kept per CA,
 * and earlier intermediates stay rows with their certificates.
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

static char dir[] = "/tmp/minica-issuers.XXXXXX";
static char path[256];

static void
setup(void)
{
	strcpy(dir, "/tmp/minica-issuers.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/minica.db", dir);
}

static void
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
	mc_clearerr();
}

TestSuite(issuers, .init = setup, .fini = teardown);

static struct store_ca
row(const char *subject, const char *serial, const char *role, int64_t parent)
{
	struct store_ca ca = { .subject = (char *)subject, .pem = "PEM", .constraints = "",
		.not_before = 1000, .not_after = 2000000000, .created_at = 1000, .parent_id = parent };

	snprintf(ca.serial, sizeof(ca.serial), "%s", serial);
	snprintf(ca.fingerprint, sizeof(ca.fingerprint), "fpr-%s", serial);
	snprintf(ca.role, sizeof(ca.role), "%s", role);
	return ca;
}

static int64_t
add_ca(struct store *st, const char *subject, const char *serial, const char *role, int64_t parent)
{
	struct store_ca ca = row(subject, serial, role, parent);

	cr_assert_eq(store_ca_insert(st, &ca), 0, "%s", mc_err());
	return ca.id;
}

static int64_t
add_cert(struct store *st, const char *serial, const char *status)
{
	struct store_cert c = { .profile = "nginx", .subject = "CN=a", .cn = "a.example.org",
		.pem = "PEM" };

	snprintf(c.serial, sizeof(c.serial), "%s", serial);
	snprintf(c.key_type, sizeof(c.key_type), "ec256");
	snprintf(c.status, sizeof(c.status), "%s", status);
	snprintf(c.fingerprint, sizeof(c.fingerprint), "f%s", serial);
	cr_assert_eq(mc_strv_push(&c.sans, "a.example.org"), 0);
	cr_assert_eq(store_cert_insert(st, &c), 0, "%s", mc_err());
	mc_strv_free(&c.sans);
	return c.id;
}

static int64_t
cert_ca(struct store *st, const char *serial)
{
	struct store_cert c;
	int64_t id;

	cr_assert_eq(store_cert_find(st, serial, &c), 1, "%s", mc_err());
	id = c.ca_id;
	store_cert_free(&c);
	return id;
}

static int64_t
issuer_id(struct store *st)
{
	struct store_ca ca;
	int64_t id;

	cr_assert_eq(store_issuer_get(st, &ca), 1, "%s", mc_err());
	id = ca.id;
	store_ca_free(&ca);
	return id;
}

/* A database as version 2 left it: one CA row, two certificates. */
Test(issuers, version_2_database_migrates_to_a_root)
{
	sqlite3 *db;
	struct store *st;
	struct store_ca ca;

	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	for (size_t i = 0; i < store_nmigrations && store_migrations[i].version <= 2; i++)
		cr_assert_eq(sqlite3_exec(db, store_migrations[i].sql, NULL, NULL, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "PRAGMA user_version = 2;"
	    "INSERT INTO ca (subject, serial, not_before, not_after, fingerprint_sha256, pem,"
	    " created_at, crl_number) VALUES ('CN=old', 'aa', 1, 2000000000, 'f1', 'P', 1, 7);"
	    "INSERT INTO certificates (ca_id, serial, profile, subject, sans, names_key, key_type,"
	    " not_before, not_after, fingerprint_sha256, pem, created_at)"
	    " VALUES (1, '01', 'nginx', 'CN=a', 'a', 'a', 'rsa2048', 1, 2, 'x', 'P', 1);",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	cr_assert_not_null(st = store_open(path, 0), "%s", mc_err());
	cr_assert_eq(store_ca_get(st, &ca), 1);
	cr_assert_str_eq(ca.role, "root");
	cr_assert_str_eq(ca.status, "current");
	cr_assert_eq(ca.crl_number, 7);
	cr_assert_eq(ca.parent_id, 0);
	store_ca_free(&ca);
	/* Root-only: the root is the issuer, its CRL numbers go on. */
	cr_assert_eq(issuer_id(st), 1);
	cr_assert_eq(cert_ca(st, "01"), 1);
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_crl_next_number(st), 8);
	cr_assert_eq(store_commit(st), 0);
	add_cert(st, "02", "valid");
	cr_assert_eq(cert_ca(st, "02"), 1);
	store_close(st);
}

Test(issuers, intermediate_signs_and_rotation_keeps_history)
{
	struct store *st = store_open(path, 1);
	struct store_ca ca;
	int64_t root, i1, i2;

	cr_assert_not_null(st, "%s", mc_err());
	root = add_ca(st, "CN=root", "0a", "root", 0);
	add_cert(st, "10", "valid");
	cr_assert_eq(cert_ca(st, "10"), root);
	i1 = add_ca(st, "CN=i1", "0b", "intermediate", root);
	cr_assert_eq(issuer_id(st), i1);
	cr_assert_eq(store_ca_get(st, &ca), 1);
	cr_assert_eq(ca.id, root, "store_ca_get is the root, not the newest row");
	store_ca_free(&ca);
	add_cert(st, "11", "revoked");
	cr_assert_eq(cert_ca(st, "11"), i1);
	/* A second current intermediate is refused until the first retires. */
	{
		struct store_ca dup = row("CN=i2", "0c", "intermediate", root);

		cr_assert_eq(store_ca_insert(st, &dup), -1);
		cr_assert(strstr(mc_err(), "already has a current intermediate") != NULL, "%s", mc_err());
	}
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_ca_retire(st, i1), 0, "%s", mc_err());
	i2 = add_ca(st, "CN=i2", "0c", "intermediate", root);
	cr_assert_eq(store_commit(st), 0);
	cr_assert_eq(store_ca_retire(st, i1), -1);
	cr_assert_eq(issuer_id(st), i2);
	add_cert(st, "12", "revoked");
	cr_assert_eq(cert_ca(st, "12"), i2);
	cr_assert_eq(cert_ca(st, "11"), i1, "what i1 signed stays i1's");
	/* CRL numbers per CA; revoked leaves per CA. */
	cr_assert_eq(store_ca_crl_next(st, i1), 1);
	cr_assert_eq(store_ca_crl_next(st, i1), 2);
	cr_assert_eq(store_crl_next_number(st), 1, "the current issuer's (i2) own count");
	/* By serial, in any case. */
	cr_assert_eq(store_ca_find(st, "0B", &ca), 1);
	cr_assert_eq(ca.id, i1);
	cr_assert_str_eq(ca.status, "retired");
	cr_assert_eq(ca.parent_id, root);
	store_ca_free(&ca);
	cr_assert_eq(store_ca_find(st, "ff", &ca), 0);
	cr_assert_eq(store_ca_find(st, "zz", &ca), -1);
	/* Revoking: an intermediate yes, twice no, the root never. */
	cr_assert_eq(store_ca_revoke(st, i1, 5000, "keyCompromise"), 0, "%s", mc_err());
	cr_assert_eq(store_ca_revoke(st, i1, 5000, "keyCompromise"), -1);
	cr_assert_eq(store_ca_revoke(st, root, 5000, "keyCompromise"), -1);
	cr_assert_eq(store_ca_by_id(st, i1, &ca), 1);
	cr_assert_str_eq(ca.status, "revoked");
	cr_assert_eq(ca.revoked_at, 5000);
	cr_assert_str_eq(ca.revocation_reason, "keyCompromise");
	store_ca_free(&ca);
	/* Once a root had an intermediate, it never signs leaves again:
	 * with none current there is no issuer. */
	cr_assert_eq(store_ca_retire(st, i2), 0);
	cr_assert_eq(store_issuer_get(st, &ca), 0);
	cr_assert_eq(store_ca_set_key_sha256(st, root, "abc"), 0);
	cr_assert_eq(store_ca_get(st, &ca), 1);
	cr_assert_str_eq(ca.key_sha256, "abc");
	store_ca_free(&ca);
	store_close(st);
}

static int
count_cb(const struct store_cert *c, void *arg)
{
	(void)c;
	(*(int *)arg)++;
	return 0;
}

static int
ca_list_cb(const struct store_ca *ca, void *arg)
{
	struct mc_strv *v = arg;

	return mc_strv_push(v, ca->subject);
}

Test(issuers, filters_by_signing_ca)
{
	struct store *st = store_open(path, 1);
	struct store_cert_filter f = { .status = "revoked" };
	struct mc_strv names = { 0 };
	int64_t root, i1;
	int n = 0;

	cr_assert_not_null(st, "%s", mc_err());
	root = add_ca(st, "CN=root", "0a", "root", 0);
	add_cert(st, "20", "revoked");
	i1 = add_ca(st, "CN=i1", "0b", "intermediate", root);
	add_cert(st, "21", "revoked");
	add_cert(st, "22", "revoked");
	add_cert(st, "23", "valid");
	cr_assert_eq(store_cert_each(st, &f, count_cb, &n), 0);
	cr_assert_eq(n, 3);
	n = 0;
	f.ca_id = root;
	cr_assert_eq(store_cert_each(st, &f, count_cb, &n), 0);
	cr_assert_eq(n, 1);
	n = 0;
	f.ca_id = i1;
	cr_assert_eq(store_cert_each(st, &f, count_cb, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(store_ca_each(st, ca_list_cb, &names), 0);
	cr_assert_eq(names.n, 2);
	cr_assert_str_eq(names.v[0], "CN=root");
	cr_assert_str_eq(names.v[1], "CN=i1");
	mc_strv_free(&names);
	store_close(st);
}
