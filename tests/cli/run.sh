#!/bin/sh
# Runs every tests/cli/t_*.sh against $MINICA_BIN, each in its own
# temporary MINICA_HOME (see lib.sh).  Fails if any test fails.
set -u
umask 077
here=$(cd "$(dirname "$0")" && pwd)
: "${MINICA_BIN:?set MINICA_BIN to the built minica}"
export MINICA_BIN
# One CA shared by tests that copy it (new_ca in lib.sh).
shared=$(mktemp -d "${TMPDIR:-/tmp}/minica-shared.XXXXXX")
trap 'rm -rf "$shared"' EXIT
printf 'correct horse battery staple\n' > "$shared/pass"
if ! "$MINICA_BIN" --home "$shared/ca" init --domain example.org --domain example.net \
    --passphrase-file "$shared/pass" >/dev/null; then
	echo "cannot create the shared test CA" >&2
	exit 1
fi
export MINICA_SHARED_CA="$shared/ca"
failed=0
total=0
for t in "$here"/${1:-t_}*.sh; do
	[ -e "$t" ] || continue
	total=$((total + 1))
	name=$(basename "$t" .sh)
	if out=$(sh "$t" 2>&1); then
		echo "ok   $name"
	else
		echo "FAIL $name"
		printf '%s\n' "$out" | sed 's/^/     /'
		failed=$((failed + 1))
	fi
done
echo "cli: $((total - failed))/$total passed"
[ "$failed" -eq 0 ]
