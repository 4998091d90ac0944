#!/bin/sh
# 'minica snippet nginx-acme': the location block for 'acme serve' behind
# nginx, from the [acme] section (proxy_pass to listen, brackets for
# IPv6, the announced URL in its comment); refused with one line when
# hostname is unset or tls is yes, and with --check/--root/--profile.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

new_ca
conf=$MINICA_HOME/minica.conf
cp "$conf" "$T/conf.orig"

# ---- refusals
expect 1 mc snippet nginx-acme
one_line "$T/err"
contains "$T/err" "[acme] hostname is not set"
printf '[acme]\nhostname = acme.example.org\nlisten = 127.0.0.1:14000\n' >>"$conf"
expect 1 mc snippet nginx-acme
one_line "$T/err"
contains "$T/err" "set tls = no and listen = 127.0.0.1:PORT"
[ ! -s "$T/out" ] || fail "a block printed for tls = yes"
expect 64 mc snippet nginx-acme --check
contains "$T/err" "nginx-acme takes no --check"

# ---- the block: proxy_pass to listen, the proxy's URL
echo "tls = no" >>"$conf"
expect 0 mc snippet nginx-acme
contains "$T/out" "location /acme/ {"
contains "$T/out" "    proxy_pass http://127.0.0.1:14000;"
contains "$T/out" "    proxy_buffering off;"
contains "$T/out" "# https://acme.example.org/acme/directory."
lacks "$T/out" "http://acme.example.org"
echo "url = https://acme.example.org:8443" >>"$conf"
expect 0 mc snippet nginx-acme
contains "$T/out" "# https://acme.example.org:8443/acme/directory."
echo "url = https://www.example.org:8443" >>"$conf"
expect 1 mc snippet nginx-acme
one_line "$T/err"
contains "$T/err" "names another host than hostname = acme.example.org"

# ---- IPv6 loopback in brackets
cp "$T/conf.orig" "$conf"
printf '[acme]\nhostname = acme.example.org\nlisten = [::1]:14001\ntls = no\n' >>"$conf"
expect 0 mc snippet nginx-acme
contains "$T/out" "    proxy_pass http://[::1]:14001;"
# The block is valid nginx inside a server block.
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
	mkdir -p "$T/ng/logs"
	{ printf 'pid %s/ng/pid;\nerror_log %s/ng/logs/error.log;\nevents {}\nhttp {\n' "$T" "$T"
	  printf 'access_log off;\nclient_body_temp_path %s/ng/b;\nproxy_temp_path %s/ng/p;\n' "$T" "$T"
	  printf 'fastcgi_temp_path %s/ng/f;\nuwsgi_temp_path %s/ng/u;\nscgi_temp_path %s/ng/s;\n' "$T" "$T" "$T"
	  printf 'server {\nlisten 127.0.0.1:1;\n'; cat "$T/out"; printf '}\n}\n'; } >"$T/ng/nginx.conf"
	PATH=$PATH:/usr/sbin expect 0 nginx -t -p "$T/ng" -c "$T/ng/nginx.conf" -e "$T/ng/logs/error.log"
fi
