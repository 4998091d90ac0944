#!/usr/bin/python3
"""ACME load generator for make bench (bench/acme.sh): N client threads,
each with its own ES256 account, run complete orders against one ACME
server and one JSON line reports orders/s and order latency.

The N threads are spread over --procs processes (default min(N, number of
processors)) so that Python's GIL does not make the generator itself the
bottleneck; the parent process runs ONE HTTP server on --http-port that
answers every http-01 token of every thread (the threads put each key
authorization in a file in a private folder under /dev/shm).

An order: a fresh P-256 key and CSR for one new name, newOrder, the
http-01 challenge answered by that server, the authorization polled until valid, finalize,
the order polled until valid, the certificate downloaded.  Its latency is
from newOrder to the downloaded chain.  Accounts are made before the clock
starts.

Polling: every --poll-ms (default 20) whatever Retry-After says, the same
for every server (python-acme's own poll_and_finalize sleeps a whole second
between polls, which would measure the client's sleeps).

Names: the K-th order of a run asks for o{K}.{--domain}, K from 0 to
--count - 1, so no order can reuse an authorization of an earlier one; the
caller maps those names to 127.0.0.1 (bench/acme.sh: a private /etc/hosts).

Usage: acme_load.py --directory URL --ca ROOT.pem --clients N --count M
                    [--duration S] [--procs P] [--domain D] [--http-port 80]
                    [--poll-ms MS] [--label L]
Exit 1 if any order failed (the JSON line says how many and the first).
"""
import argparse
import datetime
import http.server
import json
import math
import multiprocessing as mp
import os
import resource
import shutil
import sys
import tempfile
import threading
import time

import josepy as jose
import OpenSSL
from acme import challenges, client, messages
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
PREFIX = "/.well-known/acme-challenge/"


class Tokens(http.server.BaseHTTPRequestHandler):
    """Serves /.well-known/acme-challenge/TOKEN from the files the client
    processes write into one folder (Tokens.folder), TOKEN the file name."""
    folder = None
    protocol_version = "HTTP/1.0"

    def do_GET(self):  # noqa: N802 (http.server's name)
        token = self.path[len(PREFIX):] if self.path.startswith(PREFIX) else ""
        body = None
        if token and set(token) <= TOKEN_CHARS:
            try:
                with open(os.path.join(Tokens.folder, token), "rb") as f:
                    body = f.read()
            except FileNotFoundError:
                pass
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def token_put(folder, token, validation):
    tmp = os.path.join(folder, "." + token)
    with open(tmp, "w") as f:
        f.write(validation)
    os.replace(tmp, os.path.join(folder, token))


class Shared:
    """What every client process shares: the name counter and the stop rule."""

    def __init__(self, args):
        self.args = args
        self.next = mp.Value("q", 0)
        self.deadline = mp.Value("d", 0.0)  # time.time(); 0: none
        self.go = mp.Event()
        self.results = mp.Queue()

    def take(self):
        with self.next.get_lock():
            if self.next.value >= self.args.count or (self.deadline.value and time.time() >= self.deadline.value):
                return None
            k = self.next.value
            self.next.value += 1
            return k


def csr_for(name):
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
           .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
           .sign(key, hashes.SHA256()))
    return csr.public_bytes(serialization.Encoding.PEM)


def make_client(args):
    key = jose.JWKEC(key=ec.generate_private_key(ec.SECP256R1()))
    net = client.ClientNetwork(key, alg=jose.ES256, verify_ssl=args.ca, user_agent="minica-bench",
                               timeout=args.timeout)
    directory = client.ClientV2.get_directory(args.directory, net)
    c = client.ClientV2(directory, net)
    net.account = c.new_account(messages.NewRegistration.from_data(terms_of_service_agreed=True))
    return c


def post_as_get(c, url):
    return c.net.post(url, None, new_nonce_url=c.directory["newNonce"])


