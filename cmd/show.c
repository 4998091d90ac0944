/* minica show ca | SERIAL */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static void
show_ca_json(const struct mc_ca *ca, int pem)
{
	/* From the certificate: older stores hold the text OpenSSL printed
	 * for an IP range ("IP Address:<invalid length=8>"). */
	char nb[21], na[21], *nc = ca_cert_constraints_text(ca->cert);

	mc_iso8601(ca->rec.not_before, nb);
	mc_iso8601(ca->rec.not_after, na);
	printf("{\"subject\":");
	cmd_json_str(stdout, ca->rec.subject);
	printf(",\"serial\":\"%s\",\"fingerprint_sha256\":\"%s\",\"not_before\":\"%s\","
	    "\"not_after\":\"%s\",\"days_left\":%ld,\"key_type\":\"%s\",\"name_constraints\":",
	    ca->rec.serial, ca->rec.fingerprint, nb, na, cmd_days_left(ca->rec.not_after, time(NULL)),
	    ca_key_type_name(X509_get0_pubkey(ca->cert)) ? ca_key_type_name(X509_get0_pubkey(ca->cert)) : "other");
	cmd_json_str(stdout, nc ? nc : ca->rec.constraints);
	printf(",\"imported\":%s,\"home\":", ca->rec.imported ? "true" : "false");
	cmd_json_str(stdout, ca->home);
	if (pem) {
		printf(",\"pem\":");
		cmd_json_str(stdout, ca->rec.pem);
	}
	printf("}\n");
	free(nc);
}

static void
show_ca_text(const struct mc_ca *ca, int pem)
{
	char nb[21], na[21], grouped[CA_FPR_GROUPED_LEN], *nc = ca_cert_constraints_text(ca->cert);
	const char *kt = ca_key_type_name(X509_get0_pubkey(ca->cert));

	mc_iso8601(ca->rec.not_before, nb);
	mc_iso8601(ca->rec.not_after, na);
	printf("subject              %s\n", ca->rec.subject);
	printf("serial               %s\n", ca->rec.serial);
	ca_fpr_grouped(ca->rec.fingerprint, grouped);
	printf("SHA-256 fingerprint  %s\n", grouped);
	printf("key                  %s, %s/private/ca.key\n", kt ? kt : "other", ca->home);
	printf("not before           %s\n", nb);
	printf("not after            %s (%ld days left)\n", na, cmd_days_left(ca->rec.not_after, time(NULL)));
	if (nc == NULL)
		nc = mc_strdup(ca->rec.constraints);
	printf("name constraints     %s\n", nc && *nc ? nc : "none");
	free(nc);
	if (ca->rec.imported)
		printf("imported             yes\n");
	if (pem)
		fputs(ca->rec.pem, stdout);
}

int
cmd_show(struct cmd_ctx *ctx)
{
	int json = 0, pem = 0;
	struct poptOption opts[] = {
		{ "json", 0, POPT_ARG_NONE, &json, 0, "print one JSON object", NULL },
		{ "pem", 0, POPT_ARG_NONE, &pem, 0, "include the PEM certificate", NULL },
		CMD_COMMON_OPTIONS
		POPT_TABLEEND
	};
	int rc;

	if ((rc = cmd_args(ctx, opts, "ca|SERIAL", -1)) != 0)
		return rc;
	if (ctx->nargs != 1)
		return cmd_usage_error("show", "give exactly one of 'ca' or a serial number");
	if ((rc = cmd_setup(ctx)) != 0)
		return rc;
	if (strcmp(ctx->args[0], "ca") != 0)
		return cmd_show_cert(&ctx->ca, ctx->args[0], json, pem);
	if (json)
		show_ca_json(&ctx->ca, pem);
	else
		show_ca_text(&ctx->ca, pem);
	return EXIT_OK;
}
