/*
 * tls-alpn-01 (RFC 8737) and IP identifiers (RFC 8738): the validator's
 * TLS handshake, the check of the certificate the client presents, and
 * the text forms of IP addresses.  Functions set the problem (or mc_err)
 * and return 0/-1; they never print.
 */
#ifndef MINICA_ACME_ALPN_H
#define MINICA_ACME_ALPN_H

#include <stddef.h>

#include <openssl/x509.h>

#include "acme.h"

#define ACME_TLSALPN01_TIMEOUT 10	/* seconds for connect and handshake together */
#define ACME_TLSALPN01_PROTO "acme-tls/1"

/*
 * Connects to the identifier (type "dns": its addresses through the
 * system's resolver; "ip": the address itself) on port, offers ALPN
 * acme-tls/1 alone with SNI the name (for an IP its reverse-DNS name,
 * RFC 8738 §6), TLS 1.2 or later, within timeout_ms for connect and
 * handshake together, requires acme-tls/1 negotiated and then checks the
 * presented certificate with acme_tlsalpn01_cert_check.  No other
 * verification: the certificate is the answer, not a credential.
 */
int acme_tlsalpn01_check(const char *type, const char *value, int port, const char *keyauth, int timeout_ms,
    struct acme_problem *p);

/* The certificate alone: a subjectAltName with exactly one name, the
 * identifier (a dNSName equal to it ignoring ASCII case, or an iPAddress
 * of the same octets), and exactly one id-pe-acmeIdentifier extension
 * (1.3.6.1.5.5.7.1.31), critical, whose value is the DER OCTET STRING of
 * SHA-256(keyauth). */
int acme_tlsalpn01_cert_check(X509 *x, const char *type, const char *value, const char *keyauth,
    struct acme_problem *p);

/* The identifier's canonical text (RFC 8738 §3: RFC 1123 dotted quad,
 * RFC 5952 for IPv6) into canon (64 bytes); -1 (mc_err) for text that is
 * no address.  Whether in was already canonical is strcmp(in, canon). */
int acme_ip_canonical(const char *in, char canon[64]);

/* The reverse-DNS name of an IP address (RFC 1035 §3.5 in-addr.arpa,
 * RFC 3596 §2.5 ip6.arpa nibbles), without the final dot. */
int acme_ip_reverse_name(const char *ip, char *out, size_t len);

#endif
