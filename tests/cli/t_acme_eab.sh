#!/bin/sh
# minica acme eab new|list|revoke: kid and a 256-bit HMAC key shown once,
# the key in a 0600 file under private/eab and never in minica.db or in
# list, --domain checked against the CA, bad input refused with one line.
. "$(dirname "$0")/lib.sh"
new_ca
expect 0 mc acme eab new --name 'web one' --domain WWW.example.org --domain www.example.org
kid=$(awk '$1 == "kid" { print $2 }' "$T/out")
hmac=$(awk '$1 == "hmac" { print $2 }' "$T/out")
[ ${#kid} -eq 22 ] || fail "kid '$kid' is not 16 random bytes in base64url"
[ ${#hmac} -eq 43 ] && [ -z "$(printf %s "$hmac" | tr -d 'A-Za-z0-9_-')" ] ||
	fail "hmac '$hmac' is not 256 bits in base64url without padding"
contains "$T/err" "shown this once"
lacks "$T/err" "eab = no"
[ "$(mode_of "$MINICA_HOME/private/eab")" = 700 ] || fail "private/eab is not 0700"
[ "$(mode_of "$MINICA_HOME/private/eab/$kid")" = 600 ] || fail "the HMAC key file is not 0600"
[ "$(cat "$MINICA_HOME/private/eab/$kid")" = "$hmac" ] || fail "the key file does not hold the HMAC key shown"
if grep -qF -- "$hmac" "$MINICA_HOME"/minica.db*; then fail "the HMAC key is in minica.db"; fi
[ "$(sqlite3 "$MINICA_HOME/minica.db" "SELECT domains FROM acme_eab WHERE kid = '$kid'")" = www.example.org ] ||
	fail "--domain not normalised and deduplicated"

expect 0 mc acme eab new --json
kid2=$(sed 's/.*"kid": "\([^"]*\)".*/\1/' "$T/out")
hmac2=$(sed 's/.*"hmac": "\([^"]*\)".*/\1/' "$T/out")
contains "$T/out" '"domains": []'
[ "$kid2" != "$kid" ] && [ "$hmac2" != "$hmac" ] || fail "a second key id repeats the first"
expect 0 mc acme eab list
contains "$T/out" "$kid"
contains "$T/out" "unused"
contains "$T/out" "web one www.example.org"
contains "$T/out" "(any name)"
lacks "$T/out" "$hmac"
expect 0 mc acme eab list --json
contains "$T/out" "\"kid\": \"$kid\", \"name\": \"web one\", \"status\": \"unused\", \"account\": null, \"domains\": [\"www.example.org\"]"
lacks "$T/out" "$hmac"
lacks "$T/out" "$hmac2"

# Refusals: nothing made.
n=$(db_count acme_eab)
expect 1 mc acme eab new --domain www.example.com
one_line "$T/err"
contains "$T/err" "not a name this CA issues for"
expect 64 mc acme eab new --domain 'a b.example.org'
one_line "$T/err"
expect 64 mc acme eab new --domain '*.example.org'
expect 64 mc acme eab new --name "$(printf 'a\tb')"
expect 64 mc acme eab new extra
expect 64 mc acme eab revoke
expect 64 mc acme eab frob
[ "$(db_count acme_eab)" = "$n" ] || fail "a refused eab new left a row"
[ "$(ls "$MINICA_HOME/private/eab" | wc -l)" = 2 ] || fail "a refused eab new left a key file"

expect 0 mc acme eab revoke "$kid"
[ ! -e "$MINICA_HOME/private/eab/$kid" ] || fail "revoke left the HMAC key file"
expect 0 mc acme eab list
contains "$T/out" "revoked"
expect 1 mc acme eab revoke "$kid"
one_line "$T/err"
contains "$T/err" "no usable external account key id"
expect 1 mc acme eab revoke ../../ca
expect 0 mc log --action acme-eab-new
contains "$T/out" "kid=$kid name=web one domains=www.example.org"
lacks "$T/out" "$hmac"
# With eab = no a key id still works, and the user is told bindings are optional.
printf '\n[acme]\nhostname = acme.example.org\neab = no\n' >> "$MINICA_HOME/minica.conf"
expect 0 mc acme eab new
contains "$T/err" "eab = no"
