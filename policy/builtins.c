/*
 * policy/builtins.c: the built-in profiles and [minica] defaults.
 *
 * Built-ins are written as the same "key = value" text a user puts in
 * minica.conf and go through the same setters, so a built-in can never
 * hold a value the config file would refuse.
 */
#include <stdio.h>
#include <sys/stat.h>

#include "internal.h"

struct builtin {
	const char *name;
	const char *kv[24];		/* key, value, ..., NULL */
	const char *systemd_unit;	/* running = systemctl is-active --quiet UNIT under systemd */
};

/*
 * rsa2048 by default: every mail client still in use (old Outlook, phones,
 * embedded MTAs) speaks it; ec256 is offered for those who know their peers.
 */
static const struct builtin builtins[] = {
	{ "smtpd", {
		"description", "Postfix SMTP server (ports 25 and 587)",
		"eku", "serverAuth",
		"cert_file", "/etc/ssl/certs/smtpd.crt",
		"key_file", "/etc/ssl/private/smtpd.key",
		"reload", "postfix reload",
		"running", "postfix status",
		"probe", "localhost:25/smtp, localhost:587/smtp",
		"dane", "yes",
		NULL }, "postfix" },
	{ "dovecot", {
		"description", "Dovecot IMAP server (ports 143 and 993)",
		"eku", "serverAuth",
		"cert_file", "/etc/ssl/certs/dovecot.pem",
		"key_file", "/etc/ssl/private/dovecot.pem",
		"reload", "doveadm reload",
		"running", "start-stop-daemon --status --pidfile /run/dovecot/master.pid",
		"probe", "localhost:143/imap, localhost:993",
		NULL }, "dovecot" },
	{ "nginx", {
		"description", "nginx HTTPS server (port 443)",
		"eku", "serverAuth",
		"cert_file", "/etc/ssl/certs/nginx.crt",
		"key_file", "/etc/ssl/private/nginx.key",
		"reload", "nginx -s reload",
		"running", "start-stop-daemon --status --pidfile /run/nginx.pid",
		"probe", "localhost:443",
		NULL }, "nginx" },
	{ "server", {
		"description", "any TLS server; files are written where you say, nothing is deployed",
		"eku", "serverAuth",
		NULL } },
	{ "client", {
		"description", "TLS client authentication for a person or a machine",
		"eku", "clientAuth",
		"email_cn", "yes",
		NULL } },
};

/* sd_booted()'s test: where systemd is the init it knows best whether a
 * unit runs; elsewhere the daemon's own status or pid file answers. */
static int
builtin_systemd(struct pol_profile *p, const char *unit)
{
	struct stat st;
	char cmd[128];

	if (lstat("/run/systemd/system", &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	snprintf(cmd, sizeof(cmd), "systemctl is-active --quiet %s", unit);
	return pol_profile_set(p, "running", cmd);
}

int
pol_builtins(struct pol_config *cfg)
{
	const char *keys[2];

	cfg->reload_timeout = 30;
	pol_acme_defaults(&cfg->acme);
	if (pol_target_defaults(&cfg->ca_cert, 0644) < 0 ||
	    pol_minica_set(cfg, "dnssec_trust_anchor", POL_ROOT_TRUST_ANCHOR) < 0 ||
	    pol_minica_set(cfg, "ca_cert", "/etc/ssl/certs/minica-ca.pem") < 0)
		return -1;
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		const struct builtin *b = &builtins[i];
		struct pol_profile *p = pol_profile_new(cfg, b->name);

		if (p == NULL)
			return -1;
		for (size_t k = 0; b->kv[k] != NULL; k += 2)
			if (pol_profile_set(p, b->kv[k], b->kv[k + 1]) < 0) {
				mc_preferr("built-in profile %s: %s", b->name, b->kv[k]);
				return -1;
			}
		if (b->systemd_unit != NULL && builtin_systemd(p, b->systemd_unit) < 0)
			return -1;
		p->running_given = 0;
		if (pol_profile_check(p, keys) < 0) {
			mc_preferr("built-in profile %s", b->name);
			return -1;
		}
	}
	return 0;
}
