#!/usr/bin/python3
"""order.py - an SMTP reply of millions of continuation lines, and what the
timeline's reorder queue holds meanwhile (issue 16, finding 2).

    bench/order.py [--old OLDBIN] [--lines N] [--sessions S] [--keep PATH] BIN

writes the capture to a temporary directory (or PATH with --keep, reused if
it is there), runs `BIN -r FILE` and `BIN -r FILE -v` under GNU time (wall
seconds, peak RSS: tests/hostile/run.py) and prints a table; with --old,
OLDBIN too (the binary before the change), side by side. Each run's output
is checked for the ordinary session (below): its lines must be those a
capture of that session alone gives, in the same order.

The capture (tests/hostile/cases.py's long_replies, as the cases
reply_lines and order_full write it; a frame every 10 us):

  - flow A, 10.66.7.1:40000 to 10.66.7.2:25: the handshake, "220" greeting,
    EHLO, then a reply of N continuation lines "250-" + 40 x's (46 bytes
    with CRLF; the default N = 8,000,000 makes the 368 MB of the issue) and
    "250 OK", then MAIL, RCPT, DATA, a short message, QUIT. The reply goes
    in full segments (1460 bytes): 2.6 s of capture time for 8 M lines.
  - with --sessions S: S such sessions (10.66.7.1 on), N lines in all, one
    reply after the other: the dissector holds one reply at a time, each
    cut at --max-line (64 KB), and the timeline's queue holds the S EHLO
    lines, with their replies, for its 10 s window: the case of the byte
    cap (2,000 sessions: some 128 MB of 64 KB replies, twice that with -v,
    which shows their lines too).
  - flow B, the ordinary session (tests/hostile/gen.py: 198.51.100.10:40001
    to 203.0.113.25:25; EHLO, MAIL, RCPT, DATA, a short message, QUIT),
    its packets spread over flow A's reply: its lines wait in the reorder
    queue among flow A's.

The frames are written as the time goes, A's and B's interleaved, to disk
as they are made. Debian's python3, standard library only.
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "hostile"))
import cases  # noqa: E402
import gen  # noqa: E402
import run as runner  # noqa: E402


def flow_b_lines(text):
    """The lines of the output about flow B and its message."""
    return runner.timeline_lines(text, gen.Ordinary().cli)


def run(binary, path, verbose, want):
    with tempfile.NamedTemporaryFile(prefix="order-out-") as out:
        r = runner.run(binary, ["-r", path] + (["-v"] if verbose else []), out=out.name)
        text = open(out.name, "rb").read()
    got = flow_b_lines(text)
    intact = "intact" if got == want else "DIFFERS"
    if got != want:
        sys.stderr.write("%s%s: flow B's lines:\n  got  %r\n  want %r\n" %
                         (binary, " -v" if verbose else "", got, want))
    full = "order_full" if b"order_full" in text else "-"
    return r.wall, r.rss_kb / 1024, intact, full, len(text)


def main(argv):
    old, lines, keep, sessions = None, 8000000, None, 1
    while argv and argv[0].startswith("--"):
        opt = argv.pop(0)
        if not argv:
            sys.exit(__doc__)
        if opt == "--old":
            old = argv.pop(0)
        elif opt == "--lines":
            lines = int(argv.pop(0))
        elif opt == "--sessions":
            sessions = int(argv.pop(0))
        elif opt == "--keep":
            keep = argv.pop(0)
        else:
            sys.exit(__doc__)
    if len(argv) != 1:
        sys.exit(__doc__)
    bins = [("new", argv[0])] + ([("old", old)] if old else [])
    with tempfile.TemporaryDirectory(prefix="order-") as tmp:
        path = keep or os.path.join(tmp, "reply.pcap")
        if not os.path.exists(path):
            cases.long_replies(path, sessions, lines, ordinary=gen.Ordinary())
        alone = os.path.join(tmp, "b.pcap")
        w = gen.Pcap(alone, step=10)
        gen.interleave(w, [], 0, gen.Ordinary().frames)
        w.close()
        print("capture: %s, %d bytes, %d continuation lines (%d bytes of reply) in %d "
              "session(s)" % (path, os.path.getsize(path), lines, lines * len(cases.CONT),
                              sessions))
        print("%-4s %-3s %9s %10s %8s %11s %11s" % ("bin", "-v", "wall s", "peak RSS MB",
                                                     "flow B", "order_full", "out bytes"))
        for name, binary in bins:
            for verbose in (0, 1):
                with tempfile.NamedTemporaryFile(prefix="order-out-") as out:
                    runner.run(binary, ["-r", alone] + (["-v"] if verbose else []),
                               out=out.name)
                    want = flow_b_lines(open(out.name, "rb").read())
                wall, rss, intact, full, n = run(binary, path, verbose, want)
                print("%-4s %-3s %9.2f %10.1f %8s %11s %11d" % (name, "-v" if verbose else "",
                                                                 wall, rss, intact, full, n),
                      flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
