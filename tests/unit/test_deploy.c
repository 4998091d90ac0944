/* deploy/: the pair swap, rollback, crash repair, inspection, dep_run. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "deploy/internal.h"
#include "leaf_fixture.h"

static char dir[] = "/tmp/minica-deploy.XXXXXX";
static char root[300];
static struct store *st;
static struct pol_config cfg;
static EVP_PKEY *ca_key;
static X509 *ca_cert;

struct leaf {
	EVP_PKEY *key;
	X509 *cert;
	struct store_cert rec;
};

static void
setup(void)
{
	char db[300];
	struct store_ca ca = { 0 };

	strcpy(dir, "/tmp/minica-deploy.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(root, sizeof(root), "%s/root", dir);
	cr_assert_eq(mkdir(root, 0755), 0);
	snprintf(db, sizeof(db), "%s/minica.db", dir);
	cr_assert_not_null(st = store_open(db, 1), "%s", mc_err());
	cr_assert_eq(pol_config_load("/nonexistent/minica.conf", &cfg), 0, "%s", mc_err());
	ca_key = fx_key("ec256");
	ca_cert = fx_root(ca_key);
	ca.subject = "test root";
	snprintf(ca.serial, sizeof(ca.serial), "01");
	snprintf(ca.fingerprint, sizeof(ca.fingerprint), "00");
	ca.pem = "x";
	ca.constraints = "";
	ca.not_after = time(NULL) + 86400 * 365;
	cr_assert_eq(store_ca_insert(st, &ca), 0, "%s", mc_err());
}

static void
teardown(void)
{
	char cmd[400];

	store_close(st);
	pol_config_free(&cfg);
	EVP_PKEY_free(ca_key);
	X509_free(ca_cert);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(deploy, .init = setup, .fini = teardown);

static void
make_leaf(struct leaf *l)
{
	struct mc_strv dns = { 0 }, eku = { 0 };
	struct ca_leaf_req req = { 0 };
	struct mc_buf pem = { 0 };

	memset(l, 0, sizeof(*l));
	mc_strv_push(&dns, "mail.example.org");
	mc_strv_push(&eku, "serverAuth");
	l->key = fx_key("ec256");
	req.pubkey = l->key;
	req.cn = "mail.example.org";
	req.dns = &dns;
	req.eku = &eku;
	req.days = 30;
	cr_assert_not_null(l->cert = ca_leaf_sign(&req, ca_cert, ca_key), "%s", mc_err());
	cr_assert_eq(ca_cert_serial_hex(l->cert, l->rec.serial), 0);
	cr_assert_eq(ca_cert_pem(l->cert, &pem), 0);
	l->rec.pem = pem.p;
	l->rec.profile = mc_strdup("smtpd");
	l->rec.subject = mc_strdup("CN=mail.example.org");
	l->rec.cn = mc_strdup("mail.example.org");
	mc_strv_push(&l->rec.sans, "mail.example.org");
	snprintf(l->rec.key_type, sizeof(l->rec.key_type), "ec256");
	ca_cert_validity(l->cert, &l->rec.not_before, &l->rec.not_after);
	ca_cert_fingerprint(l->cert, l->rec.fingerprint);
	cr_assert_eq(store_cert_insert(st, &l->rec), 0, "%s", mc_err());
	mc_strv_free(&dns);
	mc_strv_free(&eku);
}

static void
free_leaf(struct leaf *l)
{
	EVP_PKEY_free(l->key);
	X509_free(l->cert);
	store_cert_free(&l->rec);
}

static struct pol_profile *
smtpd(const char *reload)
{
	struct pol_profile *p = (struct pol_profile *)pol_profile_find(&cfg, "smtpd");
	char *copy = mc_strdup(reload), *save = NULL;

	mc_strv_free(&p->reload);
	mc_strv_free(&p->running);	/* the built-in check asks the real postfix */
	for (char *w = strtok_r(copy, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save))
		mc_strv_push(&p->reload, w);
	free(copy);
	return p;
}

static int
deploy(const struct leaf *l, const char *reload, struct dep_result *res)
{
	struct dep_req req = {
		.cfg = &cfg, .prof = smtpd(reload), .root = root, .rec = &l->rec,
		.cert = l->cert, .key = l->key, .ca = ca_cert, .reload = 1,
	};

	memset(res, 0, sizeof(*res));
	return dep_deploy(st, &req, res);
}

