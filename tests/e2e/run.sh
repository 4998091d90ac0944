#!/bin/sh
# Runs every tests/e2e/t_*.sh against $MINICA_BIN, each with its own daemons in a
# temporary MINICA_HOME (see lib.sh).  Fails if any test fails.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${MINICA_BIN:?set MINICA_BIN to the built minica}"
export MINICA_BIN
failed=0
total=0
# Arguments: name prefixes of the tests to run (default: all).
# shellcheck disable=SC2048 # prefixes are single words
for t in $(for p in ${*:-t_}; do ls "$here"/"$p"*.sh 2>/dev/null; done | sort -u); do
	[ -e "$t" ] || continue
	total=$((total + 1))
	name=$(basename "$t" .sh)
	t0=$(date +%s)
	# Each test runs in a scratch folder: a key kept "in the current
	# folder" (a failed deploy) must not land in the source tree.
	scratch=$(mktemp -d "${TMPDIR:-/tmp}/minica-cwd.XXXXXX")
	if out=$(cd "$scratch" && sh "$t" 2>&1); then
		echo "ok   $name ($(($(date +%s) - t0))s)"
	else
		echo "FAIL $name ($(($(date +%s) - t0))s)"
		printf '%s\n' "$out" | sed 's/^/     /'
		failed=$((failed + 1))
	fi
	rm -rf "$scratch"
done
echo "e2e: $((total - failed))/$total passed"
[ "$failed" -eq 0 ]
