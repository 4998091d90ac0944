/*
 * dep_probe against real servers on 127.0.0.1 (and ::1 when present):
 * `openssl s_server` for implicit TLS, and fake SMTP/IMAP servers forked
 * here (plaintext script, then libssl server side) for STARTTLS and for
 * every way a server can misbehave: refusing, staying silent, not
 * offering STARTTLS, garbage, endless or overlong lines, no TLS at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "deploy/deploy.h"
#include "leaf_fixture.h"

#define TMO 3000		/* ms, for probes expected to succeed */
#define SHORT_TMO 500		/* ms, for probes expected to time out */
/* Seconds per test.  One value for all: Criterion 2.4's runner leaks a
 * timer (LeakSanitizer fails the suite) when tests mix timeouts. */
#define TEST_LIMIT 20

static EVP_PKEY *key_a, *key_b;
static X509 *cert_a, *cert_b;
static char fpr_a[CA_FPR_LEN], fpr_b[CA_FPR_LEN];
static pid_t server_pid = -1;
static int server_out = -1;	/* s_server's stdout, open while it runs */
static char tmpdir[] = "/tmp/minica-probe-XXXXXX";

/* SHA-256 of the DER, hex, computed here rather than by cert.c. */
static void
der_sha256(X509 *x, char out[CA_FPR_LEN])
{
	unsigned char *der = NULL, md[32];
	int len = i2d_X509(x, &der);

	cr_assert(len > 0);
	cr_assert(EVP_Digest(der, (size_t)len, md, NULL, EVP_sha256(), NULL));
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	OPENSSL_free(der);
}

static void
setup(void)
{
	key_a = fx_key("ec256");
	key_b = fx_key("ec256");
	cert_a = fx_root_ex(key_a, "", 1);
	cert_b = fx_root_ex(key_b, "", 1);
	der_sha256(cert_a, fpr_a);
	der_sha256(cert_b, fpr_b);
	cr_assert_str_neq(fpr_a, fpr_b);
}

static void
teardown(void)
{
	char cmd[128];

	if (server_pid > 0) {
		kill(server_pid, SIGKILL);
		waitpid(server_pid, NULL, 0);
	}
	if (server_out >= 0)
		close(server_out);
	if (strstr(tmpdir, "XXXXXX") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		cr_assert_eq(system(cmd), 0);
	}
	X509_free(cert_a);
	X509_free(cert_b);
	EVP_PKEY_free(key_a);
	EVP_PKEY_free(key_b);
}

static long long
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- implicit TLS: openssl s_server ---- */

static void
write_pem(const char *name, X509 *x, EVP_PKEY *k)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	cr_assert_not_null(f = fopen(path, "w"));
	cr_assert(x != NULL ? PEM_write_X509(f, x) : PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL));
	cr_assert_eq(fclose(f), 0);
}

/* `openssl x509 -fingerprint -sha256` of tmpdir/a.crt, as dep_probe writes
 * it (lowercase, no colons): an independent reading of the file served. */
static void
openssl_fpr(char out[CA_FPR_LEN])
{
	char cmd[300], line[256];
	size_t n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "openssl x509 -noout -fingerprint -sha256 -in '%s/a.crt'", tmpdir);
	cr_assert_not_null(f = popen(cmd, "r"));
	cr_assert_not_null(fgets(line, sizeof(line), f));
	cr_assert_eq(pclose(f), 0);
	for (char *p = strchr(line, '=') + 1; *p != '\0' && *p != '\n' && n + 1 < CA_FPR_LEN; p++)
		if (*p != ':')
			out[n++] = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
	out[n] = '\0';
	cr_assert_eq(n, 64, "%s", line);
}

/* Starts s_server on addr port 0 and reads the port from its "ACCEPT
 * addr:port" line, waiting at most 5 s.  0 if it could not listen. */