static void
path(char *out, size_t len, const char *rel)
{
	snprintf(out, len, "%s%s", root, rel);
}

static void
hash(const char *rel, char out[CA_FPR_LEN])
{
	char p[400];

	path(p, sizeof(p), rel);
	cr_assert_eq(ca_file_sha256(p, out), 0, "%s", mc_err());
}

static int
count_cb(const struct store_deployment *d, void *arg)
{
	(void)d;
	(*(int *)arg)++;
	return 0;
}

static int
rows(const char *state)
{
	struct store_deploy_filter f = { .state = state };
	int n = 0;

	cr_assert_eq(store_deploy_each(st, &f, count_cb, &n), 0, "%s", mc_err());
	return n;
}

static int
get_current(const struct store_deployment *d, void *arg)
{
	struct store_deployment *out = arg;

	out->id = d->id;
	return 1;
}

static void
current(struct store_deployment *d)
{
	struct store_deploy_filter f = { .state = "current" };
	struct store_deployment tmp = { 0 };

	cr_assert_eq(store_deploy_each(st, &f, get_current, &tmp), 1);
	cr_assert_eq(store_deploy_get(st, tmp.id, d), 1);
}

Test(deploy, writes_pair_leaf_first_with_modes)
{
	struct dep_result res;
	struct leaf a;
	struct mc_buf b = { 0 }, leafpem = { 0 };
	struct store_deployment d;
	struct dep_report r = { 0 };
	struct stat sc, sk;
	char p[400], h[CA_FPR_LEN];

	make_leaf(&a);
	cr_assert_eq(deploy(&a, "/bin/true", &res), 0, "%s", mc_err());
	cr_assert(res.reloaded);
	path(p, sizeof(p), "/etc/ssl/certs/smtpd.crt");
	cr_assert_str_eq(res.cert_path, p);
	cr_assert_eq(lstat(p, &sc), 0);
	cr_assert_eq(sc.st_mode & 07777, 0644);
	cr_assert_eq(mc_file_read(p, CA_FILE_MAX, &b), 0);
	cr_assert_eq(ca_cert_pem(a.cert, &leafpem), 0);
	cr_assert_eq(memcmp(b.p, leafpem.p, leafpem.len), 0, "the leaf comes first");
	cr_assert_null(strstr(b.p, "PRIVATE KEY"));
	cr_assert_eq(b.p[b.len - 1], '\n');
	path(p, sizeof(p), "/etc/ssl/private/smtpd.key");
	cr_assert_eq(lstat(p, &sk), 0);
	cr_assert_eq(sk.st_mode & 07777, 0600);
	cr_assert_eq(sk.st_uid, 0);
	path(p, sizeof(p), "/etc/ssl/certs/minica-ca.pem");
	cr_assert_eq(access(p, R_OK), 0);
	/* No staged or backup file is left behind. */
	path(p, sizeof(p), "/etc/ssl/private/.minica-new.smtpd.key");
	cr_assert_neq(access(p, F_OK), 0);
	current(&d);
	hash("/etc/ssl/certs/smtpd.crt", h);
	cr_assert_str_eq(d.cert.sha256, h);
	cr_assert_eq(d.key.mode, 0600);
	cr_assert_eq(dep_inspect(&d, &r), 0, "%s", r.n ? r.v[0].text : "");
	store_deploy_free(&d);
	dep_result_free(&res);
	mc_buf_free(&b);
	mc_buf_free(&leafpem);
	free_leaf(&a);
}

static int
has_kind(const struct dep_report *r, enum dep_problem_kind k)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].kind == k)
			return 1;
	return 0;
}

