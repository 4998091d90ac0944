/*
 * Unit tests for policy/profile.c and policy/config.c: the built-in
 * profiles, minica.conf overrides and additions, every kind of bad config,
 * and the default text init writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "policy/internal.h"
#include "policy/policy.h"

static char conf_path[64];

static void
remove_conf(void)
{
	if (conf_path[0] != '\0')
		unlink(conf_path);
	conf_path[0] = '\0';
}

/* Writes text to a fresh temporary minica.conf and loads it. */
static int
load_text(const char *text, struct pol_config *cfg)
{
	int fd;

	remove_conf();
	strcpy(conf_path, "/tmp/minica-test-XXXXXX.conf");
	fd = mkstemps(conf_path, 5);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	mc_clearerr();
	return pol_config_load(conf_path, cfg);
}

TestSuite(config, .fini = remove_conf);

struct builtin_want {
	const char *name;
	const char *eku;
	int server, email_cn;
	const char *cert, *key;
	const char *reload;
	const char *probes;
};

static const struct builtin_want builtins[] = {
	{ "smtpd", "serverAuth", 1, 0, "/etc/ssl/certs/smtpd.crt", "/etc/ssl/private/smtpd.key",
	  "postfix reload", "localhost:25/smtp localhost:587/smtp" },
	{ "dovecot", "serverAuth", 1, 0, "/etc/ssl/certs/dovecot.pem", "/etc/ssl/private/dovecot.pem",
	  "doveadm reload", "localhost:143/imap localhost:993/-" },
	{ "nginx", "serverAuth", 1, 0, "/etc/ssl/certs/nginx.crt", "/etc/ssl/private/nginx.key",
	  "nginx -s reload", "localhost:443/-" },
	{ "server", "serverAuth", 1, 0, NULL, NULL, "", "" },
	{ "client", "clientAuth", 0, 1, NULL, NULL, "", "" },
};

static char *
probes_text(const struct pol_profile *p)
{
	static char buf[256];

	buf[0] = '\0';
	for (size_t i = 0; i < p->nprobes; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s:%d/%s",
		    i ? " " : "", p->probes[i].host, p->probes[i].port,
		    p->probes[i].starttls ? p->probes[i].starttls : "-");
	return buf;
}

static void
expect_target(const struct pol_target *t, const char *path, mode_t mode)
{
	if (path == NULL)
		cr_expect_null(t->path);
	else
		cr_expect_str_eq(t->path, path);
	cr_expect_eq(t->mode, mode, "mode %o", (unsigned)t->mode);
	cr_expect_str_eq(t->owner, "root");
	cr_expect_str_eq(t->group, "root");
}

static void
expect_builtins(const struct pol_config *cfg)
{
	cr_assert_eq(cfg->nprofiles, 5);
	cr_expect_eq(cfg->reload_timeout, 30);
	expect_target(&cfg->ca_cert, "/etc/ssl/certs/minica-ca.pem", 0644);
	for (size_t i = 0; i < 5; i++) {
		const struct builtin_want *w = &builtins[i];
		const struct pol_profile *p = pol_profile_find(cfg, w->name);
		char *eku, *reload;

		cr_assert_not_null(p, "%s", mc_err());
		cr_expect_str_eq(cfg->profiles[i].name, w->name, "order");
		cr_expect_eq(p->default_days, 397, "%s", w->name);
		cr_expect_eq(p->max_days, 825, "%s", w->name);
		cr_expect_str_eq(p->key_type, "rsa2048");
		cr_expect_eq(p->server, w->server, "%s", w->name);
		cr_expect_eq(p->email_cn, w->email_cn, "%s", w->name);
		cr_expect_neq(p->description[0], '\0', "%s has no description", w->name);
		eku = mc_strv_join(&p->eku, ",");
		reload = mc_strv_join(&p->reload, " ");
		cr_expect_str_eq(eku, w->eku, "%s", w->name);
		cr_expect_str_eq(reload, w->reload, "%s", w->name);
		cr_expect_str_eq(probes_text(p), w->probes, "%s", w->name);
		expect_target(&p->cert, w->cert, 0644);
		expect_target(&p->key, w->key, 0600);
		free(eku);
		free(reload);
	}
}

