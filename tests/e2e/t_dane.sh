#!/bin/sh
# DANE end to end with real DNSSEC, in a private mount + network namespace
# (tests/e2e/dns.sh): nsd serves example.org signed by ldns-signzone and
# example.net unsigned, a validating unbound trusts only example.org's
# KSK, resolv.conf points at it.  A throw-away Postfix serves minica's
# smtpd deployment.  Checked by OpenSSL's DANE client (s_client
# -dane_tlsa_rrdata), Postfix's posttls-finger -l dane and minica's own
# check --dane (libunbound; --probe through SSL_dane_enable): no TLSA,
# the records minica dane prints, a wrong record, unsigned records, a
# renewal with 2 1 1 published, a rollover through a staged --next key
# with only 3 1 1 published, and renew refusing a renewal that would break
# DANE.
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$here/lib.sh"
# shellcheck source=tests/e2e/dns.sh
. "$here/dns.sh"
: "${MINICA_BIN:?set MINICA_BIN to the built minica}"
for b in nsd unbound unbound-control ldns-keygen ldns-signzone posttls-finger dig ip python3; do
	command -v "$b" >/dev/null 2>&1 || e2e_fail "missing $b (install nsd unbound ldnsutils postfix bind9-dnsutils)"
done
dns_enter_namespace "$here/t_dane.sh" "$@"

e2e_init
mc() { "$MINICA_BIN" "$@"; }
export MINICA_HOME="$E2E_DIR/home"
unset MINICA_PASSPHRASE 2>/dev/null || true
pass=$E2E_DIR/pass
(umask 077 && printf 'e2e passphrase for minica\n' >"$pass")
root=$E2E_DIR/root
mkdir -p "$root" "$E2E_DIR/cwd"
mx=mail.example.org
plain=mail.example.net

dns_start "$E2E_DIR/dns"
dns_dig "$mx" A >"$E2E_DIR/dig.out" 2>&1
grep -q 'flags:.* ad' "$E2E_DIR/dig.out" || { e2e_show_log "$E2E_DIR/dig.out"; e2e_fail "unbound does not validate example.org"; }

smtp=$(e2e_port) && sub=$(e2e_port) || e2e_fail "no free ports"
(umask 077 && printf 'e2e root passphrase\n' >"$E2E_DIR/rootpass")
mc init --domain example.org --domain example.net --passphrase-file "$pass" --root-passphrase-file "$E2E_DIR/rootpass" \
	>"$E2E_DIR/init.out" 2>&1 ||
	{ e2e_show_log "$E2E_DIR/init.out"; e2e_fail "minica init failed"; }
cat >>"$MINICA_HOME/minica.conf" <<CONF
[minica]
reload_timeout = 20
dnssec_trust_anchor = $E2E_DIR/dns/ta.ds
[profile.smtpd]
reload = postfix -c $E2E_DIR/postfix/conf reload
probe = 127.0.0.1:$smtp/smtp
dane_port = $smtp
CONF
(cd "$E2E_DIR/cwd" && mc issue smtpd --cn "$mx" --san "$plain" --deploy --root "$root" --no-reload \
	--passphrase-file "$pass") >"$E2E_DIR/issue.out" 2>&1 || { e2e_show_log "$E2E_DIR/issue.out"; e2e_fail "issue smtpd"; }
mc snippet postfix --root "$root" | sed '/master\.cf/,$d' >"$E2E_DIR/postfix.snippet" || e2e_fail "snippet postfix"
e2e_postfix_start "$E2E_DIR/postfix" "$smtp" "$sub" "$E2E_DIR/postfix.snippet"

# A Postfix client configuration for posttls-finger: DNSSEC lookups, DANE.
mkdir -p "$E2E_DIR/client"
cat >"$E2E_DIR/client/main.cf" <<CONF
compatibility_level = 3.6
smtp_dns_support_level = dnssec
smtp_tls_security_level = dane
CONF

