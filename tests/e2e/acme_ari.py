#!/usr/bin/python3
"""RFC 9773 renewal information and 'replaces' against 'minica acme serve'
(run by t_acme_ari.sh).

Usage: acme_ari.py DIRECTORY_URL ROOT_PEM HTTP01_PORT STEP STATE_FILE
STEP "first": two accounts, a certificate for ari.example.test, its
renewal window, the refusals of bad replaces, a replacing order; the
serials and certIDs go to STATE_FILE (JSON).  STEP "revoked": (after the
command line revoked the replacement) its window lies in the past and an
order replacing it is accepted.
"""
import base64
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
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DIR, ROOT, HTTP01, STEP, STATE = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
S = requests.Session()
S.verify = ROOT
D = S.get(DIR, timeout=10).json()
TOKENS = {}
failures = []


class Responder(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        tok = self.path.rsplit("/", 1)[-1]
        body = TOKENS.get(tok)
        self.send_response(200 if body else 404)
        self.end_headers()
        if body:
            self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", HTTP01), Responder)
threading.Thread(target=srv.serve_forever, daemon=True).start()


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def nonce():
    return S.head(D["newNonce"], timeout=10).headers["Replay-Nonce"]


def post(url, payload, key, kid=None):
    data = b"" if payload is None else json.dumps(payload).encode()
    j = acme_jws.JWS.sign(data, key=key, alg=jose.ES256, nonce=jose.b64.b64decode(nonce()), url=url, kid=kid)
    return S.post(url, data=j.json_dumps(), headers={"Content-Type": "application/jose+json"}, timeout=30)


def expect(name, r, status, etype):
    got = r.json().get("type", "") if r.content and r.headers.get("Content-Type", "").endswith("json") else ""
    want = "urn:ietf:params:acme:error:" + etype if etype else ""
    if r.status_code != status or (etype and got != want):
        failures.append(f"{name}: got {r.status_code} {got} {r.text[:200]}, want {status} {want}")
    else:
        print(f"ok {name}")
    return r


def account():
    k = jose.JWKEC(key=ec.generate_private_key(ec.SECP256R1()))
    r = post(D["newAccount"], {"termsOfServiceAgreed": True}, k)
    if r.status_code != 201:
        sys.exit(f"FAIL new account: {r.status_code} {r.text}")
    return k, r.headers["Location"]


def cert_id(pem):
    c = x509.load_pem_x509_certificate(pem.encode())
    aki = c.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    n = c.serial_number
    der = n.to_bytes((n.bit_length() + 8) // 8, "big")  # DER INTEGER content: a leading 0 when the top bit is set
    # The serial as the store writes it: lowercase hex of whole octets.
    return b64(aki) + "." + b64(der), n.to_bytes((n.bit_length() + 7) // 8, "big").hex()


def poll(url, key, kid, until):
    for _ in range(60):
        j = post(url, None, key, kid).json()
        if j.get("status") in until:
            return j
        time.sleep(0.5)
    sys.exit(f"FAIL {url} stayed {j.get('status')}")


def obtain(key, kid, names, replaces=None):
    payload = {"identifiers": [{"type": "dns", "value": n} for n in names]}
    if replaces:
        payload["replaces"] = replaces
    r = post(D["newOrder"], payload, key, kid)
    if r.status_code != 201:
        sys.exit(f"FAIL new order {payload}: {r.status_code} {r.text}")
    order, url = r.json(), r.headers["Location"]
    if replaces and order.get("replaces") != replaces:
        failures.append(f"the order does not echo replaces: {order}")
    thumb = b64(key.public_key().thumbprint(hash_function=hashes.SHA256))
    for az in order["authorizations"]:
        ch = [c for c in post(az, None, key, kid).json()["challenges"] if c["type"] == "http-01"][0]
        TOKENS[ch["token"]] = ch["token"] + "." + thumb
        post(ch["url"], {}, key, kid)
        poll(az, key, kid, ("valid", "invalid"))
    leaf = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
           .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
           .sign(leaf, hashes.SHA256()))
    post(order["finalize"], {"csr": b64(csr.public_bytes(serialization.Encoding.DER))}, key, kid)
    done = poll(url, key, kid, ("valid", "invalid"))
    if done["status"] != "valid":
        sys.exit(f"FAIL order {url}: {done}")
    return post(done["certificate"], None, key, kid).text


def window(cid):
    r = S.get(D["renewalInfo"] + "/" + cid, timeout=10)
    if r.status_code != 200:
        sys.exit(f"FAIL renewalInfo {cid}: {r.status_code} {r.text}")
    w = r.json()["suggestedWindow"]
    return w["start"], w["end"]


name = "ari.example.test"
if STEP == "first":
    ka, kida = account()
    kb, kidb = account()
    id1, serial1 = cert_id(obtain(ka, kida, [name]))
    start, end = window(id1)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    if not now < start < end:
        failures.append(f"window of a new certificate {start}..{end} is not in the future")
    order = {"identifiers": [{"type": "dns", "value": name}]}
    expect("replaces by another account", post(D["newOrder"], dict(order, replaces=id1), kb, kidb), 403,
           "unauthorized")
    expect("replaces with no shared name",
           post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "other.example.test"}], "replaces": id1},
                ka, kida), 400, "malformed")
    expect("replaces an unknown certID", post(D["newOrder"], dict(order, replaces="AAAA.AAAA"), ka, kida), 400,
           "malformed")
    expect("replaces not a string", post(D["newOrder"], dict(order, replaces=7), ka, kida), 400, "malformed")
    id2, serial2 = cert_id(obtain(ka, kida, [name], replaces=id1))
    print("ok replacing order")
    expect("replaced twice", post(D["newOrder"], dict(order, replaces=id1), ka, kida), 409, "alreadyReplaced")
    key = ka.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                               serialization.NoEncryption()).decode()
    json.dump({"serial1": serial1, "serial2": serial2, "id2": id2, "kid": kida, "key": key}, open(STATE, "w"))
elif STEP == "revoked":
    st = json.load(open(STATE))
    ka = jose.JWKEC(key=serialization.load_pem_private_key(st["key"].encode(), None))
    start, end = window(st["id2"])
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    if not end < now:
        failures.append(f"window of a revoked certificate {start}..{end} is not in the past")
    else:
        print("ok revoked certificate: renew now")
    _, serial3 = cert_id(obtain(ka, st["kid"], [name], replaces=st["id2"]))
    print("ok replacing a revoked certificate")
    st["serial3"] = serial3
    json.dump(st, open(STATE, "w"))

srv.shutdown()
for f in failures:
    print("FAIL", f)
sys.exit(1 if failures else 0)