Test(deploy, inspect_reports_drift)
{
	struct dep_result res;
	struct leaf a, b;
	struct store_deployment d;
	struct dep_report r = { 0 };
	struct mc_buf pem = { 0 };
	char kp[400], cp[400];

	make_leaf(&a);
	make_leaf(&b);
	cr_assert_eq(deploy(&a, "/bin/true", &res), 0, "%s", mc_err());
	dep_result_free(&res);
	current(&d);
	path(kp, sizeof(kp), "/etc/ssl/private/smtpd.key");
	path(cp, sizeof(cp), "/etc/ssl/certs/smtpd.crt");
	cr_assert_eq(chmod(kp, 0644), 0);
	cr_assert_eq(chown(cp, 1, 1), 0);
	cr_assert_gt(dep_inspect(&d, &r), 0);
	cr_assert(has_kind(&r, DEP_MODE));
	cr_assert(has_kind(&r, DEP_OWNER));
	cr_assert(!has_kind(&r, DEP_CHANGED));
	dep_report_free(&r);
	/* Another key in place of the deployed one. */
	cr_assert_eq(ca_key_plain_pem(b.key, &pem), 0);
	cr_assert_eq(mc_file_replace(kp, 0600, 0, 0, pem.p, pem.len), 0);
	cr_assert_gt(dep_inspect(&d, &r), 0);
	cr_assert(has_kind(&r, DEP_CHANGED));
	cr_assert(has_kind(&r, DEP_MISMATCH));
	dep_report_free(&r);
	cr_assert_eq(unlink(cp), 0);
	cr_assert_eq(symlink("/etc/hostname", cp), 0);
	cr_assert_gt(dep_inspect(&d, &r), 0);
	cr_assert(has_kind(&r, DEP_NOT_FILE));
	dep_report_free(&r);
	cr_assert_eq(unlink(cp), 0);
	cr_assert_gt(dep_inspect(&d, &r), 0);
	cr_assert(has_kind(&r, DEP_MISSING));
	dep_report_free(&r);
	mc_buf_free(&pem);
	store_deploy_free(&d);
	free_leaf(&a);
	free_leaf(&b);
}

Test(deploy, failed_reload_restores_previous_pair)
{
	struct dep_result res;
	struct leaf a, b;
	char hc[CA_FPR_LEN], hk[CA_FPR_LEN], h2[CA_FPR_LEN];

	make_leaf(&a);
	make_leaf(&b);
	cr_assert_eq(deploy(&a, "/bin/true", &res), 0, "%s", mc_err());
	dep_result_free(&res);
	hash("/etc/ssl/certs/smtpd.crt", hc);
	hash("/etc/ssl/private/smtpd.key", hk);
	cr_assert_eq(deploy(&b, "/bin/false", &res), -1);
	cr_assert(strstr(mc_err(), "restored") != NULL, "%s", mc_err());
	dep_result_free(&res);
	hash("/etc/ssl/certs/smtpd.crt", h2);
	cr_assert_str_eq(h2, hc);
	hash("/etc/ssl/private/smtpd.key", h2);
	cr_assert_str_eq(h2, hk);
	cr_assert_eq(rows("current"), 1);
	cr_assert_eq(rows("failed"), 1);
	cr_assert_eq(rows("pending"), 0);
	free_leaf(&a);
	free_leaf(&b);
}

Test(deploy, symlinked_target_refused)
{
	struct dep_result res;
	struct leaf a;
	char p[400], target[400];

	make_leaf(&a);
	path(p, sizeof(p), "/etc/ssl/certs");
	cr_assert_eq(mc_mkdir_p(p, 0755), 0);
	snprintf(target, sizeof(target), "%s/elsewhere", dir);
	cr_assert_eq(mc_file_create_excl(target, 0644, "keep\n", 5), 0);
	path(p, sizeof(p), "/etc/ssl/certs/smtpd.crt");
	cr_assert_eq(symlink(target, p), 0);
	cr_assert_eq(deploy(&a, "/bin/true", &res), -1);
	cr_assert(strstr(mc_err(), "symbolic link") != NULL, "%s", mc_err());
	dep_result_free(&res);
	cr_assert_eq(rows(NULL), 0);
	{
		struct mc_buf b = { 0 };

		cr_assert_eq(mc_file_read(target, 100, &b), 0);
		cr_assert_eq(b.len, 5);
		mc_buf_free(&b);
	}
	free_leaf(&a);
}

/* A deployment of b recorded pending and cut off after stage_upto steps:
 * 0 nothing staged, 1 both staged, 2 cert renamed, 3 both renamed. */
