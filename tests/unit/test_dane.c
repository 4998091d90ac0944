/*
 * DANE TLSA data (ca/tlsa.c) and records (deploy/dane.c).  The record
 * data is checked against the openssl command line, the independent way
 * the issue names: openssl x509 -pubkey | openssl pkey -pubin -outform
 * DER | sha256sum (and sha512sum, and the whole certificate's DER).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deploy/deploy.h"
#include "leaf_fixture.h"

static char dir[64];

static void
setup(void)
{
	strcpy(dir, "/tmp/minica-dane.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(dane, .init = setup, .fini = teardown);

/* Runs a shell pipeline over the PEM of x and returns its first word. */
static void
shell_hex(X509 *x, const char *pipeline, char *out, size_t len)
{
	char path[128], cmd[512];
	FILE *p;

	snprintf(path, sizeof(path), "%s/c.pem", dir);
	fx_write_pem(path, x);
	snprintf(cmd, sizeof(cmd), "< '%s' %s", path, pipeline);
	cr_assert_not_null(p = popen(cmd, "r"));
	cr_assert_not_null(fgets(out, (int)len, p), "no output from: %s", cmd);
	cr_assert_eq(pclose(p), 0, "failed: %s", cmd);
	out[strcspn(out, " \n")] = '\0';
}

static X509 *
leaf_for(EVP_PKEY *ca_key, X509 *ca, EVP_PKEY *key)
{
	struct mc_strv dns = fx_strv("mail.example.org", NULL), eku = fx_strv("serverAuth", NULL);
	struct ca_leaf_req req = { .pubkey = key, .cn = "mail.example.org", .dns = &dns,
	    .eku = &eku, .days = 30 };
	X509 *x = ca_leaf_sign(&req, ca, ca_key);

	cr_assert_not_null(x, "%s", mc_err());
	mc_strv_free(&dns);
	mc_strv_free(&eku);
	return x;
}

struct form {
	int selector, mtype;
	const char *pipeline;
};

static const struct form forms[] = {
	{ 1, 1, "openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum" },
	{ 1, 2, "openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | sha512sum" },
	{ 0, 1, "openssl x509 -outform DER | sha256sum" },
	{ 0, 2, "openssl x509 -outform DER | sha512sum" },
	{ 1, 0, "openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | od -An -v -tx1 | tr -d ' \\n'" },
};

static void
check_key_type(const char *type)
{
	EVP_PKEY *ca_key = fx_key("ec256"), *key = fx_key(type);
	X509 *ca = fx_root(ca_key), *leaf = leaf_for(ca_key, ca, key);
	char want[4096];

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct mc_buf hex = { 0 }, raw = { 0 };

		cr_assert_eq(ca_tlsa_hex(leaf, NULL, forms[i].selector, forms[i].mtype, &hex), 0, "%s", mc_err());
		shell_hex(leaf, forms[i].pipeline, want, sizeof(want));
		cr_assert_str_eq(hex.p, want, "%s %d %d", type, forms[i].selector, forms[i].mtype);
		/* The record matches its certificate, and not another one. */
		cr_assert_eq(ca_tlsa_parse_hex(hex.p, &raw), 0);
		cr_assert_eq(ca_tlsa_match(leaf, NULL, forms[i].selector, forms[i].mtype,
		    (unsigned char *)raw.p, raw.len), 1);
		cr_assert_eq(ca_tlsa_match(ca, NULL, forms[i].selector, forms[i].mtype,
		    (unsigned char *)raw.p, raw.len), 0);
		mc_buf_free(&hex);
		mc_buf_free(&raw);
	}
	/* A bare key gives the same "x 1 y" data as its certificate. */
	{
		struct mc_buf a = { 0 }, b = { 0 };

		cr_assert_eq(ca_tlsa_hex(NULL, key, 1, 1, &a), 0);
		cr_assert_eq(ca_tlsa_hex(leaf, NULL, 1, 1, &b), 0);
		cr_assert_str_eq(a.p, b.p);
		cr_assert_eq(ca_tlsa_hex(NULL, key, 0, 1, &a), -1, "selector 0 needs a certificate");
		mc_buf_free(&a);
		mc_buf_free(&b);
	}
	X509_free(leaf);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ca_key);
}

