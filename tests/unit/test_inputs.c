/*
 * The in-memory readers the fuzz targets drive (ca_cert_from_mem,
 * pol_config_load_mem), with the inputs that must be refused cleanly,
 * and the regressions the fuzzers found (see docs/reliability.md).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <openssl/pem.h>

#include "ca/ca.h"
#include "cmd/cmd.h"
#include "leaf_fixture.h"
#include "policy/policy.h"

static X509 *
fixture_root(EVP_PKEY **k)
{
	*k = fx_key("ec256");
	return fx_root(*k);
}

Test(cert_mem, pem_and_der_round_trip)
{
	EVP_PKEY *k;
	X509 *root = fixture_root(&k), *back;
	unsigned char *der = NULL;
	struct mc_buf pem = { 0 };
	int len = i2d_X509(root, &der);

	cr_assert_gt(len, 0);
	cr_assert_eq(ca_cert_pem(root, &pem), 0);
	back = ca_cert_from_mem(pem.p, pem.len);
	cr_assert_not_null(back, "%s", mc_err());
	cr_expect_eq(X509_cmp(root, back), 0);
	X509_free(back);
	back = ca_cert_from_mem(der, (size_t)len);
	cr_assert_not_null(back, "%s", mc_err());
	cr_expect_eq(X509_cmp(root, back), 0);
	X509_free(back);
	/* A length that does not fit OpenSSL's int is refused, never cast
	 * (a negative length would make BIO_new_mem_buf use strlen). */
	cr_expect_null(ca_cert_from_pem(pem.p, (size_t)INT_MAX + 1));
	cr_expect_null(ca_cert_from_mem(pem.p, (size_t)UINT_MAX + 1));
	OPENSSL_free(der);
	mc_buf_free(&pem);
	X509_free(root);
	EVP_PKEY_free(k);
}

Test(cert_mem, garbage_truncated_trailing_refused)
{
	EVP_PKEY *k;
	X509 *root = fixture_root(&k);
	unsigned char *der = NULL, *big;
	int len = i2d_X509(root, &der);
	static const char pem_garbage[] = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n";

	cr_assert_gt(len, 0);
	cr_expect_null(ca_cert_from_mem(der, (size_t)len - 1));
	cr_expect(strstr(mc_err(), "neither PEM nor DER") != NULL, "%s", mc_err());
	big = malloc((size_t)len + 3);
	cr_assert_not_null(big);
	memcpy(big, der, (size_t)len);
	memcpy(big + len, "xyz", 3);
	cr_expect_null(ca_cert_from_mem(big, (size_t)len + 3));
	cr_expect(strstr(mc_err(), "3 bytes of trailing data") != NULL, "%s", mc_err());
	cr_expect_null(ca_cert_from_mem("", 0));
	cr_expect_null(ca_cert_from_mem(NULL, 10));
	cr_expect_null(ca_cert_from_mem(pem_garbage, strlen(pem_garbage)));
	cr_expect(strstr(mc_err(), "not a PEM certificate") != NULL, "%s", mc_err());
	free(big);
	OPENSSL_free(der);
	X509_free(root);
	EVP_PKEY_free(k);
}

Test(config_mem, text_in_memory)
{
	static const char good[] = "[profile.web]\neku = serverAuth\nkey_type = ec256\n";
	static const char bad[] = "[profile.web]\neku = serverAuth\nbogus = 1\n";
	static const char syntax[] = "[minica]\nreload_timeout = 5\n[broken\n";
	struct pol_config cfg;

	cr_assert_eq(pol_config_load_mem("mem.conf", good, strlen(good), &cfg), 0, "%s", mc_err());
	cr_assert_not_null(pol_profile_find(&cfg, "web"));
	cr_expect_str_eq(pol_profile_find(&cfg, "web")->key_type, "ec256");
	cr_expect_not_null(pol_profile_find(&cfg, "smtpd"), "built-ins kept");
	cr_expect_str_eq(cfg.path, "mem.conf");
	pol_config_free(&cfg);

	cr_expect_eq(pol_config_load_mem("mem.conf", bad, strlen(bad), &cfg), -1);
	cr_expect(strstr(mc_err(), "'mem.conf': [profile.web] bogus = 1: unknown key") != NULL, "%s", mc_err());
	cr_expect_eq(cfg.nprofiles, 0);

	cr_expect_eq(pol_config_load_mem("mem.conf", syntax, strlen(syntax), &cfg), -1);
	cr_expect(strncmp(mc_err(), "mem.conf:3", 10) == 0, "%s", mc_err());

	/* Empty text is the built-ins; no text at all is an error. */
	cr_assert_eq(pol_config_load_mem("mem.conf", "", 0, &cfg), 0, "%s", mc_err());
	cr_expect_not_null(pol_profile_find(&cfg, "nginx"));
	pol_config_free(&cfg);
	cr_expect_eq(pol_config_load_mem("mem.conf", NULL, 5, &cfg), -1);
	cr_expect_eq(pol_config_load_mem("mem.conf", good, (size_t)INT_MAX + 1, &cfg), -1);
}

