#!/bin/sh
# Every refusal: one line, non-zero, nothing recorded, no file written.
. "$(dirname "$0")/lib.sh"
new_ca
export MINICA_PASSPHRASE="correct horse battery staple"
mkdir "$T/cwd"
cd "$T/cwd"

state() { sqlite3 "$MINICA_HOME/minica.db" "SELECT (SELECT count(*) FROM certificates) || '/' || (SELECT count(*) FROM audit)"; }
before=$(state)
refused() { # CODE TEXT ARGS...
	code=$1 text=$2
	shift 2
	expect "$code" mc issue "$@"
	contains "$T/err" "$text"
	one_line "$T/err"
	[ "$(state)" = "$before" ] || fail "store changed by: $*"
	[ -z "$(ls -A "$T/cwd")" ] || { ls -la "$T/cwd"; fail "files written by: $*"; }
}

refused 1 "unknown profile 'smtp'" smtp --cn mail.example.org
refused 64 "PROFILE" --cn mail.example.org
refused 1 "--cn" smtpd
refused 1 "bad..example.org" smtpd --cn bad..example.org
refused 1 "outside the root's name constraints (permitted: example.org, example.net)" smtpd --cn mail.example.com
refused 1 "outside the root's name constraints" smtpd --cn mail.example.org --san www.google.com
refused 1 "'*.org'" nginx --cn "*.org"
refused 1 "*" nginx --cn "*"
refused 1 "wildcard" client --cn "*.example.org"
refused 1 "--ip" smtpd --cn 192.0.2.1
refused 1 "999.1.1.1" smtpd --cn mail.example.org --ip 999.1.1.1
refused 1 "825" nginx --cn www.example.org --days 900
refused 1 "root" server --cn www.example.org --days 825 --home "$MINICA_HOME"  # within 825 but fine? see below
