#!/bin/sh
# No two certificates write to the same files (issue 13 item 7): renew
# of several current certificates with the same CN (same profile,
# other SANs; or another profile) into one --out keeps every new key,
# each next to its own certificate, and a renewal replaces only its
# predecessor's files, never another certificate's key.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

new_ca
O=$T/o1 O2=$T/o2 O3=$T/o3
# pairs DIR: every NAME.key in DIR matches NAME.crt; prints the count
pairs() {
	n=0
	for k in "$1"/*.key; do
		[ -e "$k" ] || continue
		c=${k%.key}.crt
		[ "$(openssl pkey -in "$k" -pubout 2>/dev/null)" = "$(openssl x509 -in "$c" -noout -pubkey)" ] ||
			fail "'$k' is not the key of '$c'"
		n=$((n + 1))
	done
	echo $n
}
serials() { for c in "$1"/*.crt; do case $c in *-fullchain.crt) ;; *) openssl x509 -in "$c" -noout -serial;; esac; done | sort; }
db() { sqlite3 "$MINICA_HOME/minica.db" "$1"; }

expect 0 mc issue smtpd --cn mail.example.org --san a.example.org --out "$O" --passphrase-file "$PASS"
# same profile and CN, other names: not over the first one's key
expect 1 mc issue smtpd --cn mail.example.org --san b.example.org --out "$O" --passphrase-file "$PASS"
contains "$T/err" "minica never overwrites a key"
expect 0 mc issue smtpd --cn mail.example.org --san b.example.org --out "$O2" --passphrase-file "$PASS"
expect 0 mc issue dovecot --cn mail.example.org --out "$O" --passphrase-file "$PASS"
[ -f "$O/dovecot-mail.example.org.key" ] || fail "dovecot's files not named by profile and CN"
[ "$(pairs "$O")" = 2 ] || fail "two pairs expected in $O"

# three renewals into one empty folder: three keys, each with its certificate
expect 0 mc renew --force --out "$O3" --passphrase-file "$PASS"
[ "$(pairs "$O3")" = 3 ] || { ls "$O3"; fail "renewals wrote over each other's files in $O3"; }
[ "$(serials "$O3")" = "$(db "SELECT 'serial=' || upper(serial) FROM certificates WHERE status = 'valid'" | sort)" ] ||
	fail "the files in $O3 are not the three current certificates"
# again: each renewal replaces its predecessor's files, nothing more
expect 0 mc renew --force --out "$O3" --passphrase-file "$PASS"
[ "$(pairs "$O3")" = 3 ] || { ls "$O3"; fail "a second renewal did not replace its predecessor's files"; }
[ "$(serials "$O3")" = "$(db "SELECT 'serial=' || upper(serial) FROM certificates WHERE status = 'valid'" | sort)" ] ||
	fail "after a second renewal the files in $O3 are not the current certificates"

# into the folder of the originals, whose files are not those of the
# certificates renewed now (their predecessors' are in $O3): the two
# originals stay, each new certificate takes a free name
before=$(serials "$O")
expect 0 mc renew --force --out "$O" --passphrase-file "$PASS"
[ "$(pairs "$O")" = 5 ] || { ls "$O"; fail "renewals in $O wrote over another certificate's files"; }
for s in $before $(db "SELECT 'serial=' || upper(serial) FROM certificates WHERE status = 'valid'"); do
	[ "$(serials "$O" | grep -c "^$s\$")" = 1 ] || fail "$s is not in exactly one file in $O"
done
exit 0