# finger: posttls-finger -l dane against the test Postfix, output in finger.out
finger() {
	MAIL_CONFIG=$E2E_DIR/client timeout -k 2 30 posttls-finger -c -l dane -t 10 -T 10 \
		"[$mx]:$smtp" >"$E2E_DIR/finger.out" 2>&1
	cat "$E2E_DIR/finger.out" >>"$E2E_DIR/finger.all"
}
expect_finger_verified() {
	finger
	grep -q "Verified TLS connection established to $mx\[127.0.0.1\]:$smtp" "$E2E_DIR/finger.out" ||
		{ e2e_show_log "$E2E_DIR/finger.out"; e2e_fail "posttls-finger: no verified DANE connection ($1)"; }
}
# expect_finger_refused WHY [PATTERN]: no verified connection, and PATTERN
# (default: an untrusted connection) in posttls-finger's output.
expect_finger_refused() {
	finger
	if grep -q "Verified TLS connection" "$E2E_DIR/finger.out"; then
		e2e_show_log "$E2E_DIR/finger.out"; e2e_fail "posttls-finger verified despite $1"
	fi
	grep -q "${2:-Untrusted TLS connection established}" "$E2E_DIR/finger.out" ||
		{ e2e_show_log "$E2E_DIR/finger.out"; e2e_fail "posttls-finger did not report the failure ($1)"; }
}
# check_dane CODE ARGS: minica check --dane, which must exit CODE; output in check.out
check_dane() {
	want=$1
	shift
	mc check --dane --root "$root" "$@" >"$E2E_DIR/check.out" 2>&1
	got=$?
	[ "$got" -eq "$want" ] || { e2e_show_log "$E2E_DIR/check.out"; e2e_fail "check --dane $*: exit $got, expected $want"; }
}
has() { grep -qF -- "$2" "$1" || { e2e_show_log "$1"; e2e_fail "'$1' lacks '$2'"; }; }
hasnt() { if grep -qF -- "$2" "$1"; then e2e_show_log "$1"; e2e_fail "'$1' has '$2'"; fi; }
# zone_lines FILE: the example.org records of a 'minica dane' output
zone_lines() { grep "\.example\.org\. IN TLSA" "$1"; }

# ---- 1: no TLSA anywhere: information, exit 0; posttls-finger finds no DANE
check_dane 0
has "$E2E_DIR/check.out" "INFO: smtpd DANE $mx"
has "$E2E_DIR/check.out" "no TLSA records at _$smtp._tcp.$mx. (validated)"
has "$E2E_DIR/check.out" "no TLSA records at _$smtp._tcp.$plain.: DANE"
finger
hasnt "$E2E_DIR/finger.out" "Verified TLS connection"
e2e_log "no TLSA: check --dane says so"

# ---- 2: OpenSSL's DANE client against the deployed files as Postfix serves them
mc dane --port "$smtp" --json >"$E2E_DIR/dane.json" || e2e_fail "minica dane --json"
rr() { python3 -c 'import json,sys; print(" ".join("%d %d %d %s" % (r["usage"], r["selector"], r["mtype"], r["data"]) for r in json.load(open(sys.argv[1])) if r["name"] == sys.argv[2] and r["usage"] == int(sys.argv[3]) and not r["next"]))' "$E2E_DIR/dane.json" "$mx" "$1"; }
ta=$(rr 2)
ee=$(rr 3)
[ -n "$ta" ] && [ -n "$ee" ] || e2e_fail "minica dane printed no 2 1 1 / 3 1 1 record"
sclient() {
	timeout -k 2 "$E2E_CLIENT_TIMEOUT" openssl s_client -connect "127.0.0.1:$smtp" -starttls smtp \
		-dane_tlsa_domain "$mx" -dane_tlsa_rrdata "$1" -verify_return_error </dev/null >"$E2E_DIR/sclient.out" 2>&1
}
for r in "$ta" "$ee"; do
	sclient "$r" || { e2e_show_log "$E2E_DIR/sclient.out"; e2e_fail "s_client -dane_tlsa_rrdata '$r' failed"; }
	grep -q "^DANE TLSA ${r%% *} 1 1 .* matched" "$E2E_DIR/sclient.out" && grep -q "^Verification: OK" "$E2E_DIR/sclient.out" ||
		{ e2e_show_log "$E2E_DIR/sclient.out"; e2e_fail "s_client did not report the TLSA match for '$r'"; }
done
other=$(openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null | openssl pkey -pubout -outform DER | sha256sum | cut -d' ' -f1)
if sclient "3 1 1 $other"; then e2e_show_log "$E2E_DIR/sclient.out"; e2e_fail "s_client accepted a record for another key"; fi
hasnt "$E2E_DIR/sclient.out" "Verification: OK"
e2e_log "openssl s_client: 2 1 1 and 3 1 1 match, another key's record does not"

# ---- 3: the records minica dane prints, published and signed
mc dane --port "$smtp" >"$E2E_DIR/dane.zone" || e2e_fail "minica dane"
dns_publish "$E2E_DIR/dns" "$(zone_lines "$E2E_DIR/dane.zone")" ""
dns_dig "_$smtp._tcp.$mx" TLSA >"$E2E_DIR/dig.out" 2>&1
grep -q 'flags:.* ad' "$E2E_DIR/dig.out" && grep -q "TLSA.*2 1 1" "$E2E_DIR/dig.out" ||
	{ e2e_show_log "$E2E_DIR/dig.out"; e2e_fail "the published TLSA records do not validate"; }
