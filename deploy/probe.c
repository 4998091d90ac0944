/*
 * probe.c: which certificate does a running daemon actually serve?
 *
 * Connects (optionally after SMTP or IMAP STARTTLS), shakes hands without
 * verifying anything and fingerprints the leaf.  Everything is
 * non-blocking against one overall deadline, lines from the server are
 * bounded in length and number, and SIGPIPE is held back while we write.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "deploy.h"

struct probe {
	int fd;
	long long deadline;	/* CLOCK_MONOTONIC, ms */
	int timeout_ms;
	char where[300];	/* "localhost:25" or "[::1]:993" */
	const char *proto;	/* "SMTP", "IMAP" */
	char buf[DEP_PROBE_LINE_MAX];
	size_t len;		/* bytes buffered in buf */
	int lines;		/* lines read so far */
	const char *dane_domain;	/* non-NULL: verify with OpenSSL's DANE */
	const struct ca_tlsa_rr *rr;
	size_t nrr;
	struct dep_dane_result *dres;
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on the socket until the deadline: 1 ready, 0 timed
 * out (message set naming what we were waiting for), -1 error. */
static int
probe_wait(struct probe *p, short events, const char *doing)
{
	struct pollfd pfd = { .fd = p->fd, .events = events };
	long long left;
	int n;

	for (;;) {
		left = p->deadline - now_ms();
		if (left <= 0)
			break;
		n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR) {
			mc_seterr("cannot probe %s: poll: %s", p->where, strerror(errno));
			return -1;
		}
	}
	mc_seterr("cannot probe %s: timed out after %d ms %s", p->where, p->timeout_ms, doing);
	return 0;
}

/* Connects to one address: 0 connected, -1 failed (errno-like code in
 * *err, 0 for a timeout, whose message is then set). */
static int
probe_connect_one(struct probe *p, const struct addrinfo *ai, int *err)
{
	socklen_t len = sizeof(*err);
	int fd;

	*err = 0;
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	p->fd = fd;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS) {
		*err = errno;
		goto fail;
	}
	if (probe_wait(p, POLLOUT, "connecting") <= 0)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &len) < 0)
		*err = errno;
	if (*err == 0)
		return 0;
fail:
	close(fd);
	p->fd = -1;
	return -1;
}

/* Tries every address of host in turn until one connects or the deadline
 * passes.  A refused connection is named as such. */
static int
probe_connect(struct probe *p, const char *host, int port)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL, *ai;
	char serv[16];
	int rc = -1, gai, err = 0;

	snprintf(serv, sizeof(serv), "%d", port);
	/* getaddrinfo cannot be bounded; for the usual "localhost" or an
	 * address literal it never leaves the machine. */
	if ((gai = getaddrinfo(host, serv, &hints, &res)) != 0) {
		mc_seterr("cannot probe %s: cannot resolve '%s': %s", p->where, host,
		    gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
		goto out;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (probe_connect_one(p, ai, &err) == 0) {
			rc = 0;
			goto out;
		}
		if (err == 0)		/* timed out: the deadline is spent */
			goto out;
	}
	if (err == ECONNREFUSED)
		mc_seterr("cannot probe %s: connection refused", p->where);
	else
		mc_seterr("cannot probe %s: cannot connect: %s", p->where, strerror(err));
out:
	freeaddrinfo(res);
	return rc;
}

static int
probe_send(struct probe *p, const char *s, const char *doing)
{
	size_t len = strlen(s), off = 0;
	ssize_t n;

	while (off < len) {
		n = send(p->fd, s + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (probe_wait(p, POLLOUT, doing) <= 0)
				return -1;
			continue;
		}
		mc_seterr("cannot probe %s: %s server closed the connection %s (%s)", p->where,
		    p->proto, doing, n < 0 ? strerror(errno) : "send returned 0");
		return -1;
	}
	return 0;
}

/* Copies a server line into a message: printable ASCII only, shortened. */
static void
probe_quote(const char *line, char out[81])
{
	size_t i;

	for (i = 0; i < 80 && line[i] != '\0'; i++)
		out[i] = (line[i] >= 0x20 && line[i] < 0x7f) ? line[i] : '?';
	out[i] = '\0';
	if (line[i] != '\0' && i >= 3)
		memcpy(out + i - 3, "...", 3);
}

/* Reads one line (CRLF or LF stripped) into line.  Bounded: at most
 * DEP_PROBE_LINE_MAX bytes per line and DEP_PROBE_LINES lines per probe. */
