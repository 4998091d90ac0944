/* The configuration lines each daemon needs for what minica deploys. */
#include <string.h>

#include "deploy.h"

const char *
dep_snippet_profile(const char *daemon)
{
	if (strcmp(daemon, "postfix") == 0)
		return "smtpd";
	if (strcmp(daemon, "dovecot") == 0 || strcmp(daemon, "nginx") == 0)
		return daemon;
	mc_seterr("unknown service '%s' (postfix, dovecot or nginx)", daemon);
	return NULL;
}

/* smtpd_tls_chain_files (Postfix >= 3.4) takes the key first, then the
 * certificate with its chain; when set, Postfix ignores the older
 * smtpd_tls_cert_file / smtpd_tls_key_file (Debian's snakeoil lines). */
static int
postfix(const char *cert, const char *key, const char *ca, struct mc_buf *out)
{
	if (mc_buf_printf(out, "# Postfix: add to /etc/postfix/main.cf (later lines win)\n"
	    "smtpd_tls_chain_files = %s, %s\n", key, cert) < 0 ||
	    (ca != NULL && mc_buf_printf(out, "smtpd_tls_CAfile = %s\n", ca) < 0))
		return -1;
	return mc_buf_printf(out,
	    "smtpd_tls_security_level = may\n"
	    "smtpd_tls_protocols = >=TLSv1.2\n"
	    "smtpd_tls_mandatory_protocols = >=TLSv1.2\n"
	    "smtpd_tls_loglevel = 1\n"
	    "\n"
	    "# Outbound DANE (a suggestion: it needs a DNSSEC-validating resolver in\n"
	    "# /etc/resolv.conf, such as a local unbound).  Postfix then checks other\n"
	    "# servers' TLSA records and never falls back to clear text where they\n"
	    "# publish them; 'minica dane' prints the records for this server.\n"
	    "#smtp_dns_support_level = dnssec\n"
	    "#smtp_tls_security_level = dane\n"
	    "\n"
	    "# Postfix: in /etc/postfix/master.cf, add these -o lines to your existing\n"
	    "# 'submission inet ... smtpd' entry (port 587), below its other -o lines;\n"
	    "# keep its SASL options. Do not paste a second submission entry. If there\n"
	    "# is none, uncomment Debian's, which carries the SASL lines.\n"
	    "  -o smtpd_tls_security_level=encrypt\n"
	    "  -o smtpd_tls_auth_only=yes\n"
	    "\n"
	    "# then: postfix reload; 'minica snippet --check postfix' compares the live\n"
	    "# settings with what is deployed\n");
}

/* Without the '<' Dovecot takes the path as the certificate itself: it
 * starts fine and fails at the first handshake. */
static int
dovecot(const char *cert, const char *key, struct mc_buf *out)
{
	return mc_buf_printf(out, "# Dovecot: /etc/dovecot/conf.d/10-ssl.conf (the '<' is required)\n"
	    "ssl = required\n"
	    "ssl_cert = <%s\n"
	    "ssl_key = <%s\n"
	    "ssl_min_protocol = TLSv1.2\n"
	    "\n"
	    "# then: doveadm reload\n", cert, key);
}

/* nginx 1.22 leaves TLSv1.3 out unless it is listed. */
static int
nginx(const char *cert, const char *key, struct mc_buf *out)
{
	return mc_buf_printf(out, "# nginx: inside your server { listen 443 ssl; ... } block\n"
	    "ssl_certificate %s;\n"
	    "ssl_certificate_key %s;\n"
	    "ssl_protocols TLSv1.2 TLSv1.3;\n"
	    "\n"
	    "# then: nginx -t && nginx -s reload\n", cert, key);
}

int
dep_snippet(const char *daemon, const char *cert_path, const char *key_path, const char *ca_path,
    struct mc_buf *out)
{
	if (strcmp(daemon, "postfix") == 0)
		return postfix(cert_path, key_path, ca_path, out);
	if (strcmp(daemon, "dovecot") == 0)
		return dovecot(cert_path, key_path, out);
	if (strcmp(daemon, "nginx") == 0)
		return nginx(cert_path, key_path, out);
	mc_seterr("unknown service '%s' (postfix, dovecot or nginx)", daemon);
	return -1;
}