static int
s_server_start(const char *addr)
{
	char accept[64], crt[256], key[256], err[256], out[512] = "", *acc = NULL, *colon;
	size_t len = 0;
	int pfd[2], devnull;
	long long end;
	ssize_t n;

	cr_assert_not_null(mkdtemp(tmpdir));
	write_pem("a.crt", cert_a, NULL);
	write_pem("a.key", NULL, key_a);
	snprintf(crt, sizeof(crt), "%s/a.crt", tmpdir);
	snprintf(key, sizeof(key), "%s/a.key", tmpdir);
	snprintf(err, sizeof(err), "%s/s_server.err", tmpdir);
	snprintf(accept, sizeof(accept), "%s:0", addr);
	cr_assert_eq(pipe(pfd), 0);
	server_pid = fork();
	cr_assert(server_pid >= 0);
	if (server_pid == 0) {
		devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(pfd[1], 1);
		dup2(open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600), 2);
		close(pfd[0]);
		execlp("openssl", "openssl", "s_server", "-accept", accept, "-cert", crt,
		    "-key", key, "-naccept", "1", "-www", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	end = ms_now() + 5000;
	/* Other lines ("Using default temp DH parameters") may come first. */
	while (((acc = strstr(out, "ACCEPT ")) == NULL || strchr(acc, '\n') == NULL) &&
	    len + 1 < sizeof(out) && ms_now() < end) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };

		if (poll(&p, 1, 100) <= 0)
			continue;
		if ((n = read(pfd[0], out + len, sizeof(out) - 1 - len)) <= 0)
			break;
		len += (size_t)n;
		out[len] = '\0';
	}
	/* Left open: s_server dies of SIGPIPE if its stdout goes away. */
	server_out = pfd[0];
	if (acc == NULL || strchr(acc, '\n') == NULL || (colon = strrchr(acc, ':')) == NULL) {
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "cat '%s' >&2", err);
		cr_log_warn("s_server said '%s'; stderr: %d", out, system(cmd));
		return 0;
	}
	return atoi(colon + 1);
}

Test(probe, implicit_tls_openssl_s_server, .init = setup, .fini = teardown, .timeout = TEST_LIMIT)
{
	char fpr[CA_FPR_LEN];
	int port = s_server_start("127.0.0.1");

	char want[CA_FPR_LEN];

	cr_assert(port > 0, "openssl s_server did not start");
	cr_assert_eq(dep_probe("127.0.0.1", port, NULL, "mail.example.org", TMO, fpr), 0, "%s", mc_err());
	cr_assert_str_eq(fpr, fpr_a);
	openssl_fpr(want);
	cr_assert_str_eq(fpr, want);
}

Test(probe, implicit_tls_ipv6, .init = setup, .fini = teardown, .timeout = TEST_LIMIT)
{
	char fpr[CA_FPR_LEN];
	int s = socket(AF_INET6, SOCK_STREAM, 0), port;
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };

	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		cr_log_warn("no IPv6 loopback here; skipped");
		if (s >= 0)
			close(s);
		cr_skip_test();
	}
	close(s);
	port = s_server_start("[::1]");
	cr_assert(port > 0, "openssl s_server did not start on ::1");
	cr_assert_eq(dep_probe("::1", port, NULL, NULL, TMO, fpr), 0, "%s", mc_err());
	cr_assert_str_eq(fpr, fpr_a);
}

/* ---- forked fake servers ---- */

enum script {
	TLS_ONLY,		/* implicit TLS; SNI "b.example.org" gets cert b */
	SMTP_OK,		/* multi-line banner and EHLO, STARTTLS mid-list */
	SMTP_OK_LAST,		/* "250 STARTTLS" as the final line */
	SMTP_NO_STARTTLS,	/* EHLO reply without it ("250-STARTTLSX" is not it) */
	SMTP_STARTTLS_454,	/* offered, then refused */
	SMTP_INJECT,		/* bytes after "220 ready" */
	SMTP_NO_TLS_AFTER,	/* says go ahead, then never shakes hands */
	SMTP_554,		/* banner 554: go away */
	IMAP_OK,
	IMAP_NO_STARTTLS,	/* a BAD */
	IMAP_BYE,
	SILENT,			/* accepts, says nothing */
	LONG_LINE,		/* 10000 bytes without a newline */
	ENDLESS,		/* "220-x" forever */
	NUL_LINE,		/* a NUL inside the banner */
	PLAIN_BANNER,		/* an SMTP banner where TLS is expected */
	CLOSE_AT_ONCE,		/* accepts and closes */
	RESET_AFTER_STARTTLS,	/* says go ahead, then resets */
};

