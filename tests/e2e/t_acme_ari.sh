#!/bin/sh
# RFC 9773 against 'minica acme serve' (acme_ari.py): renewal windows,
# newOrder's replaces (refused for another account, no shared name, an
# unknown certID, a second replacement: 409 alreadyReplaced), the replaced
# certificate superseded in the store, a revocation from the command line
# seen by renewalInfo at once, and a revoked certificate's replacement.
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
acme_ca ari.example.test
port=$(e2e_port) || e2e_fail "no free port"
http=$(e2e_port) || e2e_fail "no free port"
acme_serve "$acme" "$port" eab=no http01_port="$http"

dir=https://$acme:$port/acme/directory
ari() {
	REQUESTS_CA_BUNDLE="$MINICA_HOME/ca.crt" timeout 300 /usr/bin/python3 "$here/acme_ari.py" "$dir" "$MINICA_HOME/ca.crt" "$http" "$1" "$E2E_DIR/state.json" \
		>"$E2E_DIR/ari-$1.log" 2>&1 || { e2e_show_log "$E2E_DIR/ari-$1.log"; e2e_show_log "$E2E_DIR/acme/log"; e2e_fail "acme_ari.py $1"; }
}
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$E2E_DIR/state.json" "$1"; }
status() { "$MINICA_BIN" show "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])'; }

ari first
s1=$(field serial1) || e2e_fail "no serials from acme_ari.py"
s2=$(field serial2) || e2e_fail "no serials from acme_ari.py"
[ "$(status "$s1")" = superseded ] || e2e_fail "the replaced certificate $s1 is $(status "$s1"), not superseded"
[ "$(status "$s2")" = valid ] || e2e_fail "the replacement $s2 is not valid"
"$MINICA_BIN" show "$s1" >"$E2E_DIR/show1" 2>&1 || e2e_fail "show $s1"
grep -q "$s2" "$E2E_DIR/show1" || { e2e_show_log "$E2E_DIR/show1"; e2e_fail "show of the replaced certificate does not name its replacement"; }
"$MINICA_BIN" revoke "$s2" --yes >"$E2E_DIR/revoke.log" 2>&1 || { e2e_show_log "$E2E_DIR/revoke.log"; e2e_fail "revoke $s2"; }
ari revoked
s3=$(field serial3) || e2e_fail "no third serial"
[ "$(status "$s2")" = revoked ] || e2e_fail "the revoked certificate changed status when replaced"
[ "$(status "$s3")" = valid ] || e2e_fail "the revoked certificate's replacement is not valid"
e2e_log "$(cat "$E2E_DIR"/ari-*.log | grep -c '^ok') RFC 9773 cases"
e2e_pid_alive "$(cat "$E2E_DIR/acme/acme.pid")" || e2e_fail "the server died"
