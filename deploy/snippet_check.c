/*
 * snippet --check: the live configuration of Postfix (postconf -n and
 * postconf -M), Dovecot (doveconf -n) and nginx (nginx -T), read with the
 * daemon's own tool, compared with the paths minica deployed.  Each
 * setting that names another file is one finding.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "deploy.h"

#define CHECK_TIMEOUT 20

static int __attribute__((format(printf, 2, 3)))
finding(struct mc_strv *out, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return mc_strv_push(out, buf);
}

/* argv from words; a NULL word ends it. */
static int
run_tool(struct mc_buf *text, const char *w0, ...)
{
	struct mc_strv argv = { 0 };
	struct dep_run_result rr;
	const char *w = w0;
	va_list ap;
	int rc = -1;

	va_start(ap, w0);
	for (; w != NULL; w = va_arg(ap, const char *))
		if (mc_strv_push(&argv, w) < 0)
			break;
	va_end(ap);
	if (w == NULL && dep_run_capture(&argv, CHECK_TIMEOUT, &rr, text) == 0 && mc_buf_add(text, "", 1) == 0)
		rc = 0;
	if (rc < 0)
		mc_preferr("cannot read the live configuration");
	mc_strv_free(&argv);
	return rc;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* "a, b" or "a b" -> the n-th item, in buf. */
static const char *
item(const char *list, int n, char *buf, size_t len)
{
	const char *p = list;

	for (int i = 0;; i++) {
		size_t k;

		p += strspn(p, ", \t");
		if (*p == '\0')
			return NULL;
		k = strcspn(p, ", \t");
		if (i == n) {
			snprintf(buf, len, "%.*s", (int)k, p);
			return buf;
		}
		p += k;
	}
}

static int
postfix_param(const char *where, const char *name, const char *val, const struct dep_paths *d, struct mc_strv *out)
{
	char a[1024], b[1024];
	const char *k, *c;

	if (strcmp(name, "smtpd_tls_chain_files") == 0) {
		k = item(val, 0, a, sizeof(a));
		c = item(val, 1, b, sizeof(b));
		if (k == NULL || c == NULL || strcmp(k, d->key) != 0 || strcmp(c, d->cert) != 0)
			return finding(out, "%s smtpd_tls_chain_files = %s; deployed: %s, %s", where, val, d->key, d->cert);
	} else if (strcmp(name, "smtpd_tls_cert_file") == 0 && strcmp(val, d->cert) != 0) {
		return finding(out, "%s smtpd_tls_cert_file = %s; deployed: %s", where, val, d->cert);
	} else if (strcmp(name, "smtpd_tls_key_file") == 0 && strcmp(val, d->key) != 0) {
		return finding(out, "%s smtpd_tls_key_file = %s; deployed: %s", where, val, d->key);
	} else if (strcmp(name, "smtpd_tls_CAfile") == 0 && d->ca != NULL && strcmp(val, d->ca) != 0) {
		return finding(out, "%s smtpd_tls_CAfile = %s; deployed: %s", where, val, d->ca);
	}
	return 0;
}

/* main.cf (postconf -n), then every smtpd service's -o overrides
 * (postconf -M), where the submission entry's own settings live. */
static int
check_postfix(const char *confdir, const struct dep_paths *d, struct mc_strv *out)
{
	struct mc_buf n = { 0 }, m = { 0 };
	char *save = NULL, *line;
	int rc = -1, chain = 0, cert = 0;

	if (run_tool(&n, "postconf", "-c", confdir, "-n", (char *)NULL) < 0 ||
	    run_tool(&m, "postconf", "-c", confdir, "-M", (char *)NULL) < 0)
		goto out;
	for (line = strtok_r(n.p, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (eq == NULL)
			continue;
		*eq = '\0';
		chain |= strcmp(trim(line), "smtpd_tls_chain_files") == 0;
		cert |= strcmp(trim(line), "smtpd_tls_cert_file") == 0;
		if (postfix_param("main.cf:", trim(line), trim(eq + 1), d, out) < 0)
			goto out;
	}
	if (!chain && !cert && finding(out, "main.cf: neither smtpd_tls_chain_files nor smtpd_tls_cert_file is set; "
	    "deployed: %s, %s", d->key, d->cert) < 0)
		goto out;
	for (line = strtok_r(m.p, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char svc[128], *o = line;

		snprintf(svc, sizeof(svc), "master.cf %.*s:", (int)strcspn(line, " \t"), line);
		while ((o = strstr(o, "-o ")) != NULL) {
			char *v = o + 3, *eq, kv[2048];

			v += strspn(v, " \t");
			snprintf(kv, sizeof(kv), "%.*s", (int)strcspn(v, " \t"), v);
			o = v;
			if ((eq = strchr(kv, '=')) == NULL)
				continue;
			*eq = '\0';
			if (postfix_param(svc, kv, eq + 1, d, out) < 0)
				goto out;
		}
	}
	rc = 0;
out:
	mc_buf_free(&n);
	mc_buf_free(&m);
	return rc;
}

/* Only the two values, one each (-h): doveconf -n hides ssl_key, and
 * -P -n would print every password in the configuration. */
static int
dovecot_one(const char *conf, const char *name, const char *want, struct mc_strv *out)
{
	struct mc_buf n = { 0 };
	char *val;
	int rc = -1;

	if ((strcmp(name, "ssl_key") == 0 ? run_tool(&n, "doveconf", "-P", "-c", conf, "-h", name, (char *)NULL) :
	    run_tool(&n, "doveconf", "-c", conf, "-h", name, (char *)NULL)) < 0)
		goto out;
	val = trim(n.p);
	if (val[0] == '\0')
		rc = finding(out, "%s is not set; deployed: <%s", name, want);
	else if (val[0] != '<')
		rc = finding(out, "%s = %s: the '<' is missing (Dovecot takes the path as the certificate "
		    "itself); deployed: <%s", name, val, want);
	else if (strcmp(trim(val + 1), want) != 0)
		rc = finding(out, "%s = %s; deployed: <%s", name, val, want);
	else
		rc = 0;
out:
	if (n.p != NULL)
		OPENSSL_cleanse(n.p, n.len);
	mc_buf_free(&n);
	return rc;
}

static int
check_dovecot(const char *conf, const struct dep_paths *d, struct mc_strv *out)
{
	return dovecot_one(conf, "ssl_cert", d->cert, out) < 0 || dovecot_one(conf, "ssl_key", d->key, out) < 0 ? -1 : 0;
}

static int
check_nginx(const char *prefix, const char *conf, const struct dep_paths *d, struct mc_strv *out)
{
	struct mc_buf n = { 0 };
	char *save = NULL, *line;
	int rc = -1, seen = 0;

	if (run_tool(&n, "nginx", "-p", prefix, "-c", conf, "-e", "stderr", "-T", (char *)NULL) < 0)
		goto out;
	/* Statements end at ';', '{' or '}', whatever the line breaks; '#'
	 * comments (nginx -T's "# configuration file" lines too) go first. */
	for (char *c = n.p; *c; c++) {
		if (*c == '#')
			while (*c && *c != '\n')
				*c++ = ' ';
		if (*c == '\0')
			break;
		if (*c == '{' || *c == '}' || *c == '\n')
			*c = ';';
	}
	for (line = strtok_r(n.p, ";", &save); line != NULL; line = strtok_r(NULL, ";", &save)) {
		char *s = trim(line), *val;
		const char *want;
		size_t k = strcspn(s, " \t");

		if (k == 15 && strncmp(s, "ssl_certificate", k) == 0)
			want = d->cert;
		else if (k == 19 && strncmp(s, "ssl_certificate_key", k) == 0)
			want = d->key;
		else
			continue;
		val = trim(s + k);
		seen++;
		if (strcmp(val, want) != 0 && finding(out, "%.*s %s; deployed: %s", (int)k, s, val, want) < 0)
			goto out;
	}
	if (seen == 0 && finding(out, "no ssl_certificate is set; deployed: %s", d->cert) < 0)
		goto out;
	rc = 0;
out:
	mc_buf_free(&n);
	return rc;
}

int
dep_snippet_check(const char *daemon, const char *root, const struct dep_paths *d, struct mc_strv *out)
{
	char *a = NULL, *b = NULL;
	int rc = -1;

	if (strcmp(daemon, "postfix") == 0) {
		if ((a = dep_path(root, "/etc/postfix")) != NULL)
			rc = check_postfix(a, d, out);
	} else if (strcmp(daemon, "dovecot") == 0) {
		if ((a = dep_path(root, "/etc/dovecot/dovecot.conf")) != NULL)
			rc = check_dovecot(a, d, out);
	} else if (strcmp(daemon, "nginx") == 0) {
		if ((a = dep_path(root, "/etc/nginx/")) != NULL && (b = dep_path(root, "/etc/nginx/nginx.conf")) != NULL)
			rc = check_nginx(a, b, d, out);
	} else {
		mc_seterr("unknown service '%s' (postfix, dovecot or nginx)", daemon);
	}
	free(a);
	free(b);
	return rc;
}
