#!/bin/sh
# init refusals: each one line, non-zero, nothing left behind.
. "$(dirname "$0")/lib.sh"

nothing_created() { [ ! -e "$MINICA_HOME" ] || { ls -laR "$MINICA_HOME"; fail "home was created: $1"; }; }

expect 64 mc init --passphrase-file "$PASS"
contains "$T/err" "--domain"
one_line "$T/err"
nothing_created "no domain"

expect 1 mc init --domain "bad..example" --passphrase-file "$PASS"
contains "$T/err" "bad..example"
one_line "$T/err"
nothing_created "bad domain"

# A public suffix or a single label: name constraints that protect nothing.
for d in com org CO.UK. github.io localhost; do
	expect 1 mc init --domain example.org --domain "$d" --passphrase-file "$PASS"
	contains "$T/err" "--allow-public-suffix"
	one_line "$T/err"
	nothing_created "--domain $d"
done
contains "$T/err" "'localhost' is a single-label name"
expect 1 mc init --domain github.io --passphrase-file "$PASS"
contains "$T/err" "'github.io' is a public suffix"
expect 1 mc init --domain co.uk --passphrase-file "$PASS"
contains "$T/err" "'co.uk' is a public suffix"
expect 0 mc init --domain localhost --allow-public-suffix --passphrase-file "$PASS" --root-passphrase-file "$ROOTPASS"
contains "$T/out" "permitted:DNS:localhost"
rm -rf "$MINICA_HOME"

expect 1 mc init --domain example.org --permit-ip 10.0.0.1/8 --passphrase-file "$PASS"
contains "$T/err" "10.0.0.1/8"
nothing_created "bad cidr"

: > "$T/empty"
expect 1 mc init --domain example.org --passphrase-file "$T/empty"
contains "$T/err" "empty passphrase"
one_line "$T/err"
nothing_created "empty passphrase"

expect 1 mc init --domain example.org --passphrase-file "$T/missing"
contains "$T/err" "$T/missing"
nothing_created "missing passphrase file"

head -c 5000 /dev/zero | tr '\0' x > "$T/huge"
expect 1 mc init --domain example.org --passphrase-file "$T/huge"
contains "$T/err" "longer than"
nothing_created "huge passphrase"

# No passphrase source and no terminal: say how to give one.
expect 1 setsid -w "$MINICA_BIN" init --domain example.org
contains "$T/err" "--passphrase-file"
one_line "$T/err"
nothing_created "no terminal"

# The root's passphrase likewise, once the intermediate's is given.
expect 1 setsid -w "$MINICA_BIN" init --domain example.org --passphrase-file "$PASS"
contains "$T/err" "--root-passphrase-file"
one_line "$T/err"
nothing_created "no terminal for the root passphrase"

# The passphrase never goes on argv: there is no such option.
expect 64 mc init --domain example.org --passphrase secret
contains "$T/err" "unknown option"
one_line "$T/err"

# A home open to others is refused, saying how to fix it.
mkdir -m 755 "$MINICA_HOME"
expect 1 mc init --domain example.org --passphrase-file "$PASS" --root-passphrase-file "$ROOTPASS"
contains "$T/err" "chmod 700"
one_line "$T/err"
[ -z "$(ls -A "$MINICA_HOME")" ] || fail "files left in a refused home"
rmdir "$MINICA_HOME"

# Usage errors.
expect 64 mc frobnicate
contains "$T/err" "unknown command 'frobnicate'"
one_line "$T/err"
expect 64 mc init --bogus
contains "$T/err" "--bogus"
one_line "$T/err"
expect 64 mc --bogus
one_line "$T/err"
expect 0 mc --version
contains "$T/out" "minica "
expect 0 mc help
contains "$T/out" "init"
expect 0 mc init --help
contains "$T/out" "--domain"
expect 0 mc help init
contains "$T/out" "--no-name-constraints"

# A full disk is an error, not silence.
expect 1 sh -c '"$MINICA_BIN" --version > /dev/full'
contains "$T/err" "cannot write output"

# No CA yet: commands say so.
expect 1 mc show ca
contains "$T/err" "minica init"
one_line "$T/err"
