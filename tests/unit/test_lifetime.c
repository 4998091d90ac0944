/*
 * Unit tests for policy/lifetime.c: key types and the lifetime table.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "policy/policy.h"

#define DAY 86400
/* 2026-01-01T00:00:00Z: a fixed "now" keeps the dates in messages exact. */
#define NOW ((time_t)1767225600)
#define FAR (NOW + (time_t)20 * 365 * DAY)

Test(key_type, table)
{
	static const char *const good[] = { "rsa2048", "rsa3072", "rsa4096", "ec256", "ec384" };
	static const char *const bad[] = { "", "rsa", "rsa1024", "RSA2048", "ec521",
	    "ed25519", "rsa2048 ", "ec256x" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_expect_eq(pol_key_type_valid(good[i]), 1, "'%s'", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(pol_key_type_valid(bad[i]), 0, "'%s'", bad[i]);
	cr_expect_eq(pol_key_type_valid(NULL), 0);
}

static const struct pol_profile server_p = {
	.name = "smtpd", .default_days = 397, .max_days = 825, .server = 1,
};
static const struct pol_profile short_p = {
	.name = "short", .default_days = 30, .max_days = 90, .server = 1,
};
static const struct pol_profile client_p = {
	.name = "client", .default_days = 397, .max_days = 3650, .server = 0,
};
/* Not reachable through the config loader; pol_lifetime must hold anyway. */
static const struct pol_profile bad_server_p = {
	.name = "bad", .default_days = 397, .max_days = 3650, .server = 1,
};

struct life_case {
	const struct pol_profile *p;
	int requested;
	time_t ca_not_after;
	int want;		/* days, or 0: refused */
	const char *err;
};

static const struct life_case lives[] = {
	{ &server_p, 0, FAR, 397, NULL },
	{ &server_p, 1, FAR, 1, NULL },
	{ &server_p, 90, FAR, 90, NULL },
	{ &server_p, 825, FAR, 825, NULL },
	{ &server_p, 826, FAR, 0, "826 days is too long for profile 'smtpd': Apple requires "
	    "825 days or less for every TLS server certificate, including those from private roots" },
	{ &server_p, -1, FAR, 0, "invalid lifetime of -1 days: must be at least 1" },
	{ &short_p, 0, FAR, 30, NULL },
	{ &short_p, 90, FAR, 90, NULL },
	{ &short_p, 91, FAR, 0, "91 days is too long for profile 'short': at most 90 days (max_days)" },
	{ &client_p, 0, FAR, 397, NULL },
	{ &client_p, 3650, FAR, 3650, NULL },
	{ &client_p, 826, FAR, 826, NULL },
	{ &client_p, 3651, FAR, 0, "at most 3650 days" },
	{ &bad_server_p, 1000, FAR, 0, "Apple requires 825 days or less" },
	{ &bad_server_p, 0, FAR, 397, NULL },
	/* the root's expiry: 2026-12-31 is 364 days after NOW */
	{ &server_p, 364, NOW + 364 * DAY, 364, NULL },
	{ &server_p, 0, NOW + 364 * DAY, 0, "397 days would outlive the root certificate, which "
	    "expires on 2026-12-31; at most 364 days are still possible" },
	{ &server_p, 365, NOW + 364 * DAY + 3600, 0, "at most 364 days are still possible" },
	{ &server_p, 1, NOW + 3600, 0, "the root certificate expires on 2026-01-01, less than a day from now" },
	{ &server_p, 1, NOW - DAY, 0, "the root certificate expired on 2025-12-31" },
	{ &server_p, 1, NOW, 0, "the root certificate expired on 2026-01-01" },
	{ &server_p, 0, 0, 397, NULL },	/* root expiry unknown: not checked */
};

Test(lifetime, table)
{
	for (size_t i = 0; i < sizeof(lives) / sizeof(lives[0]); i++) {
		const struct life_case *c = &lives[i];
		int days = -42, rc;

		mc_clearerr();
		rc = pol_lifetime(c->p, c->requested, NOW, c->ca_not_after, &days);
		if (c->want != 0) {
			cr_expect_eq(rc, 0, "case %zu: %s", i, mc_err());
			cr_expect_eq(days, c->want, "case %zu", i);
		} else {
			cr_expect_eq(rc, -1, "case %zu accepted: %d days", i, days);
			cr_expect_eq(days, -42, "case %zu: days written on failure", i);
			cr_expect(strstr(mc_err(), c->err) != NULL,
			    "case %zu: '%s' lacks '%s'", i, mc_err(), c->err);
		}
	}
}

Test(lifetime, builtin_profiles)
{
	struct pol_config cfg;
	const struct pol_profile *p;
	int days = 0;

	cr_assert_eq(pol_config_load(NULL, &cfg), 0, "%s", mc_err());
	p = pol_profile_find(&cfg, "nginx");
	cr_assert_not_null(p);
	cr_expect_eq(pol_lifetime(p, 0, NOW, FAR, &days), 0);
	cr_expect_eq(days, 397);
	cr_expect_eq(pol_lifetime(p, 900, NOW, FAR, &days), -1);
	cr_expect(strstr(mc_err(), "Apple requires 825 days or less") != NULL, "%s", mc_err());
	p = pol_profile_find(&cfg, "client");
	cr_assert_not_null(p);
	cr_expect_eq(pol_lifetime(p, 826, NOW, FAR, &days), -1);
	cr_expect(strstr(mc_err(), "at most 825 days (max_days)") != NULL, "%s", mc_err());
	pol_config_free(&cfg);
}

Test(lifetime, clamped_to_the_intermediate)
{
	int days = -1, clamped = -1;

	/* Room enough: the profile's default, not clamped. */
	cr_assert_eq(pol_lifetime_clamped(&server_p, 0, NOW, FAR, &days, &clamped), 0, "%s", mc_err());
	cr_assert_eq(days, 397);
	cr_assert_eq(clamped, 0);
	/* 100 days and a half left: 100 days, clamped (requested or default). */
	cr_assert_eq(pol_lifetime_clamped(&server_p, 0, NOW, NOW + 100 * DAY + DAY / 2, &days, &clamped), 0);
	cr_assert_eq(days, 100);
	cr_assert_eq(clamped, 1);
	cr_assert_eq(pol_lifetime_clamped(&server_p, 200, NOW, NOW + 100 * DAY, &days, &clamped), 0);
	cr_assert_eq(days, 100);
	cr_assert_eq(clamped, 1);
	cr_assert_eq(pol_lifetime_clamped(&server_p, 50, NOW, NOW + 100 * DAY, &days, &clamped), 0);
	cr_assert_eq(days, 50);
	cr_assert_eq(clamped, 0);
	/* The profile's own limits still refuse. */
	cr_assert_eq(pol_lifetime_clamped(&short_p, 91, NOW, FAR, &days, &clamped), -1);
	cr_assert(strstr(mc_err(), "max_days") != NULL, "%s", mc_err());
	/* Less than a day, or expired: refused, naming the fix. */
	cr_assert_eq(pol_lifetime_clamped(&server_p, 0, NOW, NOW + DAY - 1, &days, &clamped), -1);
	cr_assert(strstr(mc_err(), "intermediate rotate") != NULL, "%s", mc_err());
	cr_assert_eq(pol_lifetime_clamped(&server_p, 0, NOW, NOW - DAY, &days, &clamped), -1);
	cr_assert(strstr(mc_err(), "expired on 2025-12-31") != NULL, "%s", mc_err());
}

Test(crl_due, seven_days_warning_past_expired)
{
	time_t now = 1800000000;

	cr_expect_eq(pol_crl_due(now + 30 * 86400, now), POL_CRL_OK);
	cr_expect_eq(pol_crl_due(now + 7 * 86400 + 1, now), POL_CRL_OK);
	cr_expect_eq(pol_crl_due(now + 7 * 86400, now), POL_CRL_DUE);
	cr_expect_eq(pol_crl_due(now + 1, now), POL_CRL_DUE);
	cr_expect_eq(pol_crl_due(now, now), POL_CRL_EXPIRED);
	cr_expect_eq(pol_crl_due(now - 86400, now), POL_CRL_EXPIRED);
}

/* --days N gives N: notAfter is inclusive (N days less a second), and a
 * backdated notBefore adds minutes. */
Test(cert_days, inclusive_not_after_and_backdate)
{
	time_t nb = 1800000000;

	cr_expect_eq(pol_cert_days(nb, nb + 397 * 86400 - 1), 397);
	cr_expect_eq(pol_cert_days(nb - 300, nb + 90 * 86400 - 1), 90);
	cr_expect_eq(pol_cert_days(nb, nb + 1 * 86400 - 1), 1);
	cr_expect_eq(pol_cert_days(nb, nb + 825 * 86400), 825);
}

/* RFC 9773's window (2/3 to 5/6 of the lifetime) and when an ACME
 * client counts as late: past the window's end and under days / 2 left. */
Test(acme_renewal, window_and_late)
{
	static const struct {
		long life, age;	/* days */
		int days, late;
	} t[] = {
		{ 397, 300, 30, 0 },	/* in the window */
		{ 397, 331, 30, 0 },	/* past it, 66 days left */
		{ 397, 382, 30, 0 },	/* 15 days left: not under 15 */
		{ 397, 383, 30, 1 },	/* 14 left */
		{ 397, 396, 30, 1 },
		{ 90, 74, 30, 0 },	/* 16 left, still in the window */
		{ 90, 76, 30, 1 },	/* past 75 days, 14 left */
		{ 90, 76, 0, 0 },	/* days 0: late only once expired */
		{ 397, 383, 60, 1 },
		{ 397, 340, 60, 0 },	/* 57 left, past 30 */
		{ 397, 368, 60, 1 },	/* 29 left */
	};
	time_t start, end;

	pol_acme_renewal_window(NOW, NOW + 90 * DAY, &start, &end);
	cr_expect_eq(start, NOW + 60 * DAY);
	cr_expect_eq(end, NOW + 75 * DAY);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		cr_expect_eq(pol_acme_renewal_late(NOW, NOW + t[i].life * DAY, NOW + t[i].age * DAY, t[i].days),
		    t[i].late, "life %ld age %ld days %d", t[i].life, t[i].age, t[i].days);
}
