#!/usr/bin/python3
"""External Account Binding, account update and keyChange against
'minica acme serve' with eab = required (run by t_acme_eab.sh).

Usage: acme_eab.py DIRECTORY_URL ROOT_PEM KEYS_JSON
KEYS_JSON names key ids made by 'minica acme eab new --json':
{"good": {...}, "spare": {...}, "limited": {...} (--domain
ok.example.test), "revoked": {...} (revoked after it was made)}.
Each case checks the status and the urn:ietf:params:acme:error type.
"""
import json
import sys

import josepy as jose
import requests
from acme import jws as acme_jws
from cryptography.hazmat.primitives.asymmetric import ec

DIR, ROOT, KEYS = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
S = requests.Session()
S.verify = ROOT
D = S.get(DIR, timeout=10).json()
failures = []


def nonce():
    return S.head(D["newNonce"], timeout=10).headers["Replay-Nonce"]


def post(url, payload, key, kid=None):
    data = b"" if payload is None else json.dumps(payload).encode()
    j = acme_jws.JWS.sign(data, key=key, alg=jose.ES256, nonce=jose.b64.b64decode(nonce()), url=url, kid=kid)
    return S.post(url, data=j.json_dumps(), headers={"Content-Type": "application/jose+json"}, timeout=30)


def expect(name, r, status, etype):
    try:
        got = r.json().get("type", "") if r.content else ""
    except ValueError:
        got = "(not JSON)"
    want = "urn:ietf:params:acme:error:" + etype if etype else ""
    if r.status_code != status or (etype and got != want):
        failures.append(f"{name}: got {r.status_code} {got} {r.text[:300]}, want {status} {want}")
    else:
        print(f"ok {name}")
    return r


def newkey():
    return jose.JWKEC(key=ec.generate_private_key(ec.SECP256R1()))


def eab(key, kid, hmac, url=None, alg=jose.HS256, payload_key=None):
    """The binding as RFC 8555 §7.3.4 (and python-acme) makes it, with one part changed at will."""
    pub = (payload_key or key).public_key()
    j = acme_jws.JWS.sign(json.dumps(pub.to_partial_json()).encode(), jose.JWKOct(key=jose.b64.b64decode(hmac)),
                          alg, None, url or D["newAccount"], kid)
    return j.to_partial_json()


def new_account(key, binding, **extra):
    body = {"termsOfServiceAgreed": True}
    if binding is not None:
        body["externalAccountBinding"] = binding
    body.update(extra)
    return post(D["newAccount"], body, key)


good, spare, limited, revoked = KEYS["good"], KEYS["spare"], KEYS["limited"], KEYS["revoked"]
if D.get("meta", {}).get("externalAccountRequired") is not True:
    failures.append(f"directory meta lacks externalAccountRequired: true: {D.get('meta')}")
else:
    print("ok directory says externalAccountRequired")

# ---- refusals: nothing is bound by any of these
k = newkey()
expect("no binding", new_account(k, None), 403, "externalAccountRequired")
bad_hmac = jose.b64.b64encode(b"\x01" * 32).decode()
expect("bad MAC", new_account(k, eab(k, good["kid"], bad_hmac)), 403, "unauthorized")
expect("unknown kid", new_account(k, eab(k, "nosuchkid0000000000000", good["hmac"])), 403, "unauthorized")
expect("kid of another key", new_account(k, eab(k, spare["kid"], good["hmac"])), 403, "unauthorized")
expect("wrong url", new_account(k, eab(k, good["kid"], good["hmac"], url=D["newOrder"])), 400, "malformed")
expect("payload another key", new_account(k, eab(k, good["kid"], good["hmac"], payload_key=newkey())), 400,
       "malformed")
b = eab(k, good["kid"], good["hmac"])
b["signature"] = b["signature"][:-4] + ("AAAA" if not b["signature"].endswith("AAAA") else "BBBB")
expect("changed MAC", new_account(k, b), 403, "unauthorized")
expect("revoked kid", new_account(k, eab(k, revoked["kid"], revoked["hmac"])), 403, "unauthorized")

