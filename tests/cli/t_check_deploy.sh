#!/bin/sh
# check on deployments (changed, deleted, re-moded, mismatched files),
# renew redeploying and reloading, and --probe against a real TLS server.
. "$(dirname "$0")/lib.sh"
new_ca
export MINICA_PASSPHRASE="correct horse battery staple"
CALLS=$T/calls
printf '#!/bin/sh\nprintf "%%s\\n" "$*" >>"%s"\n' "$CALLS" >"$T/recorder.sh"
chmod 755 "$T/recorder.sh"
port=$((20000 + $$ % 9000))
printf '[profile.nginx]\nreload = %s nginx reload\nprobe = 127.0.0.1:%s\n' "$T/recorder.sh" "$port" >>"$MINICA_HOME/minica.conf"
calls() { if [ -f "$CALLS" ]; then wc -l <"$CALLS"; else echo 0; fi; }
mkdir "$T/w" && cd "$T/w"
crt=$ROOT/etc/ssl/certs/nginx.crt
key=$ROOT/etc/ssl/private/nginx.key

expect 0 mc issue nginx --cn www.example.org --deploy --root "$ROOT"
[ "$(calls)" -eq 1 ] || fail "issue --deploy did not reload"
expect 0 mc check --root "$ROOT"
contains "$T/out" "1 deployment"
contains "$T/out" "MINICA OK"

# Each kind of drift is CRITICAL and names the file.
cp -p "$crt" "$T/crt.bak"
cp -p "$key" "$T/key.bak"
echo "# edited" >> "$crt"
expect 2 mc check --root "$ROOT"
contains "$T/out" "CRITICAL: nginx deployment under $ROOT"
contains "$T/out" "$crt"
cp -p "$T/crt.bak" "$crt"
expect 0 mc check --root "$ROOT"
chmod 644 "$key"
expect 2 mc check --root "$ROOT"
contains "$T/out" "$key"
contains "$T/out" "mode"
chmod 600 "$key"
rm "$crt"
expect 2 mc check --root "$ROOT" --json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["code"] == 2 and d["deployments"] == 1
assert any(sys.argv[2] in p["message"] for p in d["problems"]), d
' "$T/out" "$crt" || fail "missing file in JSON"
cp -p "$T/crt.bak" "$crt"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/other.key" 2>/dev/null
cp "$T/other.key" "$key" && chmod 600 "$key"
expect 2 mc check --root "$ROOT"
contains "$T/out" "$key"
cp -p "$T/key.bak" "$key"
expect 0 mc check --root "$ROOT"

# --probe: a real TLS server on 127.0.0.1 serving the deployed pair.
openssl s_server -quiet -accept "127.0.0.1:$port" -cert "$crt" -key "$key" -www </dev/null >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$T"' EXIT
i=0
until "$MINICA_BIN" check --root "$ROOT" --probe >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 50 ] || { mc check --root "$ROOT" --probe; fail "probe never OK"; }
	sleep 0.1
done

# renew redeploys and reloads; the server still serves the old one (it
# was never reloaded), which --probe catches.
before=$(calls)
old=$(openssl x509 -in "$crt" -noout -fingerprint -sha256)
expect 0 mc renew --force nginx --root "$ROOT"
contains "$T/out" "redeployed"
[ "$(calls)" -eq $((before + 1)) ] || fail "renew did not reload"
[ "$(openssl x509 -in "$crt" -noout -fingerprint -sha256)" != "$old" ] || fail "renew did not replace the deployed certificate"
[ "$(openssl x509 -in "$crt" -noout -pubkey | sha256sum)" = "$(openssl pkey -in "$key" -pubout | sha256sum)" ] ||
	fail "renewed pair does not match"
[ -z "$(ls -A "$T/w")" ] || fail "renew of a deployed certificate wrote files to the current folder"
expect 0 mc check --root "$ROOT"
expect 2 mc check --root "$ROOT" --probe
contains "$T/out" "127.0.0.1:$port serves another certificate"
contains "$T/out" "reloaded"
kill $server
wait $server 2>/dev/null || true
expect 2 mc check --root "$ROOT" --probe
contains "$T/out" "refused"

# A renewal whose redeploy fails keeps the previous pair, saves the new
# files, and check says the deployed certificate was renewed elsewhere.
sed -i "s|^reload = $T/recorder.sh nginx reload|reload = /bin/false|" "$MINICA_HOME/minica.conf"
held=$(sha256sum < "$crt")
expect 1 mc renew --force nginx --root "$ROOT" --out "$T/saved"
contains "$T/err" "deploying it under"
[ "$(sha256sum < "$crt")" = "$held" ] || fail "failed redeploy changed the deployed pair"
[ -f "$T/saved/www.example.org.key" ] || fail "new key not saved after a failed redeploy"
expect 1 mc check --root "$ROOT"
contains "$T/out" "was renewed as"
