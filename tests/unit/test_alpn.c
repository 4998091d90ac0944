/*
 * tls-alpn-01 (RFC 8737, RFC 8738 §6): the certificate check against
 * certificates made by the openssl command (not by minica), and the
 * whole validation against a TLS server on 127.0.0.1 run on a thread
 * here: right and wrong ALPN, the SNI it sends (the reverse-DNS name for
 * an IP), a silent server (bounded time), a closed port.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "../../acme/internal.h"

#define KEYAUTH "tok3n-abc.thumbprint-xyz"
#define TEST_LIMIT 20

static char dir[] = "/tmp/minica-alpn-XXXXXX";

static void
setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

/* hex of SHA-256(text), as the openssl command's DER: extension value wants it. */
static void
sha_hex(const char *text, char out[65])
{
	unsigned char md[32];

	cr_assert(EVP_Digest(text, strlen(text), md, NULL, EVP_sha256(), NULL));
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* A self-signed certificate from 'openssl req -x509' with the extra
 * -addext arguments given (already quoted); its key in NAME.key. */
static X509 *
openssl_cert(const char *name, const char *addext)
{
	char cmd[2048], path[256];
	FILE *f;
	X509 *x;

	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	    "-keyout '%s/%s.key' -out '%s/%s.crt' -subj /CN=acme-challenge -days 1 %s 2>'%s/%s.err'",
	    dir, name, dir, name, addext, dir, name);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	snprintf(path, sizeof(path), "%s/%s.crt", dir, name);
	cr_assert_not_null(f = fopen(path, "r"));
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	cr_assert_not_null(x);
	return x;
}

/* The usual answer: SAN, and the critical extension over keyauth. */
static X509 *
answer(const char *name, const char *san, const char *keyauth)
{
	char hex[65], ext[512];

	sha_hex(keyauth, hex);
	snprintf(ext, sizeof(ext), "-addext 'subjectAltName=%s' -addext '1.3.6.1.5.5.7.1.31=critical,DER:0420%s'",
	    san, hex);
	return openssl_cert(name, ext);
}

Test(alpn, good_dns, .init = setup, .fini = teardown)
{
	struct acme_problem p = { 0 };
	X509 *x = answer("good", "DNS:a.example.test", KEYAUTH);

	cr_assert_eq(acme_tlsalpn01_cert_check(x, "dns", "a.example.test", KEYAUTH, &p), 0, "%s", p.detail);
	/* dNSNames compare without ASCII case. */
	cr_assert_eq(acme_tlsalpn01_cert_check(x, "dns", "A.Example.TEST", KEYAUTH, &p), 0, "%s", p.detail);
	X509_free(x);
}

Test(alpn, good_ip, .init = setup, .fini = teardown)
{
	struct acme_problem p = { 0 };
	X509 *v4 = answer("v4", "IP:192.0.2.7", KEYAUTH), *v6 = answer("v6", "IP:2001:db8::7", KEYAUTH);

	cr_assert_eq(acme_tlsalpn01_cert_check(v4, "ip", "192.0.2.7", KEYAUTH, &p), 0, "%s", p.detail);
	cr_assert_eq(acme_tlsalpn01_cert_check(v6, "ip", "2001:db8::7", KEYAUTH, &p), 0, "%s", p.detail);
	/* Another address, and the address as a DNS identifier, are not it. */
	cr_assert_eq(acme_tlsalpn01_cert_check(v4, "ip", "192.0.2.8", KEYAUTH, &p), -1);
	cr_assert_eq(acme_tlsalpn01_cert_check(v4, "dns", "192.0.2.7", KEYAUTH, &p), -1);
	X509_free(v4);
	X509_free(v6);
}

/* Text inline, not pointers: Criterion hands the table to a re-executed
 * worker, where the parent's addresses mean nothing. */
struct bad {
	char name[16];
	char addext[256];	/* HASH: the right digest's hex */
	char type[4], value[32];
	char why[32];		/* in the detail */
};

