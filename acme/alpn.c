/*
 * tls-alpn-01 (RFC 8737, RFC 8738 §6): one TLS handshake offering only
 * acme-tls/1, bounded in time, and the check of the self-made
 * certificate the client answers with.  OpenSSL directly: no
 * certificate verification (RFC 8737 §4: the signature is not what is
 * validated), TLS 1.2 or later (§4).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "../policy/policy.h"
#include "internal.h"

#define ACME_IDENTIFIER_OID "1.3.6.1.5.5.7.1.31"

int
acme_ip_canonical(const char *in, char canon[64])
{
	unsigned char bin[16];
	size_t len;

	return pol_ip_parse(in, bin, &len, canon);
}

int
acme_ip_reverse_name(const char *ip, char *out, size_t len)
{
	unsigned char b[16];
	size_t n, w = 0;
	int r;

	if (pol_ip_parse(ip, b, &n, NULL) < 0)
		return -1;
	out[0] = '\0';
	for (size_t i = n; i-- > 0;) {
		r = n == 4 ? snprintf(out + w, len - w, "%u.", b[i])
		    : snprintf(out + w, len - w, "%x.%x.", b[i] & 0xf, b[i] >> 4);
		if (r < 0 || (size_t)r >= len - w)
			goto small;
		w += (size_t)r;
	}
	r = snprintf(out + w, len - w, "%s", n == 4 ? "in-addr.arpa" : "ip6.arpa");
	if (r >= 0 && (size_t)r < len - w)
		return 0;
small:
	mc_seterr("reverse name of '%s' does not fit", ip);
	return -1;
}

/* ---- the certificate ---- */

/* Exactly one subjectAltName extension holding exactly one name: the identifier. */
static int
san_check(X509 *x, const char *type, const char *value, struct acme_problem *p)
{
	int crit = 0, ok = 0;
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	const GENERAL_NAME *g;

	if (gens == NULL) {
		acme_problem_set(p, 403, "unauthorized", "the tls-alpn-01 certificate has %s subjectAltName",
		    crit == -2 ? "more than one" : "no (readable)");
		return -1;
	}
	if (sk_GENERAL_NAME_num(gens) != 1) {
		acme_problem_set(p, 403, "unauthorized", "the tls-alpn-01 certificate names %d subjects; "
		    "RFC 8737 wants exactly one, '%.200s'", sk_GENERAL_NAME_num(gens), value);
		goto out;
	}
	g = sk_GENERAL_NAME_value(gens, 0);
	if (strcmp(type, "ip") == 0 && g->type == GEN_IPADD) {
		unsigned char bin[16];
		size_t n;

		ok = pol_ip_parse(value, bin, &n, NULL) == 0 && ASN1_STRING_length(g->d.iPAddress) == (int)n &&
		    memcmp(ASN1_STRING_get0_data(g->d.iPAddress), bin, n) == 0;
	} else if (strcmp(type, "dns") == 0 && g->type == GEN_DNS) {
		size_t n = strlen(value);

		ok = ASN1_STRING_length(g->d.dNSName) == (int)n &&
		    strncasecmp((const char *)ASN1_STRING_get0_data(g->d.dNSName), value, n) == 0;
	}
	if (!ok)
		acme_problem_set(p, 403, "unauthorized", "the tls-alpn-01 certificate's subjectAltName is not "
		    "the %s '%.200s'", strcmp(type, "ip") == 0 ? "iPAddress" : "dNSName", value);
out:
	GENERAL_NAMES_free(gens);
	return ok ? 0 : -1;
}