static void
srv_send(int fd, const char *s)
{
	if (send(fd, s, strlen(s), MSG_NOSIGNAL) < 0)
		_exit(1);
}

/* Reads one line byte by byte, so nothing past it is consumed. */
static void
srv_line(int fd, char *line, size_t max)
{
	size_t n = 0;
	char c;

	while (n + 1 < max && read(fd, &c, 1) == 1 && c != '\n')
		line[n++] = c;
	line[n] = '\0';
}

static int
sni_cb(SSL *ssl, int *al, void *arg)
{
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);

	(void)al;
	if (name != NULL && strcmp(name, "b.example.org") == 0)
		SSL_set_SSL_CTX(ssl, arg);
	return SSL_TLSEXT_ERR_OK;
}

static SSL_CTX *
srv_ctx(X509 *x, EVP_PKEY *k)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL || SSL_CTX_use_certificate(ctx, x) != 1 || SSL_CTX_use_PrivateKey(ctx, k) != 1)
		_exit(1);
	return ctx;
}

static void
srv_tls(int fd)
{
	SSL_CTX *ctx = srv_ctx(cert_a, key_a), *ctx_b = srv_ctx(cert_b, key_b);
	SSL *ssl = SSL_new(ctx);

	SSL_CTX_set_tlsext_servername_callback(ctx, sni_cb);
	SSL_CTX_set_tlsext_servername_arg(ctx, ctx_b);
	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1 || SSL_accept(ssl) != 1)
		_exit(1);
	/* Wait for the client's close (or its close_notify). */
	(void)SSL_read(ssl, &(char){ 0 }, 1);
	_exit(0);
}

static void
srv_smtp(int fd, enum script s)
{
	char line[1024];

	srv_send(fd, s == SMTP_554 ? "554 no service\r\n" : "220-fake.example ESMTP\r\n220 hello\r\n");
	srv_line(fd, line, sizeof(line));
	if (strncmp(line, "EHLO ", 5) != 0)
		_exit(1);
	if (s == SMTP_NO_STARTTLS)
		srv_send(fd, "250-fake.example\r\n250-STARTTLSX\r\n250 8BITMIME\r\n");
	else if (s == SMTP_OK_LAST)
		srv_send(fd, "250-fake.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n");
	else
		srv_send(fd, "250-fake.example\r\n250-PIPELINING\r\n250-starttls\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n");
	srv_line(fd, line, sizeof(line));
	if (strcmp(line, "STARTTLS\r") != 0)
		_exit(1);
	if (s == SMTP_STARTTLS_454) {
		srv_send(fd, "454 4.7.0 TLS not available due to local problem\r\n");
	} else if (s == SMTP_INJECT) {
		srv_send(fd, "220 2.0.0 Ready to start TLS\r\nMAIL FROM:<evil@example.org>\r\n");
	} else {
		srv_send(fd, "220 2.0.0 Ready to start TLS\r\n");
		if (s == RESET_AFTER_STARTTLS) {
			struct linger lg = { .l_onoff = 1, .l_linger = 0 };

			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			_exit(0);
		}
		if (s != SMTP_NO_TLS_AFTER)
			srv_tls(fd);
	}
	sleep(10);
}

static void
srv_imap(int fd, enum script s)
{
	char line[1024];

	srv_send(fd, s == IMAP_BYE ? "* BYE shutting down\r\n" :
	    "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n");
	srv_line(fd, line, sizeof(line));
	if (strcmp(line, "a STARTTLS\r") != 0)
		_exit(1);
	if (s == IMAP_NO_STARTTLS) {
		srv_send(fd, "a BAD Unknown command\r\n");
	} else {
		srv_send(fd, "* NOOP some untagged noise\r\na OK Begin TLS negotiation now\r\n");
		srv_tls(fd);
	}
	sleep(10);
}

