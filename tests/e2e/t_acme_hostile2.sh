#!/bin/sh
# 'minica acme serve' against hostile challenge targets and bad CSRs
# (acme_hostile2.py, which is also the http-01 target): a target that
# answers slowly, redirects in circles, sends 64 MiB, answers wrongly, 404
# or refuses the connection leaves the challenge invalid with the right
# problem within bounded time while the server answers others; Retry-After
# while validating; weak keys and other names in a CSR get badCSR; a
# deactivated account is refused.  Then 'minica show' and 'minica log'
# name the account and the challenge of the certificate issued.
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
names=""
for n in ok1 ok2 ok3 ok4 ok5 ok6 slow loop huge wrong missing; do names="$names $n.example.test"; done
acme_ca "$names"
echo "127.0.0.2 refused.example.test" >>"$E2E_DIR/hosts"
port=$(e2e_port) && http=$(e2e_port) || e2e_fail "no free port"

acme_serve "$acme" "$port" eab=no http01_port="$http"

REQUESTS_CA_BUNDLE="$MINICA_HOME/ca.crt" timeout 300 /usr/bin/python3 "$here/acme_hostile2.py" \
	"https://$acme:$port/acme/directory" "$MINICA_HOME/ca.crt" "$http" >"$E2E_DIR/hostile.log" 2>&1 ||
	{ e2e_show_log "$E2E_DIR/hostile.log"; e2e_show_log "$E2E_DIR/acme/log"; e2e_fail "hostile targets and CSRs"; }
e2e_log "$(grep -c '^ok' "$E2E_DIR/hostile.log") hostile cases answered as RFC 8555 says"
e2e_pid_alive "$(cat "$E2E_DIR/acme/acme.pid")" || e2e_fail "the server died"

# ---- show and log name the account and the challenge behind the certificate
serial=$(sed -n 's/^serial //p' "$E2E_DIR/hostile.log")
[ -n "$serial" ] || e2e_fail "no certificate was issued"
"$MINICA_BIN" show "$serial" >"$E2E_DIR/show.txt" 2>&1 || { e2e_show_log "$E2E_DIR/show.txt"; e2e_fail "show $serial"; }
grep -q '^acme account  *1 ' "$E2E_DIR/show.txt" || { e2e_show_log "$E2E_DIR/show.txt"; e2e_fail "show names no ACME account"; }
grep -q '^validated  *ok4\.example\.test by http-01 at 20' "$E2E_DIR/show.txt" ||
	{ e2e_show_log "$E2E_DIR/show.txt"; e2e_fail "show names no challenge for ok4.example.test"; }
"$MINICA_BIN" show --json "$serial" >"$E2E_DIR/show.json" || e2e_fail "show --json"
python3 - "$E2E_DIR/show.json" <<'PY' || e2e_fail "show --json lacks the ACME account and challenge"
import json, sys
j = json.load(open(sys.argv[1]))["acme"]
assert j["account"]["id"] == 1 and j["account"]["status"] == "valid", j
v = j["validations"]
assert [x["name"] for x in v] == ["ok4.example.test"] and v[0]["challenge"] == "http-01", v
assert v[0]["validated"].startswith("20"), v
PY
"$MINICA_BIN" log >"$E2E_DIR/log.txt" 2>&1 || e2e_fail "log"
grep "acme-issue" "$E2E_DIR/log.txt" | grep -q "$serial" &&
	grep "acme-valid" "$E2E_DIR/log.txt" | grep "$serial" | grep -q "account=1 order=" ||
	{ e2e_show_log "$E2E_DIR/log.txt"; e2e_fail "log does not show the ACME issuance with its account"; }
# A certificate minica issue made names no account.
"$MINICA_BIN" issue server --cn cli.example.test --out "$E2E_DIR/cli" >/dev/null 2>&1 || e2e_fail "issue"
cli=$("$MINICA_BIN" list --json | python3 -c 'import json,sys; print([c["serial"] for c in json.load(sys.stdin) if c["cn"] == "cli.example.test"][0])') ||
	e2e_fail "list --json"
"$MINICA_BIN" show "$cli" | grep -q '^acme' && e2e_fail "show names an ACME account for a certificate minica issue made"
"$MINICA_BIN" show --json "$cli" | grep -q '"acme":null' || e2e_fail "show --json has no \"acme\": null for a certificate minica issue made"
exit 0
