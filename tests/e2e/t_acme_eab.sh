#!/bin/sh
# External Account Binding (RFC 8555 §7.3.4): 'minica acme eab new|list|
# revoke', then 'minica acme serve' with eab = required against
# acme_eab.py: missing/bad MAC, unknown, reused and revoked key ids, wrong
# url, a payload that is not the account key, names outside a key id's
# --domain list, account update, keyChange (409 for a key in use) and
# deactivation.  The HMAC keys are 0600 files, never in minica.db, gone
# once bound or revoked.
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ "${ACME_E2E_NS:-}" != 1 ]; then
	ACME_E2E_NS=1 exec unshare -m sh "$0" "$@"
fi
# shellcheck source=tests/e2e/lib.sh
. "$here/lib.sh"
# shellcheck source=tests/e2e/acme.sh
. "$here/acme.sh"

e2e_init
acme_ca
port=$(e2e_port) || e2e_fail "no free port"

# ---- the command line
eab_new() { # NAME ARGS...: the key id's JSON line
	"$MINICA_BIN" acme eab new --json "$@" 2>"$E2E_DIR/eab.err" || { e2e_show_log "$E2E_DIR/eab.err"; e2e_fail "eab new $*"; }
}
good=$(eab_new --name good) && spare=$(eab_new --name spare) &&
	limited=$(eab_new --name 'limited one' --domain OK.example.test) && revoked=$(eab_new --name revoked) ||
	e2e_fail "eab new"
kid_of() { printf '%s' "$1" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["kid"])'; }
hmac_of() { printf '%s' "$1" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["hmac"])'; }
[ "$(hmac_of "$good" | tr -d 'A-Za-z0-9_-' | wc -c)" -eq 1 ] && [ "$(hmac_of "$good" | wc -c)" -eq 44 ] ||
	e2e_fail "the HMAC key is not 256 bits in base64url without padding: $(hmac_of "$good")"
printf '%s' "$limited" | grep -q '"domains": \["ok.example.test"\]' || e2e_fail "--domain not normalised: $limited"
"$MINICA_BIN" acme eab revoke "$(kid_of "$revoked")" >/dev/null || e2e_fail "eab revoke"
"$MINICA_BIN" acme eab revoke "$(kid_of "$revoked")" >/dev/null 2>&1 && e2e_fail "a second revoke succeeded"
"$MINICA_BIN" acme eab new --domain www.example.org >/dev/null 2>"$E2E_DIR/out.err"
[ $? -eq 1 ] && grep -q "not a name this CA issues for" "$E2E_DIR/out.err" || e2e_fail "--domain outside the CA accepted"
"$MINICA_BIN" acme eab new --domain 'a b' >/dev/null 2>&1
[ $? -eq 64 ] || e2e_fail "a bad --domain is not a usage error"
"$MINICA_BIN" acme eab revoke >/dev/null 2>&1
[ $? -eq 64 ] || e2e_fail "eab revoke without KID is not a usage error"
eabdir=$MINICA_HOME/private/eab
[ "$(stat -c %a "$eabdir")" = 700 ] || e2e_fail "$eabdir is not 0700"
[ "$(stat -c %a "$eabdir/$(kid_of "$good")")" = 600 ] || e2e_fail "the HMAC key file is not 0600"
[ ! -e "$eabdir/$(kid_of "$revoked")" ] || e2e_fail "the revoked key id's HMAC key is still on disk"
for j in "$good" "$spare" "$limited"; do
	if grep -q -- "$(hmac_of "$j")" "$MINICA_HOME"/minica.db*; then e2e_fail "an HMAC key is in minica.db"; fi
	if "$MINICA_BIN" acme eab list --json | grep -q -- "$(hmac_of "$j")"; then e2e_fail "eab list shows an HMAC key"; fi
done
printf '{"good": %s, "spare": %s, "limited": %s, "revoked": %s}\n' "$good" "$spare" "$limited" "$revoked" >"$E2E_DIR/keys.json"

# ---- the server
# eab = required is the default: the section does not name it.
acme_serve "$acme" "$port"

REQUESTS_CA_BUNDLE="$MINICA_HOME/ca.crt" timeout 300 /usr/bin/python3 "$here/acme_eab.py" "https://$acme:$port/acme/directory" \
	"$MINICA_HOME/ca.crt" "$E2E_DIR/keys.json" >"$E2E_DIR/eab.log" 2>&1 ||
	{ e2e_show_log "$E2E_DIR/eab.log"; e2e_show_log "$E2E_DIR/acme/log"; e2e_fail "EAB requests"; }
e2e_log "$(grep -c '^ok' "$E2E_DIR/eab.log") EAB, update and keyChange cases answered as RFC 8555 says"

# ---- what the store says afterwards
"$MINICA_BIN" acme eab list >"$E2E_DIR/list.out" || e2e_fail "eab list"
for k in "$good" "$spare" "$limited"; do
	grep -q "^$(kid_of "$k") *bound " "$E2E_DIR/list.out" || { e2e_show_log "$E2E_DIR/list.out"; e2e_fail "$(kid_of "$k") not bound"; }
	[ ! -e "$eabdir/$(kid_of "$k")" ] || e2e_fail "a bound key id's HMAC key is still on disk"
done
grep -q "^$(kid_of "$revoked") *revoked " "$E2E_DIR/list.out" || e2e_fail "the revoked key id is not listed as revoked"
"$MINICA_BIN" acme accounts --json >"$E2E_DIR/accounts.json" || e2e_fail "acme accounts"
grep -q "\"eab_kid\": \"$(kid_of "$limited")\", \"eab_name\": \"limited one\"" "$E2E_DIR/accounts.json" ||
	{ e2e_show_log "$E2E_DIR/accounts.json"; e2e_fail "acme accounts does not show the key id and its name"; }
"$MINICA_BIN" acme accounts | grep -q "deactivated .* eab=$(kid_of "$good") good" ||
	e2e_fail "acme accounts does not show the deactivated account's key id"
"$MINICA_BIN" log >"$E2E_DIR/audit.out" 2>&1
for a in acme-key-change acme-eab-revoke acme-account-update acme-deactivate; do
	grep -q "$a" "$E2E_DIR/audit.out" || e2e_fail "no $a event in the audit log"
done
e2e_pid_alive "$(cat "$E2E_DIR/acme/acme.pid")" || e2e_fail "the server died"
