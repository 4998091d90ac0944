#!/usr/bin/python3
"""Hostile challenge targets and bad CSRs against 'minica acme serve'
(run by t_acme_hostile2.sh).

Usage: acme_hostile2.py DIRECTORY_URL ROOT_PEM HTTP01_PORT

This script is the http-01 target (on 127.0.0.1:HTTP01_PORT); it answers
by the name asked for: ok* correctly, slow after 25 s, loop with a
redirect to itself, huge with 64 MiB, wrong with another key
authorization, missing with 404; refused is mapped to 127.0.0.2 where
nothing listens.  Each challenge must end invalid with the problem type
RFC 8555 names, within bounded time, while the server keeps answering
other requests; processing challenges and pending authorizations and
orders carry Retry-After.  Then CSRs with a weak key or other names than
the order's get badCSR, and a deactivated account is refused.
"""
import http.server
import json
import sys
import threading
import time

import josepy as jose
import requests
from acme import jws as acme_jws
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

DIR, ROOT, HTTP_PORT = sys.argv[1], sys.argv[2], int(sys.argv[3])
S = requests.Session()
S.verify = ROOT
D = S.get(DIR, timeout=10).json()
failures = []
KEYAUTH = {}            # token -> key authorization, for ok* and wrong
HITS = {"loop": 0, "huge_bytes": 0}
HUGE = 64 << 20


def fail(msg):
    failures.append(msg)


def check(name, cond, msg=""):
    if cond:
        print(f"ok {name}")
    else:
        fail(f"{name}: {msg}")