def poll(c, url, done, deadline, poll_s, phases):
    """POST-as-GET url until done(json) says yes; the last json."""
    while True:
        body = post_as_get(c, url).json()
        phases["polls"] += 1
        if done(body):
            return body
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out polling {url}: {json.dumps(body)[:300]}")
        time.sleep(poll_s)


def one_order(c, args, name):
    """One order from newOrder to the downloaded chain; how long each part took."""
    t = time.monotonic()
    deadline = t + args.timeout
    poll_s = args.poll_ms / 1000.0
    phases = {"polls": 0}

    def lap(part):
        nonlocal t
        now = time.monotonic()
        phases[part] = phases.get(part, 0) + now - t
        t = now

    orderr = c.new_order(csr_for(name))
    lap("order")
    for authzr in orderr.authorizations:
        if authzr.body.status == messages.STATUS_VALID:
            raise RuntimeError(f"{name}: the server reused an authorization; the bench wants fresh ones")
        chall = next(ch for ch in authzr.body.challenges if isinstance(ch.chall, challenges.HTTP01))
        response, validation = chall.response_and_validation(c.net.key)
        token = chall.chall.encode("token")
        token_put(args.tokens, token, validation)
        c.answer_challenge(chall, response)
        body = poll(c, authzr.uri, lambda b: b["status"] != "pending", deadline, poll_s, phases)
        lap("validate")
        os.unlink(os.path.join(args.tokens, token))
        if body["status"] != "valid":
            raise RuntimeError(f"{name}: authorization {body['status']}: {json.dumps(body)[:300]}")
    csr = messages.CertificateRequest(csr=jose.ComparableX509(
        OpenSSL.crypto.load_certificate_request(OpenSSL.crypto.FILETYPE_PEM, orderr.csr_pem)))
    body = c.net.post(orderr.body.finalize, csr, new_nonce_url=c.directory["newNonce"]).json()
    if body["status"] != "valid":
        body = poll(c, orderr.uri, lambda b: b["status"] not in ("pending", "ready", "processing"), deadline,
                    poll_s, phases)
    lap("finalize")
    if body["status"] != "valid" or not body.get("certificate"):
        raise RuntimeError(f"{name}: order {body['status']}: {json.dumps(body)[:300]}")
    pem = post_as_get(c, body["certificate"]).text
    lap("download")
    if pem.count("BEGIN CERTIFICATE") < 1:
        raise RuntimeError(f"{name}: the download is not a certificate chain")
    leaf = x509.load_pem_x509_certificate(pem.encode())
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    if san.get_values_for_type(x509.DNSName) != [name]:
        raise RuntimeError(f"{name}: the certificate names {san.get_values_for_type(x509.DNSName)}")
    phases["issuer"] = issuer_key(pem)
    return phases


def issuer_key(pem):
    """What signed the leaf: the second certificate's key, as 'EC secp256r1' or 'RSA 2048'."""
    end = "-----END CERTIFICATE-----"
    chain = [x509.load_pem_x509_certificate((b + end).encode()) for b in pem.split(end) if "BEGIN" in b]
    if len(chain) < 2:
        return "?"
    k = chain[1].public_key()
    if isinstance(k, ec.EllipticCurvePublicKey):
        return f"EC {k.curve.name}"
    return f"{type(k).__name__.replace('_', '').replace('PublicKey', '')} {getattr(k, 'key_size', '')}".strip()


def worker(shared, c, latencies, errors, lock):
    while True:
        k = shared.take()
        if k is None:
            return
        t0 = time.monotonic()
        try:
            phases = one_order(c, shared.args, f"o{k}.{shared.args.domain}")
        except Exception as e:  # noqa: BLE001 (an error is a result here)
            with lock:
                errors.append(f"{type(e).__name__}: {e}"[:400])
            continue
        with lock:
            latencies.append((time.monotonic() - t0, phases))


