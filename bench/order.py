#!/usr/bin/python3
"""order.py - an SMTP reply of millions of continuation lines, and what the
timeline's reorder queue holds meanwhile (issue 16, finding 2).

    bench/order.py [--old OLDBIN] [--lines N] [--sessions S] [--keep PATH] BIN

writes the capture to a temporary directory (or PATH with --keep, reused if
it is there), runs `BIN -r FILE` and `BIN -r FILE -v` under
/usr/bin/time -f '%e %M' (wall seconds, peak RSS in KB) and prints a table;
with --old, OLDBIN too (the binary before the change), side by side. Each
run's output is checked for the ordinary session (below): its lines must be
those a capture of that session alone gives, in the same order.

The capture (classic pcap, Ethernet, microsecond stamps, 10.0.0.1 the
client, 10.0.0.2 the server):

  - flow A, port 40000: the handshake, "220" greeting, EHLO, then a reply
    of N continuation lines "250-" + 40 x's (46 bytes with CRLF; the
    default N = 8,000,000 makes the 368 MB of the issue) and "250 OK",
    QUIT, 221. The reply goes in segments of 31 lines (1426 bytes), 10 us
    apart: 2.6 s of capture time for 8 M lines.
  - with --sessions S: S such sessions (ports 20000 on), N lines in all,
    one reply after the other: the dissector holds one reply at a time,
    each cut at --max-line (64 KB), and the timeline's queue holds the S
    EHLO lines, with their replies, for its 10 s window: the case of the
    byte cap (2,000 sessions: some 128 MB of 64 KB replies, twice that
    with -v, which shows their lines too).
  - flow B, port 40001: an ordinary session (EHLO, MAIL, RCPT, DATA, a
    short message, QUIT), one exchange a second, from 1 s into flow A's
    reply on: its lines wait in the reorder queue among flow A's.

The frames are written as the time goes, A's and B's interleaved. Debian's
python3, standard library only.
"""
import os
import re
import struct
import subprocess
import sys
import tempfile

CLI, SRV = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
ETH = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
T0 = 1700000000 * 1000000  # microseconds
LINE = b"250-" + b"x" * 40 + b"\r\n"
PER_SEG = 31


def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0x4000, 64, 6, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


class Tcp:
    """One TCP connection: seq and ack kept for both sides."""

    def __init__(self, w, cport):
        self.w, self.cport = w, cport
        self.seq = [1000, 50000]  # client, server

    def seg(self, t, side, flags, payload=b""):
        sport, dport = (self.cport, 25) if side == 0 else (25, self.cport)
        src, dst = (CLI, SRV) if side == 0 else (SRV, CLI)
        ack = self.seq[1 - side] if flags & 0x10 else 0
        # The checksum is left 0: smtpsniff does not check it.
        tcp = struct.pack("!HHIIBBHHH", sport, dport, self.seq[side], ack, 5 << 4, flags, 65535,
                          0, 0)
        self.w.frame(t, ipv4(src, dst, tcp + payload))
        self.seq[side] = (self.seq[side] + len(payload) + (1 if flags & 0x03 else 0)) & 0xFFFFFFFF

    def open(self, t):
        self.seg(t, 0, 0x02)
        self.seg(t + 1, 1, 0x12)
        self.seg(t + 2, 0, 0x10)

    def close(self, t):
        self.seg(t, 0, 0x11)
        self.seg(t + 1, 1, 0x11)
        self.seg(t + 2, 0, 0x10)


class Writer:
    def __init__(self, path):
        self.f = open(path, "wb", buffering=1 << 20)
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        self.last = 0

    def frame(self, t, ip):
        assert t >= self.last, "frames in time order"
        self.last = t
        data = ETH + ip
        self.f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(data), len(data)))
        self.f.write(data)

    def close(self):
        self.f.close()


MESSAGE = (b"From: a@lab.test\r\nTo: b@lab.test\r\nSubject: beside a long reply\r\n"
           b"Message-ID: <order-bench@lab.test>\r\n\r\nhello\r\n.\r\n")
# flow B's exchanges: (client line, server reply)
EXCHANGES = [
    (b"EHLO b.lab.test\r\n", b"250-mx.lab.test\r\n250 8BITMIME\r\n"),
    (b"MAIL FROM:<a@lab.test>\r\n", b"250 2.1.0 Ok\r\n"),
    (b"RCPT TO:<b@lab.test>\r\n", b"250 2.1.5 Ok\r\n"),
    (b"DATA\r\n", b"354 End data with <CR><LF>.<CR><LF>\r\n"),
    (MESSAGE, b"250 2.0.0 Ok: queued as 4XYZ\r\n"),
    (b"QUIT\r\n", b"221 2.0.0 Bye\r\n"),
]