static int
probe_line(struct probe *p, char line[DEP_PROBE_LINE_MAX], const char *doing)
{
	char *nl;
	size_t n;
	ssize_t r;

	if (p->lines >= DEP_PROBE_LINES) {
		mc_seterr("cannot probe %s: the %s server sent more than %d lines", p->where,
		    p->proto, DEP_PROBE_LINES);
		return -1;
	}
	while ((nl = memchr(p->buf, '\n', p->len)) == NULL) {
		if (p->len == sizeof(p->buf)) {
			mc_seterr("cannot probe %s: the %s server sent a line longer than %d bytes",
			    p->where, p->proto, DEP_PROBE_LINE_MAX);
			return -1;
		}
		r = recv(p->fd, p->buf + p->len, sizeof(p->buf) - p->len, MSG_DONTWAIT);
		if (r > 0) {
			p->len += (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (probe_wait(p, POLLIN, doing) <= 0)
				return -1;
			continue;
		}
		mc_seterr("cannot probe %s: connection closed by the server %s%s%s", p->where,
		    doing, r < 0 ? ": " : "", r < 0 ? strerror(errno) : "");
		return -1;
	}
	n = (size_t)(nl - p->buf);
	memcpy(line, p->buf, n);
	p->len -= n + 1;
	memmove(p->buf, nl + 1, p->len);
	if (n > 0 && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	if (memchr(line, '\0', n) != NULL) {
		mc_seterr("cannot probe %s: the %s server sent a NUL byte", p->where, p->proto);
		return -1;
	}
	p->lines++;
	return 0;
}

/* Reads an SMTP reply (RFC 5321 4.2: "ddd-" continues, "ddd " ends).
 * has_starttls, if non-NULL, is set when a line offers STARTTLS. */
static int
smtp_reply(struct probe *p, const char *want, int *has_starttls, const char *doing)
{
	char line[DEP_PROBE_LINE_MAX], q[81];

	for (;;) {
		if (probe_line(p, line, doing) < 0)
			return -1;
		if (strlen(line) < 3 || strncmp(line, want, 3) != 0 ||
		    (line[3] != '\0' && line[3] != ' ' && line[3] != '-')) {
			probe_quote(line, q);
			mc_seterr("cannot probe %s: unexpected SMTP reply %s: '%s'", p->where, doing, q);
			return -1;
		}
		if (has_starttls != NULL && line[3] != '\0' && strncasecmp(line + 4, "STARTTLS", 8) == 0 &&
		    strspn(line + 12, " \t") == strlen(line + 12))
			*has_starttls = 1;
		if (line[3] != '-')
			return 0;
	}
}

static int
smtp_starttls(struct probe *p)
{
	int offered = 0;

	if (smtp_reply(p, "220", NULL, "waiting for the SMTP banner") < 0 ||
	    probe_send(p, "EHLO localhost\r\n", "sending EHLO") < 0 ||
	    smtp_reply(p, "250", &offered, "waiting for the EHLO reply") < 0)
		return -1;
	if (!offered) {
		mc_seterr("cannot probe %s: server does not offer STARTTLS (not in its EHLO reply)",
		    p->where);
		return -1;
	}
	if (probe_send(p, "STARTTLS\r\n", "sending STARTTLS") < 0 ||
	    smtp_reply(p, "220", NULL, "waiting for the STARTTLS reply") < 0)
		return -1;
	return 0;
}

/* Reads IMAP lines until the one tagged "a", skipping untagged ones. */
static int
imap_tagged(struct probe *p, const char *doing)
{
	char line[DEP_PROBE_LINE_MAX], q[81];

	for (;;) {
		if (probe_line(p, line, doing) < 0)
			return -1;
		if (strncmp(line, "* ", 2) == 0)
			continue;
		if (strncasecmp(line, "a OK", 4) == 0 && (line[4] == '\0' || line[4] == ' '))
			return 0;
		probe_quote(line, q);
		if (strncasecmp(line, "a NO", 4) == 0 || strncasecmp(line, "a BAD", 5) == 0)
			mc_seterr("cannot probe %s: server does not offer STARTTLS: '%s'", p->where, q);
		else
			mc_seterr("cannot probe %s: unexpected IMAP reply %s: '%s'", p->where, doing, q);
		return -1;
	}
}

static int
imap_starttls(struct probe *p)
{
	char line[DEP_PROBE_LINE_MAX], q[81];

	if (probe_line(p, line, "waiting for the IMAP banner") < 0)
		return -1;
	if (strncasecmp(line, "* OK", 4) != 0 || (line[4] != '\0' && line[4] != ' ')) {
		probe_quote(line, q);
		mc_seterr("cannot probe %s: unexpected IMAP banner: '%s'", p->where, q);
		return -1;
	}
	if (probe_send(p, "a STARTTLS\r\n", "sending STARTTLS") < 0 ||
	    imap_tagged(p, "waiting for the STARTTLS reply") < 0)
		return -1;
	return 0;
}

/* 1 if s is an IPv4 or IPv6 literal (RFC 6066 3: no SNI for those). */
static int
is_ip_literal(const char *s)
{
	unsigned char a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* Names why SSL_connect failed, from the error queue or errno. */
static void
tls_failed(struct probe *p, SSL *ssl, int r)
{
	int e = SSL_get_error(ssl, r);
	unsigned long le = ERR_peek_last_error();
	const char *why = le != 0 ? ERR_reason_error_string(le) : NULL;

	if (why != NULL)
		mc_seterr("cannot probe %s: TLS handshake failed: %s", p->where, why);
	else if (e == SSL_ERROR_SYSCALL && errno != 0)
		mc_seterr("cannot probe %s: TLS handshake failed: %s", p->where, strerror(errno));
	else
		mc_seterr("cannot probe %s: TLS handshake failed: connection closed by the server",
		    p->where);
	ERR_clear_error();
}

/* The DANE verifier (as Postfix sets it up): records that OpenSSL
 * finds unusable are skipped, as an SMTP client skips them; the
 * handshake goes on and the verdict is read afterwards. */
static int
dane_setup(struct probe *p, SSL *ssl)
{
	size_t usable = 0;
	int r;

	if (SSL_dane_enable(ssl, p->dane_domain) <= 0) {
		mc_seterr_ssl("cannot probe %s: SSL_dane_enable", p->where);
		return -1;
	}
	/* RFC 7672 3.1.1: a DANE-EE(3) record binds the key, not a name. */
	SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	for (size_t i = 0; i < p->nrr; i++) {
		r = SSL_dane_tlsa_add(ssl, (uint8_t)p->rr[i].usage, (uint8_t)p->rr[i].selector,
		    (uint8_t)p->rr[i].mtype, p->rr[i].data, p->rr[i].len);
		if (r < 0) {
			mc_seterr_ssl("cannot probe %s: SSL_dane_tlsa_add", p->where);
			return -1;
		}
		usable += r > 0;
	}
	ERR_clear_error();
	if (usable == 0)
		snprintf(p->dres->why, sizeof(p->dres->why), "no usable TLSA record");
	return 0;
}

static void
dane_verdict(struct probe *p, SSL *ssl)
{
	long v = SSL_get_verify_result(ssl);
	uint8_t u = 0, s = 0, m = 0;
	int depth = SSL_get0_dane_tlsa(ssl, &u, &s, &m, NULL, NULL);

	if (v == X509_V_OK && depth >= 0) {
		p->dres->verified = 1;
		p->dres->usage = u;
		p->dres->selector = s;
		p->dres->mtype = m;
		p->dres->depth = depth;
		p->dres->why[0] = '\0';
	} else if (p->dres->why[0] == '\0') {
		snprintf(p->dres->why, sizeof(p->dres->why), "%s",
		    v != X509_V_OK ? X509_verify_cert_error_string(v) : "no TLSA record matched");
	}
}

static int
probe_tls(struct probe *p, const char *sni, char fpr[CA_FPR_LEN])
{
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	X509 *leaf;
	int rc = -1, r, e, w;

	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    (p->dane_domain != NULL && SSL_CTX_dane_enable(ctx) <= 0) ||
	    (ssl = SSL_new(ctx)) == NULL) {
		mc_seterr_ssl("cannot probe %s: SSL_new", p->where);
		goto out;
	}
	/* We only look at what is served: no verification at all, or
	 * DANE's verdict read after the handshake. */
	SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
	if (p->dane_domain != NULL && dane_setup(p, ssl) < 0)
		goto out;
	if (SSL_set_fd(ssl, p->fd) != 1 ||
	    (sni != NULL && *sni != '\0' && !is_ip_literal(sni) &&
	     SSL_set_tlsext_host_name(ssl, sni) != 1)) {
		mc_seterr_ssl("cannot probe %s: SSL_set_fd/SSL_set_tlsext_host_name", p->where);
		goto out;
	}
	for (;;) {
		errno = 0;
		if ((r = SSL_connect(ssl)) == 1)
			break;
		e = SSL_get_error(ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			tls_failed(p, ssl, r);
			goto out;
		}
		w = probe_wait(p, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
		    "during the TLS handshake");
		if (w <= 0)
			goto out;
	}
	if ((leaf = SSL_get0_peer_certificate(ssl)) == NULL) {
		mc_seterr("cannot probe %s: the server sent no certificate", p->where);
		goto out;
	}
	ca_cert_fingerprint(leaf, fpr);
	if (fpr[0] == '\0') {
		mc_seterr_ssl("cannot probe %s: cannot fingerprint the served certificate", p->where);
		goto out;
	}
	if (p->dane_domain != NULL)
		dane_verdict(p, ssl);
	(void)SSL_shutdown(ssl);	/* one close_notify, not waiting for the peer's */
	rc = 0;
out:
	ERR_clear_error();
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return rc;
}

static int
probe_run(struct probe *p, const char *host, int port, const char *starttls,
    const char *sni, char fpr[CA_FPR_LEN])
{
	if (probe_connect(p, host, port) < 0)
		return -1;
	if (starttls != NULL && strcmp(starttls, "smtp") == 0) {
		p->proto = "SMTP";
		if (smtp_starttls(p) < 0)
			return -1;
	} else if (starttls != NULL && strcmp(starttls, "imap") == 0) {
		p->proto = "IMAP";
		if (imap_starttls(p) < 0)
			return -1;
	}
	/* Bytes after the STARTTLS go-ahead would be read as TLS by us, a
	 * classic plaintext injection (CVE-2011-0411): refuse them. */
	if (p->len != 0) {
		mc_seterr("cannot probe %s: the %s server sent data after its STARTTLS reply",
		    p->where, p->proto);
		return -1;
	}
	return probe_tls(p, sni, fpr);
}

static int
probe_main(const char *host, int port, const char *starttls, const char *sni, int timeout_ms,
    char fpr[CA_FPR_LEN], const struct probe *dane)
{
	struct probe *p = NULL;
	sigset_t pipe, old, pending;
	int rc = -1, was_pending, masked = 0;

	fpr[0] = '\0';
	if (host == NULL || *host == '\0' || port < 1 || port > 65535 || timeout_ms < 1 ||
	    (starttls != NULL && strcmp(starttls, "smtp") != 0 && strcmp(starttls, "imap") != 0)) {
		mc_seterr("cannot probe: bad endpoint '%s' port %d starttls '%s' timeout %d ms",
		    host != NULL ? host : "", port, starttls != NULL ? starttls : "", timeout_ms);
		return -1;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		mc_seterr("cannot probe: out of memory");
		return -1;
	}
	if (dane != NULL) {
		p->dane_domain = dane->dane_domain;
		p->rr = dane->rr;
		p->nrr = dane->nrr;
		p->dres = dane->dres;
	}
	p->fd = -1;
	p->timeout_ms = timeout_ms;
	p->deadline = now_ms() + timeout_ms;
	p->proto = "TLS";
	snprintf(p->where, sizeof(p->where), strchr(host, ':') != NULL ? "[%s]:%d" : "%s:%d",
	    host, port);
	/* OpenSSL writes with write(2): a peer that resets the connection
	 * would raise SIGPIPE.  Hold it back on this thread and swallow one
	 * that we caused, without touching the process's disposition. */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	if (pthread_sigmask(SIG_BLOCK, &pipe, &old) == 0)
		masked = 1;
	rc = probe_run(p, host, port, starttls, sni, fpr);
	if (p->fd >= 0)
		close(p->fd);
	if (masked) {
		struct timespec zero = { 0, 0 };

		sigpending(&pending);
		if (!was_pending && sigismember(&pending, SIGPIPE))
			while (sigtimedwait(&pipe, NULL, &zero) < 0 && errno == EINTR)
				;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (rc < 0)
		fpr[0] = '\0';
	OPENSSL_cleanse(p->buf, sizeof(p->buf));
	free(p);
	return rc;
}

int
dep_probe(const char *host, int port, const char *starttls, const char *sni, int timeout_ms,
    char fpr[CA_FPR_LEN])
{
	return probe_main(host, port, starttls, sni, timeout_ms, fpr, NULL);
}

int
dep_probe_dane(const char *host, int port, const char *starttls, const char *domain,
    const struct ca_tlsa_rr *rr, size_t n, int timeout_ms, struct dep_dane_result *res)
{
	struct probe d = { .dane_domain = domain, .rr = rr, .nrr = n, .dres = res };

	memset(res, 0, sizeof(*res));
	if (domain == NULL || *domain == '\0') {
		mc_seterr("cannot probe %s:%d with DANE: no TLSA base domain", host != NULL ? host : "", port);
		return -1;
	}
	/* SNI is the TLSA base domain, as RFC 7672 8.1 has SMTP clients send. */
	return probe_main(host, port, starttls, domain, timeout_ms, res->fpr, &d);
}