# ---- a good binding, HS512 here (HS256 is what the clients use)
r = expect("bound account", new_account(k, eab(k, good["kid"], good["hmac"], alg=jose.HS512),
                                         contact=["mailto:a@example.test"]), 201, None)
acct = r.headers.get("Location", "")
expect("existing account needs no binding", new_account(k, None), 200, None)
k2 = newkey()
expect("kid used a second time", new_account(k2, eab(k2, good["kid"], good["hmac"])), 403, "unauthorized")

# ---- account update (§7.3.2)
r = expect("contact update", post(acct, {"contact": ["mailto:b@example.test"]}, k, kid=acct), 200, None)
if r.status_code == 200 and r.json().get("contact") != ["mailto:b@example.test"]:
    failures.append(f"contact update not applied: {r.json()}")
expect("bad contact", post(acct, {"contact": ["tel:+1555"]}, k, kid=acct), 400, "unsupportedContact")
expect("bad status", post(acct, {"status": "valid"}, k, kid=acct), 400, "malformed")
r = expect("post-as-get account", post(acct, None, k, kid=acct), 200, None)
if r.status_code == 200 and r.json().get("contact") != ["mailto:b@example.test"]:
    failures.append(f"the new contact was not kept: {r.json()}")


# ---- keyChange (§7.3.5)
def key_change(old, new, account, url=None, inner_account=None, old_jwk=None):
    inner = acme_jws.JWS.sign(json.dumps({"account": inner_account or account,
                                          "oldKey": (old_jwk or old.public_key()).to_partial_json()}).encode(),
                              key=new, alg=jose.ES256, nonce=None, url=url or D["keyChange"])
    return post(D["keyChange"], json.loads(inner.json_dumps()), old, kid=account)


k3 = newkey()
expect("keyChange inner url differs", key_change(k, k3, acct, url=D["newOrder"]), 400, "malformed")
expect("keyChange oldKey not the account's", key_change(k, k3, acct, old_jwk=newkey().public_key()), 400,
       "malformed")
expect("keyChange names another account", key_change(k, k3, acct, inner_account=acct + "0"), 400, "malformed")
other = newkey()
r = expect("spare account", new_account(other, eab(other, spare["kid"], spare["hmac"])), 201, None)
other_url = r.headers.get("Location", "")
r = expect("keyChange to another account's key", key_change(k, other, acct), 409, "malformed")
if r.headers.get("Location") != other_url:
    failures.append(f"409 Location {r.headers.get('Location')}, want {other_url}")
expect("keyChange", key_change(k, k3, acct), 200, None)
expect("old key after keyChange", post(acct, None, k, kid=acct), 400, "malformed")
expect("new key after keyChange", post(acct, None, k3, kid=acct), 200, None)
r = expect("new key finds the account", new_account(k3, None, onlyReturnExisting=True), 200, None)
if r.headers.get("Location") != acct:
    failures.append(f"onlyReturnExisting with the new key gave {r.headers.get('Location')}, want {acct}")

# ---- a binding limited to ok.example.test
k4 = newkey()
r = expect("limited account", new_account(k4, eab(k4, limited["kid"], limited["hmac"])), 201, None)
lim = r.headers.get("Location", "")
expect("order inside the binding's domains",
       post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "www.ok.example.test"}]}, k4, kid=lim), 201,
       None)
expect("order outside the binding's domains",
       post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "ok.example.test"},
                                            {"type": "dns", "value": "other.example.test"}]}, k4, kid=lim),
       400, "rejectedIdentifier")
expect("unlimited account orders anywhere in the CA",
       post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "other.example.test"}]}, k3, kid=acct), 201,
       None)

# ---- deactivation (§7.3.6)
expect("deactivate", post(acct, {"status": "deactivated"}, k3, kid=acct), 200, None)
expect("deactivated account", post(D["newOrder"], {"identifiers": [{"type": "dns", "value": "a.example.test"}]},
                                   k3, kid=acct), 403, "unauthorized")
expect("deactivated account's key on newAccount", new_account(k3, None, onlyReturnExisting=True), 403,
       "unauthorized")

for f in failures:
    print("FAIL", f)
sys.exit(1 if failures else 0)
