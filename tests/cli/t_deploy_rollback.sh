#!/bin/sh
# A failing reload restores the previous pair and reloads again; a
# hanging reload is killed in bounded time; a crash between the two
# renames (simulated on disk + a pending row) is rolled forward by the
# next deploy, and an incomplete one rolled back.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

new_ca
CALLS=$T/calls
# Fails while $T/fail exists; hangs while $T/hang exists.
cat >"$T/recorder.sh" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>"$CALLS"
if [ -e "$T/hang" ]; then echo \$\$ >"$T/hang.pid"; exec sleep 60; fi
if [ -e "$T/fail" ]; then echo "recorder: configuration error" >&2; exit 1; fi
exit 0
EOF
chmod 755 "$T/recorder.sh"
cat >>"$MINICA_HOME/minica.conf" <<EOF
[minica]
reload_timeout = 2
[profile.smtpd]
reload = $T/recorder.sh smtpd
EOF
calls() { if [ -f "$CALLS" ]; then wc -l <"$CALLS"; else echo 0; fi; }
db() { sqlite3 "$MINICA_HOME/minica.db" "$1"; }
crt=$ROOT/etc/ssl/certs/smtpd.crt
key=$ROOT/etc/ssl/private/smtpd.key
pair() { sha256sum "$crt" "$key" | cut -d' ' -f1 | tr '\n' ' '; }
issue() { want=$1; shift; expect "$want" mc issue smtpd --cn mail.example.org --force --passphrase-file "$PASS" --root "$ROOT" --deploy "$@"; }

# ---- first deployment with a failing reload: nothing to go back to, so
# the new pair stays (and is recorded), exit 1
touch "$T/fail"
expect 1 mc issue smtpd --cn mail.example.org --deploy --root "$ROOT" --passphrase-file "$PASS"
contains "$T/err" "recorder: configuration error"
contains "$T/err" "the new certificate and key stay in place (there was no previous pair"
[ -f "$crt" ] && [ -f "$key" ] || fail "the only pair was removed after a failed first reload"
[ "$(db "SELECT state FROM deployments")" = current ] || fail "kept deployment not recorded"
rm "$T/fail"

# ---- a good pair, then a failing reload: the good pair is restored and reloaded again
issue 0
good=$(pair)
n=$(calls)
touch "$T/fail"
issue 1
rm "$T/fail"
contains "$T/err" "failed (exit 1): recorder: configuration error"
contains "$T/err" "the previous certificate and key were restored"
[ "$(pair)" = "$good" ] || fail "previous pair not restored"
[ "$(calls)" -eq $((n + 2)) ] || fail "expected the failing reload and one reload after the restore, got $(($(calls) - n))"
[ "$(db "SELECT count(*) FROM deployments WHERE state = 'current'")" = 1 ] || fail "current row lost"
[ "$(db "SELECT count(*) FROM audit WHERE action = 'deploy-failed'")" = 1 ] || fail "deploy-failed audit events"
ls -A "$ROOT/etc/ssl/certs" "$ROOT/etc/ssl/private" | grep -q '^\.minica-' && fail "staged or backup files left after rollback"
[ "$(stat -c %a "$key")" = 600 ] || fail "restored key mode"

# ---- a hanging reload is killed after reload_timeout (2 s) and rolled back
touch "$T/hang"
start=$(date +%s)
issue 1
elapsed=$(($(date +%s) - start))
rm "$T/hang"
[ "$elapsed" -lt 12 ] || fail "hanging reload took ${elapsed}s"
contains "$T/err" "did not finish within 2 s and was killed"
[ "$(pair)" = "$good" ] || fail "pair not restored after a timeout"
pid=$(cat "$T/hang.pid")
! kill -0 "$pid" 2>/dev/null || fail "hanging reload $pid still running"