Test(config, builtins_without_a_file)
{
	struct pol_config cfg;

	cr_assert_eq(pol_config_load(NULL, &cfg), 0, "%s", mc_err());
	cr_expect_null(cfg.path);
	expect_builtins(&cfg);
	pol_config_free(&cfg);
}

Test(config, missing_file_is_builtins)
{
	struct pol_config cfg;

	cr_assert_eq(pol_config_load("/nonexistent/minica.conf", &cfg), 0, "%s", mc_err());
	cr_expect_null(cfg.path);
	expect_builtins(&cfg);
	pol_config_free(&cfg);
	pol_config_free(&cfg);	/* a freed config is empty: freeing twice is harmless */
}

Test(config, empty_file_is_builtins)
{
	struct pol_config cfg;

	cr_assert_eq(load_text("# nothing\n", &cfg), 0, "%s", mc_err());
	cr_expect_str_eq(cfg.path, conf_path);
	expect_builtins(&cfg);
	pol_config_free(&cfg);
}

Test(config, directory_refused)
{
	struct pol_config cfg;

	cr_expect_eq(pol_config_load("/tmp", &cfg), -1);
	cr_expect_str_eq(mc_err(), "cannot read '/tmp': not a regular file");
	cr_expect_eq(cfg.nprofiles, 0);
}

Test(config, find_unknown_lists_known)
{
	struct pol_config cfg;

	cr_assert_eq(pol_config_load(NULL, &cfg), 0);
	cr_expect_null(pol_profile_find(&cfg, "postfix"));
	cr_expect_str_eq(mc_err(), "unknown profile 'postfix' (known: smtpd, dovecot, "
	    "nginx, server, client)");
	pol_config_free(&cfg);
}

Test(config, override_changes_only_keys_set)
{
	struct pol_config cfg;
	const struct pol_profile *p;

	cr_assert_eq(load_text(
	    "[profile.smtpd]\n"
	    "max_days = 400\n"
	    "key_type = ec256   # trailing comment\n"
	    "key_owner = postfix\n"
	    "probe = 127.0.0.1:2525/smtp, [::1]:465\n", &cfg), 0, "%s", mc_err());
	cr_expect_eq(cfg.nprofiles, 5);
	p = pol_profile_find(&cfg, "smtpd");
	cr_assert_not_null(p);
	cr_expect_eq(p->max_days, 400);
	cr_expect_eq(p->default_days, 397);
	cr_expect_str_eq(p->key_type, "ec256");
	cr_expect_str_eq(p->key.owner, "postfix");
	cr_expect_str_eq(p->key.group, "root");
	cr_expect_str_eq(p->cert.path, "/etc/ssl/certs/smtpd.crt");
	cr_expect_str_eq(p->reload.v[0], "postfix");
	cr_expect_str_eq(probes_text(p), "127.0.0.1:2525/smtp ::1:465/-");
	/* Other profiles untouched. */
	p = pol_profile_find(&cfg, "dovecot");
	cr_assert_not_null(p);
	cr_expect_str_eq(p->key_type, "rsa2048");
	cr_expect_eq(p->nprobes, 2);
	pol_config_free(&cfg);
}