check_dane 0 --probe
hasnt "$E2E_DIR/check.out" "WARNING"
has "$E2E_DIR/check.out" "verified by OpenSSL's DANE verifier against _$smtp._tcp.$mx."
expect_finger_verified "minica's records"
e2e_log "published: check --dane --probe and posttls-finger verify"

# ---- 4: a record for another key only: CRITICAL, the probe fails, posttls-finger refuses
dns_publish "$E2E_DIR/dns" "_$smtp._tcp.$mx. IN TLSA 3 1 1 $other" ""
check_dane 2
has "$E2E_DIR/check.out" "CRITICAL: smtpd DANE $mx"
has "$E2E_DIR/check.out" "no TLSA record at _$smtp._tcp.$mx. matches the deployed certificate"
check_dane 2 --probe
has "$E2E_DIR/check.out" "serves a chain OpenSSL's DANE verifier rejects"
expect_finger_refused "a record for another key"
e2e_log "wrong record: CRITICAL, probe and posttls-finger fail"

# ---- 5: records in the unsigned zone: WARNING (DANE senders ignore them)
dns_publish "$E2E_DIR/dns" "$(zone_lines "$E2E_DIR/dane.zone")" "_$smtp._tcp.mail IN TLSA $ta"
check_dane 1
has "$E2E_DIR/check.out" "WARNING: smtpd DANE $plain"
has "$E2E_DIR/check.out" "are not DNSSEC-validated"
hasnt "$E2E_DIR/check.out" "CRITICAL"
e2e_log "unsigned records: WARNING"

# ---- 6: a forged record (its signature no longer verifies): bogus, CRITICAL
dns_publish "$E2E_DIR/dns" "$(zone_lines "$E2E_DIR/dane.zone")" "" "s/\(TLSA[[:space:]]*3 1 1 \)[0-9a-fA-F]/\10/"
dns_dig "_$smtp._tcp.$mx" TLSA >"$E2E_DIR/dig.out" 2>&1
grep -q "status: SERVFAIL" "$E2E_DIR/dig.out" || { e2e_show_log "$E2E_DIR/dig.out"; e2e_fail "the forged record was not bogus"; }
check_dane 2
has "$E2E_DIR/check.out" "DNSSEC validation of _$smtp._tcp.$mx. fails"
expect_finger_refused "a bogus TLSA RRset" "TLSA lookup error for $mx:$smtp"
e2e_log "bogus records: CRITICAL"

# ---- 7: 2 1 1 alone survives renew: the root is in the served chain
dns_publish "$E2E_DIR/dns" "$(zone_lines "$E2E_DIR/dane.zone" | grep 'TLSA 2 1 1')" ""
expect_finger_verified "2 1 1 only"
old=$(e2e_fp "$root/etc/ssl/certs/smtpd.crt")
# --days 400 makes it due without --force, so renew's DANE check runs (and passes: 2 1 1).
mc renew --days 400 --root "$root" --passphrase-file "$pass" >"$E2E_DIR/renew.out" 2>&1 ||
	{ e2e_show_log "$E2E_DIR/renew.out"; e2e_fail "minica renew"; }
[ "$(e2e_fp "$root/etc/ssl/certs/smtpd.crt")" != "$old" ] || e2e_fail "renew did not redeploy"
e2e_wait_served openssl "$smtp" smtp "$mx" "$root/etc/ssl/certs/minica-ca.pem" "$root/etc/ssl/certs/smtpd.crt"
check_dane 0 --probe
has "$E2E_DIR/check.out" "(record 2 1 1, depth 2)"
expect_finger_verified "2 1 1 after renew"
grep -q "Matched DANE TA certificate at depth 2: 2 1 1" "$E2E_DIR/finger.out" ||
	{ e2e_show_log "$E2E_DIR/finger.out"; e2e_fail "posttls-finger did not match the 2 1 1 record"; }
# The old key's 3 1 1 alone: the mail-losing case.
dns_publish "$E2E_DIR/dns" "$(zone_lines "$E2E_DIR/dane.zone" | grep 'TLSA 3 1 1')" ""
check_dane 2 --probe
has "$E2E_DIR/check.out" "no TLSA record at _$smtp._tcp.$mx. matches the deployed certificate"
expect_finger_refused "the old key's 3 1 1 after renew"
e2e_log "renew: 2 1 1 still verifies; the old 3 1 1 alone is CRITICAL"

# ---- 8: key rollover with 3 1 1 only: a certificate due in 10 days, its
# next key staged and published before renew, which then uses it
(cd "$E2E_DIR/cwd" && mc issue smtpd --cn "$mx" --san "$plain" --days 40 --force --deploy --root "$root" \
	--passphrase-file "$pass") >"$E2E_DIR/issue2.out" 2>&1 || { e2e_show_log "$E2E_DIR/issue2.out"; e2e_fail "issue smtpd --days 40"; }