def client_process(shared, nthreads):
    """One process of the load generator: its own accounts, threads, results."""
    latencies, errors, lock = [], [], threading.Lock()
    try:
        clients = [make_client(shared.args) for _ in range(nthreads)]
    except Exception as e:  # noqa: BLE001
        shared.results.put(("failed", f"making an account: {type(e).__name__}: {e}"[:400]))
        return
    shared.results.put(("ready", None))
    shared.go.wait()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    threads = [threading.Thread(target=worker, args=(shared, c, latencies, errors, lock)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    shared.results.put(("done", (latencies, errors, cpu)))


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    # Nearest rank: the smallest value with at least p% of them at or below it.
    i = min(len(sorted_values) - 1, max(0, math.ceil(p / 100.0 * len(sorted_values)) - 1))
    return sorted_values[i]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--directory", required=True)
    ap.add_argument("--ca", required=True, help="PEM file the server's TLS chain verifies against")
    ap.add_argument("--clients", type=int, default=1)
    ap.add_argument("--count", type=int, default=200, help="orders in all (names o0 .. oCOUNT-1)")
    ap.add_argument("--duration", type=float, default=0, help="stop starting orders after S seconds")
    ap.add_argument("--domain", default="example.test")
    ap.add_argument("--http-port", type=int, default=80)
    ap.add_argument("--poll-ms", type=float, default=20)
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--procs", type=int, default=0,
                    help="client processes the N threads are spread over (default min(N, processors)): the GIL")
    ap.add_argument("--label", default="")
    args = ap.parse_args()
    if args.clients < 1 or args.count < 1:
        ap.error("--clients and --count must be at least 1")

    procs = args.procs or min(args.clients, os.cpu_count() or 1)
    procs = max(1, min(procs, args.clients))
    args.tokens = tempfile.mkdtemp(prefix="acme-load.", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    Tokens.folder = args.tokens
    # A listen backlog of 5 (socketserver's default) drops SYNs when many
    # validations arrive at once, and the validator's retry comes a whole
    # second later.
    http.server.ThreadingHTTPServer.request_queue_size = 256
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", args.http_port), Tokens)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()

    shared = Shared(args)
    ctx = mp.get_context("fork")
    children = [ctx.Process(target=client_process, args=(shared, args.clients // procs + (i < args.clients % procs)))
                for i in range(procs)]
    for p in children:
        p.start()
    failed = []
    for _ in children:
        kind, what = shared.results.get(timeout=args.timeout)
        if kind != "ready":
            failed.append(what)
    if failed:
        shared.deadline.value = time.time()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    if args.duration > 0:
        shared.deadline.value = time.time() + args.duration
    shared.go.set()
    lat, errors, cpu = [], list(failed), 0.0
    for _ in range(len(children) - len(failed)):
        kind, what = shared.results.get()
        lat.extend(what[0])
        errors.extend(what[1])
        cpu += what[2]
    wall = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu += (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    for p in children:
        p.join()
    httpd.shutdown()
    shutil.rmtree(args.tokens, ignore_errors=True)
    parts = {}
    issuers = set()
    for _, ph in lat:
        issuers.add(ph.pop("issuer", "?"))
        for k, v in ph.items():
            parts.setdefault(k, []).append(v)
    lat = sorted(t for t, _ in lat)
    out = {
        "label": args.label, "clients": args.clients, "orders": len(lat), "errors": len(errors),
        "seconds": round(wall, 3), "orders_per_s": round(len(lat) / wall, 2) if wall > 0 else None,
        "p50_ms": round(percentile(lat, 50) * 1e3, 1) if lat else None,
        "p99_ms": round(percentile(lat, 99) * 1e3, 1) if lat else None,
        "client_cpu_s": round(cpu, 2), "client_procs": procs,
        "median_ms": {k: round(percentile(sorted(v), 50) * 1e3, 1) for k, v in parts.items() if k != "polls"},
        "issuer_key": sorted(issuers),
        "polls_per_order": round(sum(parts.get("polls", [0])) / max(1, len(lat)), 2),
        "first_error": errors[0] if errors else None,
        "at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    print(json.dumps(out), flush=True)
    return 1 if errors or not lat else 0


if __name__ == "__main__":
    sys.exit(main())