Test(config, override_clears_with_none)
{
	struct pol_config cfg;
	const struct pol_profile *p;

	cr_assert_eq(load_text(
	    "[minica]\nreload_timeout = 5\nca_cert = none\n"
	    "[profile.nginx]\ncert_file = none\nkey_file = none\n"
	    "reload = none\nprobe = none\n", &cfg), 0, "%s", mc_err());
	cr_expect_eq(cfg.reload_timeout, 5);
	cr_expect_null(cfg.ca_cert.path);
	p = pol_profile_find(&cfg, "nginx");
	cr_assert_not_null(p);
	cr_expect_null(p->cert.path);
	cr_expect_null(p->key.path);
	cr_expect_eq(p->reload.n, 0);
	cr_expect_eq(p->nprobes, 0);
	cr_expect_null(p->probes);
	pol_config_free(&cfg);
}

Test(config, new_profiles)
{
	struct pol_config cfg;
	const struct pol_profile *p;

	cr_assert_eq(load_text(
	    "[profile.backup-mx]\n"
	    "description = Postfix on the backup MX\n"
	    "eku = serverAuth\n"
	    "cert_file = /etc/postfix/backup.crt\n"
	    "key_file = /etc/postfix/backup.key\n"
	    "key_mode = 0400\n"
	    "reload = /usr/sbin/postfix -c /etc/postfix-b reload\n"
	    "\n"
	    "[profile.vpn_user]\n"
	    "eku = clientAuth, serverAuth\n"
	    "\n"
	    "[profile.laptop]\n"
	    "eku = clientAuth\n"
	    "default_days = 1825\n"
	    "max_days = 3650\n"
	    "email_cn = yes\n", &cfg), 0, "%s", mc_err());
	cr_assert_eq(cfg.nprofiles, 8);
	/* Added in section-name order after the built-ins. */
	cr_expect_str_eq(cfg.profiles[5].name, "backup-mx");
	cr_expect_str_eq(cfg.profiles[6].name, "laptop");
	cr_expect_str_eq(cfg.profiles[7].name, "vpn_user");
	p = pol_profile_find(&cfg, "backup-mx");
	cr_assert_not_null(p);
	cr_expect_str_eq(p->description, "Postfix on the backup MX");
	cr_expect_eq(p->default_days, 397);
	cr_expect_eq(p->max_days, 825);
	cr_expect_eq(p->server, 1);
	cr_expect_eq(p->email_cn, 0);
	cr_expect_str_eq(p->key_type, "rsa2048");
	cr_expect_eq(p->key.mode, 0400);
	cr_expect_eq(p->cert.mode, 0644);
	cr_expect_eq(p->reload.n, 4);
	cr_expect_str_eq(p->reload.v[1], "-c");
	cr_expect_eq(p->nprobes, 0);
	p = pol_profile_find(&cfg, "laptop");
	cr_assert_not_null(p);
	cr_expect_eq(p->server, 0);
	cr_expect_eq(p->email_cn, 1);
	cr_expect_eq(p->default_days, 1825);
	cr_expect_eq(p->max_days, 3650);
	cr_expect_null(p->cert.path);
	p = pol_profile_find(&cfg, "vpn_user");
	cr_assert_not_null(p);
	cr_expect_eq(p->server, 1);
	cr_expect_eq(p->eku.n, 2);
	pol_config_free(&cfg);
}

Test(config, client_may_go_past_825)
{
	struct pol_config cfg;

	cr_assert_eq(load_text("[profile.client]\nmax_days = 3650\ndefault_days = 730\n", &cfg),
	    0, "%s", mc_err());
	cr_expect_eq(pol_profile_find(&cfg, "client")->max_days, 3650);
	pol_config_free(&cfg);
}

struct bad_case {
	const char *text;
	const char *where;	/* after the path: ":LINE: " or "': [sect] key = value: " */
	const char *why;
};

