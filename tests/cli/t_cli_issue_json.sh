#!/bin/sh
# issue --json: file paths and issued/skipped; --p12 without --out
# writes only the PKCS#12 file (issue 18).
. "$(dirname "$0")/lib.sh"
new_ca
export MINICA_PASSPHRASE="correct horse battery staple"
printf 'kit passphrase 123\n' > "$T/p12pass"
expect 0 mc issue server --cn j.example.org --out "$T/o" --json
python3 - "$T/out" "$T/o" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
assert d["issued"] is True, d
f = d["files"]
assert f["certificate"] == sys.argv[2] + "/j.example.org.crt", f
assert f["fullchain"] == sys.argv[2] + "/j.example.org-fullchain.crt", f
assert f["key"] == sys.argv[2] + "/j.example.org.key", f
assert f["p12"] is None, f
for k in ("certificate", "fullchain", "key"):
    assert os.path.isfile(f[k]), f[k]
PY
# The same again: kept, not issued, nothing written.
expect 0 mc issue server --cn j.example.org --out "$T/o" --json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["issued"] is False and all(v is None for v in d["files"].values()), d
' "$T/out" || fail "idempotent issue --json"

# --p12 alone: the kit only, no unencrypted key beside it.
mkdir "$T/cwd"
cd "$T/cwd"
expect 0 mc issue client --cn alice@example.org --p12 alice.p12 --p12-passphrase-file "$T/p12pass" --json
[ "$(ls -A "$T/cwd")" = "alice.p12" ] || { ls -la "$T/cwd"; fail "--p12 wrote more than the PKCS#12 file"; }
contains "$T/out" '"p12":"alice.p12"'
contains "$T/out" '"key":null'
openssl pkcs12 -in alice.p12 -passin "file:$T/p12pass" -nokeys -noout 2>/dev/null || fail "alice.p12 unreadable"
# With --out the files are there too.
expect 0 mc issue client --cn bob@example.org --p12 bob.p12 --p12-passphrase-file "$T/p12pass" --out "$T/o"
[ -f "$T/o/bob@example.org.key" ] || ls "$T/o"
