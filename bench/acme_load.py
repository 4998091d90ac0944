#!/usr/bin/python3
"""ACME load generator for make bench (bench/acme.sh): N client threads,
each with its own ES256 account, run complete orders against one ACME
server and one JSON line reports orders/s and order latency.

An order: a fresh P-256 key and CSR for one new name, newOrder, the
http-01 challenge answered by ONE in-process HTTP server (all tokens, all
threads, on --http-port), the authorization polled until valid, finalize,
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
                    [--duration S] [--domain D] [--http-port 80] [--label L]
"""
import argparse
import datetime
import http.server
import json
import math
import resource
import sys
import threading
import time

import josepy as jose
import OpenSSL
from acme import challenges, client, messages
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


class Tokens(http.server.BaseHTTPRequestHandler):
    """Serves /.well-known/acme-challenge/TOKEN from one shared dict."""
    table = {}
    lock = threading.Lock()
    protocol_version = "HTTP/1.0"

    def do_GET(self):  # noqa: N802 (http.server's name)
        with Tokens.lock:
            body = Tokens.table.get(self.path)
        if body is None:
            self.send_error(404)
            return
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class Run:
    """What the threads share: the name counter, the stop rule, results."""

    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.next = 0
        self.latencies = []
        self.errors = []
        self.deadline = None

    def take(self):
        with self.lock:
            if self.next >= self.args.count or (self.deadline and time.monotonic() >= self.deadline):
                return None
            k = self.next
            self.next += 1
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


def poll(c, url, done, deadline, poll_s):
    """POST-as-GET url until done(json) says yes; the last json."""
    while True:
        body = post_as_get(c, url).json()
        if done(body):
            return body
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out polling {url}: {json.dumps(body)[:300]}")
        time.sleep(poll_s)


def one_order(c, args, name):
    deadline = time.monotonic() + args.timeout
    poll_s = args.poll_ms / 1000.0
    orderr = c.new_order(csr_for(name))
    for authzr in orderr.authorizations:
        if authzr.body.status == messages.STATUS_VALID:
            raise RuntimeError(f"{name}: the server reused an authorization; the bench wants fresh ones")
        chall = next(ch for ch in authzr.body.challenges if isinstance(ch.chall, challenges.HTTP01))
        response, validation = chall.response_and_validation(c.net.key)
        with Tokens.lock:
            Tokens.table[chall.chall.path] = validation
        c.answer_challenge(chall, response)
        body = poll(c, authzr.uri, lambda b: b["status"] != "pending", deadline, poll_s)
        with Tokens.lock:
            Tokens.table.pop(chall.chall.path, None)
        if body["status"] != "valid":
            raise RuntimeError(f"{name}: authorization {body['status']}: {json.dumps(body)[:300]}")
    csr = messages.CertificateRequest(csr=jose.ComparableX509(
        OpenSSL.crypto.load_certificate_request(OpenSSL.crypto.FILETYPE_PEM, orderr.csr_pem)))
    body = c.net.post(orderr.body.finalize, csr, new_nonce_url=c.directory["newNonce"]).json()
    if body["status"] != "valid":
        body = poll(c, orderr.uri, lambda b: b["status"] not in ("pending", "ready", "processing"), deadline,
                    poll_s)
    if body["status"] != "valid" or not body.get("certificate"):
        raise RuntimeError(f"{name}: order {body['status']}: {json.dumps(body)[:300]}")
    pem = post_as_get(c, body["certificate"]).text
    if pem.count("BEGIN CERTIFICATE") < 1:
        raise RuntimeError(f"{name}: the download is not a certificate chain")
    leaf = x509.load_pem_x509_certificate(pem.encode())
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    if san.get_values_for_type(x509.DNSName) != [name]:
        raise RuntimeError(f"{name}: the certificate names {san.get_values_for_type(x509.DNSName)}")


def worker(run, c, start):
    start.wait()
    while True:
        k = run.take()
        if k is None:
            return
        t0 = time.monotonic()
        try:
            one_order(c, run.args, f"o{k}.{run.args.domain}")
        except Exception as e:  # noqa: BLE001 (an error is a result here)
            with run.lock:
                run.errors.append(f"{type(e).__name__}: {e}"[:400])
            continue
        t = time.monotonic() - t0
        with run.lock:
            run.latencies.append(t)


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
    ap.add_argument("--label", default="")
    args = ap.parse_args()
    if args.clients < 1 or args.count < 1:
        ap.error("--clients and --count must be at least 1")

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", args.http_port), Tokens)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()

    run = Run(args)
    clients = [make_client(args) for _ in range(args.clients)]
    start = threading.Barrier(args.clients + 1)
    threads = [threading.Thread(target=worker, args=(run, c, start)) for c in clients]
    for t in threads:
        t.start()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    if args.duration > 0:
        run.deadline = t0 + args.duration
    start.wait()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    httpd.shutdown()

    lat = sorted(run.latencies)
    out = {
        "label": args.label, "clients": args.clients, "orders": len(lat), "errors": len(run.errors),
        "seconds": round(wall, 3), "orders_per_s": round(len(lat) / wall, 2) if wall > 0 else None,
        "p50_ms": round(percentile(lat, 50) * 1e3, 1) if lat else None,
        "p99_ms": round(percentile(lat, 99) * 1e3, 1) if lat else None,
        "client_cpu_s": round((ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime), 2),
        "first_error": run.errors[0] if run.errors else None,
        "at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    print(json.dumps(out), flush=True)
    return 1 if run.errors or not lat else 0


if __name__ == "__main__":
    sys.exit(main())