Test(dane, data_rsa2048) { check_key_type("rsa2048"); }
Test(dane, data_ec256) { check_key_type("ec256"); }
Test(dane, data_ec384) { check_key_type("ec384"); }

Test(dane, bad_forms)
{
	EVP_PKEY *k = fx_key("ec256");
	X509 *x = fx_root(k);
	struct mc_buf b = { 0 };
	unsigned char d[32] = { 0 };

	cr_assert_eq(ca_tlsa_hex(x, NULL, 1, 3, &b), -1);
	cr_assert_eq(ca_tlsa_hex(x, NULL, 2, 1, &b), -1);
	cr_assert_eq(ca_tlsa_match(x, NULL, 1, 255, d, 32), 0, "an unknown mtype never matches");
	cr_assert_eq(ca_tlsa_parse_hex("abc", &b), -1);
	cr_assert_eq(ca_tlsa_parse_hex("zz", &b), -1);
	cr_assert_eq(ca_tlsa_parse_hex("", &b), -1);
	cr_assert_eq(ca_tlsa_parse_hex("0aFF", &b), 0);
	cr_assert_eq(b.len, 2);
	cr_assert_eq((unsigned char)b.p[1], 0xff);
	mc_buf_free(&b);
	X509_free(x);
	EVP_PKEY_free(k);
}

static struct ca_tlsa_rr
rr_of(X509 *x, EVP_PKEY *k, int usage, int sel, int mtype, struct mc_buf *keep)
{
	struct ca_tlsa_rr rr = { usage, sel, mtype, NULL, 0 };

	cr_assert_eq(ca_tlsa_data(x, k, sel, mtype, keep), 0, "%s", mc_err());
	rr.data = (unsigned char *)keep->p;
	rr.len = keep->len;
	return rr;
}