static const struct bad_case bads[] = {
	/* syntax errors: file and line from NCONF */
	{ "[minica\n", ":1: ", "missing close square bracket" },
	{ "[minica]\nreload_timeout\n", ":2: ", "missing equal sign" },
	{ "# a\n# b\n[minica]\n\n\n\n\n\n\n\n\nreload_timeout = $nope\n", ":12: ",
	  "variable has no value" },
	/* unknown names: typos must not pass silently */
	{ "[profile.smtpd]\nmax_dayz = 10\n", "': [profile.smtpd] max_dayz = 10: ",
	  "unknown key (known keys: description, default_days, max_days," },
	{ "[profile.smtpd]\nkey = rsa2048\n", "': [profile.smtpd] key = rsa2048: ", "unknown key" },
	{ "[minica]\nreload_timout = 10\n", "': [minica] reload_timout = 10: ",
	  "unknown key (known keys: reload_timeout, ca_cert," },
	{ "[profle.smtpd]\nmax_days = 10\n", "': unknown section [profle.smtpd]",
	  "(expected [minica], [acme] or [profile.NAME])" },
	{ "max_days = 10\n[minica]\n", "': max_days = 10: ", "key outside any section" },
	{ "[minica]\ndomains = example.org, bad..example\n", "': [minica] domains = example.org, bad..example: ",
	  "invalid hostname 'bad..example'" },
	{ "[minica]\ncrl_url = https://example.org/ca.crl\n", "crl_url = https://example.org/ca.crl: ",
	  "crl_url must be an http:// URL" },
	{ "[minica]\ncrl_url = \"http://example.org/a b\"\n", "crl_url = http://example.org/a b: ",
	  "without blanks" },
	{ "[profile.Smtpd]\neku = serverAuth\n", "': [profile.Smtpd]: ", "a profile name is" },
	{ "[profile.]\neku = serverAuth\n", "': [profile.]: ", "a profile name is" },
	/* numbers */
	{ "[profile.smtpd]\nmax_days = 10x\n", "': [profile.smtpd] max_days = 10x: ", "not a number" },
	{ "[profile.smtpd]\nmax_days = +10\n", "max_days = +10: ", "not a number" },
	{ "[profile.smtpd]\nmax_days = 0\n", "max_days = 0: ", "must be between 1 and 3650" },
	{ "[profile.smtpd]\ndefault_days = 99999999999999999999\n", "default_days = 99999999999999999999: ",
	  "must be between 1 and 3650" },
	{ "[profile.client]\nmax_days = 3651\n", "[profile.client] max_days = 3651: ",
	  "must be between 1 and 3650" },
	{ "[minica]\nreload_timeout = 0\n", "[minica] reload_timeout = 0: ", "must be between 1 and 3600" },
	{ "[minica]\nreload_timeout = 30s\n", "[minica] reload_timeout = 30s: ", "not a number" },
	/* cross-key rules */
	{ "[profile.smtpd]\nmax_days = 900\n", "': [profile.smtpd] max_days = 900: ",
	  "more than 825 days with serverAuth: Apple requires 825 days or less for every "
	  "TLS server certificate, including those from private roots" },
	{ "[profile.client]\nmax_days = 1000\neku = clientAuth, serverAuth\n",
	  "[profile.client] max_days = 1000: ", "Apple requires 825 days or less" },
	{ "[profile.client]\nmax_days = 1000\n[profile.client2]\neku = serverAuth\nmax_days = 826\n",
	  "[profile.client2] max_days = 826: ", "more than 825 days" },
	{ "[profile.client]\ndefault_days = 900\n", "': [profile.client] default_days = 900: ",
	  "default_days (900) is more than max_days (825)" },
	{ "[profile.smtpd]\nmax_days = 90\n", "': [profile.smtpd] max_days = 90: ",
	  "default_days (397) is more than max_days (90)" },
	{ "[profile.foo]\ndefault_days = 30\n", "': [profile.foo]: ",
	  "a profile must set eku (serverAuth, clientAuth or both)" },
	{ "[profile.smtpd]\nkey_file = none\n", "': [profile.smtpd] key_file = none: ",
	  "cert_file and key_file must both be set or both be none" },
	{ "[profile.server]\ncert_file = /etc/ssl/certs/s.crt\n",
	  "[profile.server] cert_file = /etc/ssl/certs/s.crt: ", "must both be set" },
	/* modes, owners, paths */
	{ "[profile.smtpd]\ncert_mode = 0844\n", "cert_mode = 0844: ", "not an octal file mode" },
	{ "[profile.smtpd]\ncert_mode = rw-r--r--\n", "cert_mode = rw-r--r--: ", "not an octal file mode" },
	{ "[profile.smtpd]\ncert_mode = 4755\n", "cert_mode = 4755: ", "more than 0777" },
	{ "[profile.smtpd]\nkey_mode = 0640\n", "': [profile.smtpd] key_mode = 0640: ",
	  "a private key must not be readable or writable by group or others" },
	{ "[profile.smtpd]\nkey_mode = 0604\n", "key_mode = 0604: ", "by group or others" },
	{ "[profile.smtpd]\ncert_owner = ro ot\n", "cert_owner = ro ot: ", "not a user or group name" },
	{ "[profile.smtpd]\nkey_group = -x\n", "key_group = -x: ", "not a user or group name" },
	{ "[profile.smtpd]\ncert_file = etc/ssl/x.crt\n", "cert_file = etc/ssl/x.crt: ",
	  "not an absolute file path" },
	{ "[profile.smtpd]\nkey_file = /etc/ssl/private/\n", "key_file = /etc/ssl/private/: ",
	  "not an absolute file path" },
	{ "[minica]\nca_cert = minica.pem\n", "[minica] ca_cert = minica.pem: ", "not an absolute file path" },
	{ "[minica]\nca_cert_mode = 644x\n", "[minica] ca_cert_mode = 644x: ", "not an octal file mode" },
	/* issue 14.6: world-writable files, paths leaving --root, the environment */
	{ "[profile.smtpd]\ncert_mode = 0666\n", "cert_mode = 0666: ", "lets anyone replace the file" },
	{ "[minica]\nca_cert_mode = 0646\n", "[minica] ca_cert_mode = 0646: ", "lets anyone replace the file" },
	{ "[profile.smtpd]\ncert_file = /etc/ssl/../../root/x.crt\n", "cert_file = /etc/ssl/../../root/x.crt: ",
	  "'.' and '..' are refused in paths" },
	{ "[profile.smtpd]\nkey_file = /etc/ssl/private/..\n", "key_file = /etc/ssl/private/..: ",
	  "'.' and '..' are refused" },
	{ "[minica]\nca_cert = /etc/./ssl/ca.pem\n", "[minica] ca_cert = /etc/./ssl/ca.pem: ", "'.' and '..'" },
	{ "[profile.smtpd]\ncert_file = $ENV::HOME/x.crt\n", ":2: ", "$ENV:: refused" },
	{ "[profile.smtpd]\n# ok: $ENV::X\nkey_file = ${ENV::HOME}/k\n", ":3: ", "$ENV:: refused" },
	/* eku, key type, flags */
	{ "[profile.smtpd]\neku = codeSigning\n", "eku = codeSigning: ", "unknown usage 'codeSigning'" },
	{ "[profile.smtpd]\neku = serverauth\n", "eku = serverauth: ", "unknown usage 'serverauth'" },
	{ "[profile.smtpd]\neku = serverAuth,,clientAuth\n", "eku = serverAuth,,clientAuth: ",
	  "empty item in list" },
	{ "[profile.smtpd]\neku = serverAuth, serverAuth\n", "eku = serverAuth, serverAuth: ",
	  "'serverAuth' given twice" },
	{ "[profile.smtpd]\nkey_type = rsa1024\n", "key_type = rsa1024: ", "unknown key type" },
	{ "[profile.client]\nemail_cn = maybe\n", "email_cn = maybe: ", "expected yes or no" },
	/* reload and probes */
	{ "[profile.smtpd]\nreload =\n", "[profile.smtpd] reload = : ", "empty command" },
	{ "[profile.smtpd]\nprobe = localhost\n", "probe = localhost: ",
	  "probe 'localhost': expected host:port[/smtp|/imap]" },
	{ "[profile.smtpd]\nprobe = localhost:0\n", "probe = localhost:0: ",
	  "probe 'localhost:0': port: must be between 1 and 65535" },
	{ "[profile.smtpd]\nprobe = localhost:smtp\n", "probe = localhost:smtp: ", "port: not a number" },
	{ "[profile.smtpd]\nprobe = localhost:25/pop3\n", "probe = localhost:25/pop3: ",
	  "unknown STARTTLS protocol 'pop3'" },
	{ "[profile.smtpd]\nprobe = ::1:25\n", "probe = ::1:25: ", "write an IPv6 address in brackets" },
	{ "[profile.smtpd]\nprobe = mail_host:25\n", "probe = mail_host:25: ",
	  "probe 'mail_host:25': invalid hostname 'mail_host': underscore" },
	{ "[profile.smtpd]\nprobe = localhost:25,\n", "probe = localhost:25,: ", "empty item in list" },
};

