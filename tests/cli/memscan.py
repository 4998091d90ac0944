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
        try:
            mem.seek(start)
            hits += mem.read(end - start).count(needle)
        except (OSError, ValueError, OverflowError):
            continue
with open(out, "w") as f:
    f.write(f"{hits}\n")
