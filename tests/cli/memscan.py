#!/usr/bin/env python3
"""memscan.py PID NEEDLE OUT: writes to OUT how many times NEEDLE occurs
in the writable memory of process PID (needs root or ptrace rights)."""
import re
import sys

pid, needle, out = sys.argv[1], sys.argv[2].encode(), sys.argv[3]
hits = 0
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
        if not m or m.group(3)[1] != "w":
            continue
        start, end = int(m.group(1), 16), int(m.group(2), 16)
        # Terabyte mappings are AddressSanitizer's shadow (make check-asan),
        # not the heap: its allocator's heap is mapped in small pieces.
        if end - start > (1 << 32):
            continue
        # In chunks, overlapping by len(needle) - 1: never all at once.
        tail = b""
        pos = start
        while pos < end:
            n = min(1 << 24, end - pos)
            try:
                mem.seek(pos)
                buf = tail + mem.read(n)
            except (OSError, ValueError, OverflowError):
                break
            hits += buf.count(needle)
            tail = buf[-(len(needle) - 1):] if len(needle) > 1 else b""
            pos += n
with open(out, "w") as f:
    f.write(f"{hits}\n")
