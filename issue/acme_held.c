/*
 * Certificates this CA signed that 'minica renew' leaves alone: those an
 * ACME client ordered (the client holds the key and renews them; a
 * renewal here would supersede its certificate behind its back), and the
 * one 'minica acme serve' keeps as its own in private/acme-tls.pem (the
 * server renews it while it runs and replaces it at its next start; a
 * renewal here would only leave a key nobody uses).  What check says of
 * them, and the account text renew and check print.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "issue.h"

int
iss_acme_tls_serial(const struct mc_ca *ca, char serial[48])
{
	char *path = iss_home_path(ca->home, ISS_ACME_TLS_FILE);
	struct mc_buf pem = { 0 };
	X509 *x = NULL;
	char hex[CA_SERIAL_LEN];
	int rc = 0;

	/* Missing, unreadable (another user's check) or damaged: none known;
	 * the server itself says what is wrong with it when it starts. */
	if (path != NULL && mc_file_read(path, ISS_ACME_TLS_MAX, &pem) == 0 &&
	    (x = ca_cert_from_pem(pem.p, pem.len)) != NULL && ca_cert_serial_hex(x, hex) == 0 &&
	    store_serial_normalise(hex, serial, 48) == 0)
		rc = 1;
	if (rc == 0)
		serial[0] = '\0';
	X509_free(x);
	mc_buf_free(&pem);
	free(path);
	return rc;
}

/* snprintf at out + *n, *n kept within len (the text cut short). */
static void __attribute__((format(printf, 4, 5)))
add(char *out, size_t len, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (*n + 1 >= len)
		return;
	va_start(ap, fmt);
	r = vsnprintf(out + *n, len - *n, fmt, ap);
	va_end(ap);
	if (r > 0)
		*n = *n + (size_t)r < len ? *n + (size_t)r : len - 1;
}

int
iss_acme_account_text(struct mc_ca *ca, int64_t id, char *out, size_t len)
{
	struct store_acme_account a;
	struct store_acme_eab e;
	json_t *c, *v;
	size_t i, n = 0;
	int found, eab;

	out[0] = '\0';
	if ((found = store_acme_account_get(ca->db, id, NULL, &a)) <= 0) {
		add(out, len, &n, "account %lld (gone)", (long long)id);
		return found;
	}
	if ((eab = store_acme_eab_get(ca->db, NULL, id, &e)) < 0) {
		store_acme_account_free(&a);
		return -1;
	}
	add(out, len, &n, "account %lld (", (long long)id);
	if (eab == 1)
		add(out, len, &n, "EAB %s, ", e.name[0] ? e.name : e.kid);
	if (strcmp(a.status, "valid") != 0)
		add(out, len, &n, "%s, ", a.status);
	c = json_loads(a.contact, 0, NULL);
	json_array_foreach(c, i, v)
		add(out, len, &n, "%s%s", i ? ", " : "", json_is_string(v) ? json_string_value(v) : "?");
	add(out, len, &n, "%s)", json_array_size(c) == 0 ? "no contact" : "");
	json_decref(c);
	if (eab == 1)
		store_acme_eab_free(&e);
	store_acme_account_free(&a);
	return 0;
}

/* The ACME server's own certificate, due or expired. */
static int
check_served(const struct iss_acme_held *h, const struct store_cert *c, const char *what, const char *date,
    struct iss_findings *f)
{
	long left = mc_days_left(c->not_after, h->now);
	const char *sfx = left == 1 ? "" : "s";

	if (c->not_after <= h->now)
		return iss_finding_add(f, SEV_CRITICAL, c->serial, what, "expired on %s; the certificate of "
		    "'minica acme serve' (%s), which replaces it when it starts", date, ISS_ACME_TLS_FILE);
	if (pol_acme_renewal_late(c->not_before, c->not_after, h->now, h->days))
		return iss_finding_add(f, SEV_WARNING, c->serial, what, "expires in %ld day%s, on %s, and "
		    "'minica acme serve' has not renewed its certificate (%s): it does once due while it runs, "
		    "else when it starts", left, sfx, date, ISS_ACME_TLS_FILE);
	return iss_finding_add(f, SEV_OK, c->serial, what, "expires in %ld day%s, on %s; the certificate "
	    "of 'minica acme serve' (%s), which renews it while it runs, else when it starts; 'minica renew' "
	    "does not", left, sfx, date, ISS_ACME_TLS_FILE);
}

/* One an ACME client ordered, due or expired. */
static int
check_ordered(struct mc_ca *ca, const struct iss_acme_held *h, const struct store_cert *c, int64_t account,
    const char *what, const char *date, struct iss_findings *f)
{
	char who[512], end_date[21];
	long left = mc_days_left(c->not_after, h->now);
	const char *sfx = left == 1 ? "" : "s";
	time_t start, end;

	if (iss_acme_account_text(ca, account, who, sizeof(who)) < 0)
		return -1;
	pol_acme_renewal_window(c->not_before, c->not_after, &start, &end);
	mc_iso8601(end, end_date);
	end_date[10] = '\0';
	if (c->not_after <= h->now)
		return iss_finding_add(f, SEV_CRITICAL, c->serial, what, "expired on %s; issued over ACME to %s, "
		    "whose client did not renew it", date, who);
	if (pol_acme_renewal_late(c->not_before, c->not_after, h->now, h->days))
		return iss_finding_add(f, SEV_WARNING, c->serial, what, "expires in %ld day%s, on %s, and the "
		    "ACME client of %s has not renewed it (the renewal window ended on %s); see that client: "
		    "it holds the key, 'minica renew' does not renew it", left, sfx, date, who, end_date);
	return iss_finding_add(f, SEV_OK, c->serial, what, "expires in %ld day%s, on %s; its renewal is "
	    "for the ACME client of %s, suggested by %s; 'minica renew' does not renew it", left, sfx, date,
	    who, end_date);
}

int
iss_check_acme(struct mc_ca *ca, const struct iss_acme_held *h, const struct store_cert *c, const char *what,
    struct iss_findings *f)
{
	char successor[48], date[21];
	int64_t account = 0;
	int served = h->served[0] != '\0' && strcmp(c->serial, h->served) == 0;
	int r = served ? 1 : store_acme_cert_lineage(ca->db, c->serial, &account, successor);

	if (r <= 0)
		return r;
	if (!served && successor[0] != '\0')
		return 2;
	if (!h->due && c->not_after > h->now)
		return 0;
	mc_iso8601(c->not_after, date);
	date[10] = '\0';
	r = served ? check_served(h, c, what, date, f) : check_ordered(ca, h, c, account, what, date, f);
	return r < 0 ? -1 : 1;
}
