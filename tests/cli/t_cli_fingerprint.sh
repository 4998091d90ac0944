#!/bin/sh
# One fingerprint format everywhere a person reads it (init, show ca,
# import, bundle, the kit's README.txt and install scripts): sixteen
# groups of four upper-case hex digits, computed here with openssl.
. "$(dirname "$0")/lib.sh"
mc init --domain example.org --passphrase-file "$PASS" --root-passphrase-file "$ROOTPASS" > "$T/init"
grouped=$(openssl x509 -in "$MINICA_HOME/ca.crt" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : |
	sed 's/..../& /g; s/ $//')
[ ${#grouped} -eq 79 ] || fail "cannot compute the grouped fingerprint"
contains "$T/init" "SHA-256 fingerprint  $grouped"
expect 0 mc show ca
contains "$T/out" "SHA-256 fingerprint  $grouped"
expect 0 mc bundle --out "$T/kit"
contains "$T/out" "SHA-256 fingerprint  $grouped"
contains "$T/kit/README.txt" "SHA-256:      $grouped"
for s in install-linux.sh install-macos.sh install-java.sh install-windows.ps1; do
	contains "$T/kit/$s" "# Expected SHA-256 fingerprint: $grouped"
done
# Machine forms stay as they were: JSON and the scripts' comparison.
expect 0 mc show ca --json
contains "$T/out" "\"fingerprint_sha256\":\"$(printf %s "$grouped" | tr -d ' ' | tr A-F a-f)\""
# init on a terminal: a labelled progress line and the next steps.
here=$(cd "$(dirname "$0")" && pwd)
MINICA_HOME="$T/h2" python3 "$here/ptyrun.py" --input "$(printf 'short\nshorx\nshort\nshort')" \
	"$MINICA_BIN" init --domain example.org --no-intermediate > "$T/tty"
contains "$T/tty" "generating the 4096-bit root key: done"
contains "$T/tty" "the two passphrases differ; type them again"
contains "$T/tty" "has only 5 characters"
contains "$T/tty" "next steps:"
contains "$T/tty" "minica issue nginx --cn www.example.org --deploy"
contains "$T/tty" "minica bundle --out"
contains "$T/tty" "back up $T/h2 and the passphrase"
# A wrong passphrase at the terminal: three tries.
MINICA_HOME="$T/h2" python3 "$here/ptyrun.py" --input "$(printf 'bad1\nbad2\nshort')" \
	"$MINICA_BIN" issue server --cn a.example.org --out "$T" > "$T/tty"
contains "$T/tty" "wrong passphrase; try again"
contains "$T/tty" "issued server certificate"
set +e
MINICA_HOME="$T/h2" python3 "$here/ptyrun.py" --input "$(printf 'bad1\nbad2\nbad3')" \
	"$MINICA_BIN" issue server --cn b.example.org --out "$T" > "$T/tty"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "three wrong passphrases exited $rc"
[ "$(grep -c 'CA passphrase:' "$T/tty")" -eq 3 ] || { cat "$T/tty"; fail "not three tries"; }
# From a file there is no second try.
printf 'wrong\n' > "$T/wrong"
expect 1 mc issue server --cn c.example.org --out "$T" --passphrase-file "$T/wrong"
lacks "$T/err" "try again"
