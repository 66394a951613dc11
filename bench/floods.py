#!/usr/bin/python3
"""floods.py - two hostile captures that flood the timeline with events, and
what smtpsniff makes of them (issue 16, finding 7).

    bench/floods.py write DIR            the captures, into DIR
    bench/floods.py run DIR BIN [BIN2]   lines, bytes, wall time, peak RSS of
                                         BIN -r F for each capture (BIN2: the
                                         same again, for a before/after table)

The captures (classic pcap, Ethernet, microsecond stamps):

  frag.pcap       200,000 IPv4 first fragments (MF set, offset 0), each of a
                  datagram of its own whose other fragments never come: past
                  --max-frag-dgrams (4096) every new one evicts the oldest,
                  so the old code printed one frag_evicted line per datagram.
  reply.pcap      an SMTP session whose EHLO reply is 92 MB: 96,000 lines of
                  "250-" and 1,000 bytes, then "250 SIZE" (a server that
                  answers with a reply of any length; RFC 5321 4.5.3.1.5
                  says 512 bytes a line and no limit on the lines), then
                  MAIL, RCPT, DATA, a message and QUIT, each paired with its
                  own reply.
  reply1.pcap     the same with the 92 MB as one line ("250 " and 92 MB).
  ordinary.pcap   an ordinary SMTP session, alone.

Each hostile capture has the ordinary session interleaved (its packets spread
over the flood's time), from other addresses. `run` checks that the ordinary
session's lines on the timeline are those it has alone (times and flow
numbers aside), and says whether the long reply's session has each command
paired with its own reply and no other exchanges (no reply shown in
pieces). Exit status 1 when the ordinary session differs.

Peak RSS comes from GNU time (/usr/bin/time), wall time from around it, the
fastest of three runs; the output goes to a file, so the figures include writing it but not a
terminal.
"""
import os
import re
import struct
import sys
import time

ETH = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
T0 = 1_780_000_000  # capture time of the first packet, seconds


def ip_sum(h):
    s = sum(struct.unpack("!10H", h))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return struct.pack("!H", ~s & 0xFFFF)


def ipv4(src, dst, proto, payload, ident=0, frag=0):
    h = struct.pack("!BBHHHBB2s4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, proto,
                    b"\0\0", bytes(src), bytes(dst))
    return h[:10] + ip_sum(h) + h[12:] + payload


class Writer:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))

    def put(self, us, frame):
        frame = ETH + frame
        self.f.write(struct.pack("<IIII", T0 + us // 1_000_000, us % 1_000_000, len(frame),
                                 len(frame)))
        self.f.write(frame)

    def close(self):
        self.f.close()