static void
srv_run(int fd, enum script s)
{
	char big[10000];

	switch (s) {
	case TLS_ONLY:
		srv_tls(fd);
		break;
	case IMAP_OK: case IMAP_NO_STARTTLS: case IMAP_BYE:
		srv_imap(fd, s);
		break;
	case SILENT:
		break;
	case LONG_LINE:
		memset(big, 'A', sizeof(big));
		if (send(fd, big, sizeof(big), MSG_NOSIGNAL) < 0)
			_exit(1);
		break;
	case ENDLESS:
		for (;;)
			srv_send(fd, "220-more\r\n");
	case NUL_LINE:
		if (send(fd, "220 a\0b\r\n", 9, MSG_NOSIGNAL) < 0)
			_exit(1);
		break;
	case PLAIN_BANNER:
		srv_send(fd, "220 fake.example ESMTP\r\n");
		break;
	case CLOSE_AT_ONCE:
		_exit(0);
	default:
		srv_smtp(fd, s);
	}
	sleep(10);
}

/* Listens on 127.0.0.1, port chosen by the kernel before the fork, so
 * there is nothing to wait for; the child serves one connection. */
static int
fake_start(enum script s)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int l = socket(AF_INET, SOCK_STREAM, 0), fd;

	cr_assert(l >= 0);
	cr_assert_eq(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(l, 4), 0);
	cr_assert_eq(getsockname(l, (struct sockaddr *)&sa, &len), 0);
	server_pid = fork();
	cr_assert(server_pid >= 0);
	if (server_pid == 0) {
		alarm(15);
		if ((fd = accept(l, NULL, NULL)) < 0)
			_exit(1);
		close(l);
		srv_run(fd, s);
		_exit(0);
	}
	close(l);
	return ntohs(sa.sin_port);
}

/* Runs one probe against a fake server; returns dep_probe's result and
 * the elapsed time. */
static int
probe_fake(enum script s, const char *starttls, const char *sni, int tmo, char fpr[CA_FPR_LEN],
    long long *elapsed)
{
	int port = fake_start(s), rc;
	long long t0 = ms_now();

	rc = dep_probe("127.0.0.1", port, starttls, sni, tmo, fpr);
	if (elapsed != NULL)
		*elapsed = ms_now() - t0;
	return rc;
}

/* Criterion re-executes the binary for each test: parameters hold
 * arrays, not pointers.  "" stands for NULL. */
struct good {
	enum script s;
	char starttls[8];
	char host[16];
	char sni[32];
	int want_b;
};

static const char *
nul(const char *s)
{
	return *s != '\0' ? s : NULL;
}

ParameterizedTestParameters(probe, served)
{
	static struct good g[] = {
		{ TLS_ONLY, "", "127.0.0.1", "", 0 },
		{ TLS_ONLY, "", "127.0.0.1", "a.example.org", 0 },
		{ TLS_ONLY, "", "127.0.0.1", "b.example.org", 1 },
		{ TLS_ONLY, "", "localhost", "b.example.org", 1 },
		{ SMTP_OK, "smtp", "127.0.0.1", "", 0 },
		{ SMTP_OK, "smtp", "127.0.0.1", "b.example.org", 1 },
		{ SMTP_OK_LAST, "smtp", "localhost", "", 0 },
		{ IMAP_OK, "imap", "127.0.0.1", "", 0 },
		{ IMAP_OK, "imap", "127.0.0.1", "b.example.org", 1 },
	};

	return cr_make_param_array(struct good, g, sizeof(g) / sizeof(g[0]));
}

ParameterizedTest(struct good *g, probe, served, .init = setup, .fini = teardown, .timeout = TEST_LIMIT)
{
	char fpr[CA_FPR_LEN];
	int port = fake_start(g->s);

	cr_assert_eq(dep_probe(g->host, port, nul(g->starttls), nul(g->sni), TMO, fpr), 0, "%s", mc_err());
	cr_assert_str_eq(fpr, g->want_b ? fpr_b : fpr_a, "script %d sni %s", g->s,
	    g->sni);
}

struct bad {
	enum script s;
	char starttls[8];
	int tmo;
	char want[96];		/* in the message */
};

