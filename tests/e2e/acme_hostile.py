#!/usr/bin/python3
"""Hostile requests against 'minica acme serve' (run by t_acme_refusals.sh).

Usage: acme_hostile.py DIRECTORY_URL ROOT_PEM
Each case sends a request a careful client never would and checks the
status and the urn:ietf:params:acme:error type RFC 8555 names.
"""
import json
import sys

import josepy as jose
import requests
from acme import jws as acme_jws
from cryptography.hazmat.primitives.asymmetric import ec

DIR, ROOT = sys.argv[1], sys.argv[2]
S = requests.Session()
S.verify = ROOT
D = S.get(DIR, timeout=10).json()
failures = []


def nonce():
    r = S.head(D["newNonce"], timeout=10)
    return r.headers["Replay-Nonce"]


def post(url, payload, key, kid=None, n=None, signed_url=None, raw=None):
    body = raw
    if body is None:
        data = b"" if payload is None else json.dumps(payload).encode()
        j = acme_jws.JWS.sign(data, key=key, alg=jose.ES256, nonce=jose.b64.b64decode(n or nonce()),
                              url=signed_url or url, kid=kid)
        body = j.json_dumps()
    return S.post(url, data=body, headers={"Content-Type": "application/jose+json"}, timeout=30)


def expect(name, r, status, etype):
    try:
        got = r.json().get("type", "") if r.content else ""
    except ValueError:
        got = "(not JSON)"
    want = "urn:ietf:params:acme:error:" + etype if etype else ""
    if r.status_code != status or (etype and got != want):
        failures.append(f"{name}: got {r.status_code} {got}, want {status} {want}")
    else:
        print(f"ok {name}")


def newkey():
    return jose.JWKEC(key=ec.generate_private_key(ec.SECP256R1()))


k1, k2 = newkey(), newkey()
r = post(D["newAccount"], {"termsOfServiceAgreed": True}, k1)
expect("new account", r, 201, None)
kid = r.headers["Location"]

n = nonce()
post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "a.example.test"}]}, k1, kid=kid, n=n)
expect("replayed nonce", post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "a.example.test"}]},
                              k1, kid=kid, n=n), 400, "badNonce")
expect("made-up nonce", post(D["newOrder"], {"identifiers": []}, k1, kid=kid, n="AAAAAAAAAAAAAAAAAAAAAA"),
       400, "badNonce")
expect("url mismatch", post(D["newOrder"], {"identifiers": []}, k1, kid=kid, signed_url=D["newAccount"]),
       401, "unauthorized")
expect("unknown kid", post(D["newOrder"], {"identifiers": []}, k1, kid=kid + "999"), 400, "accountDoesNotExist")
expect("signed by another key", post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "a.example.test"}]},
                                     k2, kid=kid), 400, "malformed")
expect("jwk where kid is due", post(D["newOrder"], {"identifiers": []}, k1), 400, "malformed")
expect("body over 64 KiB", post(D["newOrder"], None, k1, raw=b"{" + b" " * 70000 + b"}"), 413, "malformed")
expect("garbage body", post(D["newOrder"], None, k1, raw=b"\x00\xff not a jws"), 400, "malformed")
expect("name outside the domains", post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "www.example.org"}]},
                                        k1, kid=kid), 400, "rejectedIdentifier")
expect("bad hostname", post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "a..example.test"}]},
                            k1, kid=kid), 400, "rejectedIdentifier")
r = post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "b.example.test"}]}, k1, kid=kid)
expect("new order", r, 201, None)
fin = r.json()["finalize"]
expect("finalize before validation", post(fin, {"csr": "AAAA"}, k1, kid=kid), 403, "orderNotReady")
expect("another account's order", post(r.headers["Location"], None, k2,
                                       kid=post(D["newAccount"], {"termsOfServiceAgreed": True}, k2)
                                       .headers["Location"]), 404, "malformed")
expect("only return existing", post(D["newAccount"], {"onlyReturnExisting": True}, newkey()), 400,
       "accountDoesNotExist")
expect("deactivate", post(kid, {"status": "deactivated"}, k1, kid=kid), 200, None)
expect("deactivated account", post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "a.example.test"}]},
                                   k1, kid=kid), 403, "unauthorized")

seen = set()
for _ in range(1000):
    seen.add(nonce())
if len(seen) != 1000:
    failures.append(f"1000 nonce requests gave {len(seen)} distinct nonces")
else:
    print("ok 1000 nonces, all distinct")

for f in failures:
    print("FAIL", f)
sys.exit(1 if failures else 0)
