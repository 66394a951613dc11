#!/usr/bin/python3
"""ooo.py - out-of-order TCP segments and IP fragments by the million, and
whether smtpsniff's time grows with them linearly (issue 16, finding 1).

    bench/ooo.py [--old OLDBIN] [--old-max N] [--timeout S] [--only CASE] BIN

writes the captures to a temporary directory, times `BIN -r FILE` on each
with /usr/bin/time -f '%e %M' (wall seconds, peak RSS in KB) and prints a
table; with --old, OLDBIN too (the binary before the change), side by side.
The column us/seg is wall time per segment: flat when the count doubles
means linear growth, doubling means quadratic. --old-max skips OLDBIN on
captures of more segments than N (the old code needs minutes past
200,000); a run past --timeout seconds (default 300) is stopped and shown
as ">S". --only (repeatable) runs the named cases alone.

The captures (classic pcap, Ethernet, microsecond stamps; 10.0.0.1:40000
to 10.0.0.2:25, a SYN, then the client's segments, no byte of the server):

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
user who raised them can meet. Debian's python3, standard library only.
"""
import os
import random
import struct
import subprocess
import sys
import tempfile

CLI, SRV = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
ETH = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
ISN = 1000


def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(proto, payload, ident=1, frag=0):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0,
                    CLI, SRV)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


class Writer:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        self.usec = 0

    def frame(self, ip):
        self.usec += 1
        data = ETH + ip
        self.f.write(struct.pack("<IIII", 1700000000 + self.usec // 1000000,
                                 self.usec % 1000000, len(data), len(data)))
        self.f.write(data)

    def close(self):
        self.f.close()


def tcp(seq, flags, payload=b""):
    # The checksum is left 0: smtpsniff does not check it (offloading
    # makes it wrong in most captures).
    return ipv4(6, struct.pack("!HHIIBBHHH", 40000, 25, seq, 5001 if flags & 0x10 else 0,
                               5 << 4, flags, 65535, 0, 0) + payload)


def write_tcp(path, order):
    """A SYN, then one-byte segments at the offsets of order, then byte 0."""
    w = Writer(path)
    w.frame(tcp(ISN, 0x02))
    base = ISN + 1
    # The prebuilt header of offset 0's segment; seq is patched in.
    tmpl = bytearray(ETH + tcp(base, 0x18, b"x"))
    rec = struct.Struct("<IIII")
    n = len(tmpl)
    out = w.f
    for off in order:
        struct.pack_into("!I", tmpl, 14 + 20 + 4, base + off)
        w.usec += 1
        out.write(rec.pack(1700000000 + w.usec // 1000000, w.usec % 1000000, n, n))
        out.write(tmpl)
    w.frame(tcp(base, 0x18, b"x"))
    w.close()


def write_frag(path, dgrams=120):
    """dgrams UDP datagrams of 65,535 payload bytes as 8,192 fragments each."""
    w = Writer(path)
    body = bytearray(65535)
    struct.pack_into("!HHHH", body, 0, 40000, 9, len(body), 0)  # UDP, no checksum
    for i in range(8, len(body)):
        body[i] = 0x61 + i % 26
    body = bytes(body)
    for d in range(dgrams):
        ident = d + 1
        for unit in range(8192):
            off = unit * 8
            piece = body[off:off + 8]
            more = 0x2000 if off + len(piece) < len(body) else 0
            w.frame(ipv4(17, piece, ident, more | unit))
    w.close()


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
    cmd = ["/usr/bin/time", "-f", "%e %M", binary, "-r", path] + ([] if frag else CAPS)
    try:
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, None
    last = p.stderr.decode(errors="replace").strip().splitlines()[-1].split()
    return float(last[0]), int(last[1])


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
