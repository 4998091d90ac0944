/* minica show ca | SERIAL */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static void
show_ca_json(const struct mc_ca *ca, int pem)
{
	char nb[21], na[21];

	mc_iso8601(ca->rec.not_before, nb);
	mc_iso8601(ca->rec.not_after, na);
	printf("{\"subject\":");
	cmd_json_str(stdout, ca->rec.subject);
	printf(",\"serial\":\"%s\",\"fingerprint_sha256\":\"%s\",\"not_before\":\"%s\","
	    "\"not_after\":\"%s\",\"days_left\":%ld,\"key_type\":\"%s\",\"name_constraints\":",
	    ca->rec.serial, ca->rec.fingerprint, nb, na, cmd_days_left(ca->rec.not_after, time(NULL)),
	    ca_key_type_name(X509_get0_pubkey(ca->cert)) ? ca_key_type_name(X509_get0_pubkey(ca->cert)) : "other");
	cmd_json_str(stdout, ca->rec.constraints);
	printf(",\"imported\":%s,\"home\":", ca->rec.imported ? "true" : "false");
	cmd_json_str(stdout, g.home);
	if (pem) {
		printf(",\"pem\":");
		cmd_json_str(stdout, ca->rec.pem);
	}
	printf("}\n");
}

static void
show_ca_text(const struct mc_ca *ca, int pem)
{
	char nb[21], na[21];
	const char *kt = ca_key_type_name(X509_get0_pubkey(ca->cert));

	mc_iso8601(ca->rec.not_before, nb);
	mc_iso8601(ca->rec.not_after, na);
	printf("subject              %s\n", ca->rec.subject);
	printf("serial               %s\n", ca->rec.serial);
	printf("SHA-256 fingerprint  %s\n", ca->rec.fingerprint);
	printf("key                  %s, %s/private/ca.key\n", kt ? kt : "other", g.home);
	printf("not before           %s\n", nb);
	printf("not after            %s (%ld days left)\n", na, cmd_days_left(ca->rec.not_after, time(NULL)));
	printf("name constraints     %s\n", *ca->rec.constraints ? ca->rec.constraints : "none");
	if (ca->rec.imported)
		printf("imported             yes\n");
	if (pem)
		fputs(ca->rec.pem, stdout);
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