class Tcp:
    """One TCP connection's packets, as (time in us, IPv4 packet) pairs."""

    def __init__(self, cli, sport, srv, dport):
        self.ep = [(cli, sport), (srv, dport)]
        self.seq = [1000, 50000]
        self.pkts = []

    def seg(self, d, flags, data=b""):
        (a, ap), (b, bp) = self.ep[d], self.ep[1 - d]
        ack = self.seq[1 - d]
        tcp = struct.pack("!HHIIBBHHH", ap, bp, self.seq[d] & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                          5 << 4, flags, 65535, 0, 0)
        self.pkts.append(ipv4(a, b, 6, tcp + data))
        self.seq[d] += len(data) + (1 if flags & 0x03 else 0)

    def open(self):
        self.seg(0, 0x02)
        self.seg(1, 0x12)
        self.seg(0, 0x10)

    def send(self, d, data, mss=1460):
        for i in range(0, len(data), mss):
            self.seg(d, 0x18, data[i:i + mss])
            if (i // mss) % 32 == 31:
                self.seg(1 - d, 0x10)  # an ACK now and then, as a peer sends
        self.seg(1 - d, 0x10)

    def close(self):
        self.seg(0, 0x11)
        self.seg(1, 0x11)
        self.seg(0, 0x10)


ORD_CLI, ORD_SRV = (198, 51, 100, 10), (203, 0, 113, 25)
BAD_CLI, BAD_SRV = (198, 51, 100, 66), (203, 0, 113, 66)

MESSAGE = (b"From: <alice@example.org>\r\nTo: <bob@example.net>\r\n"
           b"Subject: an ordinary message\r\nMessage-ID: <ordinary.1@example.org>\r\n\r\n"
           b"Hello Bob,\r\n..a line that starts with a dot\r\nBye.\r\n.\r\n")


def conversation(t, ehlo_reply):
    """The usual exchange, with ehlo_reply as the reply to EHLO."""
    t.open()
    t.send(1, b"220 mx.example.net ESMTP\r\n")
    t.send(0, b"EHLO client.example.org\r\n")
    t.send(1, ehlo_reply)
    t.send(0, b"MAIL FROM:<alice@example.org>\r\n")
    t.send(1, b"250 2.1.0 Ok\r\n")
    t.send(0, b"RCPT TO:<bob@example.net>\r\n")
    t.send(1, b"250 2.1.5 Ok\r\n")
    t.send(0, b"DATA\r\n")
    t.send(1, b"354 End data with <CR><LF>.<CR><LF>\r\n")
    t.send(0, MESSAGE)
    t.send(1, b"250 2.0.0 Ok: queued as 4ABCD1\r\n")
    t.send(0, b"QUIT\r\n")
    t.send(1, b"221 2.0.0 Bye\r\n")
    t.close()
    return t.pkts


def ordinary():
    return conversation(Tcp(ORD_CLI, 40001, ORD_SRV, 25),
                        b"250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
                        b"250 8BITMIME\r\n")


def interleave(path, flood, ordi, step_us):
    """flood and ordi spread over the same time, in capture order."""
    w = Writer(path)
    every = max(1, len(flood) // (len(ordi) + 1))
    us, k = 0, 0
    for i, p in enumerate(flood):
        if i % every == every // 2 and k < len(ordi):
            w.put(us, ordi[k])
            k += 1
            us += step_us
        w.put(us, p)
        us += step_us
    for p in ordi[k:]:
        w.put(us, p)
        us += step_us
    w.close()


def frag_flood(n=200_000):
    out = []
    for i in range(n):
        src = (10, 66, (i >> 16) & 0xFF, 1)
        udp = struct.pack("!HHHH", 5000, 9, 8 + 64, 0) + bytes(24)
        out.append(ipv4(src, (10, 99, 0, 1), 17, udp, ident=i & 0xFFFF, frag=0x2000))
    return out


def long_reply(one_line, size=92_000_000):
    if one_line:
        return b"250 " + b"x" * size + b"\r\n"
    line = b"250-" + b"y" * 994 + b"\r\n"  # 1,000 bytes
    return line * (size // len(line)) + b"250 SIZE 10240000\r\n"


def write(d):
    os.makedirs(d, exist_ok=True)
    o = ordinary()
    interleave(os.path.join(d, "ordinary.pcap"), [], o, 1000)
    interleave(os.path.join(d, "frag.pcap"), frag_flood(), o, 1)
    for name, one in (("reply.pcap", False), ("reply1.pcap", True)):
        t = Tcp(BAD_CLI, 40066, BAD_SRV, 25)
        interleave(os.path.join(d, name), conversation(t, long_reply(one)), o, 1)


def measure(argv, out_path):
    """One run under GNU time: a child forked from this script would carry
    the script's own peak RSS across exec(2) (getrusage(2): ru_maxrss is
    the largest of the process's life, before exec too)."""
    rss_path = out_path + ".rss"
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.execv("/usr/bin/time", ["/usr/bin/time", "-f", "%M", "-o", rss_path] + argv)
    _, status, _ = os.wait4(pid, 0)
    wall = time.monotonic() - t0
    with open(out_path, "rb") as f:
        data = f.read()
    with open(rss_path) as f:
        rss_kb = int(f.read().split()[-1])
    os.unlink(rss_path)
    return {"status": os.waitstatus_to_exitcode(status), "lines": data.count(b"\n"),
            "bytes": len(data), "wall": wall, "rss_mb": rss_kb / 1024, "out": data}


ADDR = re.compile(rb"^\S+ (\[\d+\] )? ?")


def ordinary_lines(out):
    """The ordinary session's lines, without time and flow number."""
    key = b" 198.51.100.10 > 203.0.113.25 "
    return [ADDR.sub(b"", l) for l in out.split(b"\n") if key in l]


def hostile_lines(out):
    key = b" 198.51.100.66 > 203.0.113.66 "
    return [ADDR.sub(b"", l) for l in out.split(b"\n") if key in l and b" SMTP " in l]


PAIRS = [b"SMTP 220 mx.example.net ESMTP", b"SMTP EHLO client.example.org -> 250 ",
         b"SMTP MAIL FROM:<alice@example.org> -> 250 2.1.0 Ok",
         b"SMTP RCPT TO:<bob@example.net> -> 250 2.1.5 Ok",
         b"SMTP DATA -> 354 End data", b"SMTP message #", b"SMTP QUIT -> 221 2.0.0 Bye"]


def hostile_ok(out):
    """The long reply's session: each command with its own reply, the
    exchanges in order and no others (the journey's line aside)."""
    got = [l for l in hostile_lines(out) if b"SMTP message #" not in l or b" From: " in l]
    return len(got) == len(PAIRS) and all(w in l for w, l in zip(PAIRS, got))


def run(d, bins):
    caps = ["frag.pcap", "reply.pcap", "reply1.pcap"]
    print(f"{'binary':<28} {'capture':<12} {'lines':>9} {'bytes':>12} {'wall s':>7} "
          f"{'RSS MB':>7}  ordinary  long reply's session")
    bad = 0
    for b in bins:
        alone = measure([b, "-r", os.path.join(d, "ordinary.pcap")],
                        os.path.join(d, "out.ordinary.txt"))
        want = ordinary_lines(alone["out"])
        for c in caps:
            runs = [measure([b, "-r", os.path.join(d, c)], os.path.join(d, "out." + c + ".txt"))
                    for _ in range(3)]
            r = min(runs, key=lambda x: x["wall"])  # the least disturbed of three
            runs = None
            same = ordinary_lines(r["out"]) == want and len(want) >= 8
            bad += not same
            pairs = ""
            if c.startswith("reply"):
                n = len(hostile_lines(r["out"]))
                pairs = f"{n} lines, " + ("paired" if hostile_ok(r["out"]) else "NOT PAIRED")
                ehlo = [l for l in hostile_lines(r["out"]) if b"EHLO" in l]
                if ehlo:
                    pairs += ", EHLO reply ends: ..." + ehlo[0][-48:].decode("ascii", "replace")
            print(f"{b[-28:]:<28} {c:<12} {r['lines']:>9,} {r['bytes']:>12,} {r['wall']:>7.2f} "
                  f"{r['rss_mb']:>7.1f}  {'intact' if same else 'DIFFERS':<8}  {pairs}")
    return 1 if bad else 0


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "write":
        write(sys.argv[2])
        return 0
    if len(sys.argv) >= 4 and sys.argv[1] == "run":
        return run(sys.argv[2], sys.argv[3:])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