ParameterizedTestParameters(probe, refused)
{
	static struct bad b[] = {
		{ SILENT, "smtp", SHORT_TMO, "timed out after 500 ms waiting for the SMTP banner" },
		{ SILENT, "imap", SHORT_TMO, "timed out after 500 ms waiting for the IMAP banner" },
		{ SILENT, "", SHORT_TMO, "timed out after 500 ms during the TLS handshake" },
		{ SMTP_NO_TLS_AFTER, "smtp", SHORT_TMO, "timed out after 500 ms during the TLS handshake" },
		{ SMTP_NO_STARTTLS, "smtp", TMO, "server does not offer STARTTLS" },
		{ IMAP_NO_STARTTLS, "imap", TMO, "server does not offer STARTTLS: 'a BAD Unknown command'" },
		{ SMTP_STARTTLS_454, "smtp", TMO, "unexpected SMTP reply waiting for the STARTTLS reply: '454 4.7.0" },
		{ SMTP_554, "smtp", TMO, "unexpected SMTP reply waiting for the SMTP banner: '554 no service'" },
		{ IMAP_BYE, "imap", TMO, "unexpected IMAP banner: '* BYE shutting down'" },
		{ SMTP_INJECT, "smtp", TMO, "sent data after its STARTTLS reply" },
		{ LONG_LINE, "smtp", TMO, "the SMTP server sent a line longer than 4096 bytes" },
		{ ENDLESS, "smtp", TMO, "the SMTP server sent more than 100 lines" },
		{ NUL_LINE, "smtp", TMO, "the SMTP server sent a NUL byte" },
		{ PLAIN_BANNER, "", TMO, "TLS handshake failed: " },
		{ PLAIN_BANNER, "imap", TMO, "unexpected IMAP banner: '220 fake.example ESMTP'" },
		{ CLOSE_AT_ONCE, "smtp", TMO, "connection closed by the server waiting for the SMTP banner" },
		{ CLOSE_AT_ONCE, "", TMO, "TLS handshake failed: " },
		{ TLS_ONLY, "smtp", SHORT_TMO, "timed out after 500 ms waiting for the SMTP banner" },
	};

	return cr_make_param_array(struct bad, b, sizeof(b) / sizeof(b[0]));
}

ParameterizedTest(struct bad *b, probe, refused, .init = setup, .fini = teardown, .timeout = TEST_LIMIT)
{
	char fpr[CA_FPR_LEN] = "x";
	long long elapsed;

	cr_assert_eq(probe_fake(b->s, nul(b->starttls), NULL, b->tmo, fpr, &elapsed), -1,
	    "script %d succeeded", b->s);
	cr_assert_not_null(strstr(mc_err(), b->want), "got '%s', want '%s'", mc_err(), b->want);
	cr_assert_not_null(strstr(mc_err(), "cannot probe 127.0.0.1:"), "%s", mc_err());
	cr_assert_eq(fpr[0], '\0');
	/* Every failure well within twice the budget; timeouts not early. */
	cr_assert_lt(elapsed, 2LL * b->tmo, "%lld ms: %s", elapsed, mc_err());
	if (strstr(b->want, "timed out") != NULL)
		cr_assert_geq(elapsed, b->tmo - 50, "%lld ms", elapsed);
}

/* The handshake error names OpenSSL's reason, not just "failed". */
Test(probe, handshake_reason, .init = setup, .fini = teardown, .timeout = TEST_LIMIT)
{
	char fpr[CA_FPR_LEN];

	cr_assert_eq(probe_fake(PLAIN_BANNER, NULL, NULL, TMO, fpr, NULL), -1);
	cr_assert_not_null(strstr(mc_err(), "TLS handshake failed: wrong version number"), "%s", mc_err());
}

Test(probe, connection_refused, .init = setup, .fini = teardown, .timeout = TEST_LIMIT)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	char fpr[CA_FPR_LEN], want[64];

	/* Bound, never listening: the port is ours and refuses. */
	cr_assert_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(s, (struct sockaddr *)&sa, &len), 0);
	cr_assert_eq(dep_probe("127.0.0.1", ntohs(sa.sin_port), "smtp", NULL, TMO, fpr), -1);
	snprintf(want, sizeof(want), "cannot probe 127.0.0.1:%d: connection refused", ntohs(sa.sin_port));
	cr_assert_str_eq(mc_err(), want);
	cr_assert_eq(fpr[0], '\0');
	close(s);
}

