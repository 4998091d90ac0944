# Shared helpers for CLI tests.  Sourced by each tests/cli/t_*.sh.
# Every test gets its own temporary MINICA_HOME and --root; nothing
# outside $T is touched.
set -eu
umask 077
: "${MINICA_BIN:?set MINICA_BIN to the built minica}"
T=$(mktemp -d "${TMPDIR:-/tmp}/minica-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
export MINICA_HOME="$T/home"
unset MINICA_PASSPHRASE MINICA_P12_PASSPHRASE MINICA_ROOT_PASSPHRASE CREDENTIALS_DIRECTORY 2>/dev/null || true
PASS="$T/pass"
printf 'correct horse battery staple\n' > "$PASS"
chmod 600 "$PASS"
# The root's passphrase (init, root operations); $PASS is the issuing
# intermediate's.
ROOTPASS="$T/rootpass"
printf 'the root passphrase of the tests\n' > "$ROOTPASS"
chmod 600 "$ROOTPASS"
ROOT="$T/root"
mkdir -p "$ROOT"

mc() { "$MINICA_BIN" "$@"; }

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect CODE CMD...: runs CMD, requires exit status CODE; stdout in
# $T/out, stderr in $T/err.
expect() {
	want=$1
	shift
	set +e
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	set -e
	if [ "$got" -ne "$want" ]; then
		echo "--- stdout"; cat "$T/out"; echo "--- stderr"; cat "$T/err"
		fail "expected exit $want, got $got: $*"
	fi
}

# contains FILE TEXT: FILE has TEXT (fixed string).
contains() { grep -qF -- "$2" "$1" || { echo "--- $1:"; cat "$1"; fail "'$1' lacks '$2'"; }; }
lacks() { if grep -qF -- "$2" "$1"; then cat "$1"; fail "'$1' has '$2'"; fi; }

# one_line FILE: the error is exactly one line.
one_line() { [ "$(wc -l < "$1")" -eq 1 ] || { cat "$1"; fail "error is not one line"; }; }

mode_of() { stat -c %a "$1"; }

# A CA for tests that are not about init: RSA-4096 generation takes
# seconds, so run.sh makes one and each test copies it.
new_ca() {
	if [ -n "${MINICA_SHARED_CA:-}" ] && [ -d "$MINICA_SHARED_CA" ]; then
		cp -a "$MINICA_SHARED_CA" "$MINICA_HOME"
	else
		mc init --domain example.org --domain example.net --passphrase-file "$PASS" \
			--root-passphrase-file "$ROOTPASS" >/dev/null
	fi
}

# verify_chain ROOT CHAIN [--bad|--client]: the five independent
# verifiers of tests/verify/chain.sh (OpenSSL, GnuTLS, NSS twice, Go).
verify_chain() {
	_r=$1 _c=$2
	shift 2
	sh "$(dirname "$0")/../verify/chain.sh" "$@" "$_r" "$_c" || fail "chain.sh $* $_r $_c"
}

db_count() { sqlite3 "$MINICA_HOME/minica.db" "SELECT count(*) FROM $1"; }

# libfaketime and AddressSanitizer deadlock at start-up, so under the
# sanitizers (make check-asan sets MINICA_PLAIN_BIN) time travel runs the
# plain build of the same sources; everything else runs sanitized.
if [ -n "${MINICA_PLAIN_BIN:-}" ]; then
	faketime() {
		_n=$#
		for _a do
			if [ "$_a" = "$MINICA_BIN" ]; then _a=$MINICA_PLAIN_BIN; fi
			set -- "$@" "$_a"
		done
		shift "$_n"
		# and a script (sh -c '"$MINICA_BIN" ...') finds the plain one too
		MINICA_BIN=$MINICA_PLAIN_BIN command faketime "$@"
	}
fi