Test(config_mem, nul_byte_and_size_refused)
{
	static const char nul[] = "[minica]\nreload_timeout = 5\0junk\n";
	struct pol_config cfg;
	char path[] = "/tmp/minica-conf-XXXXXX";
	char *big = malloc(POL_CONF_MAX + 2);
	int fd;

	cr_expect_eq(pol_config_load_mem("nul.conf", nul, sizeof(nul) - 1, &cfg), -1);
	cr_expect_str_eq(mc_err(), "nul.conf:2: NUL byte in the file");
	/* From a file too, and a file over the cap is refused unread. */
	cr_assert_not_null(big);
	memset(big, '#', POL_CONF_MAX + 1);
	big[POL_CONF_MAX + 1] = '\0';
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, nul, sizeof(nul) - 1), (ssize_t)sizeof(nul) - 1);
	cr_expect_eq(pol_config_load(path, &cfg), -1);
	cr_expect(strstr(mc_err(), ":2: NUL byte") != NULL, "%s", mc_err());
	cr_assert_eq(ftruncate(fd, 0), 0);
	cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
	cr_assert_eq(write(fd, big, POL_CONF_MAX + 1), POL_CONF_MAX + 1);
	cr_expect_eq(pol_config_load(path, &cfg), -1);
	cr_expect(strstr(mc_err(), "larger than") != NULL, "%s", mc_err());
	/* Exactly the cap is read (all comment: the built-ins). */
	cr_assert_eq(ftruncate(fd, POL_CONF_MAX), 0);
	cr_expect_eq(pol_config_load(path, &cfg), 0, "%s", mc_err());
	pol_config_free(&cfg);
	close(fd);
	unlink(path);
	free(big);
}

Test(config_mem, binary_garbage_one_message)
{
	unsigned char junk[512];
	struct pol_config cfg;

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)((i * 7919 + 13) & 0xff);
	cr_expect_eq(pol_config_load_mem("junk.conf", junk, sizeof(junk), &cfg), -1);
	cr_expect(strstr(mc_err(), "junk.conf") != NULL, "%s", mc_err());
	cr_expect(strchr(mc_err(), '\n') == NULL, "message is more than one line: %s", mc_err());
}

Test(key_mem, oversized_length_refused)
{
	EVP_PKEY *k = fx_key("ec256");
	struct mc_buf pem = { 0 };
	EVP_PKEY *back;

	cr_assert_eq(ca_key_plain_pem(k, &pem), 0);
	back = ca_key_from_pem(pem.p, pem.len, NULL, 0);
	cr_assert_not_null(back, "%s", mc_err());
	EVP_PKEY_free(back);
	cr_expect_null(ca_key_from_pem(pem.p, (size_t)INT_MAX + 1, NULL, 0));
	cr_expect(strstr(mc_err(), "larger than") != NULL, "%s", mc_err());
	mc_buf_free(&pem);
	EVP_PKEY_free(k);
}

/* --passphrase-fd N: only a descriptor open when minica started, once. */
Test(pass_fd, only_inherited_descriptors)
{
	struct mc_buf b = { 0 };
	int before[2], after[2];

	cr_assert_eq(pipe(before), 0);
	cr_assert_eq(write(before[1], "early\n", 6), 6);
	close(before[1]);
	cmd_passphrase_note_fds();
	cr_assert_eq(pipe(after), 0);
	cr_assert_eq(write(after[1], "late\n", 5), 5);
	cr_expect_eq(cmd_passphrase_from(NULL, after[0], NULL, "x", 0, &b), -1);
	cr_expect(strstr(mc_err(), "not open when minica started") != NULL, "%s", mc_err());
	cr_assert_eq(cmd_passphrase_from(NULL, before[0], NULL, "x", 0, &b), 0, "%s", mc_err());
	cr_expect_str_eq(b.p, "early");
	/* Read and closed: the number may be reused by a file minica opens. */
	cr_expect_eq(dup2(after[0], before[0]), before[0]);
	cr_expect_eq(cmd_passphrase_from(NULL, before[0], NULL, "x", 0, &b), -1);
	cr_expect(strstr(mc_err(), "already read") != NULL, "%s", mc_err());
	cr_expect_eq(cmd_passphrase_from(NULL, 5000, NULL, "x", 0, &b), -1);
	mc_buf_free(&b);
}

