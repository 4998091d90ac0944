/*
 * issue/: the pipeline as a library (issue 12): the due rule as a table,
 * the serial picker giving up on a rigged random source, the lifetime
 * clamp at renewal (said, not silent), and the deployment findings.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "issue/issue.h"
#include "leaf_fixture.h"

#define DAY 86400L

/* ---- the due rule (policy/lifetime.c), one for check and renew ---- */

struct due_case {
	long life_days;		/* not_after - not_before */
	long age_days;		/* now - not_before */
	int window;		/* --days */
	int due;
};

ParameterizedTestParameters(due, table)
{
	static struct due_case cases[] = {
		{ 90, 0, 30, 0 },	/* new */
		{ 90, 59, 30, 0 },	/* just before two thirds, 31 days left */
		{ 90, 60, 30, 1 },	/* two thirds of its life (and 30 left) */
		{ 397, 200, 30, 0 },	/* half-way, far from expiry */
		{ 397, 265, 30, 1 },	/* two thirds */
		{ 825, 500, 30, 0 },
		{ 825, 796, 30, 1 },	/* 29 days left */
		{ 825, 795, 30, 1 },	/* exactly 30 days left: due */
		{ 825, 500, 400, 1 },	/* a wide window */
		{ 825, 0, 0, 0 },	/* window 0: only the two-thirds rule */
		{ 10, 7, 0, 1 },
		{ 10, 11, 30, 1 },	/* expired */
	};

	return cr_make_param_array(struct due_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct due_case *c, due, table)
{
	time_t nb = 1700000000, na = nb + c->life_days * DAY, now = nb + c->age_days * DAY;

	cr_expect_eq(pol_cert_due(nb, na, now, c->window), c->due, "life %ld age %ld window %d", c->life_days,
	    c->age_days, c->window);
}

/* ---- a CA handle without a home: store, built-in profiles, a root ---- */

struct fx_ca {
	struct mc_ca ca;
	char dir[64];
	struct mc_strv warnings;
};

static void
collect_warning(void *arg, const char *msg)
{
	cr_assert_eq(mc_strv_push(arg, msg), 0);
}

static void
fx_ca_open(struct fx_ca *f, long root_days)
{
	char db[128];
	time_t nb, na;

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/minica-issue.XXXXXX");
	cr_assert_not_null(mkdtemp(f->dir));
	snprintf(db, sizeof(db), "%s/minica.db", f->dir);
	f->ca.lock_fd = -1;
	cr_assert_not_null(f->ca.home = strdup(f->dir));
	cr_assert_not_null(f->ca.db = store_open(db, 1), "%s", mc_err());
	cr_assert_eq(pol_config_load(NULL, &f->ca.cfg), 0, "%s", mc_err());
	f->ca.key = fx_key("ec256");
	f->ca.cert = fx_root(f->ca.key);
	if (root_days > 0)
		cr_assert(X509_gmtime_adj(X509_getm_notAfter(f->ca.cert), root_days * DAY));
	cr_assert(X509_sign(f->ca.cert, f->ca.key, EVP_sha256()));
	cr_assert_eq(ca_cert_validity(f->ca.cert, &nb, &na), 0);
	/* The CA row, as iss_new_ca_write records it. */
	{
		struct mc_buf pem = { 0 };
		struct store_ca rec = { .subject = ca_cert_subject(f->ca.cert), .not_before = nb, .not_after = na,
		    .constraints = (char *)"", .created_at = time(NULL) };

		cr_assert_eq(ca_cert_pem(f->ca.cert, &pem), 0);
		rec.pem = pem.p;
		ca_cert_fingerprint(f->ca.cert, rec.fingerprint);
		cr_assert_eq(ca_cert_serial_hex(f->ca.cert, rec.serial), 0);
		cr_assert_eq(store_ca_insert(f->ca.db, &rec), 0, "%s", mc_err());
		free(rec.subject);
		mc_buf_free(&pem);
		cr_assert_eq(store_ca_get(f->ca.db, &f->ca.rec), 1, "%s", mc_err());
	}
	f->ca.warn = collect_warning;
	f->ca.warn_arg = &f->warnings;
}

static void
fx_ca_close(struct fx_ca *f)
{
	char cmd[160];

	iss_ca_close(&f->ca);
	mc_strv_free(&f->warnings);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	cr_expect_eq(system(cmd), 0);
}

static int
issue_one(struct fx_ca *f, const char *cn, int days, struct iss_issued *is)
{
	struct iss_req req = { .profile = "server", .cn = cn, .days = days, .key_type = "ec256" };
	struct iss_plan plan;
	int rc;

	memset(is, 0, sizeof(*is));
	if (iss_plan_make(&f->ca, &req, &plan) < 0)
		return -1;
	rc = iss_sign(&f->ca, &plan, is) < 0 || iss_record(&f->ca, is, "issue") < 0 ? -1 : 0;
	iss_plan_free(&plan);
	return rc;
}

/* ---- the serial picker gives up on a broken random source ---- */

struct rigged {
	int calls;
};

static int
same_serial(void *arg, ASN1_INTEGER *serial)
{
	((struct rigged *)arg)->calls++;
	return ASN1_INTEGER_set(serial, 0x5eed) == 1 ? 0 : -1;
}

Test(serial, rigged_rng_gives_up_after_four_collisions)
{
	struct rigged r = { 0 };
	struct iss_issued a, b;
	struct fx_ca f;

	fx_ca_open(&f, 0);
	f.ca.serial_rng = same_serial;
	f.ca.serial_rng_arg = &r;
	cr_assert_eq(issue_one(&f, "a.example.org", 30, &a), 0, "%s", mc_err());
	cr_expect_str_eq(a.rec.serial, "5eed");
	cr_expect_eq(r.calls, 1);
	r.calls = 0;
	cr_expect_eq(issue_one(&f, "b.example.org", 30, &b), -1, "signed with a serial already taken");
	cr_expect_eq(r.calls, 4, "tried %d times", r.calls);
	cr_expect(strstr(mc_err(), "random number generator") != NULL, "%s", mc_err());
	cr_expect_eq(store_cert_serial_exists(f.ca.db, "5eed"), 1);
	iss_issued_free(&a);
	iss_issued_free(&b);
	fx_ca_close(&f);
}

Test(serial, real_rng_gives_distinct_serials)
{
	struct iss_issued a, b;
	struct fx_ca f;

	fx_ca_open(&f, 0);
	cr_assert_eq(issue_one(&f, "a.example.org", 30, &a), 0, "%s", mc_err());
	cr_assert_eq(issue_one(&f, "b.example.org", 30, &b), 0, "%s", mc_err());
	cr_expect_str_neq(a.rec.serial, b.rec.serial);
	cr_expect_geq(strlen(a.rec.serial), 30);
	iss_issued_free(&a);
	iss_issued_free(&b);
	fx_ca_close(&f);
}

/* ---- the lifetime at renewal ---- */

Test(renew, lifetime_kept_when_the_root_allows)
{
	struct iss_issued a;
	struct iss_plan p;
	struct fx_ca f;

	fx_ca_open(&f, 0);
	cr_assert_eq(issue_one(&f, "a.example.org", 200, &a), 0, "%s", mc_err());
	cr_assert_eq(iss_renew_plan(&f.ca, &a.rec, &p), 0, "%s", mc_err());
	cr_expect_eq(p.days, 200);
	cr_expect_eq(f.warnings.n, 0);
	iss_plan_free(&p);
	iss_issued_free(&a);
	fx_ca_close(&f);
}

Test(renew, lifetime_past_the_root_is_clamped_and_said)
{
	struct iss_issued a;
	struct iss_plan p;
	struct fx_ca f;

	fx_ca_open(&f, 100);	/* the root ends in 100 days */
	/* issue refuses what would outlive the root ... */
	cr_expect_eq(issue_one(&f, "a.example.org", 200, &a), -1);
	cr_expect(strstr(mc_err(), "root") != NULL, "%s", mc_err());
	iss_issued_free(&a);
	/* ... renew of a longer-lived certificate clamps to the root, and
	 * says so through the handle's warning callback. */
	cr_assert_eq(issue_one(&f, "b.example.org", 90, &a), 0, "%s", mc_err());
	a.rec.not_after = a.rec.not_before + 300 * DAY;
	cr_assert_eq(iss_renew_plan(&f.ca, &a.rec, &p), 0, "%s", mc_err());
	cr_expect_leq(p.days, 100);
	cr_expect_geq(p.days, 98);
	cr_assert_eq(f.warnings.n, 1);
	cr_expect(strstr(f.warnings.v[0], "not 300") != NULL, "%s", f.warnings.v[0]);
	cr_expect(strstr(f.warnings.v[0], "root expires") != NULL, "%s", f.warnings.v[0]);
	iss_plan_free(&p);
	iss_issued_free(&a);
	fx_ca_close(&f);
}

/* ---- deployment findings ---- */

Test(findings, worst_and_order)
{
	struct iss_findings f = { 0 };

	cr_expect_eq(f.worst, SEV_OK);
	cr_assert_eq(iss_finding_add(&f, SEV_WARNING, "ab", "smtpd mail", "expires in %d days", 3), 0);
	cr_expect_eq(f.worst, SEV_WARNING);
	cr_assert_eq(iss_finding_add(&f, SEV_CRITICAL, NULL, "root", "expired"), 0);
	cr_assert_eq(iss_finding_add(&f, SEV_WARNING, "cd", "nginx www", "x"), 0);
	cr_expect_eq(f.worst, SEV_CRITICAL, "a later warning lowered the worst");
	cr_expect_eq(f.n, 3);
	cr_expect_str_eq(f.v[0].message, "expires in 3 days");
	cr_expect_str_eq(f.v[0].serial, "ab");
	cr_expect_str_eq(f.v[1].serial, "");
	cr_expect_str_eq(f.v[2].what, "nginx www");
	cr_expect_str_eq(iss_sev_name(SEV_OK), "OK");
	cr_expect_str_eq(iss_sev_name(SEV_WARNING), "WARNING");
	cr_expect_str_eq(iss_sev_name(SEV_CRITICAL), "CRITICAL");
	cr_expect_str_eq(iss_sev_name(SEV_UNKNOWN), "UNKNOWN");
	iss_findings_free(&f);
	cr_expect_eq(f.n, 0);
}

Test(findings, no_deployments_no_findings)
{
	struct iss_findings fs = { 0 };
	struct fx_ca f;
	size_t count = 99;

	fx_ca_open(&f, 0);
	cr_assert_eq(iss_check_deployments(&f.ca, NULL, 0, &fs, &count), 0, "%s", mc_err());
	cr_expect_eq(count, 0);
	cr_expect_eq(fs.n, 0);
	cr_expect_eq(fs.worst, SEV_OK);
	iss_findings_free(&fs);
	fx_ca_close(&f);
}

/* ---- batch lines that would write the same files ---- */

Test(batch, first_duplicate)
{
	const char *none[] = { "a", "b", "c" };
	const char *dup[] = { "www", "mail", "imap", "mail", "www" };
	size_t i = 99, j = 99;

	cr_expect_eq(iss_first_duplicate(none, 3, &i, &j), 0);
	cr_expect_eq(iss_first_duplicate(none, 0, &i, &j), 0);
	cr_assert_eq(iss_first_duplicate(dup, 5, &i, &j), 1);
	/* sorted by name, "mail" comes first: lines 2 and 4 (indices 1, 3) */
	cr_expect_eq(i, 1);
	cr_expect_eq(j, 3);
}

/* ---- deploy PROFILE's pick: a store query ---- */

Test(store, newest_valid_of_a_profile)
{
	struct iss_issued a, b;
	char serial[48];
	struct fx_ca f;

	fx_ca_open(&f, 0);
	cr_expect_eq(store_cert_newest(f.ca.db, "server", time(NULL), serial), 0);
	cr_assert_eq(issue_one(&f, "a.example.org", 30, &a), 0, "%s", mc_err());
	cr_assert_eq(issue_one(&f, "b.example.org", 30, &b), 0, "%s", mc_err());
	cr_assert_eq(store_cert_newest(f.ca.db, "server", time(NULL), serial), 1, "%s", mc_err());
	cr_expect_str_eq(serial, b.rec.serial, "same notBefore: the later row");
	cr_expect_eq(store_cert_newest(f.ca.db, "client", time(NULL), serial), 0);
	/* expired at that time: not picked */
	cr_expect_eq(store_cert_newest(f.ca.db, "server", time(NULL) + 31 * DAY, serial), 0);
	iss_issued_free(&a);
	iss_issued_free(&b);
	fx_ca_close(&f);
}

/* ---- renewal with a staged key (DANE: its 3 1 1 record is published) ---- */

struct staged_seen {
	EVP_PKEY *want;
	int calls, same;
	char key_type[16];
};

static int
staged_finish(void *arg, const struct store_cert *old, struct iss_issued *is)
{
	struct staged_seen *s = arg;

	(void)old;
	s->calls++;
	s->same = EVP_PKEY_eq(X509_get0_pubkey(is->cert), s->want) == 1 && is->key == s->want;
	snprintf(s->key_type, sizeof(s->key_type), "%s", is->rec.key_type);
	return 0;
}

static void
staged_fail(void *arg, const struct store_cert *old)
{
	(void)arg;
	cr_assert_fail("renewal of %s failed: %s", old->serial, mc_err());
}

Test(renew, staged_key_is_certified_with_its_type)
{
	EVP_PKEY *staged = fx_key("rsa2048"), *none[1] = { NULL };
	struct staged_seen seen = { .want = staged };
	struct iss_issued a;
	struct fx_ca f;

	fx_ca_open(&f, 0);
	cr_assert_eq(issue_one(&f, "mail.example.org", 200, &a), 0, "%s", mc_err());
	cr_assert_eq(iss_renew_each_keys(&f.ca, &a.rec, &staged, 1, 1, staged_finish, staged_fail, &seen), 0);
	cr_expect_eq(seen.calls, 1);
	cr_expect(seen.same, "the new certificate is not for the staged key");
	cr_expect_str_eq(seen.key_type, "rsa2048", "the profile's ec256 was recorded");
	/* Without a staged key: a fresh one. */
	seen.calls = 0;
	cr_assert_eq(iss_renew_each_keys(&f.ca, &a.rec, none, 1, 1, staged_finish, staged_fail, &seen), 0);
	cr_expect_eq(seen.calls, 1);
	cr_expect(!seen.same, "a renewal without a staged key reused it");
	EVP_PKEY_free(staged);
	iss_issued_free(&a);
	fx_ca_close(&f);
}

/* A current deployment of cert_id: DIR/NAME.crt and DIR/NAME.key, as
 * recorded (the files need not exist). */
static void
fx_deploy(struct fx_ca *f, int64_t cert_id, const char *name)
{
	struct store_deployment d = { 0 };
	char cp[160], kp[160];

	snprintf(cp, sizeof(cp), "%s/%s.crt", f->dir, name);
	snprintf(kp, sizeof(kp), "%s/%s.key", f->dir, name);
	d.cert_id = cert_id;
	d.profile = (char *)"server";
	d.root = (char *)"/";
	d.cert.path = cp;
	d.key.path = kp;
	d.cert.mode = 0644;
	d.key.mode = 0600;
	memset(d.cert.sha256, 'a', 64);
	memset(d.key.sha256, 'b', 64);
	cr_assert_eq(store_deploy_begin(f->ca.db, &d), 0, "%s", mc_err());
	cr_assert_eq(store_deploy_finish(f->ca.db, &d, "current", "deploy", NULL), 0, "%s", mc_err());
}

/* A deployment whose files are gone, of a certificate since revoked:
 * CRITICAL for each, named by the deployment. */
Test(findings, missing_files_and_revoked_certificate)
{
	struct iss_findings fs = { 0 };
	struct iss_issued a;
	char cp[160], kp[160];
	struct fx_ca f;
	size_t count = 0;
	int missing = 0, revoked = 0;

	fx_ca_open(&f, 0);
	cr_assert_eq(issue_one(&f, "www.example.org", 30, &a), 0, "%s", mc_err());
	snprintf(cp, sizeof(cp), "%s/www.crt", f.dir);
	snprintf(kp, sizeof(kp), "%s/www.key", f.dir);
	fx_deploy(&f, a.rec.id, "www");
	cr_assert_eq(store_cert_revoke(f.ca.db, a.rec.id, time(NULL), "keyCompromise"), 0, "%s", mc_err());
	cr_assert_eq(iss_check_deployments(&f.ca, NULL, 0, &fs, &count), 0, "%s", mc_err());
	cr_expect_eq(count, 1);
	cr_expect_eq(fs.worst, SEV_CRITICAL);
	for (size_t i = 0; i < fs.n; i++) {
		cr_expect_str_eq(fs.v[i].what, "server deployment");
		cr_expect_str_eq(fs.v[i].serial, a.rec.serial);
		missing += strstr(fs.v[i].message, cp) != NULL || strstr(fs.v[i].message, kp) != NULL;
		revoked += strstr(fs.v[i].message, "revoked") != NULL;
	}
	cr_expect_geq(missing, 1, "no finding names the missing files");
	cr_expect_eq(revoked, 1);
	iss_findings_free(&fs);
	iss_issued_free(&a);
	fx_ca_close(&f);
}

/* ---- what renew renews (iss_renew_due), the list --dry-run prints ---- */

Test(renew, due_list_selection_and_revoked_deployed)
{
	struct iss_issued a, b, c;
	struct iss_due l;
	struct fx_ca f;
	char prefix[8];
	const char *only[2];
	int matched[2] = { 0, 0 };
	struct iss_due_sel sel = { .days = 30, .now = time(NULL) };

	fx_ca_open(&f, 0);
	cr_assert_eq(issue_one(&f, "a.example.org", 10, &a), 0, "%s", mc_err());	/* 10 days left: due */
	cr_assert_eq(issue_one(&f, "b.example.org", 200, &b), 0, "%s", mc_err());	/* not due */
	cr_assert_eq(issue_one(&f, "c.example.org", 200, &c), 0, "%s", mc_err());
	fx_deploy(&f, c.rec.id, "c");
	cr_assert_eq(store_cert_revoke(f.ca.db, c.rec.id, time(NULL), "keyCompromise"), 0, "%s", mc_err());

	cr_assert_eq(iss_renew_due(&f.ca, &sel, &l), 0, "%s", mc_err());
	cr_expect_eq(l.current, 2, "current certificates counted: %zu", l.current);
	cr_assert_eq(l.n, 2);
	cr_expect_str_eq(l.v[0].serial, a.rec.serial, "the due one first");
	cr_expect_str_eq(l.v[1].serial, c.rec.serial, "then the revoked one still deployed");
	iss_due_free(&l);
	cr_expect_eq(l.n, 0);

	/* A serial prefix (lower case, with a colon) selects b; --force renews it. */
	snprintf(prefix, sizeof(prefix), "%c%c:%c%c", b.rec.serial[0], b.rec.serial[1], b.rec.serial[2],
	    b.rec.serial[3]);
	for (char *p = prefix; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
	only[0] = prefix;
	only[1] = "nosuchprofile";
	sel.only = only;
	sel.nonly = 2;
	sel.matched = matched;
	sel.force = 1;
	cr_assert_eq(iss_renew_due(&f.ca, &sel, &l), 0, "%s", mc_err());
	cr_expect_eq(matched[0], 1, "'%s' selected nothing", prefix);
	cr_expect_eq(matched[1], 0, "a profile that does not exist selected something");
	cr_assert_geq(l.n, 1);
	for (size_t i = 0; i < l.n; i++)
		cr_expect(strncasecmp(l.v[i].serial, b.rec.serial, 4) == 0, "%s is not b", l.v[i].serial);
	iss_due_free(&l);
	/* Not forced: b is not due, so nothing. */
	sel.force = 0;
	sel.nonly = 1;
	cr_assert_eq(iss_renew_due(&f.ca, &sel, &l), 0, "%s", mc_err());
	cr_expect_eq(l.n, 0);
	iss_due_free(&l);
	iss_issued_free(&a);
	iss_issued_free(&b);
	iss_issued_free(&c);
	fx_ca_close(&f);
}

/* ---- file names in an out folder: never another certificate's files ---- */

Test(outname, renewal_replaces_only_its_predecessor)
{
	struct iss_issued a, b, c;
	char name[320], want[320], norm[64], dir[160];
	struct fx_ca f;

	fx_ca_open(&f, 0);
	snprintf(dir, sizeof(dir), "%s/out", f.dir);
	cr_assert_eq(issue_one(&f, "mail.example.org", 30, &a), 0, "%s", mc_err());
	cr_assert_eq(issue_one(&f, "mail.example.org", 30, &b), 0, "%s", mc_err());
	cr_assert_eq(issue_one(&f, "mail.example.org", 30, &c), 0, "%s", mc_err());
	/* empty folder: CN for a new one and for a renewal */
	cr_assert_eq(iss_leaf_out_name(&f.ca, dir, &a.rec, "server", NULL, name, sizeof(name)), 0);
	cr_expect_str_eq(name, "mail.example.org");
	cr_assert_eq(iss_leaf_files_write(&f.ca, dir, name, &a), 0, "%s", mc_err());
	/* a's files are there: b renewing a replaces them ... */
	cr_assert_eq(iss_leaf_out_name(&f.ca, dir, &b.rec, "server", &a.rec, name, sizeof(name)), 0);
	cr_expect_str_eq(name, "mail.example.org");
	/* ... b renewing c (whose files are not here) takes another name */
	cr_assert_eq(iss_leaf_out_name(&f.ca, dir, &b.rec, "server", &c.rec, name, sizeof(name)), 0);
	cr_expect_str_eq(name, "server-mail.example.org");
	cr_assert_eq(iss_leaf_files_write(&f.ca, dir, name, &b), 0, "%s", mc_err());
	/* both taken by others: the serial names the third */
	cr_assert_eq(iss_leaf_out_name(&f.ca, dir, &c.rec, "server", &c.rec, name, sizeof(name)), 0);
	cr_assert_eq(store_serial_normalise(c.rec.serial, norm, sizeof(norm)), 0);
	norm[16] = '\0';
	snprintf(want, sizeof(want), "server-mail.example.org-%s", norm);
	cr_expect_str_eq(name, want);
	/* a renewal of b finds b's files under PROFILE-CN */
	cr_assert_eq(iss_leaf_out_name(&f.ca, dir, &c.rec, "server", &b.rec, name, sizeof(name)), 0);
	cr_expect_str_eq(name, "server-mail.example.org");
	iss_issued_free(&a);
	iss_issued_free(&b);
	iss_issued_free(&c);
	fx_ca_close(&f);
}
