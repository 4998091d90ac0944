#!/usr/bin/env python3
"""resign.py IN.der KEY OUT.der OLDHEX NEWHEX: replaces the bytes OLDHEX
with NEWHEX (same length) inside a CSR's signed part and signs it again
with KEY (openssl dgst), so a test can hand minica a correctly signed CSR
holding bytes openssl req refuses to write (NUL, invalid UTF-8)."""
import subprocess
import sys
import tempfile


def tlv(buf, pos):
    """(start of value, end of element) of the DER element at pos."""
    n = buf[pos + 1]
    if n < 0x80:
        return pos + 2, pos + 2 + n
    k = n & 0x7F
    length = int.from_bytes(buf[pos + 2:pos + 2 + k], "big")
    return pos + 2 + k, pos + 2 + k + length


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def main():
    src, key, dst, old, new = sys.argv[1:6]
    old, new = bytes.fromhex(old), bytes.fromhex(new)
    if len(old) != len(new):
        sys.exit("resign.py: OLD and NEW must be the same length")
    der = open(src, "rb").read()
    body, _ = tlv(der, 0)
    _, tbs_end = tlv(der, body)
    _, alg_end = tlv(der, tbs_end)
    tbs, alg = der[body:tbs_end], der[tbs_end:alg_end]
    if tbs.count(old) != 1:
        sys.exit("resign.py: OLD found %d times" % tbs.count(old))
    tbs = tbs.replace(old, new)
    with tempfile.NamedTemporaryFile() as f:
        f.write(tbs)
        f.flush()
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key, "-binary", f.name],
                             check=True, stdout=subprocess.PIPE).stdout
    bits = b"\x03" + der_len(len(sig) + 1) + b"\x00" + sig
    inner = tbs + alg + bits
    open(dst, "wb").write(b"\x30" + der_len(len(inner)) + inner)


main()