static void
crash(const struct leaf *a, const struct leaf *b, int steps, int truncate_key)
{
	struct dep_result res;
	struct store_deployment d;
	struct mc_buf cert = { 0 }, key = { 0 };

	cr_assert_eq(deploy(a, "/bin/true", &res), 0, "%s", mc_err());
	dep_result_free(&res);
	current(&d);
	/* Reuse a's row as the template for b's pending one. */
	d.cert_id = b->rec.id;
	memcpy(d.cert.prev_sha256, d.cert.sha256, CA_FPR_LEN);
	memcpy(d.key.prev_sha256, d.key.sha256, CA_FPR_LEN);
	cr_assert_eq(ca_cert_pem(b->cert, &cert), 0);
	cr_assert_eq(ca_cert_pem(ca_cert, &cert), 0);
	cr_assert_eq(ca_key_plain_pem(b->key, &key), 0);
	ca_sha256_hex(cert.p, cert.len, d.cert.sha256);
	ca_sha256_hex(key.p, key.len, d.key.sha256);
	cr_assert_eq(store_deploy_begin(st, &d), 0, "%s", mc_err());
	if (truncate_key)
		key.len /= 2;
	cr_assert_eq(swap_stage(&d.cert, &cert), 0, "%s", mc_err());
	cr_assert_eq(swap_stage(&d.key, &key), 0, "%s", mc_err());
	if (steps >= 2)
		cr_assert_eq(rename(d.cert.tmp, d.cert.path), 0);
	if (steps >= 3)
		cr_assert_eq(rename(d.key.tmp, d.key.path), 0);
	store_deploy_free(&d);
	mc_buf_free(&cert);
	mc_buf_free(&key);
}

static void
expect_pair(const struct leaf *l)
{
	char p[400];
	X509 *c;
	EVP_PKEY *k;

	path(p, sizeof(p), "/etc/ssl/certs/smtpd.crt");
	cr_assert_not_null(c = ca_cert_load(p), "%s", mc_err());
	cr_assert_eq(X509_cmp(c, l->cert), 0, "the expected certificate is in place");
	path(p, sizeof(p), "/etc/ssl/private/smtpd.key");
	cr_assert_not_null(k = ca_key_load(p, NULL, 0), "%s", mc_err());
	cr_assert_eq(ca_key_matches_cert(k, c), 1, "key and certificate match");
	X509_free(c);
	EVP_PKEY_free(k);
}

static int
pending_reported(void)
{
	struct store_deploy_filter f = { .state = "pending" };
	struct store_deployment tmp = { 0 }, d;
	struct dep_report r = { 0 };
	int has;

	if (store_deploy_each(st, &f, get_current, &tmp) != 1)
		return 0;
	cr_assert_eq(store_deploy_get(st, tmp.id, &d), 1);
	cr_assert_gt(dep_inspect(&d, &r), 0);
	has = has_kind(&r, DEP_PENDING);
	dep_report_free(&r);
	store_deploy_free(&d);
	return has;
}

Test(deploy, crash_between_renames_rolls_forward)
{
	struct mc_strv notes = { 0 };
	struct leaf a, b;

	make_leaf(&a);
	make_leaf(&b);
	crash(&a, &b, 2, 0);
	cr_assert(pending_reported());
	cr_assert_eq(dep_repair_pending(st, NULL, NULL, NULL, &notes), 0, "%s", mc_err());
	cr_assert_eq(notes.n, 1);
	cr_assert(strstr(notes.v[0], "rolled forward") != NULL, "%s", notes.v[0]);
	expect_pair(&b);
	cr_assert_eq(rows("pending"), 0);
	cr_assert_eq(rows("current"), 1);
	cr_assert_eq(rows("replaced"), 1);
	mc_strv_free(&notes);
	free_leaf(&a);
	free_leaf(&b);
}

Test(deploy, crash_before_renames_rolls_forward)
{
	struct mc_strv notes = { 0 };
	struct leaf a, b;

	make_leaf(&a);
	make_leaf(&b);
	crash(&a, &b, 1, 0);
	expect_pair(&a);
	cr_assert_eq(dep_repair_pending(st, NULL, NULL, NULL, &notes), 0, "%s", mc_err());
	expect_pair(&b);
	mc_strv_free(&notes);
	free_leaf(&a);
	free_leaf(&b);
}

