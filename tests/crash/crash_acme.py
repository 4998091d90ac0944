#!/usr/bin/python3
"""SIGKILL of 'minica acme serve' while a client drives orders to finalize
(run by crash_acme.sh, which makes the CA and the private /etc/hosts).

Usage: crash_acme.py quick|full|random HOME MINICA_BIN FAULT_LIB

The client (raw RFC 8555 over requests and josepy, one account) takes
each order from newOrder to the downloaded certificate, retrying through
every kill: a connection refused or cut, a 5xx, badNonce, orderNotReady
after a finalize the kill cut short.  This script is also its http-01
target.  Kills:
  fault   the server is started with tests/crash/fault.c preloaded and
          killed (SIGKILL) before its Nth fsync, then before its Nth
          rename/unlink, N = 1, 2, ... until an order completes without
          the kill happening (quick); full adds the Nth write, and kills
          right after the operation too;
  random  the server is killed at a random moment (SEED, RANDOM_TRIALS).
After every kill, with the server down, checked with sqlite3 and openssl
only: PRAGMA integrity_check is ok; every certificate in the store belongs
to an order that is valid; no order is valid without its certificate in
the store; no file in the CA home that was not there before (a temporary
CSR, a half-written file); then, with the server restarted, the client's
retried finalize or download succeeds and every certificate it downloads
is the store's and verifies against the root (openssl verify
-x509_strict).  Prints one summary line; exit 1 on any failure.
"""
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import http.server

import josepy as jose
import requests
from acme import jws as acme_jws
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

MODE, HOME, MINICA, FAULT_LIB = sys.argv[1:5]
if os.environ.get("VERBOSE"):
    import faulthandler
    faulthandler.dump_traceback_later(900, exit=True)
SEED = int(os.environ.get("SEED", "1"))
RANDOM_TRIALS = int(os.environ.get("RANDOM_TRIALS", "40"))
DB = os.path.join(HOME, "minica.db")
rng = random.Random(SEED)
failures = []
stats = {"kills": 0, "trials": 0, "orders": 0, "refinalized": 0, "downloads": 0}
KEYAUTH = {}
ALLOWED_NEW = {"minica.db-wal", "minica.db-shm"}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


PORT, HTTP_PORT = free_port(), free_port()
HOSTNAME = "acme.example.org"      # in crash_acme.sh's private /etc/hosts
BASE = f"https://{HOSTNAME}:{PORT}"
# The server's own certificate (issued at its first start) chains to the
# root; requests prefers this variable over a session's verify.
os.environ["REQUESTS_CA_BUNDLE"] = os.path.join(HOME, "ca.crt")


def write_conf():
    """The [acme] section: eab off (one unbound account), http-01 on our
    target's port; TLS on, as a user would run it."""
    with open(os.path.join(HOME, "minica.conf"), "a") as f:
        f.write(f"\n[acme]\nhostname = {HOSTNAME}\nlisten = 127.0.0.1:{PORT}\neab = no\n"
                f"http01_port = {HTTP_PORT}\n")