Test(config, bad_configs)
{
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad_case *c = &bads[i];
		struct pol_config cfg;
		char where[512];
		int rc = load_text(c->text, &cfg);

		cr_expect_eq(rc, -1, "case %zu accepted:\n%s", i, c->text);
		if (rc == 0) {
			pol_config_free(&cfg);
			continue;
		}
		cr_expect_eq(cfg.nprofiles, 0, "case %zu: config not emptied on error", i);
		/*
		 * Syntax errors read "path:line: ", the rest "'path': [...] ...";
		 * a where without the path part must still appear after it.
		 */
		if (c->where[0] == ':' || c->where[0] == '\'')
			snprintf(where, sizeof(where), "%s%s%s", c->where[0] == ':' ? "" : "'",
			    conf_path, c->where);
		else
			snprintf(where, sizeof(where), "'%s': [", conf_path);
		cr_expect(strncmp(mc_err(), where, strlen(where)) == 0,
		    "case %zu: '%s' does not start with '%s'", i, mc_err(), where);
		cr_expect(strstr(mc_err(), c->where) != NULL,
		    "case %zu: '%s' lacks '%s'", i, mc_err(), c->where);
		cr_expect(strstr(mc_err(), c->why) != NULL,
		    "case %zu: '%s' lacks '%s'", i, mc_err(), c->why);
	}
}