Test(dane, records_and_matching)
{
	EVP_PKEY *ca_key = fx_key("ec256"), *key = fx_key("ec256"), *next = fx_key("ec256");
	X509 *ca = fx_root(ca_key), *leaf = leaf_for(ca_key, ca, key);
	struct mc_strv names = fx_strv("mail.example.org", "10.0.0.1", "*.example.org",
	    "MX2.example.org", "mail.example.org", NULL);
	struct dep_dane_req r = { .cn = "mail.example.org", .names = &names, .port = 25,
	    .leaf = leaf, .ta = ca, .next = next };
	struct dep_tlsa_set s = { 0 };
	struct mc_buf b1 = { 0 }, b2 = { 0 }, b3 = { 0 }, b4 = { 0 };
	struct ca_tlsa_rr rr;
	X509 *tas[1] = { ca };

	cr_assert_eq(dep_dane_records(&r, &s), 0, "%s", mc_err());
	/* mail. and MX2. (as the store keeps names: normalised before), no IP,
	 * no wildcard, no duplicate; three records each. */
	cr_assert_eq(s.n, 6);
	cr_assert_str_eq(s.v[0].host, "mail.example.org");
	cr_assert_eq(s.v[0].usage, 2);
	cr_assert_eq(s.v[1].usage, 3);
	cr_assert_eq(s.v[2].usage, 3);
	cr_assert_eq(s.v[2].next, 1);
	cr_assert_str_eq(s.v[3].host, "MX2.example.org");
	cr_assert(strncmp(s.v[1].rr, "_25._tcp.mail.example.org. IN TLSA 3 1 1 ", 41) == 0, "%s", s.v[1].rr);
	cr_assert_str_eq(s.v[1].rr + 41, s.v[1].data);
	cr_assert_str_neq(s.v[1].data, s.v[2].data);
	dep_tlsa_set_free(&s);

	rr = rr_of(ca, NULL, 2, 1, 1, &b1);
	cr_assert_eq(dep_tlsa_match_chain(&rr, leaf, tas, 1), 1, "2 1 1 of the root");
	cr_assert_eq(dep_tlsa_match_chain(&rr, leaf, tas, 0), 0, "a TA not sent does not match");
	rr.usage = 0;
	cr_assert_eq(dep_tlsa_match_chain(&rr, leaf, tas, 1), 0, "PKIX-TA is unusable for SMTP");
	rr = rr_of(leaf, NULL, 3, 0, 2, &b2);
	cr_assert_eq(dep_tlsa_match_chain(&rr, leaf, tas, 1), 1, "3 0 2 of the leaf");
	rr = rr_of(NULL, next, 3, 1, 1, &b3);
	cr_assert_eq(dep_tlsa_match_chain(&rr, leaf, tas, 1), 0, "the next key is not the leaf");
	cr_assert_eq(dep_tlsa_match_key(&rr, next), 1);
	cr_assert_eq(dep_tlsa_match_key(&rr, key), 0);
	rr = rr_of(leaf, NULL, 2, 1, 1, &b4);
	cr_assert_eq(dep_tlsa_match_chain(&rr, leaf, tas, 1), 0, "2 1 1 of the leaf is not a TA");
	mc_buf_free(&b1);
	mc_buf_free(&b2);
	mc_buf_free(&b3);
	mc_buf_free(&b4);

	/* Only IPs and wildcards: nothing to publish, said clearly. */
	mc_strv_free(&names);
	names = fx_strv("10.0.0.1", "*.example.org", NULL);
	r.cn = NULL;
	cr_assert_eq(dep_dane_records(&r, &s), -1);
	cr_assert(strstr(mc_err(), "no DNS host") != NULL, "%s", mc_err());
	mc_strv_free(&names);
	X509_free(leaf);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(next);
	EVP_PKEY_free(ca_key);
}

Test(dane, next_key_staging)
{
	char sub[128], path[200];
	struct dep_next_req r = { .dir = sub, .serial = "0abc", .key_type = "ec256",
	    .pass = "right pass", .passlen = 10 };
	EVP_PKEY *a, *b, *c;
	struct stat st;
	int made, found;

	snprintf(sub, sizeof(sub), "%s/private/dane-next", dir);
	cr_assert_null(dep_dane_next_pub(sub, "0abc", &found));
	cr_assert_eq(found, 0);
	cr_assert_not_null(a = dep_dane_next_stage(&r, &made), "%s", mc_err());
	cr_assert_eq(made, 1);
	snprintf(path, sizeof(path), "%s/0abc.key", sub);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_eq(stat(sub, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700);
	/* Staging again keeps the key (it may be published already). */
	cr_assert_not_null(b = dep_dane_next_stage(&r, &made));
	cr_assert_eq(made, 0);
	cr_assert_eq(EVP_PKEY_eq(a, b), 1);
	cr_assert_null(dep_dane_next_load(sub, "0abc", "wrong pass", 10, &found));
	cr_assert_eq(found, 1);
	cr_assert_not_null(c = dep_dane_next_load(sub, "0abc", "right pass", 10, &found), "%s", mc_err());
	cr_assert_eq(EVP_PKEY_eq(a, c), 1);
	cr_assert_null(dep_dane_next_stage(&(struct dep_next_req){ .dir = sub, .serial = "../x",
	    .key_type = "ec256", .pass = "p", .passlen = 1 }, &made));
	cr_assert_eq(dep_dane_next_drop(sub, "0abc"), 0);
	cr_assert_null(dep_dane_next_pub(sub, "0abc", &found));
	cr_assert_eq(found, 0);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	EVP_PKEY_free(c);
}
