#!/usr/bin/python3
"""ooo.py - out-of-order TCP segments and IP fragments by the million, and
whether smtpsniff's time grows with them linearly (issue 16, finding 1).

    bench/ooo.py [--old OLDBIN] [--old-max N] [--timeout S] [--only CASE] BIN

writes the captures to a temporary directory, times `BIN -r FILE` on each
under GNU time (wall seconds, peak RSS in KB: tests/hostile/run.py) and prints a
table; with --old, OLDBIN too (the binary before the change), side by side.
The column us/seg is wall time per segment: flat when the count doubles
means linear growth, doubling means quadratic. --old-max skips OLDBIN on
captures of more segments than N (the old code needs minutes past
200,000); a run past --timeout seconds (default 300) is stopped and shown
as ">S". --only (repeatable) runs the named cases alone.

The captures (classic pcap, Ethernet, microsecond stamps; written by
tests/hostile/cases.py, without the ordinary session: 10.66.0.1:40000 to
10.66.0.2:25, a SYN, then the client's segments, no byte of the server):

  asc-N      N one-byte segments behind a hole (the first byte missing), in
             ascending order, then the missing byte: N = 10k, 100k, 200k,
             400k, 1M. Each queues behind the one before it.
  rand-100k  the same 100,000 in random order (a fixed seed).
  frag-983k  983,040 eight-byte IPv4 fragments: 120 UDP datagrams of the
             largest size (65,535 bytes of payload), 8,192 fragments each,
             in order, one datagram after the other.

The TCP captures run with --max-flow-mem=4G --max-mem=8G: with each
segment's header counted against the caps (finding 2), the default 4 MB per
direction gives the hole up after some 40,000 one-byte segments, and the
rest arrive in order; raised caps keep them all queued, the worst case a
user who raised them can meet. The suite's and the torture's cases of the
same (tests/hostile: ooo_ascending, ooo_random, frag_pieces) add the
ordinary session and check what comes out. Debian's python3, standard
library only.
"""
import os
import random
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "hostile"))
import cases  # noqa: E402
import gen  # noqa: E402
import run as runner  # noqa: E402


def write(path, frames):
    w = gen.Pcap(path)
    for f in frames:
        w.put(f)
    w.close()


def write_tcp(path, order):
    """A SYN, then one-byte segments at the offsets of order, then byte 0."""
    write(path, cases.one_byte_segments(cases.HOLE_CLI, 40000, cases.HOLE_SRV, order))


def write_frag(path, dgrams=120):
    """dgrams UDP datagrams of 65,535 payload bytes as 8,192 fragments each."""
    write(path, cases.fragments(dgrams))


CASES = [  # name, segments, how to write it, extra options
    ("asc-10k", 10000, lambda p: write_tcp(p, range(1, 10001))),
    ("asc-100k", 100000, lambda p: write_tcp(p, range(1, 100001))),
    ("asc-200k", 200000, lambda p: write_tcp(p, range(1, 200001))),
    ("asc-400k", 400000, lambda p: write_tcp(p, range(1, 400001))),
    ("asc-1M", 1000000, lambda p: write_tcp(p, range(1, 1000001))),
    ("rand-100k", 100000,
     lambda p: write_tcp(p, random.Random(16).sample(range(1, 100001), 100000))),
    ("frag-983k", 983040, write_frag),
]
CAPS = ["--max-flow-mem=4G", "--max-mem=8G"]


def run(binary, path, frag, timeout):
    r = runner.run(binary, ["-r", path] + ([] if frag else CAPS), timeout=timeout,
                   keep=lambda line: False)
    if r.status is None:
        return None, None
    return r.wall, r.rss_kb


def cell(binary, path, frag, timeout, n):
    wall, rss = run(binary, path, frag, timeout)
    if wall is None:
        return "  %9s %8s %9s" % (">%g" % timeout, "", "")
    return "  %9.2f %8.2f %9.1f" % (wall, wall * 1e6 / n, rss / 1024)


def main(argv):
    old, old_max, timeout, only = None, None, 300.0, []
    while argv and argv[0].startswith("--"):
        opt = argv.pop(0)
        if not argv:
            sys.exit(__doc__)
        if opt == "--old":
            old = argv.pop(0)
        elif opt == "--old-max":
            old_max = int(argv.pop(0))
        elif opt == "--timeout":
            timeout = float(argv.pop(0))
        elif opt == "--only":
            only.append(argv.pop(0))
        else:
            sys.exit(__doc__)
    if len(argv) != 1:
        sys.exit(__doc__)
    new = argv[0]
    with tempfile.TemporaryDirectory(prefix="ooo-") as tmp:
        head = "%-10s %9s  %9s %8s %9s" % ("case", "segments", "wall s", "us/seg", "RSS MB")
        if old:
            head += "  %9s %8s %9s   (left: %s, right: %s)" % ("old s", "us/seg", "RSS MB",
                                                              new, old)
        print(head)
        for name, n, write in CASES:
            if only and name not in only:
                continue
            path = os.path.join(tmp, name + ".pcap")
            write(path)
            frag = name.startswith("frag")
            line = "%-10s %9d" % (name, n) + cell(new, path, frag, timeout, n)
            if old and old_max is not None and n > old_max:
                line += "  %9s" % "skipped"
            elif old:
                line += cell(old, path, frag, timeout, n)
            print(line, flush=True)
            os.unlink(path)


if __name__ == "__main__":
    main(sys.argv[1:])