/* The critical id-pe-acmeIdentifier: OCTET STRING (SIZE (32)) of SHA-256(keyauth). */
static int
acme_ext_check(X509 *x, const char *keyauth, struct acme_problem *p)
{
	ASN1_OBJECT *oid = OBJ_txt2obj(ACME_IDENTIFIER_OID, 1);
	ASN1_OCTET_STRING *os = NULL;
	const ASN1_OCTET_STRING *data;
	const unsigned char *q;
	unsigned char md[32];
	X509_EXTENSION *ext;
	int idx, rc = -1;

	if (oid == NULL || EVP_Digest(keyauth, strlen(keyauth), md, NULL, EVP_sha256(), NULL) != 1) {
		acme_problem_set(p, 500, "serverInternal", "cannot digest the key authorization");
		goto out;
	}
	if ((idx = X509_get_ext_by_OBJ(x, oid, -1)) < 0 || X509_get_ext_by_OBJ(x, oid, idx) >= 0) {
		acme_problem_set(p, 403, "unauthorized", "the tls-alpn-01 certificate has %s acmeIdentifier "
		    "extension (" ACME_IDENTIFIER_OID ")", idx < 0 ? "no" : "more than one");
		goto out;
	}
	ext = X509_get_ext(x, idx);
	if (!X509_EXTENSION_get_critical(ext)) {
		acme_problem_set(p, 403, "unauthorized", "the tls-alpn-01 certificate's acmeIdentifier extension "
		    "is not critical (RFC 8737 §3)");
		goto out;
	}
	data = X509_EXTENSION_get_data(ext);
	q = ASN1_STRING_get0_data(data);
	if ((os = d2i_ASN1_OCTET_STRING(NULL, &q, ASN1_STRING_length(data))) == NULL ||
	    q != ASN1_STRING_get0_data(data) + ASN1_STRING_length(data) || ASN1_STRING_length(os) != 32) {
		acme_problem_set(p, 403, "unauthorized", "the tls-alpn-01 certificate's acmeIdentifier is not "
		    "an OCTET STRING of 32 bytes");
		goto out;
	}
	if (CRYPTO_memcmp(ASN1_STRING_get0_data(os), md, sizeof(md)) != 0) {
		acme_problem_set(p, 403, "unauthorized", "the tls-alpn-01 certificate's acmeIdentifier is not "
		    "SHA-256 of the key authorization");
		goto out;
	}
	rc = 0;
out:
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(oid);
	ERR_clear_error();
	return rc;
}

int
acme_tlsalpn01_cert_check(X509 *x, const char *type, const char *value, const char *keyauth,
    struct acme_problem *p)
{
	if (x == NULL)
		return acme_problem_set(p, 403, "unauthorized", "no certificate was presented"), -1;
	if (san_check(x, type, value, p) < 0 || acme_ext_check(x, keyauth, p) < 0)
		return -1;
	return 0;
}

/* ---- the connection ---- */

static long
ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long)(deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? ms : 0;
}

/* waits for fd to become ready for ev until the deadline: 1 ready, 0 timed out. */
static int
wait_fd(int fd, short ev, const struct timespec *deadline)
{
	struct pollfd pfd = { .fd = fd, .events = ev };
	int r;

	do
		r = poll(&pfd, 1, (int)ms_left(deadline));
	while (r < 0 && errno == EINTR);
	return r > 0;
}

/* A non-blocking TCP connection to one address before the deadline; -1 with errno. */
static int
connect_one(const struct sockaddr *sa, socklen_t salen, const struct timespec *deadline)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), err = 0;
	socklen_t el = sizeof(err);

	if (fd < 0)
		return -1;
	if (connect(fd, sa, salen) == 0)
		return fd;
	if (errno != EINPROGRESS)
		goto fail;
	if (!wait_fd(fd, POLLOUT, deadline)) {
		err = ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err != 0)
		goto fail;
	return fd;
fail:
	err = err != 0 ? err : errno;
	close(fd);
	errno = err;
	return -1;
}

/* The identifier's addresses, each tried until one connects. */
static int
connect_to(const char *type, const char *value, int port, const struct timespec *deadline,
    struct acme_problem *p)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	char ps[8];
	int r, fd = -1, err = 0;

	snprintf(ps, sizeof(ps), "%d", port);
	/* An IP is the address itself, never looked up. */
	hints.ai_flags = strcmp(type, "ip") == 0 ? AI_NUMERICHOST : 0;
	if ((r = getaddrinfo(value, ps, &hints, &res)) != 0) {
		acme_problem_set(p, 400, "dns", "cannot look up '%.200s': %s", value, gai_strerror(r));
		return -1;
	}
	for (const struct addrinfo *a = res; a != NULL && fd < 0 && ms_left(deadline) > 0; a = a->ai_next)
		if ((fd = connect_one(a->ai_addr, a->ai_addrlen, deadline)) < 0)
			err = errno;
	freeaddrinfo(res);
	if (fd < 0)
		acme_problem_set(p, 400, "connection", "cannot connect to %.200s port %d: %s", value, port,
		    err != 0 ? strerror(err) : "timed out");
	return fd;
}