ParameterizedTestParameters(alpn, refused)
{
	static struct bad bad_certs[] = {
		{ "wrong_hash", "-addext 'subjectAltName=DNS:a.example.test' -addext '1.3.6.1.5.5.7.1.31=critical,"
		  "DER:04200000000000000000000000000000000000000000000000000000000000000000'", "dns", "a.example.test",
		  "not SHA-256" },
		{ "not_critical", "-addext 'subjectAltName=DNS:a.example.test' -addext '1.3.6.1.5.5.7.1.31=DER:0420HASH'",
		  "dns", "a.example.test", "not critical" },
		{ "two_sans", "-addext 'subjectAltName=DNS:a.example.test,DNS:b.example.test' "
		  "-addext '1.3.6.1.5.5.7.1.31=critical,DER:0420HASH'", "dns", "a.example.test", "exactly one" },
		{ "dns_and_ip", "-addext 'subjectAltName=IP:192.0.2.7,DNS:a.example.test' "
		  "-addext '1.3.6.1.5.5.7.1.31=critical,DER:0420HASH'", "ip", "192.0.2.7", "exactly one" },
		{ "other_name", "-addext 'subjectAltName=DNS:b.example.test' -addext '1.3.6.1.5.5.7.1.31=critical,DER:0420HASH'",
		  "dns", "a.example.test", "is not the dNSName" },
		{ "suffix_name", "-addext 'subjectAltName=DNS:a.example.test.evil' "
		  "-addext '1.3.6.1.5.5.7.1.31=critical,DER:0420HASH'", "dns", "a.example.test", "is not the dNSName" },
		{ "no_san", "-addext '1.3.6.1.5.5.7.1.31=critical,DER:0420HASH'", "dns", "a.example.test", "no (readable)" },
		{ "no_extension", "-addext 'subjectAltName=DNS:a.example.test'", "dns", "a.example.test", "no acmeIdentifier" },
		/* The draft's OID (python3-acme 2.1 still makes it). */
		{ "draft_oid", "-addext 'subjectAltName=DNS:a.example.test' -addext '1.3.6.1.5.5.7.1.30.1=critical,DER:0420HASH'",
		  "dns", "a.example.test", "no acmeIdentifier" },
		/* The bare digest, not wrapped in an OCTET STRING. */
		{ "bare_digest", "-addext 'subjectAltName=DNS:a.example.test' -addext '1.3.6.1.5.5.7.1.31=critical,DER:HASH'",
		  "dns", "a.example.test", "OCTET STRING of 32" },
		{ "short_digest", "-addext 'subjectAltName=DNS:a.example.test' "
		  "-addext '1.3.6.1.5.5.7.1.31=critical,DER:0410000102030405060708090a0b0c0d0e0f'", "dns", "a.example.test",
		  "OCTET STRING of 32" },
	};

	return cr_make_param_array(struct bad, bad_certs, sizeof(bad_certs) / sizeof(bad_certs[0]));
}

ParameterizedTest(struct bad *b, alpn, refused, .init = setup, .fini = teardown)
{
	struct acme_problem p = { 0 };
	char hex[65], ext[1024];
	X509 *x;

	const char *h = strstr(b->addext, "HASH");

	sha_hex(KEYAUTH, hex);
	if (h != NULL)
		snprintf(ext, sizeof(ext), "%.*s%s%s", (int)(h - b->addext), b->addext, hex, h + 4);
	else
		snprintf(ext, sizeof(ext), "%s", b->addext);
	x = openssl_cert(b->name, ext);
	cr_assert_eq(acme_tlsalpn01_cert_check(x, b->type, b->value, KEYAUTH, &p), -1, "%s accepted", b->name);
	cr_assert_eq(p.status, 403, "%s: %d", b->name, p.status);
	cr_assert_str_eq(p.type, "unauthorized");
	cr_assert(strstr(p.detail, b->why) != NULL, "%s: '%s' lacks '%s'", b->name, p.detail, b->why);
	X509_free(x);
}