class Target(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body = KEYAUTH.get(self.path.rsplit("/", 1)[-1], "").encode()
        self.send_response(200 if body else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


target = http.server.ThreadingHTTPServer(("127.0.0.1", HTTP_PORT), Target)
target.daemon_threads = True
threading.Thread(target=target.serve_forever, daemon=True).start()


# ---------------------------------------------------------------- the server
class Server:
    def __init__(self):
        self.proc = None
        self.log = open(os.path.join(HOME, "..", "server.log"), "ab")

    def start(self, fault=None):
        env = dict(os.environ, MINICA_HOME=HOME)
        if fault:
            env.update(LD_PRELOAD=FAULT_LIB, **fault)
        self.proc = subprocess.Popen([MINICA, "acme", "serve"], env=env, stdout=self.log, stderr=self.log)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 30:
            if self.proc.poll() is not None:
                if self.proc.returncode != -signal.SIGKILL:
                    raise SystemExit(f"crash_acme: the server exited ({self.proc.returncode}) while "
                                     f"starting: see {self.log.name}")
                return False        # killed while starting (a fault early on)
            try:
                socket.create_connection(("127.0.0.1", PORT), timeout=1).close()
                return True
            except OSError:
                time.sleep(0.05)
        raise SystemExit("crash_acme: the server did not listen within 30 s")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()
            killed = self.proc.returncode == -signal.SIGKILL
            self.proc = None
            return killed
        return False

    def stop(self):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
        self.proc = None


server = Server()


# ---------------------------------------------------------------- the client
class Retry(Exception):
    pass


S = requests.Session()
KEY = jose.JWKEC(key=ec.generate_private_key(ec.SECP256R1()))
THUMB = jose.b64.b64encode(KEY.thumbprint(hash_function=hashes.SHA256)).decode()
kid = None
directory = None


def call(method, url, **kw):
    try:
        r = S.request(method, url, timeout=15, **kw)
    except requests.RequestException as e:
        raise Retry(str(e))
    if r.status_code >= 500:
        raise Retry(f"{r.status_code} {r.text[:200]}")
    return r


def post(url, payload):
    global directory
    if directory is None:
        directory = call("GET", BASE + "/acme/directory").json()
    n = call("HEAD", directory["newNonce"]).headers["Replay-Nonce"]
    data = b"" if payload is None else json.dumps(payload).encode()
    j = acme_jws.JWS.sign(data, key=KEY, alg=jose.ES256, nonce=jose.b64.b64decode(n), url=url, kid=kid)
    r = call("POST", url, data=j.json_dumps(), headers={"Content-Type": "application/jose+json"})
    if r.status_code == 400 and "badNonce" in r.text:
        raise Retry("badNonce")
    return r


def account():
    """One try (drive retries): the account, made once."""
    global kid
    if kid is None:
        r = post(BASE + "/acme/new-account", {"termsOfServiceAgreed": True})
        if r.status_code not in (200, 201):
            raise SystemExit(f"newAccount: {r.status_code} {r.text[:300]}")
        kid = r.headers["Location"]


class Order:
    """One name from newOrder to its certificate, resumable after any kill."""

    def __init__(self, i):
        self.name = f"n{i}.example.org"
        self.url = None
        self.key = ec.generate_private_key(ec.SECP256R1())
        b = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([]))
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(self.name)]), critical=False)
        self.csr = jose.b64.b64encode(b.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
        self.finalized = 0
        self.pem = None

    def step(self):
        """One request or two; True when the certificate is downloaded."""
        if self.url is None:
            r = post(directory["newOrder"], {"identifiers": [{"type": "dns", "value": self.name}]})
            if r.status_code != 201:
                raise SystemExit(f"newOrder {self.name}: {r.status_code} {r.text}")
            self.url = r.headers["Location"]
        o = post(self.url, None).json()
        st = o["status"]
        if st == "pending":
            for au in o["authorizations"]:
                a = post(au, None).json()
                ch = [c for c in a["challenges"] if c["type"] == "http-01"][0]
                KEYAUTH[ch["token"]] = ch["token"] + "." + THUMB
                if a["status"] == "invalid":
                    failures.append(f"{self.name}: authorization invalid: {json.dumps(ch)}")
                    return True
                if ch["status"] == "pending":
                    post(ch["url"], {})
            time.sleep(0.1)
        elif st == "ready":
            self.finalized += 1
            r = post(o["finalize"], {"csr": self.csr.decode()})
            if r.status_code not in (200, 403):
                failures.append(f"{self.name}: finalize: {r.status_code} {r.text[:200]}")
                return True
        elif st == "processing":
            time.sleep(0.2)
        elif st == "valid":
            r = post(o["certificate"], None)
            if r.status_code != 200:
                failures.append(f"{self.name}: download of a valid order: {r.status_code} {r.text[:200]}")
                return True
            self.pem = r.text
            stats["downloads"] += 1
            if self.finalized > 1:
                stats["refinalized"] += 1
            return True
        else:
            failures.append(f"{self.name}: order {st}: {json.dumps(o)[:300]}")
            return True
        return False


def drive(order, deadline, stop=None):
    """Steps the order until done, deadline (monotonic), or stop is set."""
    while time.monotonic() < deadline and not (stop and stop.is_set()):
        try:
            account()
            if order.step():
                return True
        except Retry as e:
            if os.environ.get("VERBOSE"):
                print("retry:", e, file=sys.stderr, flush=True)
            time.sleep(0.05)
    return False


# ---------------------------------------------------------------- invariants
def home_files():
    out = set()
    for d, _, files in os.walk(HOME):
        for f in files:
            out.add(os.path.relpath(os.path.join(d, f), HOME))
    return out


def check_state(when):
    stats["trials"] += 1
    if os.environ.get("VERBOSE"):
        print(f"{time.monotonic() - t0:6.1f}s {when}", file=sys.stderr, flush=True)
    c = sqlite3.connect(DB)
    try:
        ic = c.execute("PRAGMA integrity_check").fetchall()
        if ic != [("ok",)]:
            failures.append(f"{when}: integrity_check: {ic}")
        certs = {s for (s,) in c.execute("SELECT serial FROM certificates")}
        orders = {}
        for oid, st, serial in c.execute("SELECT id, status, cert_serial FROM acme_orders"):
            orders[oid] = (st, serial)
        linked = {serial: st for st, serial in orders.values() if serial}
        for s in certs - BASE_CERTS:
            if linked.get(s) != "valid":
                failures.append(f"{when}: certificate {s} belongs to no valid order ({linked.get(s)})")
        for oid, (st, serial) in orders.items():
            if st == "valid" and serial not in certs:
                failures.append(f"{when}: order {oid} is valid without a stored certificate ({serial})")
    finally:
        c.close()
    extra = home_files() - BASELINE - ALLOWED_NEW
    if extra:
        failures.append(f"{when}: files left in the CA home: {sorted(extra)}")


def check_download(order):
    if order.pem is None:
        return
    cert = x509.load_pem_x509_certificate(order.pem.encode())
    serial = format(cert.serial_number, "x")
    c = sqlite3.connect(DB)
    row = c.execute("SELECT o.cert_serial FROM acme_orders o WHERE o.id = ?",
                    (int(order.url.rsplit("/", 1)[-1]),)).fetchone()
    c.close()
    if row is None or (row[0] or "").lstrip("0") != serial:
        failures.append(f"{order.name}: downloaded serial {serial}, the store's order has {row}")
    leaf = os.path.join(HOME, "..", "leaf.pem")
    with open(leaf, "w") as f:
        f.write(order.pem)
    v = subprocess.run(["openssl", "verify", "-x509_strict", "-CAfile", os.path.join(HOME, "ca.crt"),
                        "-untrusted", leaf, leaf], capture_output=True, text=True)
    if v.returncode != 0:
        failures.append(f"{order.name}: openssl verify: {v.stdout.strip()} {v.stderr.strip()}")
    stats["orders"] += 1


# ---------------------------------------------------------------- campaigns
n_orders = 0


def new_order():
    global n_orders
    n_orders += 1
    return Order(n_orders)


def fault_campaign(op, when, limit):
    """Kill before (or after) the Nth op of that kind, N = 1.. until an
    order completes without the kill happening (or limit)."""
    for n in range(1, limit + 1):
        o = new_order()
        fault = {"FAULT_OP": op, "FAULT_AT": str(n), "FAULT_WHEN": when}
        started = server.start(fault)
        if started:
            stop = threading.Event()
            t = threading.Thread(target=lambda: drive(o, time.monotonic() + 60, stop))
            t.start()
            while t.is_alive() and server.alive():
                time.sleep(0.02)
            stop.set()
            t.join()
        if server.alive():
            server.stop()           # the order completed before the Nth op: campaign over
            check_state(f"{op}/{when} #{n} (not reached)")
            check_download(o)
            return n - 1
        if server.kill():
            stats["kills"] += 1
        check_state(f"{op}/{when} #{n}")
        server.start()
        if not drive(o, time.monotonic() + 60):
            failures.append(f"{op}/{when} #{n}: {o.name} not completed after the restart")
        server.stop()
        check_state(f"{op}/{when} #{n} (after the retry)")
        check_download(o)
    return limit


def random_campaign(trials):
    server.start()
    for i in range(trials):
        o = new_order()
        stop = threading.Event()
        t = threading.Thread(target=lambda: drive(o, time.monotonic() + 60, stop))
        t.start()
        time.sleep(rng.uniform(0.0, 0.6))
        if server.kill():
            stats["kills"] += 1
        stop.set()
        t.join()
        check_state(f"random #{i + 1}")
        server.start()
        if not drive(o, time.monotonic() + 60):
            failures.append(f"random #{i + 1}: {o.name} not completed after the restart")
        check_download(o)
    server.stop()
    check_state("random (end)")


# A first start and stop makes whatever files a running server keeps, and
# the server's own certificate (the one row that belongs to no order).
t0 = time.monotonic()
write_conf()
if not server.start():
    raise SystemExit("crash_acme: the server did not start")
server.stop()
BASELINE = home_files()
with sqlite3.connect(DB) as c0:
    BASE_CERTS = {s for (s,) in c0.execute("SELECT serial FROM certificates")}
points = []
try:
    if MODE in ("quick", "full"):
        points.append(("sync", "before", fault_campaign("sync", "before", 200)))
        points.append(("rename", "before", fault_campaign("rename", "before", 50)))
        points.append(("unlink", "before", fault_campaign("unlink", "before", 50)))
    if MODE == "full":
        points.append(("sync", "after", fault_campaign("sync", "after", 200)))
        points.append(("write", "before", fault_campaign("write", "before", 400)))
    if MODE in ("full", "random"):
        random_campaign(RANDOM_TRIALS)
finally:
    server.kill()

pts = ", ".join(f"{op} {when}: {n}" for op, when, n in points)
print(f"crash_acme {MODE}: {stats['kills']} kills, {stats['trials']} state checks, {stats['orders']} orders "
      f"completed and verified ({stats['refinalized']} finalized again after a kill)"
      f"{'; fault points ' + pts if pts else ''}; {len(failures)} failures in {time.monotonic() - t0:.0f} s")
for f in failures[:40]:
    print("FAIL", f)
sys.exit(1 if failures else 0)