static SSL *
client_ssl(SSL_CTX **ctx, int fd, const char *sni)
{
	static const unsigned char alpn[] = "\x0a" ACME_TLSALPN01_PROTO;
	SSL *ssl = NULL;

	if ((*ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(*ctx, TLS1_2_VERSION) != 1)
		return NULL;
	SSL_CTX_set_verify(*ctx, SSL_VERIFY_NONE, NULL);
	if ((ssl = SSL_new(*ctx)) == NULL)
		return NULL;
	/* SSL_set_alpn_protos returns 0 on success. */
	if (SSL_set_fd(ssl, fd) != 1 || SSL_set_tlsext_host_name(ssl, sni) != 1 ||
	    SSL_set_alpn_protos(ssl, alpn, sizeof(alpn) - 1) != 0) {
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

/* The handshake before the deadline; 0, or -1 with the problem set. */
static int
handshake(SSL *ssl, int fd, const char *where, const struct timespec *deadline, struct acme_problem *p)
{
	for (;;) {
		int r = SSL_connect(ssl), e;
		unsigned long ec;

		if (r == 1)
			return 0;
		e = SSL_get_error(ssl, r);
		if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) &&
		    wait_fd(fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline))
			continue;
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			acme_problem_set(p, 400, "connection", "TLS handshake with %s timed out", where);
			return -1;
		}
		ec = ERR_peek_last_error();
		acme_problem_set(p, 400, "tls", "TLS handshake with %s (ALPN " ACME_TLSALPN01_PROTO ") failed: %s",
		    where, ec != 0 ? ERR_reason_error_string(ec) : "connection closed");
		ERR_clear_error();
		return -1;
	}
}

static int
alpn_run(const char *type, const char *value, int port, const char *keyauth, int timeout_ms,
    struct acme_problem *p)
{
	struct timespec deadline;
	char sni[256], where[300];
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	const unsigned char *proto = NULL;
	unsigned int plen = 0;
	int fd = -1, rc = -1;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	if (strcmp(type, "ip") == 0 ? acme_ip_reverse_name(value, sni, sizeof(sni)) < 0
	    : snprintf(sni, sizeof(sni), "%s", value) >= (int)sizeof(sni)) {
		acme_problem_set(p, 400, "malformed", "cannot make a TLS server name for '%.200s'", value);
		return -1;
	}
	snprintf(where, sizeof(where), "%.200s port %d", value, port);
	if ((fd = connect_to(type, value, port, &deadline, p)) < 0)
		goto out;
	if ((ssl = client_ssl(&ctx, fd, sni)) == NULL) {
		acme_problem_set(p, 500, "serverInternal", "cannot set up TLS for tls-alpn-01");
		goto out;
	}
	if (handshake(ssl, fd, where, &deadline, p) < 0)
		goto out;
	SSL_get0_alpn_selected(ssl, &proto, &plen);
	if (plen != sizeof(ACME_TLSALPN01_PROTO) - 1 || memcmp(proto, ACME_TLSALPN01_PROTO, plen) != 0) {
		acme_problem_set(p, 403, "unauthorized", "%s did not negotiate ALPN " ACME_TLSALPN01_PROTO
		    " (got '%.*s')", where, (int)(plen < 40 ? plen : 40), plen > 0 ? (const char *)proto : "");
		goto out;
	}
	rc = acme_tlsalpn01_cert_check(SSL_get0_peer_certificate(ssl), type, value, keyauth, p);
	/* §4: no application data; close_notify once, without waiting. */
	SSL_shutdown(ssl);
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	ERR_clear_error();
	return rc;
}

int
acme_tlsalpn01_check(const char *type, const char *value, int port, const char *keyauth, int timeout_ms,
    struct acme_problem *p)
{
	sigset_t pipe, old, pending;
	int was_pending, masked = 0, rc;

	/* OpenSSL writes with write(2): a client that resets the connection
	 * would raise SIGPIPE and end the server.  Held back on this thread
	 * and one we caused swallowed, the process's disposition untouched. */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	if (pthread_sigmask(SIG_BLOCK, &pipe, &old) == 0)
		masked = 1;
	rc = alpn_run(type, value, port, keyauth, timeout_ms, p);
	if (masked) {
		struct timespec zero = { 0, 0 };

		sigpending(&pending);
		if (!was_pending && sigismember(&pending, SIGPIPE))
			while (sigtimedwait(&pipe, NULL, &zero) < 0 && errno == EINTR)
				;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	return rc;
}
