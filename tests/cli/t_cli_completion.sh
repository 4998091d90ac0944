#!/bin/sh
# bash completion (contrib/minica.bash): commands, options, profiles and
# serial prefixes, all asked of minica itself (issue 18).
. "$(dirname "$0")/lib.sh"
new_ca
here=$(cd "$(dirname "$0")" && pwd)
mc issue nginx --cn www.example.org --out "$T" --passphrase-file "$PASS" >/dev/null
serial=$(sqlite3 "$MINICA_HOME/minica.db" "SELECT serial FROM certificates WHERE cn='www.example.org'")
mkdir "$T/bin"
ln -s "$MINICA_BIN" "$T/bin/minica"
# complete WORDS...: what completing the last word offers, one a line.
complete_words() {
	PATH="$T/bin:$PATH" bash -c '
		. "$0"
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		_minica
		printf "%s\n" "${COMPREPLY[@]}"' "$here/../../contrib/minica.bash" "$@"
}
complete_words minica is > "$T/c"
contains "$T/c" "issue"
lacks "$T/c" "list"
complete_words minica issue "" > "$T/c"
for p in smtpd dovecot nginx server client; do contains "$T/c" "$p"; done
complete_words minica issue nginx --c > "$T/c"
contains "$T/c" "--cn"
contains "$T/c" "--csr"
complete_words minica list --w > "$T/c"
contains "$T/c" "--wide"
complete_words minica revoke "$(printf %s "$serial" | cut -c1-4)" > "$T/c"
contains "$T/c" "$serial"
complete_words minica show "" > "$T/c"
contains "$T/c" "ca"
contains "$T/c" "$serial"
# --home on the line is the CA asked: an empty home has no serials.
complete_words minica --home "$T/nothing" revoke "" > "$T/c"
lacks "$T/c" "$serial"