mc dane --port "$smtp" >"$E2E_DIR/dane.zone" || e2e_fail "minica dane"
mc dane --port "$smtp" --next --passphrase-file "$pass" >"$E2E_DIR/next.zone" || e2e_fail "minica dane --next"
cur311=$(zone_lines "$E2E_DIR/dane.zone" | grep 'TLSA 3 1 1')
next311=$(zone_lines "$E2E_DIR/next.zone" | grep 'TLSA 3 1 1' | grep -vxF "$cur311")
[ -n "$next311" ] || e2e_fail "dane --next printed no record for the next key"
dns_publish "$E2E_DIR/dns" "$cur311" ""
e2e_wait_served openssl "$smtp" smtp "$mx" "$root/etc/ssl/certs/minica-ca.pem" "$root/etc/ssl/certs/smtpd.crt"
check_dane 1
has "$E2E_DIR/check.out" "the staged next key is not published at _$smtp._tcp.$mx. and renewal is due in"
expect_finger_verified "the current 3 1 1"
dns_publish "$E2E_DIR/dns" "$cur311
$next311" ""
check_dane 0 --probe
hasnt "$E2E_DIR/check.out" "WARNING"
e2e_log "next key: unpublished is a WARNING near renewal, published is OK"

# ---- 9: renew refuses what would break DANE, then rolls over to the staged key
spki() { openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1; }
staged=$(ls "$MINICA_HOME/private/dane-next/"*.key) || e2e_fail "no staged key"
# renew_deployed ARGS: renew the deployed smtpd certificate (by serial), output in renew.out
renew_deployed() {
	serial=$(openssl x509 -in "$root/etc/ssl/certs/smtpd.crt" -noout -serial | cut -d= -f2)
	(cd "$E2E_DIR/cwd" && mc renew "$serial" --root "$root" --passphrase-file "$pass" "$@") >"$E2E_DIR/renew.out" 2>&1
}
dns_publish "$E2E_DIR/dns" "$cur311" ""
old=$(e2e_fp "$root/etc/ssl/certs/smtpd.crt")
if renew_deployed --days 45; then
	e2e_show_log "$E2E_DIR/renew.out"; e2e_fail "renew went ahead with only the current key's 3 1 1 published"
fi
has "$E2E_DIR/renew.out" "renewing would break DANE for $mx"
has "$E2E_DIR/renew.out" "publish the next key's 3 1 1 record"
[ "$(e2e_fp "$root/etc/ssl/certs/smtpd.crt")" = "$old" ] || e2e_fail "a refused renewal changed the deployment"
[ -f "$staged" ] || e2e_fail "a refused renewal used the staged key"
dns_publish "$E2E_DIR/dns" "$cur311
$next311" ""
renew_deployed --days 45 || { e2e_show_log "$E2E_DIR/renew.out"; e2e_fail "renew with the next key published"; }
[ "$(e2e_fp "$root/etc/ssl/certs/smtpd.crt")" != "$old" ] || e2e_fail "renew did not redeploy"
new=$(spki "$root/etc/ssl/certs/smtpd.crt")
[ "$next311" = "_$smtp._tcp.$mx. IN TLSA 3 1 1 $new" ] || e2e_fail "renew did not certify the staged key ($new)"
[ ! -e "$staged" ] || e2e_fail "the used staged key was kept"
e2e_wait_served openssl "$smtp" smtp "$mx" "$root/etc/ssl/certs/minica-ca.pem" "$root/etc/ssl/certs/smtpd.crt"
expect_finger_verified "the staged key's 3 1 1 after renew"
grep -q "Matched DANE EE certificate at depth 0: 3 1 1 $(echo "$new" | tr a-f A-F)" "$E2E_DIR/finger.out" ||
	{ e2e_show_log "$E2E_DIR/finger.out"; e2e_fail "posttls-finger did not match the staged key's record"; }
check_dane 0 --probe
hasnt "$E2E_DIR/check.out" "WARNING"
# Renewing again, with no key staged and 3 1 1 records only: refused, saying to stage one.
if renew_deployed --days 45; then
	e2e_show_log "$E2E_DIR/renew.out"; e2e_fail "renew went ahead with no next key and 3 1 1 only"
fi
has "$E2E_DIR/renew.out" "run 'minica dane --next'"
# --force overrides (and would break DANE: check says so).
renew_deployed --force || { e2e_show_log "$E2E_DIR/renew.out"; e2e_fail "renew --force"; }
e2e_wait_served openssl "$smtp" smtp "$mx" "$root/etc/ssl/certs/minica-ca.pem" "$root/etc/ssl/certs/smtpd.crt"
check_dane 2
expect_finger_refused "3 1 1 records of keys no longer served"
e2e_log "renew: refused without the next key published, rolled over to it with 3 1 1 only, --force overrides"