class Target(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        host = self.headers.get("Host", "").split(":")[0]
        token = self.path.split("?")[0].rsplit("/", 1)[-1]
        label = host.split(".")[0]
        if label.startswith("ok"):
            self.reply(200, KEYAUTH.get(token, "").encode())
        elif label == "wrong":
            self.reply(200, (token + ".not-the-thumbprint").encode())
        elif label == "missing":
            self.reply(404, b"no such file\n")
        elif label == "slow":
            time.sleep(25)
            self.reply(200, KEYAUTH.get(token, "").encode())
        elif label == "loop":
            HITS["loop"] += 1
            self.send_response(302)
            self.send_header("Location", f"http://{host}:{HTTP_PORT}{self.path.split('?')[0]}?n={HITS['loop']}")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif label == "huge":
            self.send_response(200)
            self.send_header("Content-Length", str(HUGE))
            self.end_headers()
            chunk = b"x" * 65536
            try:
                for _ in range(HUGE // len(chunk)):
                    self.wfile.write(chunk)
                    HITS["huge_bytes"] += len(chunk)
            except OSError:
                pass
        else:
            self.reply(404, b"")

    def reply(self, code, body):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


srv = http.server.ThreadingHTTPServer(("127.0.0.1", HTTP_PORT), Target)
srv.daemon_threads = True
threading.Thread(target=srv.serve_forever, daemon=True).start()


def nonce():
    return S.head(D["newNonce"], timeout=10).headers["Replay-Nonce"]


def post(url, payload, key, kid=None):
    data = b"" if payload is None else json.dumps(payload).encode()
    j = acme_jws.JWS.sign(data, key=key, alg=jose.ES256, nonce=jose.b64.b64decode(nonce()), url=url, kid=kid)
    return S.post(url, data=j.json_dumps(), headers={"Content-Type": "application/jose+json"}, timeout=30)


def problem(r):
    try:
        return r.json().get("type", "").replace("urn:ietf:params:acme:error:", "")
    except ValueError:
        return "(not JSON)"


key = jose.JWKEC(key=ec.generate_private_key(ec.SECP256R1()))
kid = post(D["newAccount"], {"termsOfServiceAgreed": True}, key).headers["Location"]
thumb = jose.b64.b64encode(key.thumbprint(hash_function=hashes.SHA256)).decode()


def new_order(name, k=key, kd=None):
    r = post(D["newOrder"], {"identifiers": [{"type": "dns", "value": name}]}, k, kid=kd or kid)
    if r.status_code != 201:
        raise SystemExit(f"newOrder {name}: {r.status_code} {r.text}")
    o = r.json()
    return r.headers["Location"], o


def http01(authz_url, k=key, kd=None):
    a = post(authz_url, None, k, kid=kd or kid).json()
    c = [c for c in a["challenges"] if c["type"] == "http-01"][0]
    KEYAUTH[c["token"]] = c["token"] + "." + thumb
    return c


def poll_authz(url, until, bound):
    t0 = time.monotonic()
    while time.monotonic() - t0 < bound:
        a = post(url, None, key, kid=kid).json()
        if a["status"] != "pending":
            return a, time.monotonic() - t0
        time.sleep(0.3)
    return None, bound


# ---- challenge targets: start them all, then watch
cases = {"ok1": "valid", "slow": "connection", "loop": "connection", "huge": "incorrectResponse",
         "wrong": "incorrectResponse", "missing": "unauthorized", "refused": "connection"}
started = {}
for label in cases:
    ourl, o = new_order(f"{label}.example.test")
    aurl = o["authorizations"][0]
    c = http01(aurl)
    t0 = time.monotonic()
    r = post(c["url"], {}, key, kid=kid)
    started[label] = (ourl, aurl, c, t0)
    if label == "slow":
        check("challenge processing with Retry-After", r.status_code == 200 and r.json()["status"] == "processing"
              and int(r.headers.get("Retry-After", "0")) > 0, f"{r.status_code} {r.text} {dict(r.headers)}")

ourl, aurl, c, _ = started["slow"]
r = post(aurl, None, key, kid=kid)
check("pending authorization with Retry-After while validating", r.json()["status"] == "pending" and
      int(r.headers.get("Retry-After", "0")) > 0, f"{r.text} {dict(r.headers)}")
r = post(ourl, None, key, kid=kid)
check("pending order with Retry-After while validating", r.json()["status"] == "pending" and
      int(r.headers.get("Retry-After", "0")) > 0, f"{r.text} {dict(r.headers)}")
# The server answers others while a validation waits on a slow target.
worst = 0.0
for _ in range(20):
    t = time.monotonic()
    nonce()
    S.get(DIR, timeout=10)
    worst = max(worst, time.monotonic() - t)
check("answers while a target is slow", worst < 2.0, f"a request took {worst:.1f} s")

for label, want in cases.items():
    ourl, aurl, c, t0 = started[label]
    a, took = poll_authz(aurl, want, 30)
    if a is None:
        fail(f"{label}: still pending after 30 s")
        continue
    ch = [x for x in a["challenges"] if x["type"] == "http-01"][0]
    took = time.monotonic() - t0
    if want == "valid":
        check(f"{label}: valid", a["status"] == "valid" and ch["status"] == "valid", json.dumps(a))
        continue
    got = ch.get("error", {}).get("type", "").replace("urn:ietf:params:acme:error:", "")
    check(f"{label}: invalid, {want}, in {took:.1f} s", a["status"] == "invalid" and ch["status"] == "invalid"
          and got == want and took < 20, f"{a['status']} {ch['status']} {got} after {took:.1f} s: {json.dumps(ch)}")
check("redirect loop: at most 10 redirects followed", 1 <= HITS["loop"] <= 11, f"{HITS['loop']} requests")
check("huge body: the server stopped reading", HITS["huge_bytes"] < HUGE, f"{HITS['huge_bytes']} bytes sent")
r = post(started["slow"][0], None, key, kid=kid)
check("order of a failed challenge is invalid", r.json()["status"] == "invalid", r.text)


# ---- finalize with bad CSRs
def csr(names, k):
    b = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([]))
    b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    der = b.sign(k, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    return jose.b64.b64encode(der).decode()


def ready_order(name):
    ourl, o = new_order(name)
    c = http01(o["authorizations"][0])
    post(c["url"], {}, key, kid=kid)
    a, _ = poll_authz(o["authorizations"][0], "valid", 20)
    if a is None or a["status"] != "valid":
        raise SystemExit(f"{name}: authorization not valid: {a}")
    o = post(ourl, None, key, kid=kid).json()
    if o["status"] != "ready":
        raise SystemExit(f"{name}: order not ready: {o}")
    return ourl, o


def expect(name, r, status, etype):
    got = problem(r) if r.content else ""
    check(name, r.status_code == status and got == etype, f"got {r.status_code} {got}: {r.text[:300]}")


ec256 = ec.generate_private_key(ec.SECP256R1())
ourl, o = ready_order("ok2.example.test")
expect("CSR with another name too", post(o["finalize"], {"csr": csr(["ok2.example.test", "other.example.test"], ec256)},
                                         key, kid=kid), 400, "badCSR")
expect("CSR for another name", post(o["finalize"], {"csr": csr(["other.example.test"], ec256)}, key, kid=kid),
       400, "badCSR")
expect("CSR with an RSA-1024 key", post(o["finalize"], {"csr": csr(["ok2.example.test"],
       rsa.generate_private_key(65537, 1024))}, key, kid=kid), 400, "badCSR")
ourl, o = ready_order("ok3.example.test")
expect("CSR with a secp256k1 key", post(o["finalize"], {"csr": csr(["ok3.example.test"],
       ec.generate_private_key(ec.SECP256K1()))}, key, kid=kid), 400, "badCSR")
ourl, o = ready_order("ok4.example.test")
r = post(o["finalize"], {"csr": csr(["ok4.example.test"], ec256)}, key, kid=kid)
check("a good CSR after the bad ones", r.status_code == 200 and r.json()["status"] == "valid", r.text[:300])
if r.status_code == 200 and "certificate" in r.json():
    pem = post(r.json()["certificate"], None, key, kid=kid)
    cert = x509.load_pem_x509_certificate(pem.content)
    check("its certificate names ok4 alone", cert.extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName) == ["ok4.example.test"], pem.text)
    hexs = format(cert.serial_number, "x")
    print("serial", "0" * (len(hexs) % 2) + hexs)     # whole bytes, as minica prints serials

# ---- a deactivated account
k3 = jose.JWKEC(key=ec.generate_private_key(ec.SECP256R1()))
kid3 = post(D["newAccount"], {"termsOfServiceAgreed": True}, k3).headers["Location"]
ourl3, o3 = new_order("ok5.example.test", k3, kid3)
c3 = http01(o3["authorizations"][0], k3, kid3)
expect("deactivate", post(kid3, {"status": "deactivated"}, k3, kid=kid3), 200, "")
expect("deactivated: its order", post(ourl3, None, k3, kid=kid3), 403, "unauthorized")
expect("deactivated: its challenge", post(c3["url"], {}, k3, kid=kid3), 403, "unauthorized")
expect("deactivated: its account", post(kid3, None, k3, kid=kid3), 403, "unauthorized")
expect("deactivated: new order", post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "ok6.example.test"}]},
                                      k3, kid=kid3), 403, "unauthorized")

for f in failures:
    print("FAIL", f)
sys.exit(1 if failures else 0)
