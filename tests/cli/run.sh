#!/bin/sh
# Runs every tests/cli/t_*.sh against $MINICA_BIN, each in its own
# temporary MINICA_HOME (see lib.sh), TEST_JOBS at a time (default: the
# number of processors; the tests are single-threaded and share nothing
# but the copied CA below), those timing matters to one at a time after.  Fails if any test fails; a failed test's
# output is printed after the last one ends.
#   run.sh [PREFIX...]          the tests whose names start so (default all)
set -u
umask 077
here=$(cd "$(dirname "$0")" && pwd)
: "${MINICA_BIN:?set MINICA_BIN to the built minica}"
export MINICA_BIN

# One test (run.sh --one TEST FAILDIR, through xargs): its line on stdout,
# its output kept in FAILDIR when it fails.
if [ "${1:-}" = --one ]; then
	name=$(basename "$2" .sh)
	t0=$(date +%s)
	# Each test runs in a scratch folder: a key kept "in the current
	# folder" (a failed deploy) must not land in the source tree.
	scratch=$(mktemp -d "${TMPDIR:-/tmp}/minica-cwd.XXXXXX")
	if (cd "$scratch" && sh "$2" >"$scratch.out" 2>&1); then
		echo "ok   $name ($(($(date +%s) - t0))s)"
	else
		echo "FAIL $name ($(($(date +%s) - t0))s)"
		mv "$scratch.out" "$3/$name"
	fi
	rm -rf "$scratch" "$scratch.out"
	exit 0
fi
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
# Arguments: name prefixes of the tests to run (default: all).
# shellcheck disable=SC2048 # prefixes are single words
tests=$(for p in ${*:-t_}; do ls "$here"/"$p"*.sh 2>/dev/null; done | sort -u)
total=$(printf '%s' "$tests" | grep -c .)
mkdir "$shared/failed"
# Tests that wait on timeouts, locks, a terminal or a hung reload run one
# at a time after the others, with nothing beside them to slow them down.
alone='/t_(check_deploy|concurrency|deploy_rollback|hostile_store|lock_[a-z]+|readonly_home|secrets)\.sh$'
printf '%s\n' "$tests" | grep . | grep -Ev "$alone" |
	xargs -r -P "${TEST_JOBS:-$(nproc)}" -I{} sh "$here/run.sh" --one {} "$shared/failed"
printf '%s\n' "$tests" | grep -E "$alone" | xargs -r -I{} sh "$here/run.sh" --one {} "$shared/failed"
failed=0
for f in "$shared"/failed/*; do
	[ -e "$f" ] || continue
	failed=$((failed + 1))
	echo "---- $(basename "$f")"
	sed 's/^/     /' "$f"
done
echo "cli: $((total - failed))/$total passed"
[ "$failed" -eq 0 ]