Test(deploy, incomplete_staging_rolls_back)
{
	struct mc_strv notes = { 0 };
	struct leaf a, b;

	make_leaf(&a);
	make_leaf(&b);
	crash(&a, &b, 2, 1);
	cr_assert(pending_reported());
	cr_assert_eq(dep_repair_pending(st, NULL, NULL, NULL, &notes), 0, "%s", mc_err());
	cr_assert(strstr(notes.v[0], "rolled back") != NULL, "%s", notes.v[0]);
	expect_pair(&a);
	cr_assert_eq(rows("pending"), 0);
	cr_assert_eq(rows("failed"), 1);
	cr_assert_eq(rows("current"), 1);
	mc_strv_free(&notes);
	free_leaf(&a);
	free_leaf(&b);
}

static void
argv_of(struct mc_strv *sv, const char *a, const char *b, const char *c)
{
	mc_strv_push(sv, a);
	if (b)
		mc_strv_push(sv, b);
	if (c)
		mc_strv_push(sv, c);
}

Test(deploy, run_reports_exit_timeout_and_missing)
{
	struct mc_strv sv = { 0 };
	struct dep_run_result r;
	struct timespec t0, t1;

	argv_of(&sv, "sh", "-c", "echo hello; echo 'bad config' >&2; exit 3");
	cr_assert_eq(dep_run(&sv, 5, &r), -1);
	cr_assert_eq(r.status, 3);
	cr_assert(strstr(mc_err(), "exit 3") && strstr(mc_err(), "bad config"), "%s", mc_err());
	mc_strv_free(&sv);

	argv_of(&sv, "sh", "-c", "sleep 30 & sleep 30");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(dep_run(&sv, 1, &r), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert(r.timed_out);
	cr_assert_lt(t1.tv_sec - t0.tv_sec, 4);
	cr_assert(strstr(mc_err(), "within 1 s") != NULL, "%s", mc_err());
	mc_strv_free(&sv);

	argv_of(&sv, "minica-no-such-command", NULL, NULL);
	cr_assert_eq(dep_run(&sv, 5, &r), -1);
	cr_assert(strstr(mc_err(), "cannot run 'minica-no-such-command'") != NULL, "%s", mc_err());
	mc_strv_free(&sv);

	argv_of(&sv, "true", NULL, NULL);
	cr_assert_eq(dep_run(&sv, 5, &r), 0, "%s", mc_err());
	mc_strv_free(&sv);
}

/* ---- issue 13/14: not running, foreign files, undeploy, settle, key places */

static void
write_file(const char *rel, const char *text, mode_t mode)
{
	char p[400], d[480];
	FILE *f;

	path(p, sizeof(p), rel);
	snprintf(d, sizeof(d), "mkdir -p \"$(dirname '%s')\"", p);
	cr_assert_eq(system(d), 0);
	cr_assert_not_null(f = fopen(p, "w"));
	fputs(text, f);
	fclose(f);
	cr_assert_eq(chmod(p, mode), 0);
}

Test(deploy, not_running_skips_the_reload)
{
	struct pol_profile *p;
	struct dep_result res;
	struct leaf a;

	make_leaf(&a);
	p = smtpd("/bin/false");
	mc_strv_push(&p->running, "/bin/false");
	/* A failing reload would fail the deploy: it is not run. */
	cr_assert_eq(dep_deploy(st, &(struct dep_req){ .cfg = &cfg, .prof = p, .root = root, .rec = &a.rec,
	    .cert = a.cert, .key = a.key, .ca = ca_cert, .reload = 1 }, memset(&res, 0, sizeof(res))), 0, "%s", mc_err());
	cr_assert(res.not_running);
	cr_assert(!res.reloaded);
	expect_pair(&a);
	dep_result_free(&res);
	mc_strv_free(&p->running);
	free_leaf(&a);
}

Test(deploy, foreign_files_kept_and_restored)
{
	struct dep_undeploy_req u = { .profile = "smtpd", .restore = 1 };
	struct mc_strv notes = { 0 };
	struct dep_result res;
	struct stat sb;
	struct leaf a;
	char p[400], h[CA_FPR_LEN], hk[CA_FPR_LEN];
	size_t n;

	make_leaf(&a);
	write_file("/etc/ssl/certs/smtpd.crt", "hand-made certificate\n", 0644);
	write_file("/etc/ssl/private/smtpd.key", "hand-made key\n", 0640);
	hash("/etc/ssl/private/smtpd.key", hk);
	cr_assert_eq(deploy(&a, "/bin/true", &res), 0, "%s", mc_err());
	expect_pair(&a);
	path(p, sizeof(p), "/etc/ssl/private/smtpd.key.pre-minica");
	cr_assert_eq(lstat(p, &sb), 0, "the hand-made key was not kept");
	cr_assert_eq(sb.st_mode & 07777, 0640);
	hash("/etc/ssl/private/smtpd.key.pre-minica", h);
	cr_assert_str_eq(h, hk);
	dep_result_free(&res);
	u.root = root;
	cr_assert_eq(dep_undeploy(st, &u, &notes, &n), 0, "%s", mc_err());
	cr_assert_eq(n, 1);
	hash("/etc/ssl/private/smtpd.key", h);
	cr_assert_str_eq(h, hk, "the hand-made key is back");
	cr_assert_neq(lstat(p, &sb), 0);
	cr_assert_eq(rows("current"), 0);
	cr_assert_eq(rows("retired"), 1);
	mc_strv_free(&notes);
	free_leaf(&a);
}

Test(deploy, undeploy_remove_files_leaves_a_changed_file)
{
	struct dep_undeploy_req u = { .profile = "smtpd", .remove_files = 1 };
	struct mc_strv notes = { 0 };
	struct dep_result res;
	struct stat sb;
	struct leaf a;
	char p[400];
	size_t n;

	make_leaf(&a);
	cr_assert_eq(deploy(&a, "/bin/true", &res), 0, "%s", mc_err());
	dep_result_free(&res);
	write_file("/etc/ssl/private/smtpd.key", "changed by hand\n", 0600);
	u.root = root;
	cr_assert_eq(dep_undeploy(st, &u, &notes, &n), 0, "%s", mc_err());
	path(p, sizeof(p), "/etc/ssl/certs/smtpd.crt");
	cr_assert_neq(lstat(p, &sb), 0, "minica's certificate was not removed");
	path(p, sizeof(p), "/etc/ssl/private/smtpd.key");
	cr_assert_eq(lstat(p, &sb), 0, "a changed file was removed");
	mc_strv_free(&notes);
	free_leaf(&a);
}

Test(deploy, settle_rolls_forward_and_reloads)
{
	struct mc_strv notes = { 0 };
	struct leaf a, b;
	size_t n;
	int reloaded = 0;

	make_leaf(&a);
	make_leaf(&b);
	crash(&a, &b, 2, 0);
	cr_assert_eq(dep_pending_count(st, &n), 0);
	cr_assert_eq(n, 1);
	smtpd("/bin/true");
	cr_assert_eq(dep_settle(st, &cfg, &notes), 0, "%s", mc_err());
	for (size_t i = 0; i < notes.n; i++)
		reloaded |= strstr(notes.v[i], "reloaded smtpd") != NULL;
	cr_assert(reloaded, "the service was not reloaded after the roll forward");
	expect_pair(&b);
	cr_assert_eq(dep_pending_count(st, &n), 0);
	cr_assert_eq(n, 0);
	mc_strv_free(&notes);
	free_leaf(&a);
	free_leaf(&b);
}

Test(deploy, key_found_at_the_target)
{
	struct mc_strv places = { 0 };
	struct dep_result res;
	struct leaf a, b;
	EVP_PKEY *k;
	char *found = NULL, p[400];

	make_leaf(&a);
	make_leaf(&b);
	cr_assert_eq(deploy(&a, "/bin/true", &res), 0, "%s", mc_err());
	dep_result_free(&res);
	cr_assert_eq(dep_key_places(dir, "mail.example.org", a.rec.serial, smtpd("/bin/true"), root, &places), 0);
	cr_assert_not_null(k = dep_key_find(a.cert, &places, &found), "%s", mc_err());
	path(p, sizeof(p), "/etc/ssl/private/smtpd.key");
	cr_assert_str_eq(found, p);
	EVP_PKEY_free(k);
	free(found);
	cr_assert_null(dep_key_find(b.cert, &places, &found), "another certificate's key was taken");
	mc_strv_free(&places);
	free_leaf(&a);
	free_leaf(&b);
}
