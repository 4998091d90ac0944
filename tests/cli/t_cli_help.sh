#!/bin/sh
# Command-line comfort (issue 18): "did you mean", --help / -h / -?,
# help --help, exit 64 for a missing argument, passphrase options before
# the command, repeated single-valued options refused.
. "$(dirname "$0")/lib.sh"
new_ca

# Typos get a suggestion: commands, profiles, options.
expect 64 mc isue
contains "$T/err" "did you mean 'issue'?"
expect 64 mc help isue
contains "$T/err" "did you mean 'issue'?"
expect 1 mc issue ngnix --cn www.example.org --passphrase-file "$PASS"
contains "$T/err" "unknown profile 'ngnix'; did you mean 'nginx'?"
one_line "$T/err"
expect 64 mc issue nginx --cm www.example.org
contains "$T/err" "did you mean '--cn'?"
expect 64 mc list --profil nginx
contains "$T/err" "did you mean '--profile'?"
expect 64 mc frobnicate
lacks "$T/err" "did you mean"

# Profile names are case-insensitive, like serials; the record keeps the
# profile's own name.
expect 0 mc issue NGINX --cn up.example.org --out "$T" --passphrase-file "$PASS"
contains "$T/out" "issued nginx certificate"
[ "$(sqlite3 "$MINICA_HOME/minica.db" "SELECT profile FROM certificates WHERE cn='up.example.org'")" = nginx ] ||
	fail "profile not recorded as nginx"

# --help: "minica COMMAND", examples, profiles for issue; -h and -? too.
for h in --help -h -?; do
	expect 0 mc issue "$h"
	contains "$T/out" "Usage: minica issue PROFILE"
	contains "$T/out" "Examples:"
	contains "$T/out" "  nginx "
	contains "$T/out" "--passphrase-file"
done
# Passphrase options only where a key is used (still accepted elsewhere).
expect 0 mc list --help
contains "$T/out" "Usage: minica list"
lacks "$T/out" "--passphrase-file"
expect 0 mc list --passphrase-file "$PASS"
expect 0 mc init --help
contains "$T/out" "--passphrase-file"
expect 0 mc help --help
contains "$T/out" "Usage: minica help [COMMAND]"
expect 0 mc help revoke
contains "$T/out" "Usage: minica revoke"
expect 0 mc acme --help
contains "$T/out" "serve"
expect 0 mc -h
contains "$T/out" "commands:"

# A missing required argument is a usage error.
expect 64 mc issue nginx --passphrase-file "$PASS"
contains "$T/err" "give --cn NAME"
one_line "$T/err"

# The passphrase options before the command work, as the man page says.
expect 0 mc --passphrase-file "$PASS" issue server --cn before.example.org --out "$T"
contains "$T/out" "issued server certificate"
expect 0 mc --passphrase-fd 3 issue server --cn before2.example.org --out "$T" 3<"$PASS"
expect 64 mc --passphrase-fd x list
contains "$T/err" "--passphrase-fd: 'x' is not a whole number from 0 to 65535"

# A single-valued option given twice is refused, not last-one-wins.
expect 64 mc issue smtpd --cn a.example.org --cn b.example.org --passphrase-file "$PASS"
contains "$T/err" "--cn given more than once"
expect 64 mc issue server --cn a.example.org --out "$T/a" --out "$T/b" --passphrase-file "$PASS"
contains "$T/err" "--out given more than once"
[ "$(db_count certificates)" -eq 3 ] || fail "a refused issue recorded something"

# Numeric errors read the same everywhere: OPTION: 'VALUE' is not a whole number.
for args in "init --domain example.org --days x" "list --expiring x" "crl --days=x" "check --days x" \
    "issue nginx --cn n.example.org --days x" "issue --batch f -jx"; do
	# shellcheck disable=SC2086 # words on purpose
	expect 64 mc $args
	grep -Eq "^minica: [a-z]+: (--days|--expiring|-j): 'x' is not a whole number" "$T/err" || { cat "$T/err"; fail "numeric error of: $args"; }
	one_line "$T/err"
done
expect 64 mc issue nginx --cn n.example.org --days 0
contains "$T/err" "--days: '0' is not a whole number from 1 to 100000"
