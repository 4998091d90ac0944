/* Printing certificates: the text and JSON forms shared by list, show, issue. */
#include <string.h>

#include "cmd.h"

const char *
cmd_cert_status(const struct store_cert *c, time_t now)
{
	if (strcmp(c->status, "valid") == 0 && c->not_after <= now)
		return "expired";
	return c->status;
}

static void
cert_members(FILE *f, const struct store_cert *c, int with_pem)
{
	time_t now = time(NULL);
	char nb[21], na[21];

	mc_iso8601(c->not_before, nb);
	mc_iso8601(c->not_after, na);
	fprintf(f, "{\"serial\":\"%s\",\"profile\":", c->serial);	/* opened here, closed by the callers */
	cmd_json_str(f, c->profile);
	fputs(",\"cn\":", f);
	cmd_json_str(f, c->cn);
	fputs(",\"subject\":", f);
	cmd_json_str(f, c->subject);
	fputs(",\"sans\":[", f);
	for (size_t i = 0; i < c->sans.n; i++) {
		if (i > 0)
			fputc(',', f);
		cmd_json_str(f, c->sans.v[i]);
	}
	fprintf(f, "],\"not_before\":\"%s\",\"not_after\":\"%s\",\"days_left\":%ld,\"status\":\"%s\","
	    "\"fingerprint_sha256\":\"%s\",\"key_type\":\"%s\",\"imported\":%s",
	    nb, na, mc_days_left(c->not_after, now), cmd_cert_status(c, now), c->fingerprint,
	    c->key_type, c->imported ? "true" : "false");
	if (c->superseded_by_serial[0])
		fprintf(f, ",\"superseded_by\":\"%s\"", c->superseded_by_serial);
	if (c->revoked_at) {
		mc_iso8601(c->revoked_at, na);
		fprintf(f, ",\"revoked_at\":\"%s\",\"revocation_reason\":", na);
		cmd_json_str(f, c->revocation_reason);
	}
	if (with_pem) {
		fputs(",\"pem\":", f);
		cmd_json_str(f, c->pem);
	}
}

void
cmd_cert_json(FILE *f, const struct store_cert *c, int with_pem)
{
	cert_members(f, c, with_pem);
	fputc('}', f);
}

/* The object issue --json prints: the certificate, whether it was issued
 * now (or an existing one kept), and the files written (null: none). */
void
cmd_cert_json_result(FILE *f, const struct store_cert *c, const struct cmd_json_files *w)
{
	static const char *const keys[] = { "certificate", "fullchain", "key", "p12" };
	static const char *const ext[] = { ".crt", "-fullchain.crt", ".key", NULL };

	cert_members(f, c, 0);
	fprintf(f, ",\"issued\":%s,\"files\":{", w->issued ? "true" : "false");
	for (int i = 0; i < 4; i++) {
		char path[4352];
		const char *v = NULL;

		if (i < 3 && w->dir != NULL && (i != 2 || w->with_key)) {
			snprintf(path, sizeof(path), "%s/%s%s", w->dir, w->name, ext[i]);
			v = path;
		} else if (i == 3) {
			v = w->p12;
		}
		fprintf(f, "%s\"%s\":", i ? "," : "", keys[i]);
		cmd_json_str(f, v);
	}
	fputs("}}\n", f);
}

static void
cert_text(FILE *f, const struct store_cert *c, int with_pem)
{
	time_t now = time(NULL);
	char nb[21], na[21], grouped[CA_FPR_GROUPED_LEN];

	mc_iso8601(c->not_before, nb);
	mc_iso8601(c->not_after, na);
	fprintf(f, "serial               %s\n", c->serial);
	fprintf(f, "profile              %s\n", c->profile);
	fprintf(f, "subject              %s\n", c->subject[0] ? c->subject : "(empty; names in the SAN)");
	fprintf(f, "names                ");
	for (size_t i = 0; i < c->sans.n; i++)
		fprintf(f, "%s%s", i ? ", " : "", c->sans.v[i]);
	fprintf(f, "%s\n", c->sans.n ? "" : "(none)");
	fprintf(f, "key                  %s\n", c->key_type);
	fprintf(f, "not before           %s\n", nb);
	fprintf(f, "not after            %s (%ld days left)\n", na, mc_days_left(c->not_after, now));
	fprintf(f, "status               %s\n", cmd_cert_status(c, now));
	if (c->superseded_by_serial[0])
		fprintf(f, "superseded by        %s\n", c->superseded_by_serial);
	if (c->revoked_at) {
		mc_iso8601(c->revoked_at, na);
		fprintf(f, "revoked              %s (%s)\n", na, c->revocation_reason ? c->revocation_reason : "unspecified");
	}
	ca_fpr_grouped(c->fingerprint, grouped);
	fprintf(f, "SHA-256 fingerprint  %s\n", grouped);
	if (c->imported)
		fprintf(f, "imported             yes\n");
	if (with_pem)
		fputs(c->pem, f);
}

int
cmd_show_cert(struct mc_ca *ca, const char *serial, int json, int pem)
{
	struct store_cert c;
	struct store_acme_origin o;
	int found = store_cert_find(ca->db, serial, &c), acme;

	if (found < 0)
		return cmd_fail();
	if (found == 0) {
		cmd_error("no certificate with serial '%s' (see 'minica list --all')", serial);
		return EXIT_ERR;
	}
	/* The ACME order, account and challenges behind it (show.c). */
	if ((acme = store_acme_cert_origin(ca->db, c.serial, &o)) < 0) {
		store_cert_free(&c);
		return cmd_fail();
	}
	if (json) {
		cert_members(stdout, &c, pem);
		cmd_show_acme(stdout, acme ? &o : NULL, 1);
		fputs("}\n", stdout);
	} else {
		cert_text(stdout, &c, 0);
		cmd_show_acme(stdout, acme ? &o : NULL, 0);
		if (pem)
			fputs(c.pem, stdout);
		if (cmd_print_deployed_at(ca, &c) < 0) {
			store_acme_origin_free(&o);
			store_cert_free(&c);
			return cmd_fail();
		}
	}
	store_acme_origin_free(&o);
	store_cert_free(&c);
	return EXIT_OK;
}

/* issue --batch --stats: where the time went, on stderr (stdout stays the results). */
void
cmd_print_stats(const struct iss_stats *st, double total_s)
{
	double sum = 0, n = st->leaves ? (double)st->leaves : 1;

	fprintf(stderr, "stage      CPU s  per leaf ms\n");
	for (int s = 0; s < ISS_NSTAGES; s++) {
		sum += (double)st->cpu_ns[s] / 1e9;
		fprintf(stderr, "%-9s %6.3f %9.4f\n", iss_stage_names[s], (double)st->cpu_ns[s] / 1e9,
		    (double)st->cpu_ns[s] / 1e6 / n);
	}
	fprintf(stderr, "%-9s %6.3f %9.4f\n", "stages", sum, sum * 1e3 / n);
	fprintf(stderr, "phase     wall s\n");
	for (int p = 0; p < ISS_NPHASES; p++)
		fprintf(stderr, "%-9s %6.3f\n", iss_phase_names[p], (double)st->wall_ns[p] / 1e9);
	fprintf(stderr, "%-9s %6.3f  (%zu leaves; plan: from reading the file)\n", "total", total_s, st->leaves);
}