Test(alpn, names)
{
	char out[128], canon[64];

	cr_assert_eq(acme_ip_reverse_name("192.0.2.1", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "1.2.0.192.in-addr.arpa");
	cr_assert_eq(acme_ip_reverse_name("2001:db8::567:89ab", out, sizeof(out)), 0);
	/* RFC 3596 §2.5's example, nibbles reversed. */
	cr_assert_str_eq(out, "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
	cr_assert_eq(acme_ip_reverse_name("192.0.2.1", out, 10), -1);
	cr_assert_eq(acme_ip_reverse_name("example.test", out, sizeof(out)), -1);

	cr_assert_eq(acme_ip_canonical("2001:DB8:0:0:0:0:0:1", canon), 0);
	cr_assert_str_eq(canon, "2001:db8::1");
	/* RFC 5952 §4.2.2: one zero group stays. */
	cr_assert_eq(acme_ip_canonical("2001:db8:0:1:1:1:1:1", canon), 0);
	cr_assert_str_eq(canon, "2001:db8:0:1:1:1:1:1");
	cr_assert_eq(acme_ip_canonical("192.0.2.1", canon), 0);
	cr_assert_str_eq(canon, "192.0.2.1");
	cr_assert_eq(acme_ip_canonical("010.0.0.1", canon), -1);
	cr_assert_eq(acme_ip_canonical("1.2.3", canon), -1);
	cr_assert_eq(acme_ip_canonical("fe80::1%eth0", canon), -1);
}

/* ---- a TLS server on a thread ---- */

enum alpn_mode { SELECT_ACME, NO_ALPN, SELECT_NONE, SILENT };

struct server {
	int lfd, port;
	enum alpn_mode mode;
	char crt[256], key[256];
	char sni[256];		/* what the client sent */
	pthread_t th;
};

static int
on_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in, unsigned int inlen,
    void *arg)
{
	struct server *s = arg;

	(void)ssl;
	if (s->mode == SELECT_NONE)
		return SSL_TLSEXT_ERR_NOACK;
	if (inlen == 11 && memcmp(in, "\x0a" "acme-tls/1", 11) == 0) {
		*out = in + 1;
		*outlen = 10;
		return SSL_TLSEXT_ERR_OK;
	}
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

static void *
serve_one(void *arg)
{
	struct server *s = arg;
	struct pollfd pfd = { .fd = s->lfd, .events = POLLIN };
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	SSL *ssl = NULL;
	int fd = -1;
	const char *sni;
	sigset_t pipe;

	/* The client hangs up mid-handshake when it refuses: no SIGPIPE here. */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, NULL);

	if (ctx == NULL || SSL_CTX_use_certificate_file(ctx, s->crt, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, s->key, SSL_FILETYPE_PEM) != 1)
		goto out;
	if (s->mode != NO_ALPN)
		SSL_CTX_set_alpn_select_cb(ctx, on_alpn, s);
	if (poll(&pfd, 1, 10000) != 1 || (fd = accept(s->lfd, NULL, NULL)) < 0)
		goto out;
	if (s->mode == SILENT) {
		char c;

		/* Reads the ClientHello and never answers, until the client gives up. */
		while (read(fd, &c, 1) > 0)
			;
		goto out;
	}
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1)
		goto out;
	SSL_accept(ssl);
	if ((sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) != NULL)
		snprintf(s->sni, sizeof(s->sni), "%s", sni);
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void
server_start(struct server *s, enum alpn_mode mode, const char *name, const char *san, const char *keyauth)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);

	memset(s, 0, sizeof(*s));
	s->mode = mode;
	X509_free(answer(name, san, keyauth));
	snprintf(s->crt, sizeof(s->crt), "%s/%s.crt", dir, name);
	snprintf(s->key, sizeof(s->key), "%s/%s.key", dir, name);
	cr_assert((s->lfd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	cr_assert_eq(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(s->lfd, 4), 0);
	cr_assert_eq(getsockname(s->lfd, (struct sockaddr *)&sa, &len), 0);
	s->port = ntohs(sa.sin_port);
	cr_assert_eq(pthread_create(&s->th, NULL, serve_one, s), 0);
}

static void
server_join(struct server *s)
{
	pthread_join(s->th, NULL);
	close(s->lfd);
}

Test(alpn, handshake_dns, .init = setup, .fini = teardown, .timeout = TEST_LIMIT)
{
	struct acme_problem p = { 0 };
	struct server s;

	/* localhost: the system's resolver (/etc/hosts) gives 127.0.0.1 (and
	 * maybe ::1 first, refused, then the next address). */
	server_start(&s, SELECT_ACME, "hs", "DNS:localhost", KEYAUTH);
	cr_assert_eq(acme_tlsalpn01_check("dns", "localhost", s.port, KEYAUTH, 3000, &p), 0, "%s", p.detail);
	server_join(&s);
	cr_assert_str_eq(s.sni, "localhost");
}

Test(alpn, handshake_ip_sni_reverse, .init = setup, .fini = teardown, .timeout = TEST_LIMIT)
{
	struct acme_problem p = { 0 };
	struct server s;

	server_start(&s, SELECT_ACME, "ip", "IP:127.0.0.1", KEYAUTH);
	cr_assert_eq(acme_tlsalpn01_check("ip", "127.0.0.1", s.port, KEYAUTH, 3000, &p), 0, "%s", p.detail);
	server_join(&s);
	cr_assert_str_eq(s.sni, "1.0.0.127.in-addr.arpa");
}

Test(alpn, handshake_wrong_keyauth, .init = setup, .fini = teardown, .timeout = TEST_LIMIT)
{
	struct acme_problem p = { 0 };
	struct server s;

	server_start(&s, SELECT_ACME, "wk", "IP:127.0.0.1", "another.keyauth");
	cr_assert_eq(acme_tlsalpn01_check("ip", "127.0.0.1", s.port, KEYAUTH, 3000, &p), -1);
	server_join(&s);
	cr_assert_str_eq(p.type, "unauthorized");
	cr_assert(strstr(p.detail, "SHA-256") != NULL, "%s", p.detail);
}

/* A server that does not speak ALPN, or declines acme-tls/1, serves
 * some other certificate: even the right one is refused without it. */
Test(alpn, wrong_alpn_none, .init = setup, .fini = teardown, .timeout = TEST_LIMIT)
{
	struct acme_problem p = { 0 };
	struct server s;

	server_start(&s, NO_ALPN, "na", "IP:127.0.0.1", KEYAUTH);
	cr_assert_eq(acme_tlsalpn01_check("ip", "127.0.0.1", s.port, KEYAUTH, 3000, &p), -1);
	server_join(&s);
	cr_assert_str_eq(p.type, "unauthorized");
	cr_assert(strstr(p.detail, "did not negotiate ALPN acme-tls/1") != NULL, "%s", p.detail);
}

Test(alpn, wrong_alpn_declined, .init = setup, .fini = teardown, .timeout = TEST_LIMIT)
{
	struct acme_problem p = { 0 };
	struct server s;

	server_start(&s, SELECT_NONE, "sn", "IP:127.0.0.1", KEYAUTH);
	cr_assert_eq(acme_tlsalpn01_check("ip", "127.0.0.1", s.port, KEYAUTH, 3000, &p), -1);
	server_join(&s);
	cr_assert(strstr(p.detail, "did not negotiate ALPN acme-tls/1") != NULL, "%s", p.detail);
}

Test(alpn, silent_server_bounded, .init = setup, .fini = teardown, .timeout = TEST_LIMIT)
{
	struct acme_problem p = { 0 };
	struct timespec a, b;
	struct server s;
	long ms;

	server_start(&s, SILENT, "si", "IP:127.0.0.1", KEYAUTH);
	clock_gettime(CLOCK_MONOTONIC, &a);
	cr_assert_eq(acme_tlsalpn01_check("ip", "127.0.0.1", s.port, KEYAUTH, 500, &p), -1);
	clock_gettime(CLOCK_MONOTONIC, &b);
	server_join(&s);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	cr_assert(ms >= 400 && ms < 3000, "took %ld ms", ms);
	cr_assert_str_eq(p.type, "connection");
	cr_assert(strstr(p.detail, "timed out") != NULL, "%s", p.detail);
}

Test(alpn, closed_port, .init = setup, .fini = teardown, .timeout = TEST_LIMIT)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	struct acme_problem p = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	/* A port just bound and closed again: nothing listens there. */
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	cr_assert_eq(acme_tlsalpn01_check("ip", "127.0.0.1", ntohs(sa.sin_port), KEYAUTH, 2000, &p), -1);
	cr_assert_str_eq(p.type, "connection");
	cr_assert(strstr(p.detail, "refused") != NULL, "%s", p.detail);
}
