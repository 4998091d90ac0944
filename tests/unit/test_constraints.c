/* nameConstraints read back (ca/constraints.c): IP ranges as CIDR, the
 * permitted list, and the refusal that names it. */
#include <arpa/inet.h>

#include "leaf_fixture.h"

Test(constraints, ip_ranges_as_cidr)
{
	EVP_PKEY *k = fx_key("ec256");
	X509 *root = fx_root_ex(k, "critical,permitted;DNS:example.org,"
	    "permitted;IP:10.0.0.0/255.0.0.0,permitted;IP:fd00:0:0:0:0:0:0:0/ff00:0:0:0:0:0:0:0,"
	    "excluded;IP:10.1.0.0/255.0.255.0", 1);
	struct mc_strv ips = { 0 };
	unsigned char ip[4];
	char *t = ca_cert_constraints_text(root);

	cr_assert_not_null(t);
	cr_assert_str_eq(t, "permitted:DNS:example.org, permitted:IP:10.0.0.0/8, "
	    "permitted:IP:fd00::/8, excluded:IP:10.1.0.0/255.0.255.0");
	cr_assert_eq(ca_cert_permitted_ip(root, &ips), 0);
	cr_assert_eq(ips.n, 2);
	cr_assert_str_eq(ips.v[0], "10.0.0.0/8");
	cr_assert_str_eq(ips.v[1], "fd00::/8");
	cr_assert_eq(inet_pton(AF_INET, "192.0.2.1", ip), 1);
	cr_assert_eq(ca_cert_ip_check(root, ip, 4, "192.0.2.1"), -1);
	cr_assert_str_eq(mc_err(), "IP address 192.0.2.1 is outside the root's name constraints "
	    "(permitted: 10.0.0.0/8, fd00::/8)");
	cr_assert_eq(inet_pton(AF_INET, "10.2.3.4", ip), 1);
	cr_assert_eq(ca_cert_ip_check(root, ip, 4, "10.2.3.4"), 0);
	free(t);
	mc_strv_free(&ips);
	X509_free(root);
	EVP_PKEY_free(k);
}

Test(constraints, no_ip_permitted_says_so)
{
	EVP_PKEY *k = fx_key("ec256");
	X509 *root = fx_root_ex(k, "critical,permitted;DNS:example.org,"
	    "excluded;IP:0.0.0.0/0.0.0.0,excluded;IP:0:0:0:0:0:0:0:0/0:0:0:0:0:0:0:0", 1);
	unsigned char ip[4] = { 192, 0, 2, 1 };
	char *t = ca_cert_constraints_text(root);

	cr_assert_str_eq(t, "permitted:DNS:example.org, excluded:IP:0.0.0.0/0, excluded:IP:::/0");
	cr_assert_eq(ca_cert_ip_check(root, ip, 4, "192.0.2.1"), -1);
	cr_assert(strstr(mc_err(), "made without 'init --permit-ip CIDR'") != NULL, "%s", mc_err());
	free(t);
	X509_free(root);
	EVP_PKEY_free(k);
}
