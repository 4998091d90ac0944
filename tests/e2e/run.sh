#!/bin/sh
# Runs every tests/e2e/t_*.sh against $MINICA_BIN, each with its own daemons in a
# temporary MINICA_HOME (see lib.sh).  Fails if any test fails.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${MINICA_BIN:?set MINICA_BIN to the built minica}"
export MINICA_BIN
failed=0
total=0
for t in "$here"/${1:-t_}*.sh; do
	[ -e "$t" ] || continue
	total=$((total + 1))
	name=$(basename "$t" .sh)
	# Each test runs in a scratch folder: a key kept "in the current
	# folder" (a failed deploy) must not land in the source tree.
	scratch=$(mktemp -d "${TMPDIR:-/tmp}/minica-cwd.XXXXXX")
	if out=$(cd "$scratch" && sh "$t" 2>&1); then
		echo "ok   $name"
	else
		echo "FAIL $name"
		printf '%s\n' "$out" | sed 's/^/     /'
		failed=$((failed + 1))
	fi
	rm -rf "$scratch"
done
echo "e2e: $((total - failed))/$total passed"
[ "$failed" -eq 0 ]
