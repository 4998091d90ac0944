#!/usr/bin/env python3
"""ptyrun.py [--cols N] [--input TEXT] CMD...: runs CMD with stdin, stdout
and stderr on a new pseudo-terminal (N columns, default 100), types TEXT
(\\n-separated lines, each sent once a prompt appeared), prints what the
terminal showed and exits with CMD's status.  Bounded: 60 s."""
import fcntl, os, pty, select, struct, sys, termios, time

args = sys.argv[1:]
cols, text = 100, None
while args and args[0].startswith("--"):
    if args[0] == "--cols":
        cols = int(args[1]); args = args[2:]
    elif args[0] == "--input":
        text = args[1]; args = args[2:]
    else:
        break
pid, fd = pty.fork()
if pid == 0:
    os.execvp(args[0], args)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
lines = text.split("\n") if text is not None else []
out = b""
deadline = time.time() + 60
sent_at = 0
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
    # A prompt ends with ": ", "? " or "] " and no newline after it.
    tail = out[sent_at:]
    if lines and tail.rstrip(b" ")[-1:] in (b":", b"?", b"]"):
        os.write(fd, (lines.pop(0) + "\n").encode())
        sent_at = len(out)
if time.time() >= deadline:
    os.kill(pid, 9)   # bounded: a hung prompt fails the test
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace").replace("\r\n", "\n"))
sys.exit(os.waitstatus_to_exitcode(status))
