/*
 * policy/lifetime.c: key types and how long a new certificate may live.
 */
#include <string.h>
#include <time.h>

#include "policy.h"

#define DAY 86400

static const char *const key_types[] = {
	"rsa2048", "rsa3072", "rsa4096", "ec256", "ec384",
};

int
pol_key_type_valid(const char *type)
{
	if (type == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
		if (strcmp(type, key_types[i]) == 0)
			return 1;
	return 0;
}

/* "2035-01-31" for messages; the time of day only distracts there. */
static void
iso_date(time_t t, char out[static 21])
{
	mc_iso8601(t, out);
	out[10] = '\0';
}

/*
 * A leaf that outlives its root is not "valid a bit longer": clients stop
 * trusting it the day the root expires, so the request is refused rather
 * than silently shortened, and the message says what is still possible.
 */
static int
check_root_expiry(int days, time_t now, time_t ca_not_after)
{
	char date[21];
	long long left;

	if (ca_not_after <= 0 || (long long)now + (long long)days * DAY <= (long long)ca_not_after)
		return 0;
	iso_date(ca_not_after, date);
	left = ((long long)ca_not_after - (long long)now) / DAY;
	if ((long long)ca_not_after <= (long long)now)
		mc_seterr("the root certificate expired on %s; "
		    "renew the root before issuing", date);
	else if (left < 1)
		mc_seterr("the root certificate expires on %s, less than a day "
		    "from now; renew the root before issuing", date);
	else
		mc_seterr("%d days would outlive the root certificate, which "
		    "expires on %s; at most %lld days are still possible",
		    days, date, left);
	return -1;
}

int
pol_lifetime(const struct pol_profile *p, int requested, time_t now,
    time_t ca_not_after, int *days)
{
	int d = requested == 0 ? p->default_days : requested;

	if (d < 1) {
		mc_seterr("invalid lifetime of %d days: must be at least 1", d);
		return -1;
	}
	if (p->server && d > POL_SERVER_MAX_DAYS) {
		mc_seterr("%d days is too long for profile '%s': Apple requires "
		    "825 days or less for every TLS server certificate, "
		    "including those from private roots", d, p->name);
		return -1;
	}
	if (d > p->max_days) {
		mc_seterr("%d days is too long for profile '%s': at most %d "
		    "days (max_days)", d, p->name, p->max_days);
		return -1;
	}
	if (check_root_expiry(d, now, ca_not_after) < 0)
		return -1;
	*days = d;
	return 0;
}

/*
 * Under an intermediate the rule differs: the intermediate is replaced
 * (intermediate rotate) long before the root, and cron renewals in its
 * last months must go on working, so the lifetime is shortened to what
 * the intermediate has left instead of refused; check warns 90 days
 * ahead so that rarely happens.
 */
int
pol_lifetime_clamped(const struct pol_profile *p, int requested, time_t now,
    time_t issuer_not_after, int *days, int *clamped)
{
	char date[21];
	long long left;
	int d;

	*clamped = 0;
	if (pol_lifetime(p, requested, now, 0, &d) < 0)
		return -1;
	left = ((long long)issuer_not_after - (long long)now) / DAY;
	if (left < 1) {
		iso_date(issuer_not_after, date);
		mc_seterr("the issuing intermediate %s on %s; replace it with "
		    "'minica intermediate rotate' before issuing",
		    issuer_not_after <= now ? "expired" : "expires less than a day from now,",
		    date);
		return -1;
	}
	if (d > left) {
		d = (int)left;
		*clamped = 1;
	}
	*days = d;
	return 0;
}

enum pol_crl_state
pol_crl_due(time_t next_update, time_t now)
{
	if (next_update <= now)
		return POL_CRL_EXPIRED;
	if (next_update - now <= (time_t)POL_CRL_WARN_DAYS * 86400)
		return POL_CRL_DUE;
	return POL_CRL_OK;
}

time_t
pol_cert_due_at(time_t not_before, time_t not_after, int days)
{
	time_t a = not_after - (time_t)days * DAY;
	time_t b = not_before + (not_after - not_before) * 2 / 3;

	return a < b ? a : b;
}

int
pol_cert_due(time_t not_before, time_t not_after, time_t now, int days)
{
	return now >= pol_cert_due_at(not_before, not_after, days);
}

void
pol_acme_renewal_window(time_t not_before, time_t not_after, time_t *start, time_t *end)
{
	time_t life = not_after - not_before;

	*start = not_before + life * 2 / 3;
	*end = not_before + life * 5 / 6;
}

int
pol_acme_renewal_late(time_t not_before, time_t not_after, time_t now, int days)
{
	time_t start, end;

	pol_acme_renewal_window(not_before, not_after, &start, &end);
	return now >= end && not_after - now < (time_t)days * DAY / 2;
}

long
pol_cert_days(time_t not_before, time_t not_after)
{
	/* notAfter is inclusive (RFC 5280), so N days end a second short of
	 * N * 86400; a backdated notBefore adds minutes: the nearest day. */
	return (long)((not_after - not_before + DAY / 2) / DAY);
}
