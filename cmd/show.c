/* minica show ca | SERIAL */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"

/* The account's contacts (stored as a JSON array of URLs). */
static json_t *
contacts(const struct store_acme_origin *o)
{
	json_t *c = json_loads(o->contact, 0, NULL);

	if (!json_is_array(c)) {
		json_decref(c);
		c = json_array();
	}
	return c;
}

static void
show_acme_json(FILE *f, const struct store_acme_origin *o)
{
	json_t *c = contacts(o);
	char when[21];
	size_t i;
	json_t *v;

	mc_iso8601(o->ordered_at, when);
	fprintf(f, ",\"acme\":{\"order\":%lld,\"ordered\":\"%s\",\"account\":{\"id\":%lld,\"status\":\"%s\","
	    "\"contact\":[", (long long)o->order_id, when, (long long)o->account_id, o->account_status);
	json_array_foreach(c, i, v) {
		fputs(i ? "," : "", f);
		cmd_json_str(f, json_is_string(v) ? json_string_value(v) : "");
	}
	fputs("]},\"validations\":[", f);
	for (size_t k = 0; k < o->n; k++) {
		mc_iso8601(o->v[k].validated_at, when);
		fprintf(f, "%s{\"name\":", k ? "," : "");
		cmd_json_str(f, o->v[k].name);
		fprintf(f, ",\"wildcard\":%s,\"challenge\":", o->v[k].wildcard ? "true" : "false");
		cmd_json_str(f, o->v[k].type);
		fprintf(f, ",\"validated\":\"%s\"}", when);
	}
	fputs("]}", f);
	json_decref(c);
}

void
cmd_show_acme(FILE *f, const struct store_acme_origin *o, int json)
{
	json_t *c;
	char when[21];
	size_t i;
	json_t *v;

	if (json) {
		if (o != NULL)
			show_acme_json(f, o);
		else
			fputs(",\"acme\":null", f);
		return;
	}
	if (o == NULL)
		return;
	c = contacts(o);
	fprintf(f, "acme account         %lld (%s), contact ", (long long)o->account_id, o->account_status);
	json_array_foreach(c, i, v)
		fprintf(f, "%s%s", i ? ", " : "", json_is_string(v) ? json_string_value(v) : "?");
	fprintf(f, "%s\n", json_array_size(c) == 0 ? "none" : "");
	json_decref(c);
	mc_iso8601(o->ordered_at, when);
	fprintf(f, "acme order           %lld, placed %s\n", (long long)o->order_id, when);
	for (size_t k = 0; k < o->n; k++) {
		mc_iso8601(o->v[k].validated_at, when);
		fprintf(f, "validated            %s%s by %s at %s\n", o->v[k].wildcard ? "*." : "", o->v[k].name,
		    o->v[k].type, when);
	}
}

/* The key type and name constraints from the certificate: older stores
 * hold the text OpenSSL printed for an IP range ("IP Address:<invalid
 * length=8>"). */
static const char *
level_info(const struct store_ca *r, char **nc)
{
	X509 *x = ca_cert_from_pem(r->pem, strlen(r->pem));
	const char *kt = x != NULL ? ca_key_type_name(X509_get0_pubkey(x)) : NULL;

	*nc = x != NULL ? ca_cert_constraints_text(x) : NULL;
	if (*nc == NULL)
		*nc = mc_strdup(r->constraints);
	X509_free(x);
	return kt != NULL ? kt : "other";
}

static void
level_json(const struct store_ca *r, int pem)
{
	char nb[21], na[21], *nc = NULL;
	const char *kt = level_info(r, &nc);

	mc_iso8601(r->not_before, nb);
	mc_iso8601(r->not_after, na);
	printf("\"subject\":");
	cmd_json_str(stdout, r->subject);
	printf(",\"serial\":\"%s\",\"fingerprint_sha256\":\"%s\",\"not_before\":\"%s\","
	    "\"not_after\":\"%s\",\"days_left\":%ld,\"key_type\":\"%s\",\"name_constraints\":",
	    r->serial, r->fingerprint, nb, na, mc_days_left(r->not_after, time(NULL)), kt);
	cmd_json_str(stdout, nc ? nc : "");
	free(nc);
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
	cmd_json_str(stdout, ca->home);
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
	char nb[21], na[21], grouped[CA_FPR_GROUPED_LEN], *nc = NULL;
	const char *kt = level_info(r, &nc);

	mc_iso8601(r->not_before, nb);
	mc_iso8601(r->not_after, na);
	printf("subject              %s\n", r->subject);
	printf("serial               %s\n", r->serial);
	ca_fpr_grouped(r->fingerprint, grouped);
	printf("SHA-256 fingerprint  %s\n", grouped);
	printf("key                  %s, %s\n", kt, keyfile);
	printf("not before           %s\n", nb);
	printf("not after            %s (%ld days left)\n", na, mc_days_left(r->not_after, time(NULL)));
	printf("name constraints     %s\n", nc && *nc ? nc : "none");
	free(nc);
	if (pem)
		fputs(r->pem, stdout);
}

static void
show_ca_text(const struct mc_ca *ca, int pem)
{
	char where[4200];
	int here = iss_root_key_here(ca);

	snprintf(where, sizeof(where), here == 1 ? "%s/private/ca.key" : "offline (not in %s/private)", ca->home);
	if (ca->two_level)
		printf("root (what clients trust; kept offline)\n");
	level_text(&ca->root_rec, where, pem);
	if (ca->root_rec.imported)
		printf("imported             yes\n");
	if (ca->cross != NULL) {
		time_t nb = 0, na = 0;
		char date[21];

		ca_cert_validity(ca->cross, &nb, &na);
		mc_iso8601(na, date);
		printf("cross-certificate    %s/" ISS_CROSS_CRT ": the root issued by the previous one; every chain\n"
		    "                     ends with it until %s\n", ca->home, date);
	}
	if (!ca->two_level)
		return;
	printf("\nissuing intermediate (signs every new certificate)\n");
	if (ca->no_issuer) {
		printf("none current: revoked or retired; run 'minica intermediate rotate'\n");
		return;
	}
	snprintf(where, sizeof(where), "%s/" ISS_INTER_KEY, ca->home);
	level_text(&ca->rec, where, pem);
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