/* [acme]: defaults without the section, each key read and checked. */
Test(config_mem, acme_section)
{
	static const char good[] = "[acme]\nlisten = [::1]:14000\nhostname = ACME.Example.ORG\neab = no\n"
	    "profile = web\nresolver = 127.0.0.1:5353\nhttp01_port = 5002\ntlsalpn01_port = 5001\ntls = no\n"
	    "[profile.web]\neku = serverAuth\n";
	static const char *const bad[][2] = {
		{ "listen = 127.0.0.1", "[acme] listen = 127.0.0.1: '127.0.0.1' is not ADDR:PORT" },
		{ "listen = acme.example.org:443", "is not ADDR:PORT" },
		{ "listen = 127.0.0.1:65536", "is not ADDR:PORT" },
		{ "resolver = 127.0.0.1", "[acme] resolver = 127.0.0.1:" },
		{ "hostname = -bad-.example.org", "[acme] hostname = -bad-.example.org:" },
		{ "hostname = 192.0.2.1", "[acme] hostname = 192.0.2.1:" },
		{ "eab = yes please", "expected required or no" },
		{ "tls = maybe", "expected yes or no" },
		{ "http01_port = 80x", "expected a port number" },
		{ "tlsalpn01_port = 0", "expected a port number" },
		{ "profile = Web Server", "a profile name is" },
		{ "listn = 127.0.0.1:1", "unknown key (known keys: listen, hostname" },
	};
	struct pol_config cfg;
	char text[256];

	cr_assert_eq(pol_config_load_mem("mem.conf", "", 0, &cfg), 0, "%s", mc_err());
	cr_expect_null(cfg.acme.listen);
	cr_expect_null(cfg.acme.hostname);
	cr_expect_eq(cfg.acme.eab_required, 1);
	cr_expect_eq(cfg.acme.http01_port, 80);
	cr_expect_eq(cfg.acme.tlsalpn01_port, 443);
	cr_expect_eq(cfg.acme.tls, 1);
	pol_config_free(&cfg);

	cr_assert_eq(pol_config_load_mem("mem.conf", good, strlen(good), &cfg), 0, "%s", mc_err());
	cr_expect_str_eq(cfg.acme.listen, "[::1]:14000");
	cr_expect_str_eq(cfg.acme.hostname, "acme.example.org");
	cr_expect_eq(cfg.acme.eab_required, 0);
	cr_expect_str_eq(cfg.acme.profile, "web");
	cr_expect_str_eq(cfg.acme.resolver, "127.0.0.1:5353");
	cr_expect_eq(cfg.acme.http01_port, 5002);
	cr_expect_eq(cfg.acme.tlsalpn01_port, 5001);
	cr_expect_eq(cfg.acme.tls, 0);
	pol_config_free(&cfg);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[acme]\n%s\n", bad[i][0]);
		cr_expect_eq(pol_config_load_mem("mem.conf", text, strlen(text), &cfg), -1, "%s", bad[i][0]);
		cr_expect(strstr(mc_err(), bad[i][1]) != NULL, "%s: %s", bad[i][0], mc_err());
	}
}

Test(config_mem, addr_port_split)
{
	char addr[64];
	int port = 0;

	cr_expect_eq(pol_addr_port_split("127.0.0.1:14000", addr, sizeof(addr), &port), 0);
	cr_expect_str_eq(addr, "127.0.0.1");
	cr_expect_eq(port, 14000);
	cr_expect_eq(pol_addr_port_split("[::1]:53", addr, sizeof(addr), &port), 0);
	cr_expect_str_eq(addr, "::1");
	cr_expect_eq(port, 53);
	cr_expect_eq(pol_addr_port_split(":53", addr, sizeof(addr), &port), -1);
	cr_expect_eq(pol_addr_port_split("127.0.0.1:+53", addr, sizeof(addr), &port), -1);
	cr_expect_eq(pol_addr_port_split("127.0.0.1:0", addr, sizeof(addr), &port), -1);
	cr_expect_eq(pol_addr_port_split("127.0.0.1:53", addr, 4, &port), -1);
}