static void
dump(const struct pol_config *cfg, struct mc_buf *b)
{
	cr_assert_eq(mc_buf_printf(b, "%d %s %o\n", cfg->reload_timeout,
	    cfg->ca_cert.path, (unsigned)cfg->ca_cert.mode), 0);
	for (size_t i = 0; i < cfg->nprofiles; i++) {
		cr_assert_eq(mc_buf_printf(b, "[%s]\n", cfg->profiles[i].name), 0);
		cr_assert_eq(pol_profile_write(&cfg->profiles[i], "", b), 0);
	}
}

/* Lines "#[..." and "#key = ..." are the examples; "# ..." is prose. */
static char *
uncomment(const char *text)
{
	char *out = malloc(strlen(text) + 1), *o = out;

	cr_assert_not_null(out);
	for (const char *p = text; *p != '\0';) {
		size_t n = strcspn(p, "\n");

		if (p[0] == '#' && (p[1] == '[' || (p[1] >= 'a' && p[1] <= 'z'))) {
			p++;
			n--;
		}
		memcpy(o, p, n);
		o += n;
		p += n;
		if (*p == '\n')
			*o++ = *p++;
	}
	*o = '\0';
	return out;
}

Test(config, default_text_loads_as_builtins)
{
	struct mc_strv doms = { 0 };
	struct mc_buf text = { 0 }, want = { 0 }, got = { 0 }, got2 = { 0 };
	struct pol_config builtin, cfg, cfg2;
	char *un;

	cr_assert_eq(mc_strv_push(&doms, "example.org"), 0);
	cr_assert_eq(mc_strv_push(&doms, "example.net"), 0);
	cr_assert_eq(pol_config_default_text(&doms, &text), 0, "%s", mc_err());
	cr_expect(strstr(text.p, "# Domains this CA may issue for: example.org, example.net\n") != NULL);
	cr_expect(strstr(text.p, "name constraints") != NULL);
	/* Every key is explained. */
	for (size_t i = 0; i < pol_nprofile_keys; i++) {
		char needle[64];

		snprintf(needle, sizeof(needle), "#   %-15s ", pol_profile_keys[i].name);
		cr_expect(strstr(text.p, needle) != NULL, "no help for %s", pol_profile_keys[i].name);
	}
	cr_assert_eq(pol_config_load(NULL, &builtin), 0);
	dump(&builtin, &want);

	cr_assert_eq(load_text(text.p, &cfg), 0, "default text: %s", mc_err());
	dump(&cfg, &got);
	cr_expect_str_eq(got.p, want.p);

	/* The examples, uncommented, are valid and change nothing. */
	un = uncomment(text.p);
	cr_expect(strstr(un, "\n[profile.smtpd]\ndescription = ") != NULL);
	cr_assert_eq(load_text(un, &cfg2), 0, "uncommented: %s", mc_err());
	dump(&cfg2, &got2);
	cr_expect_str_eq(got2.p, want.p);

	free(un);
	pol_config_free(&builtin);
	pol_config_free(&cfg);
	pol_config_free(&cfg2);
	mc_buf_free(&text);
	mc_buf_free(&want);
	mc_buf_free(&got);
	mc_buf_free(&got2);
	mc_strv_free(&doms);
}

