#!/usr/bin/python3
"""An ACME client for IP identifiers (RFC 8738), run by t_acme_alpn.sh.

Usage: acme_ip.py DIRECTORY_URL ROOT_PEM OUT_DIR CHALLENGE PORT IP...
       acme_ip.py DIRECTORY_URL ROOT_PEM OUT_DIR refuse TYPE VALUE ERROR
       acme_ip.py DIRECTORY_URL ROOT_PEM OUT_DIR types TYPE VALUE
       acme_ip.py DIRECTORY_URL ROOT_PEM OUT_DIR badcsr|ipcn PORT IP [EXTRA_IP]
       acme_ip.py DIRECTORY_URL ROOT_PEM OUT_DIR noanswer IP

No Debian client orders IP certificates (lego 4.9 and certbot 2.1 send
every name as "dns"), so python3-acme does the protocol and this script
answers the challenge itself: tls-alpn-01 with a responder made here on
Python's ssl module (python3-acme 2.1's own certificate uses the draft's
OID and a bare digest, which RFC 8737 servers refuse), or http-01 with
http.server.  The responder records the SNI each handshake asked for: it
must be the address's reverse-DNS name (RFC 8738 §6).

The issued chain goes to OUT_DIR/IP.pem ("::1" as "__1").  "refuse"
mode orders one identifier and expects the problem type ERROR; "types"
orders one and prints its authorization's challenge types, sorted;
"badcsr" and "ipcn" validate IP by http-01, then finalize with a CSR
that adds EXTRA_IP, or names IP in its CN, and expect badCSR;
"noanswer" answers tls-alpn-01 with nothing listening and expects the
authorization invalid with a connection problem.
"""
import datetime
import hashlib
import http.server
import ipaddress
import socket
import ssl
import sys
import threading

import josepy as jose
import requests
from acme import client, errors, messages
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ACME_ID = x509.ObjectIdentifier("1.3.6.1.5.5.7.1.31")


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def connect(directory_url, root):
    key = jose.JWKEC(key=ec.generate_private_key(ec.SECP256R1()))
    net = client.ClientNetwork(key, alg=jose.ES256, user_agent="minica-e2e-ip", verify_ssl=root)
    directory = client.ClientV2.get_directory(directory_url, net)
    acme = client.ClientV2(directory, net)
    acme.new_account(messages.NewRegistration.from_data(terms_of_service_agreed=True))
    return acme, key


def new_order(acme, identifiers, csr_pem):
    """client.new_order takes the identifiers from the CSR's text dump,
    which is no canonical IPv6 form: send them as RFC 8738 writes them."""
    kinds = {"dns": messages.IDENTIFIER_FQDN, "ip": messages.IDENTIFIER_IP}
    order = messages.NewOrder(identifiers=[messages.Identifier(typ=kinds[t], value=v) for t, v in identifiers])
    resp = acme._post(acme.directory["newOrder"], order)  # pylint: disable=protected-access
    body = messages.Order.from_json(resp.json())
    authzs = [acme._authzr_from_response(acme._post_as_get(u), uri=u)  # pylint: disable=protected-access
              for u in body.authorizations]
    return messages.OrderResource(body=body, uri=resp.headers.get("Location"), authorizations=authzs,
                                  csr_pem=csr_pem)


def alpn_cert(ip, keyauth, folder):
    """A self-signed certificate: one iPAddress SAN, the critical
    acmeIdentifier holding the DER OCTET STRING of SHA-256(keyauth)."""
    k = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "acme-tls-alpn-01")])
    now = datetime.datetime.now(datetime.timezone.utc)
    digest = hashlib.sha256(keyauth.encode()).digest()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(k.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False)
            .add_extension(x509.UnrecognizedExtension(ACME_ID, b"\x04\x20" + digest), critical=True)
            .sign(k, hashes.SHA256()))
    base = f"{folder}/alpn-{ip.replace(':', '_')}"
    with open(base + ".crt", "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(base + ".key", "wb") as f:
        f.write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()))
    return base + ".crt", base + ".key"


class Responder:
    """tls-alpn-01 on (ip, port): one certificate per SNI; acme-tls/1 only."""

    def __init__(self, ip, port):
        fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((ip, port))
        self.sock.listen(8)
        self.sock.settimeout(0.5)
        self.ctx = {}
        self.snis = []
        self.alpns = []
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)

    def add(self, sni, crt, key):
        c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        c.load_cert_chain(crt, key)
        c.set_alpn_protocols(["acme-tls/1"])
        self.ctx[sni] = c

    def on_sni(self, sock, name, _ctx):
        self.snis.append(name)
        if name in self.ctx:
            sock.context = self.ctx[name]
        return None

    def run(self):
        base = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        base.sni_callback = self.on_sni
        base.set_alpn_protocols(["acme-tls/1"])
        # Without SNI the handshake has no certificate to offer: it fails.
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            conn.settimeout(5)
            try:
                with base.wrap_socket(conn, server_side=True) as t:
                    self.alpns.append(t.selected_alpn_protocol())
            except (ssl.SSLError, OSError):
                conn.close()


class Http01(http.server.BaseHTTPRequestHandler):
    tokens = {}

    def do_GET(self):  # noqa: N802 (http.server's name)
        tok = self.path.rsplit("/", 1)[-1]
        body = self.tokens.get(tok)
        self.send_response(200 if body else 404)
        self.end_headers()
        if body:
            self.wfile.write(body.encode())

    def log_message(self, *_args):
        pass


def http01_server(ip, port):
    cls = type("Srv", (http.server.HTTPServer,), {"address_family": socket.AF_INET6 if ":" in ip else socket.AF_INET})
    srv = cls((ip, port), Http01)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def reverse_name(ip):
    return ipaddress.ip_address(ip).reverse_pointer