def flow_b_events(start):
    """(time, fn) steps of flow B, one exchange a second from start."""
    steps = []
    b = {}
    steps.append((start, lambda w, t: b.setdefault("c", Tcp(w, 40001)).open(t)))
    steps.append((start + 10, lambda w, t: b["c"].seg(t, 1, 0x18, b"220 mx.lab.test ESMTP\r\n")))
    for i, (cmd, rep) in enumerate(EXCHANGES):
        t = start + (i + 1) * 1000000
        steps.append((t, lambda w, t, cmd=cmd: b["c"].seg(t, 0, 0x18, cmd)))
        steps.append((t + 500, lambda w, t, rep=rep: b["c"].seg(t, 1, 0x18, rep)))
    steps.append((start + (len(EXCHANGES) + 1) * 1000000, lambda w, t: b["c"].close(t)))
    return steps


def write_capture(path, lines, sessions=1, only_b=False):
    w = Writer(path)
    t = T0
    flows = [] if only_b else [Tcp(w, 40000 if sessions == 1 else 20000 + i)
                               for i in range(sessions)]
    for a in flows:
        a.open(t)
        a.seg(t + 10, 1, 0x18, b"220 mx.lab.test ESMTP\r\n")
        a.seg(t + 20, 0, 0x18, b"EHLO a.lab.test\r\n")
        t += 30
    t += 100
    steps = flow_b_events(T0 + 1000100)
    left = [0 if only_b else lines // sessions + (i < lines % sessions)
            for i in range(sessions)]
    seg = LINE * PER_SEG
    i = 0
    while any(left) or steps:
        while steps and (not any(left) or steps[0][0] <= t):
            st, fn = steps.pop(0)
            t = max(t, st)
            fn(w, t)
            t = w.last + 1
        if left[i]:
            k = min(left[i], PER_SEG)
            flows[i].seg(t, 1, 0x18, seg if k == PER_SEG else LINE * k)
            left[i] -= k
            t += 10
            if not left[i]:  # the reply ends: the next session's begins
                flows[i].seg(t, 1, 0x18, b"250 OK\r\n")
                t += 10
        if not left[i]:
            i = min(i + 1, sessions - 1)
    t = w.last + 10
    for a in flows:
        a.seg(t + 10, 0, 0x18, b"QUIT\r\n")
        a.seg(t + 20, 1, 0x18, b"221 Bye\r\n")
        a.close(t + 30)
        t += 40
    w.close()


def flow_b_lines(text):
    """The lines of the output about flow B (port 40001) and its message."""
    keep = re.compile(r"\.40001 |order-bench|queued as 4XYZ|a@lab\.test|b\.lab\.test")
    # flow numbers differ between the two captures
    return [re.sub(r"\[\d+\]|flow \d+", "#", ln) for ln in text.splitlines() if keep.search(ln)]


def run(binary, path, verbose, want):
    cmd = ["/usr/bin/time", "-f", "%e %M", binary, "-r", path] + (["-v"] if verbose else [])
    with tempfile.TemporaryFile() as out:
        p = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE)
        out.seek(0)
        text = out.read().decode(errors="replace")
    err = p.stderr.decode(errors="replace").strip().splitlines()
    wall, rss = err[-1].split()
    got = flow_b_lines(text)
    intact = "intact" if got == want else "DIFFERS"
    if got != want:
        sys.stderr.write("%s%s: flow B's lines:\n  got  %r\n  want %r\n" %
                         (binary, " -v" if verbose else "", got, want))
    full = "order_full" if "order_full" in text else "-"
    return float(wall), int(rss) / 1024, intact, full, len(text)


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
            write_capture(path, lines, sessions)
        alone = os.path.join(tmp, "b.pcap")
        write_capture(alone, 0, only_b=True)
        print("capture: %s, %d bytes, %d continuation lines (%d bytes of reply) in %d "
              "session(s)" % (path, os.path.getsize(path), lines, lines * len(LINE), sessions))
        print("%-4s %-3s %9s %10s %8s %11s %11s" % ("bin", "-v", "wall s", "peak RSS MB",
                                                     "flow B", "order_full", "out bytes"))
        for name, binary in bins:
            for verbose in (0, 1):
                r = subprocess.run([binary, "-r", alone] + (["-v"] if verbose else []),
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                want = flow_b_lines(r.stdout.decode(errors="replace"))
                wall, rss, intact, full, n = run(binary, path, verbose, want)
                print("%-4s %-3s %9.2f %10.1f %8s %11s %11d" % (name, "-v" if verbose else "",
                                                                 wall, rss, intact, full, n),
                      flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