Test(config, default_text_without_domains)
{
	struct mc_buf text = { 0 };
	struct mc_strv bad = { 0 };

	cr_assert_eq(pol_config_default_text(NULL, &text), 0);
	cr_expect(strstr(text.p, "no name constraints") != NULL);
	mc_buf_free(&text);
	cr_assert_eq(mc_strv_push(&bad, "example.org\n[profile.x]"), 0);
	cr_expect_eq(pol_config_default_text(&bad, &text), -1);
	mc_buf_free(&text);
	mc_strv_free(&bad);
}

/* Each built-in daemon profile says how to tell whether it runs (issue
 * 13 item 1): systemctl where systemd is the init, else the daemon's own
 * status or pid file; a reload of one's own drops the built-in check. */
Test(config, builtin_running_checks)
{
	struct pol_config cfg;
	const struct pol_profile *p;
	struct stat st;
	int systemd = lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
	const char *names[] = { "smtpd", "dovecot", "nginx" };
	const char *own[] = { "postfix", "start-stop-daemon", "start-stop-daemon" };

	cr_assert_eq(pol_config_load(NULL, &cfg), 0, "%s", mc_err());
	for (size_t i = 0; i < 3; i++) {
		p = pol_profile_find(&cfg, names[i]);
		cr_assert_not_null(p);
		cr_assert_geq(p->running.n, 2, "%s has no running check", names[i]);
		cr_expect_str_eq(p->running.v[0], systemd ? "systemctl" : own[i], "%s", names[i]);
		cr_expect_eq(p->running_given, 0);
	}
	p = pol_profile_find(&cfg, "server");
	cr_expect_eq(p->running.n, 0, "server has a running check");
	pol_config_free(&cfg);
	{
		static const char conf[] = "[profile.nginx]\nreload = /bin/true\n";

		cr_assert_eq(pol_config_load_mem("test", conf, sizeof(conf) - 1, &cfg), 0, "%s", mc_err());
	}
	p = pol_profile_find(&cfg, "nginx");
	cr_expect_eq(p->running.n, 0, "a reload of one's own kept the built-in running check");
	pol_config_free(&cfg);
}