def make_csr(ips, cn=None):
    """iPAddress SANs for ips, and a CN only when cn is given."""
    k = ec.generate_private_key(ec.SECP256R1())
    b = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)] if cn else []))
    b = b.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(i)) for i in ips]),
                        critical=False)
    return b.sign(k, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def issue(directory_url, root, out, chall, port, ips, csr=None, want=None):
    """With csr and want: finalize with that CSR must fail with error want."""
    acme, key = connect(directory_url, root)
    order = new_order(acme, [("ip", i) for i in ips], csr or make_csr(ips))
    servers = {}
    for authz in order.authorizations:
        ident = authz.body.identifier
        types = sorted(c.chall.typ for c in authz.body.challenges)
        # RFC 8738 §7: no dns-01 for an IP.
        if ident.typ.name != "ip" or types != ["http-01", "tls-alpn-01"]:
            fail(f"authorization for {ident.value}: {ident.typ.name}, challenges {types}")
        challb = next(c for c in authz.body.challenges if c.chall.typ == chall)
        resp = challb.chall.response(key)
        if chall == "tls-alpn-01":
            if ident.value not in servers:
                servers[ident.value] = Responder(ident.value, port)
                servers[ident.value].thread.start()
            servers[ident.value].add(reverse_name(ident.value), *alpn_cert(ident.value, resp.key_authorization, out))
        else:
            if ident.value not in servers:
                servers[ident.value] = http01_server(ident.value, port)
            Http01.tokens[challb.chall.encode("token")] = resp.key_authorization
        acme.answer_challenge(challb, resp)
    deadline = datetime.datetime.now() + datetime.timedelta(seconds=60)
    try:
        done = acme.poll_and_finalize(order, deadline)
    except errors.ValidationError as e:
        fail("validation failed: " + "; ".join(str(a.body.challenges) for a in e.failed_authzrs))
    except messages.Error as e:
        if want is None or e.typ != "urn:ietf:params:acme:error:" + want:
            fail(f"finalize: {e.typ} ({e.detail}), want {want}")
        print(f"finalize refused: {e.detail}")
        return
    if want is not None:
        fail(f"finalize accepted a CSR it should refuse with {want}")
    for ip in ips:
        with open(f"{out}/{ip.replace(':', '_')}.pem", "w", encoding="ascii") as f:
            f.write(done.fullchain_pem)
    if chall == "tls-alpn-01":
        for ip, r in servers.items():
            r.stop = True
            if reverse_name(ip) not in r.snis:
                fail(f"no handshake for {ip} asked for SNI {reverse_name(ip)} (got {r.snis})")
            if "acme-tls/1" not in r.alpns:
                fail(f"no handshake for {ip} negotiated acme-tls/1 (got {r.alpns})")
    print("issued for " + " ".join(ips))


def refuse(directory_url, root, typ, value, want):
    acme, _ = connect(directory_url, root)
    try:
        new_order(acme, [(typ, value)], None)
    except messages.Error as e:
        if e.typ != "urn:ietf:params:acme:error:" + want:
            fail(f"{typ} {value}: {e.typ}, want {want} ({e.detail})")
        print(f"refused {typ} {value}: {e.detail}")
        return
    fail(f"{typ} {value}: the order was accepted")


def types(directory_url, root, typ, value):
    acme, _ = connect(directory_url, root)
    order = new_order(acme, [(typ, value)], None)
    print(" ".join(sorted(c.chall.typ for a in order.authorizations for c in a.body.challenges)))


def noanswer(directory_url, root, ip):
    """tls-alpn-01 answered with nothing listening: the authorization
    turns invalid with a connection problem, and no certificate comes."""
    acme, key = connect(directory_url, root)
    order = new_order(acme, [("ip", ip)], make_csr([ip]))
    challb = next(c for c in order.authorizations[0].body.challenges if c.chall.typ == "tls-alpn-01")
    acme.answer_challenge(challb, challb.chall.response(key))
    try:
        acme.poll_and_finalize(order, datetime.datetime.now() + datetime.timedelta(seconds=60))
    except errors.ValidationError as e:
        errs = [c.error for a in e.failed_authzrs for c in a.body.challenges if c.error is not None]
        if not errs or errs[0].typ != "urn:ietf:params:acme:error:connection":
            fail(f"unanswered tls-alpn-01: {errs}")
        print(f"unanswered: {errs[0].detail}")
        return
    fail("an unanswered tls-alpn-01 challenge was valid")


def main():
    directory_url, root, out, mode = sys.argv[1:5]
    if mode == "refuse":
        refuse(directory_url, root, sys.argv[5], sys.argv[6], sys.argv[7])
    elif mode in ("badcsr", "ipcn"):
        # badcsr PORT IP EXTRA_IP: the CSR adds an address the order lacks;
        # ipcn PORT IP: the CSR also puts the address in its CN.
        ip, extra = sys.argv[6], sys.argv[7:]
        csr = make_csr([ip] + extra) if mode == "badcsr" else make_csr([ip], cn=ip)
        issue(directory_url, root, out, "http-01", int(sys.argv[5]), [ip], csr=csr, want="badCSR")
    elif mode == "noanswer":
        noanswer(directory_url, root, sys.argv[5])
    elif mode == "types":
        types(directory_url, root, sys.argv[5], sys.argv[6])
    else:
        issue(directory_url, root, out, mode, int(sys.argv[5]), sys.argv[6:])


if __name__ == "__main__":
    requests.packages.urllib3.disable_warnings()  # pylint: disable=no-member
    main()