# ---- a crash between the two renames, simulated on disk: the new cert is
# in place, the new key still staged, the previous files kept as backups,
# and the pending row written before the first rename.
expect 0 mc issue smtpd --cn mail.example.org --force --out "$T/new" --passphrase-file "$PASS"
new_serial=$(sed -n 's/^issued smtpd certificate \([0-9a-f]*\),.*/\1/p' "$T/out")
cert_id=$(db "SELECT id FROM certificates WHERE serial = '$new_serial'")
cur_serial=$(db "SELECT c.serial FROM deployments d JOIN certificates c ON c.id = d.cert_id WHERE d.state = 'current'")
simulate_crash() { # $1: 1 = key staged intact, 0 = key staged truncated
	cdir=$ROOT/etc/ssl/certs
	kdir=$ROOT/etc/ssl/private
	prev_c=$(sha256sum "$crt" | cut -d' ' -f1)
	prev_k=$(sha256sum "$key" | cut -d' ' -f1)
	ln "$crt" "$cdir/.minica-old.smtpd.crt"
	ln "$key" "$kdir/.minica-old.smtpd.key"
	cp "$T/new/mail.example.org-fullchain.crt" "$T/staged.crt"
	cp "$T/new/mail.example.org.key" "$T/staged.key"
	new_c=$(sha256sum "$T/staged.crt" | cut -d' ' -f1)
	new_k=$(sha256sum "$T/staged.key" | cut -d' ' -f1)
	[ "$1" = 1 ] || truncate -s 100 "$T/staged.key"
	install -m 600 "$T/staged.key" "$kdir/.minica-new.smtpd.key"
	install -m 644 "$T/staged.crt" "$crt.tmp" && mv "$crt.tmp" "$crt"
	db "INSERT INTO deployments (cert_id, profile, root, deployed_at, state, repair,
	  cert_path, cert_sha256, cert_prev_sha256, cert_tmp, cert_backup, cert_mode, cert_uid, cert_gid,
	  key_path, key_sha256, key_prev_sha256, key_tmp, key_backup, key_mode, key_uid, key_gid)
	  VALUES ($cert_id, 'smtpd', '$ROOT', strftime('%s','now'), 'pending', 'forward',
	  '$crt', '$new_c', '$prev_c', '$cdir/.minica-new.smtpd.crt', '$cdir/.minica-old.smtpd.crt', 420, 0, 0,
	  '$key', '$new_k', '$prev_k', '$kdir/.minica-new.smtpd.key', '$kdir/.minica-old.smtpd.key', 384, 0, 0)"
}
simulate_crash 1
# Half-swapped: the certificate is new, the key is the old one.
[ "$(openssl x509 -in "$crt" -noout -pubkey | openssl sha256)" != "$(openssl pkey -in "$key" -pubout | openssl sha256)" ] ||
	fail "simulation did not produce a half-swapped pair"
pending=$(db "SELECT id FROM deployments WHERE state = 'pending'")
# The next command that opens the CA settles it first, even one that is
# then refused (wrong key), and reloads the service for the new pair.
n=$(calls)
expect 1 mc deploy "$cur_serial" --key "$T/staged.key" --root "$ROOT"
contains "$T/err" "deployment $pending of smtpd certificate $new_serial"
contains "$T/err" "completed it (rolled forward)"
contains "$T/err" "reloaded smtpd"
[ "$(calls)" -eq $((n + 1)) ] || fail "the service was not reloaded after the roll forward"
[ "$(db "SELECT state FROM deployments WHERE id = $pending")" = current ] || fail "pending row not rolled forward"
[ "$(db "SELECT count(*) FROM audit WHERE action = 'deploy-repaired' AND serial = '$new_serial'")" = 1 ] ||
	fail "no deploy-repaired audit event"
[ "$(sha256sum "$crt" | cut -d' ' -f1)" = "$(sha256sum "$T/new/mail.example.org-fullchain.crt" | cut -d' ' -f1)" ] ||
	fail "certificate after roll-forward"
cmp -s "$key" "$T/new/mail.example.org.key" || fail "key not rolled forward"
[ "$(stat -c %a "$key")" = 600 ] || fail "rolled-forward key mode"
[ "$(db "SELECT count(*) FROM deployments WHERE state = 'pending'")" = 0 ] || fail "pending rows left"

# ---- an interrupted swap whose staged key is incomplete is rolled back
expect 0 mc issue smtpd --cn mail.example.org --force --out "$T/new2" --passphrase-file "$PASS"
before=$(pair)
mv "$T/new" "$T/old"
mv "$T/new2" "$T/new"
new_serial=$(sed -n 's/^issued smtpd certificate \([0-9a-f]*\),.*/\1/p' "$T/out")
cert_id=$(db "SELECT id FROM certificates WHERE serial = '$new_serial'")
simulate_crash 0
pending=$(db "SELECT id FROM deployments WHERE state = 'pending'")
expect 0 mc list
contains "$T/err" "undid it (rolled back to the previous files)"
[ "$(pair)" = "$before" ] || fail "the previous pair is not back after the rollback"
expect 0 mc deploy "$new_serial" --from "$T/new" --root "$ROOT"
[ "$(db "SELECT state FROM deployments WHERE id = $pending")" = failed ] || fail "incomplete swap not rolled back"
[ "$(db "SELECT count(*) FROM audit WHERE action = 'deploy-rolled-back'")" = 1 ] || fail "no rolled-back audit event"
# ...and the deploy itself then went through with intact files.
cmp -s "$key" "$T/new/mail.example.org.key" || fail "deploy after rollback"
[ "$(pair)" != "$before" ] || fail "nothing deployed after the rollback"
echo ok