/* A full accept queue drops SYNs: connect itself must time out. */
Test(probe, connect_times_out, .init = setup, .fini = teardown, .timeout = TEST_LIMIT)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int l = socket(AF_INET, SOCK_STREAM, 0), c[4], i;
	char fpr[CA_FPR_LEN];
	long long t0, elapsed;

	cr_assert_eq(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(l, 0), 0);
	cr_assert_eq(getsockname(l, (struct sockaddr *)&sa, &len), 0);
	for (i = 0; i < 4; i++) {
		c[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		(void)connect(c[i], (struct sockaddr *)&sa, sizeof(sa));
	}
	usleep(100000);
	t0 = ms_now();
	cr_assert_eq(dep_probe("127.0.0.1", ntohs(sa.sin_port), NULL, NULL, SHORT_TMO, fpr), -1);
	elapsed = ms_now() - t0;
	cr_assert_not_null(strstr(mc_err(), "timed out after 500 ms connecting"), "%s", mc_err());
	cr_assert(elapsed >= SHORT_TMO - 50 && elapsed < 2 * SHORT_TMO, "%lld ms", elapsed);
	for (i = 0; i < 4; i++)
		close(c[i]);
	close(l);
}

struct args {
	char host[32];
	int port;
	char starttls[8];
	int tmo;
	char want[64];
};

ParameterizedTestParameters(probe, bad_args)
{
	static struct args a[] = {
		{ "", 25, "", 1000, "cannot probe: bad endpoint" },
		{ "localhost", 0, "", 1000, "cannot probe: bad endpoint" },
		{ "localhost", 65536, "", 1000, "cannot probe: bad endpoint" },
		{ "localhost", 25, "pop3", 1000, "cannot probe: bad endpoint" },
		{ "localhost", 25, "", 0, "cannot probe: bad endpoint" },
		{ "no such host!", 25, "", 1000, "cannot resolve 'no such host!'" },
	};

	return cr_make_param_array(struct args, a, sizeof(a) / sizeof(a[0]));
}

ParameterizedTest(struct args *a, probe, bad_args)
{
	char fpr[CA_FPR_LEN] = "x";

	cr_assert_eq(dep_probe(a->host, a->port, nul(a->starttls), NULL, a->tmo, fpr), -1);
	cr_assert_not_null(strstr(mc_err(), a->want), "%s", mc_err());
	cr_assert_eq(fpr[0], '\0');
}

/* A server that resets while we write must not kill us with SIGPIPE;
 * afterwards SIGPIPE is neither left blocked nor pending. */
Test(probe, reset_no_sigpipe, .init = setup, .fini = teardown, .timeout = TEST_LIMIT)
{
	static const struct { enum script s; const char *starttls; } cases[] = {
		{ RESET_AFTER_STARTTLS, "smtp" }, { CLOSE_AT_ONCE, NULL }, { PLAIN_BANNER, NULL },
	};
	char fpr[CA_FPR_LEN];
	sigset_t set;

	signal(SIGPIPE, SIG_DFL);
	/* Whether a write lands after the reset is a race: try often. */
	for (int i = 0; i < 60; i++) {
		cr_assert_eq(probe_fake(cases[i % 3].s, cases[i % 3].starttls, NULL, TMO, fpr, NULL), -1);
		kill(server_pid, SIGKILL);
		waitpid(server_pid, NULL, 0);
		server_pid = -1;
	}
	cr_assert_eq(sigprocmask(SIG_BLOCK, NULL, &set), 0);
	cr_assert_not(sigismember(&set, SIGPIPE), "SIGPIPE left blocked");
	cr_assert_eq(sigpending(&set), 0);
	cr_assert_not(sigismember(&set, SIGPIPE), "SIGPIPE left pending");
}

/* A SIGPIPE the caller already had pending is not ours to swallow. */
Test(probe, foreign_sigpipe_kept, .init = setup, .fini = teardown, .timeout = TEST_LIMIT)
{
	char fpr[CA_FPR_LEN];
	sigset_t set, pipe_set;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	cr_assert_eq(sigprocmask(SIG_BLOCK, &pipe_set, NULL), 0);
	cr_assert_eq(raise(SIGPIPE), 0);
	cr_assert_eq(probe_fake(SMTP_OK, "smtp", NULL, TMO, fpr, NULL), 0, "%s", mc_err());
	cr_assert_eq(sigpending(&set), 0);
	cr_assert(sigismember(&set, SIGPIPE), "caller's SIGPIPE swallowed");
	cr_assert_eq(sigprocmask(SIG_BLOCK, NULL, &set), 0);
	cr_assert(sigismember(&set, SIGPIPE), "caller's mask changed");
}
