/* minica show ca | SERIAL */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static const char *
key_type_of(const struct store_ca *r)
{
	X509 *x = ca_cert_from_pem(r->pem, strlen(r->pem));
	const char *kt = x != NULL ? ca_key_type_name(X509_get0_pubkey(x)) : NULL;

	X509_free(x);
	return kt != NULL ? kt : "other";
}

static void
level_json(const struct store_ca *r, int pem)
{
	char nb[21], na[21];

	mc_iso8601(r->not_before, nb);
	mc_iso8601(r->not_after, na);
	printf("\"subject\":");
	cmd_json_str(stdout, r->subject);
	printf(",\"serial\":\"%s\",\"fingerprint_sha256\":\"%s\",\"not_before\":\"%s\","
	    "\"not_after\":\"%s\",\"days_left\":%ld,\"key_type\":\"%s\",\"name_constraints\":",
	    r->serial, r->fingerprint, nb, na, cmd_days_left(r->not_after, time(NULL)), key_type_of(r));
	cmd_json_str(stdout, r->constraints);
	if (pem) {
		printf(",\"pem\":");
		cmd_json_str(stdout, r->pem);
	}
}

/* The root's fields at the top (as before there were two levels), the
 * issuing intermediate in "intermediate" (null when the root issues). */
static void
show_ca_json(const struct mc_ca *ca, int pem)
{
	int here = iss_root_key_here(ca);

	putchar('{');
	level_json(&ca->root_rec, pem);
	printf(",\"imported\":%s,\"home\":", ca->root_rec.imported ? "true" : "false");
	cmd_json_str(stdout, g.home);
	printf(",\"root_key\":\"%s\",\"intermediate\":", here == 1 ? "here" : "offline");
	if (ca->two_level && !ca->no_issuer) {
		putchar('{');
		level_json(&ca->rec, pem);
		putchar('}');
	} else {
		printf("null");
	}
	printf("}\n");
}

static void
level_text(const struct store_ca *r, const char *keyfile, int pem)
{
	char nb[21], na[21];

	mc_iso8601(r->not_before, nb);
	mc_iso8601(r->not_after, na);
	printf("subject              %s\n", r->subject);
	printf("serial               %s\n", r->serial);
	printf("SHA-256 fingerprint  %s\n", r->fingerprint);
	printf("key                  %s, %s\n", key_type_of(r), keyfile);
	printf("not before           %s\n", nb);
	printf("not after            %s (%ld days left)\n", na, cmd_days_left(r->not_after, time(NULL)));
	printf("name constraints     %s\n", *r->constraints ? r->constraints : "none");
	if (pem)
		fputs(r->pem, stdout);
}

static void
show_ca_text(const struct mc_ca *ca, int pem)
{
	char where[4200];
	int here = iss_root_key_here(ca);

	snprintf(where, sizeof(where), here == 1 ? "%s/private/ca.key" : "offline (not in %s/private)", g.home);
	if (ca->two_level)
		printf("root (what clients trust; kept offline)\n");
	level_text(&ca->root_rec, where, pem);
	if (ca->root_rec.imported)
		printf("imported             yes\n");
	if (!ca->two_level)
		return;
	printf("\nissuing intermediate (signs every new certificate)\n");
	if (ca->no_issuer) {
		printf("none current: revoked or retired; run 'minica intermediate rotate'\n");
		return;
	}
	snprintf(where, sizeof(where), "%s/" ISS_INTER_KEY, g.home);
	level_text(&ca->rec, where, pem);
}

int
cmd_show(int argc, const char **argv)
{
	int json = 0, pem = 0;
	struct poptOption opts[] = {
		{ "json", 0, POPT_ARG_NONE, &json, 0, "print one JSON object", NULL },
		{ "pem", 0, POPT_ARG_NONE, &pem, 0, "include the PEM certificate", NULL },
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, cmd_common_options, 0, "Common options:", NULL },
		POPT_AUTOHELP
		POPT_TABLEEND
	};
	struct mc_ca ca;
	poptContext ctx = NULL;
	const char *what;
	int rc;

	if ((rc = cmd_parse(&ctx, argc, argv, opts, "ca|SERIAL")) != 0)
		return rc;
	rc = EXIT_USAGE;
	if ((what = poptGetArg(ctx)) == NULL || poptPeekArg(ctx) != NULL) {
		cmd_usage_error("show", "give exactly one of 'ca' or a serial number");
		goto out;
	}
	rc = EXIT_ERR;
	if (cmd_open_ca(&ca) < 0)
		goto out;
	if (strcmp(what, "ca") == 0) {
		if (json)
			show_ca_json(&ca, pem);
		else
			show_ca_text(&ca, pem);
		rc = EXIT_OK;
	} else {
		rc = cmd_show_cert(&ca, what, json, pem);
	}
	cmd_close_ca(&ca);
out:
	cmd_parse_done(ctx, opts);
	return rc;
}
