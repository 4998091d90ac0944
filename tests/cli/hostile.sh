# shellcheck shell=sh
# Helpers for tests/cli/t_hostile*.sh (sourced after lib.sh): a snapshot of
# everything minica could touch, and a refusal that must leave it as it was.

# The state: every file under the home, the working folder and --root with mode,
# size and hash, plus row counts and the integrity check when the
# database still opens.
# The empty lock file commands take before working is not state: it may
# appear on a refused run.
snapshot() {
	(cd "$MINICA_HOME" && find . ! \( -name lock -empty \) -printf '%p %m %s\n' | sort &&
	    find . -type f ! \( -name lock -empty \) -exec sha256sum {} + | sort -k2)
	(cd "$CWD" && find . -printf '%p %m %s\n' | sort)
	(cd "$ROOT" && find . -printf '%p %m %s\n' | sort)
	# immutable=1: the look itself must not create -wal or -shm files.
	sqlite3 "file:$MINICA_HOME/minica.db?immutable=1" \
	    "SELECT count(*) FROM certificates; SELECT count(*) FROM audit; PRAGMA integrity_check" 2>&1 || true
}

# refused CODE TEXT ARGS...: minica ARGS exits CODE with one line on
# stderr holding TEXT, and the state is as before.
refused() {
	code=$1 text=$2
	shift 2
	before=$(snapshot)
	expect "$code" mc "$@"
	contains "$T/err" "$text"
	one_line "$T/err"
	[ "$(snapshot)" = "$before" ] || {
		echo "--- before"; echo "$before"; echo "--- after"; snapshot
		fail "state changed by: $*"
	}
}

# Every command that reads the CA, each refused with TEXT.
all_refused() {
	text=$1
	refused 1 "$text" list
	refused 1 "$text" show ca
	refused 1 "$text" show 01
	refused 1 "$text" profiles
	refused 1 "$text" issue nginx --cn www.example.org --out "$CWD/o"
	refused 1 "$text" bundle --out "$CWD/kit"
	refused 1 "$text" deploy nginx --root "$ROOT"
	refused 1 "$text" snippet nginx
	refused 1 "$text" renew --root "$ROOT"
	refused 1 "$text" revoke 01
	refused 1 "$text" crl --out "$CWD/crl.pem"
	refused 1 "$text" log
	refused 3 "$text" check --root "$ROOT"	# monitoring plugin: UNKNOWN
}

# Every command that writes to the store refused with TEXT (the
# whole-file check before the first write finds what opening does not
# look for), state as before.
writes_refused() {
	text=$1
	refused 1 "$text" issue nginx --cn www.example.org --out "$CWD/o"
	refused 1 "$text" deploy nginx --root "$ROOT"
	refused 1 "$text" revoke "$SERIAL" --reason superseded
	refused 1 "$text" crl --out "$CWD/crl.pem"
}

# Every command that only reads: it may work (SQLite checks only the pages
# a query reads) or refuse with one line, and it changes nothing.
reads_harmless() {
	for args in "list" "show ca" "show $SERIAL" "profiles" "log" "bundle --out $CWD/kit" "snippet nginx"; do
		before=$(snapshot)
		set +e
		# shellcheck disable=SC2086 # words on purpose
		mc $args >"$T/out" 2>"$T/err"
		got=$?
		set -e
		rm -rf "$CWD/kit"
		case $got in
		0) ;;
		1) one_line "$T/err" ;;
		*) cat "$T/err"; fail "minica $args: exit $got on a damaged store" ;;
		esac
		[ "$(snapshot)" = "$before" ] || fail "state changed by: $args"
	done
}

CWD="$T/cwd"
mkdir -p "$CWD"
cd "$CWD" || exit 1
