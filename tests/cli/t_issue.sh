#!/bin/sh
# minica issue: every profile with RSA and EC keys, checked by OpenSSL and
# GnuTLS against the root, extensions read from the certificate itself.
. "$(dirname "$0")/lib.sh"
new_ca
ca="$MINICA_HOME/ca.crt"
export MINICA_PASSPHRASE="correct horse battery staple"
cd "$T"

gnutls_ok() { # CERT HOST
	certtool --verify --verify-profile=medium --verify-hostname "$2" --load-ca-certificate "$ca" --infile "$1" >"$T/gt" 2>&1 ||
		{ cat "$T/gt"; fail "certtool rejects $1 for $2"; }
	grep -q "Verified. The certificate is trusted" "$T/gt" || { cat "$T/gt"; fail "certtool: not trusted $1"; }
}

i=0
for profile in smtpd dovecot nginx server client; do
	for key in rsa2048 ec256 ec384 rsa3072; do
		i=$((i + 1))
		host="h$i.example.org"
		[ "$profile" = client ] && purpose=sslclient || purpose=sslserver
		expect 0 mc issue "$profile" --cn "$host" --san "alt$i.example.net" --key "$key" --out "$T/o$i"
		crt="$T/o$i/$host.crt"
		[ "$(mode_of "$T/o$i/$host.key")" = 600 ] || fail "key mode"
		[ "$(mode_of "$T/o$i")" = 700 ] || fail "out dir mode"
		openssl verify -x509_strict -purpose "$purpose" -verify_hostname "alt$i.example.net" -CAfile "$ca" -untrusted "$crt" "$crt" >"$T/v" 2>&1 ||
			{ cat "$T/v"; fail "openssl verify $profile $key"; }
		gnutls_ok "$crt" "$host"
		# The key file matches the certificate.
		[ "$(openssl pkey -in "$T/o$i/$host.key" -pubout | sha256sum)" = "$(openssl x509 -in "$crt" -noout -pubkey | sha256sum)" ] ||
			fail "key does not match $crt"
		# Full chain: leaf, then root; nothing else.
		[ "$(grep -c 'BEGIN CERTIFICATE' "$T/o$i/$host-fullchain.crt")" = 2 ] || fail "fullchain count"
		lacks "$T/o$i/$host-fullchain.crt" "PRIVATE KEY"
		openssl x509 -in "$crt" -noout -text > "$T/text"
		grep -A1 "Basic Constraints: critical" "$T/text" | grep -q "CA:FALSE" || fail "basicConstraints"
		case $key in
		# RFC 5280 4.2.1.12: a TLS client only signs; keyEncipherment is for RSA servers.
		rsa*) if [ "$profile" = client ]; then ku='Digital Signature$'; else ku='Digital Signature, Key Encipherment$'; fi
			grep -A1 "Key Usage: critical" "$T/text" | grep -q "$ku" || fail "RSA keyUsage for $profile" ;;
		ec*) grep -A1 "Key Usage: critical" "$T/text" | grep -q "Digital Signature$" || fail "EC keyUsage" ;;
		esac
		if [ "$profile" = client ]; then
			grep -A1 "Extended Key Usage" "$T/text" | grep -q "TLS Web Client Authentication$" || fail "client EKU"
		else
			grep -A1 "Extended Key Usage" "$T/text" | grep -q "TLS Web Server Authentication$" || fail "server EKU"
		fi
		grep -A1 "Subject Alternative Name" "$T/text" | grep -q "DNS:$host, DNS:alt$i.example.net" || fail "SAN"
		contains "$T/text" "Subject Key Identifier"
		# Signed by the P-256 intermediate, with its hash.
		contains "$T/text" "Signature Algorithm: ecdsa-with-SHA256"
		# AKI equals the intermediate's SKI.
		ski=$(openssl x509 -in "$MINICA_HOME/intermediate.crt" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' ')
		aki=$(openssl x509 -in "$crt" -noout -ext authorityKeyIdentifier | tail -1 | tr -d ' ' | sed 's/^keyid://')
		[ "$ski" = "$aki" ] || fail "AKI $aki != intermediate SKI $ski"
		serial=$(openssl x509 -in "$crt" -noout -serial | cut -d= -f2 | tr A-F a-f)
		[ ${#serial} -ge 30 ] && [ ${#serial} -le 40 ] || fail "serial length ${#serial}"
		[ "$(sqlite3 "$MINICA_HOME/minica.db" "SELECT profile || ' ' || key_type FROM certificates WHERE serial = '$serial'")" = "$profile $key" ] ||
			fail "row for $serial"
	done
done
[ "$(db_count certificates)" = "$i" ] || fail "row count"
[ "$(sqlite3 "$MINICA_HOME/minica.db" "SELECT count(*) FROM audit WHERE action = 'issue'")" = "$i" ] || fail "audit count"
[ "$(sqlite3 "$MINICA_HOME/minica.db" "SELECT count(DISTINCT serial) FROM certificates")" = "$i" ] || fail "serials not unique"

# A person's name of 40 x U+00E9 (80 bytes) is 40 characters: it fits a CN.
name=$(python3 -c 'print("\u00e9" * 40)')
expect 0 mc issue client --cn "$name" --san carol@example.org --out "$T/e40"
crt=$(ls "$T"/e40/*.crt | grep -v fullchain)
openssl x509 -in "$crt" -noout -subject -nameopt utf8,sep_multiline | grep -q "CN=$name" ||
	fail "CN of 40 x e-acute"

# Default lifetime 397 days; a chosen one; key type default rsa2048.
expect 0 mc issue nginx --cn www.example.org --out "$T/w" --json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["days_left"] in (396, 397), d
assert d["key_type"] == "rsa2048" and d["status"] == "valid" and d["sans"] == ["www.example.org"]
assert d["not_after"].endswith("Z") and len(d["serial"]) >= 30 and d["serial"] == d["serial"].lower()
' "$T/out" || fail "issue --json"
expect 0 mc issue server --cn short.example.org --days 30 --out "$T/s"
end=$(date -d "$(openssl x509 -in "$T/s/short.example.org.crt" -noout -enddate | cut -d= -f2)" +%s)
[ $(( (end - $(date +%s)) / 86400 )) -ge 29 ] || fail "--days 30"
# Exactly 30 days, both ends counted (RFC 5280), starting 5 minutes back.
start=$(date -d "$(openssl x509 -in "$T/s/short.example.org.crt" -noout -startdate | cut -d= -f2)" +%s)
[ $((end - start)) -eq $((30 * 86400 - 1)) ] || fail "validity is $((end - start)) s, not 30 days"
back=$(($(date +%s) - start))
[ "$back" -ge 300 ] && [ "$back" -le 360 ] || fail "notBefore backdated $back s, not 300"

# Names are normalised: case, trailing dot, IDN to A-label.
expect 0 mc issue server --cn "MiXed.Example.ORG." --san "bücher.example.org" --out "$T/n"
openssl x509 -in "$T/n/mixed.example.org.crt" -noout -ext subjectAltName > "$T/san"
contains "$T/san" "DNS:mixed.example.org, DNS:xn--bcher-kva.example.org"

# IPs only through --ip, and only where the root permits them.
expect 1 mc issue server --cn ip.example.org --ip 192.0.2.7 --out "$T/ip0"
contains "$T/err" "outside the root's name constraints (a root made without 'init --permit-ip CIDR' may not vouch for any IP)"
expect 0 mc --home "$T/iphome" init --domain example.org --permit-ip 192.0.2.0/24 --permit-ip 2001:db8::/32 \
	--root-passphrase-file "$ROOTPASS"
# IP ranges read as CIDR everywhere (GENERAL_NAME_print says "<invalid length=8>").
ipnc="permitted:DNS:example.org, permitted:email:example.org, permitted:email:.example.org, permitted:IP:192.0.2.0/24, permitted:IP:2001:db8::/32"
contains "$T/out" "$ipnc"
lacks "$T/out" "invalid"
expect 0 mc --home "$T/iphome" show ca
contains "$T/out" "name constraints     $ipnc"
expect 0 mc --home "$T/iphome" show ca --json
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["name_constraints"] == sys.argv[2], d' "$T/out" "$ipnc" ||
	fail "show ca --json name_constraints"
expect 0 mc --home "$T/iphome" log
contains "$T/out" "constraints=$ipnc"
lacks "$T/out" "invalid"
expect 0 mc --home "$T/iphome" issue server --cn ip.example.org --ip 192.0.2.7 --ip 2001:DB8::1 --out "$T/ip"
openssl x509 -in "$T/ip/ip.example.org.crt" -noout -ext subjectAltName > "$T/san"
contains "$T/san" "DNS:ip.example.org, IP Address:192.0.2.7, IP Address:2001:DB8:0:0:0:0:0:1"
openssl verify -x509_strict -purpose sslserver -verify_ip 192.0.2.7 -CAfile "$T/iphome/ca.crt" -untrusted "$T/ip/ip.example.org.crt" "$T/ip/ip.example.org.crt" >/dev/null ||
	fail "IP verify"
expect 1 mc --home "$T/iphome" issue server --cn ip2.example.org --ip 198.51.100.1 --out "$T/ip2"
contains "$T/err" "IP address 198.51.100.1 is outside the root's name constraints (permitted: 192.0.2.0/24, 2001:db8::/32)"
one_line "$T/err"

# A wildcard, verified for a name it covers.
expect 0 mc issue nginx --cn "*.example.org" --out "$T/wc"
openssl verify -x509_strict -purpose sslserver -verify_hostname foo.example.org -CAfile "$ca" -untrusted "$T/wc/wildcard.example.org.crt" "$T/wc/wildcard.example.org.crt" >/dev/null ||
	fail "wildcard verify"

# A name longer than 64 characters is not a CN: empty subject, critical SAN.
long="this-label-is-quite-long-on-purpose.and-so-is-this-one-too.example.org"
expect 0 mc issue server --cn "$long" --out "$T/l"
openssl x509 -in "$T/l/$long.crt" -noout -subject -ext subjectAltName > "$T/text"
contains "$T/text" "subject="
lacks "$T/text" "CN"
openssl x509 -in "$T/l/$long.crt" -noout -text | grep -q "Subject Alternative Name: critical" || fail "SAN not critical"
openssl verify -x509_strict -purpose sslserver -verify_hostname "$long" -CAfile "$ca" -untrusted "$T/l/$long.crt" "$T/l/$long.crt" >/dev/null || fail "long name verify"
gnutls_ok "$T/l/$long.crt" "$long"

# Client certificates for a person: e-mail address as rfc822Name.
expect 0 mc issue client --cn alice@Example.org --out "$T/c"
openssl x509 -in "$T/c/alice@example.org.crt" -noout -ext subjectAltName > "$T/san"
contains "$T/san" "email:alice@example.org"
openssl verify -x509_strict -purpose sslclient -CAfile "$ca" -untrusted "$T/c/alice@example.org.crt" "$T/c/alice@example.org.crt" >/dev/null || fail "client verify"

# The default out dir is the current one; list and show find them.
mkdir "$T/cwd" && cd "$T/cwd"
expect 0 mc issue smtpd --cn mx.example.net
[ -f mx.example.net.crt ] && [ -f mx.example.net.key ] && [ -f mx.example.net-fullchain.crt ] || fail "files in cwd"
cd "$T"
expect 0 mc list
contains "$T/out" "mx.example.net"
contains "$T/out" "SERIAL"
expect 0 mc list --json --profile smtpd
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d) == 5 and all(c["profile"] == "smtpd" for c in d), d
for k in ("serial","profile","cn","sans","not_before","not_after","days_left","status","fingerprint_sha256","key_type"):
    assert all(k in c for c in d), k
' "$T/out" || fail "list --json"
expect 0 mc list --expiring 31 --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [c["cn"] for c in d] == ["short.example.org"], d' "$T/out" ||
	fail "list --expiring"
serial=$(openssl x509 -in "$T/cwd/mx.example.net.crt" -noout -serial | cut -d= -f2)
fpr=$(openssl x509 -in "$T/cwd/mx.example.net.crt" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f)
expect 0 mc show "$(echo "$serial" | cut -c1-12)" --json --pem
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["fingerprint_sha256"] == sys.argv[2] and d["cn"] == "mx.example.net" and "BEGIN CERTIFICATE" in d["pem"]
' "$T/out" "$fpr" || fail "show prefix --json"
expect 0 mc show "$(echo "$serial" | tr A-F a-f)"
contains "$T/out" "$(printf %s "$fpr" | tr a-f A-F | sed 's/..../& /g; s/ $//')"
expect 1 mc show 00
contains "$T/err" "no certificate"
expect 1 mc show xyz
contains "$T/err" "not a serial"
