#!/bin/sh
# Runs every tests/cli/t_*.sh against $MINICA_BIN, each in its own
# temporary MINICA_HOME (see lib.sh).  Fails if any test fails.
set -u
umask 077
here=$(cd "$(dirname "$0")" && pwd)
: "${MINICA_BIN:?set MINICA_BIN to the built minica}"
export MINICA_BIN
# One CA shared by tests that copy it (new_ca in lib.sh): a root and its
# issuing intermediate, as init makes by default.
shared=$(mktemp -d "${TMPDIR:-/tmp}/minica-shared.XXXXXX")
trap 'rm -rf "$shared"' EXIT
printf 'correct horse battery staple\n' > "$shared/pass"
printf 'the root passphrase of the tests\n' > "$shared/rootpass"
chmod 600 "$shared/pass" "$shared/rootpass"
# MINICA_SETUP_BIN: make the shared CA with another binary (check-valgrind
# does not wait a minute for RSA-4096 under valgrind; t_init covers init).
if ! "${MINICA_SETUP_BIN:-$MINICA_BIN}" --home "$shared/ca" init --domain example.org --domain example.net \
    --passphrase-file "$shared/pass" --root-passphrase-file "$shared/rootpass" >/dev/null; then
	echo "cannot create the shared test CA" >&2
	exit 1
fi
export MINICA_SHARED_CA="$shared/ca"
failed=0
total=0
# Arguments: name prefixes of the tests to run (default: all).
# shellcheck disable=SC2048 # prefixes are single words
for t in $(for p in ${*:-t_}; do ls "$here"/"$p"*.sh 2>/dev/null; done | sort -u); do
	[ -e "$t" ] || continue
	total=$((total + 1))
	name=$(basename "$t" .sh)
	t0=$(date +%s)
	if out=$(sh "$t" 2>&1); then
		echo "ok   $name ($(($(date +%s) - t0))s)"
	else
		echo "FAIL $name ($(($(date +%s) - t0))s)"
		printf '%s\n' "$out" | sed 's/^/     /'
		failed=$((failed + 1))
	fi
done
echo "cli: $((total - failed))/$total passed"
[ "$failed" -eq 0 ]
