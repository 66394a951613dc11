#!/usr/bin/python3
"""msgmem.py - sixteen SMTP sessions 48 MB into DATA at once, and what
smtpsniff holds for them (issue 16, finding 2: --max-messages-mem).

    bench/msgmem.py write DIR            the captures, into DIR
    bench/msgmem.py run DIR BIN [BIN2]   exit status, wall time, peak RSS of
                                         BIN -r F (BIN2: the same again, for a
                                         before/after table)

The captures (classic pcap, Ethernet, microsecond stamps):

  flood.pcap      16 SMTP sessions, each from its own client port, each
                  sending one 48 MB message: all 16 reach DATA first, then
                  their segments (1460 bytes) come in turn, so all 16
                  messages are being collected at once. In the middle of
                  them (each 24 MB in), an ordinary session sends a short
                  message from other addresses; then the 16 end their
                  messages with "." and QUIT.
  ordinary.pcap   the ordinary session alone.

Without a cap on all messages together, each session may keep 64 MB
(--max-message): the 16 held 768 MB and more. `run` says, for each binary,
whether the ordinary session's lines are those it has alone (times and flow
numbers aside: it must come out intact), how many of the 16 messages are
marked incomplete, and how many messages_mem / message_too_big anomalies
were raised. Peak RSS and wall time are GNU time's (`/usr/bin/time -f '%e %M'`),
the output goes to a file. Exit status 1 when the ordinary session differs.
"""
import os
import re
import struct
import subprocess
import sys

ETH = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
T0 = 1_780_000_000  # capture time of the first packet, seconds
SESSIONS = 16
SIZE = 48 << 20
MSS = 1460

ORD_CLI, ORD_SRV = (198, 51, 100, 10), (203, 0, 113, 25)
BIG_CLI, BIG_SRV = (198, 51, 100, 77), (203, 0, 113, 77)

MESSAGE = (b"From: <alice@example.org>\r\nTo: <bob@example.net>\r\n"
           b"Subject: an ordinary message\r\nMessage-ID: <ordinary.1@example.org>\r\n\r\n"
           b"Hello Bob,\r\n..a line that starts with a dot\r\nBye.\r\n.\r\n")


def ip_sum(h):
    s = sum(struct.unpack("!10H", h))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return struct.pack("!H", ~s & 0xFFFF)


def ipv4(src, dst, proto, payload):
    h = struct.pack("!BBHHHBB2s4s4s", 0x45, 0, 20 + len(payload), 0, 0, 64, proto, b"\0\0",
                    bytes(src), bytes(dst))
    return h[:10] + ip_sum(h) + h[12:] + payload


class Writer:
    def __init__(self, path):
        self.f = open(path, "wb", buffering=1 << 20)
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        self.us = 0

    def put(self, pkt):
        frame = ETH + pkt
        self.f.write(struct.pack("<IIII", T0 + self.us // 1_000_000, self.us % 1_000_000,
                                 len(frame), len(frame)))
        self.f.write(frame)
        self.us += 10

    def close(self):
        self.f.close()


class Tcp:
    """One TCP connection; its packets go straight to the writer."""

    def __init__(self, w, cli, sport, srv, dport):
        self.w = w
        self.ep = [(cli, sport), (srv, dport)]
        self.seq = [1000, 50000]
        self.unacked = 0

    def seg(self, d, flags, data=b""):
        (a, ap), (b, bp) = self.ep[d], self.ep[1 - d]
        tcp = struct.pack("!HHIIBBHHH", ap, bp, self.seq[d] & 0xFFFFFFFF,
                          self.seq[1 - d] & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
        self.w.put(ipv4(a, b, 6, tcp + data))
        self.seq[d] += len(data) + (1 if flags & 0x03 else 0)

    def open(self):
        self.seg(0, 0x02)
        self.seg(1, 0x12)
        self.seg(0, 0x10)

    def send(self, d, data):
        for i in range(0, len(data), MSS):
            self.seg(d, 0x18, data[i:i + MSS])
        self.seg(1 - d, 0x10)

    def push(self, data):
        """One client segment of a message; an ACK now and then."""
        self.seg(0, 0x18, data)
        self.unacked += 1
        if self.unacked == 32:
            self.seg(1, 0x10)
            self.unacked = 0

    def close(self):
        self.seg(0, 0x11)
        self.seg(1, 0x11)
        self.seg(0, 0x10)


def to_data(t, sender):
    t.open()
    t.send(1, b"220 mx.example.net ESMTP\r\n")
    t.send(0, b"EHLO client.example.org\r\n")
    t.send(1, b"250-mx.example.net\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
    t.send(0, b"MAIL FROM:<" + sender + b">\r\n")
    t.send(1, b"250 2.1.0 Ok\r\n")
    t.send(0, b"RCPT TO:<bob@example.net>\r\n")
    t.send(1, b"250 2.1.5 Ok\r\n")
    t.send(0, b"DATA\r\n")
    t.send(1, b"354 End data with <CR><LF>.<CR><LF>\r\n")


def after_data(t, qid):
    t.send(1, b"250 2.0.0 Ok: queued as " + qid + b"\r\n")
    t.send(0, b"QUIT\r\n")
    t.send(1, b"221 2.0.0 Bye\r\n")
    t.close()


def ordinary(w):
    t = Tcp(w, ORD_CLI, 40001, ORD_SRV, 25)
    to_data(t, b"alice@example.org")
    t.send(0, MESSAGE)
    after_data(t, b"4ABCD1")


def big_message(k):
    """Session k's message: headers, then lines of 100 bytes, SIZE in all
    with the final ".": the segments are cut from it as it is sent."""
    head = (b"From: <flood%d@example.org>\r\nTo: <bob@example.net>\r\n"
            b"Subject: 48 MB\r\nMessage-ID: <flood.%d@example.org>\r\n\r\n" % (k, k))
    line = (b"%02d " % k) + b"x" * 95 + b"\r\n"
    lines = (SIZE - len(head) - 3) // len(line)
    pad = SIZE - len(head) - 3 - lines * len(line)
    return head, line, lines, b"y" * max(0, pad - 2) + b"\r\n" if pad else b""


def write(d):
    os.makedirs(d, exist_ok=True)
    w = Writer(os.path.join(d, "ordinary.pcap"))
    ordinary(w)
    w.close()
    w = Writer(os.path.join(d, "flood.pcap"))
    conns = [Tcp(w, BIG_CLI, 41000 + k, BIG_SRV, 25) for k in range(SESSIONS)]
    for k, t in enumerate(conns):
        to_data(t, b"flood%d@example.org" % k)
    # Each message as a stream of segments, cut from a 64 KiB window of
    # whole lines so no message is ever held here whole.
    state = []
    for k in range(SESSIONS):
        head, line, lines, tail = big_message(k)
        state.append({"buf": head, "line": line, "left": lines, "tail": tail, "done": False})
    half = False
    while not all(s["done"] for s in state):
        for k, t in enumerate(conns):
            s = state[k]
            if s["done"]:
                continue
            while len(s["buf"]) < MSS and (s["left"] or s["tail"]):
                n = min(s["left"], 650)
                s["buf"] += s["line"] * n
                s["left"] -= n
                if not s["left"]:
                    s["buf"] += s["tail"] + b".\r\n"
                    s["tail"] = b""
            seg, s["buf"] = s["buf"][:MSS], s["buf"][MSS:]
            t.push(seg)
            if not s["buf"] and not s["left"] and not s["tail"]:
                s["done"] = True
        if not half and state[0]["left"] * 100 < SIZE // 2:
            half = True
            ordinary(w)  # every one of the 16 is halfway through its message
    for k, t in enumerate(conns):
        t.seg(1, 0x10)
        after_data(t, b"F%02d" % k)
    w.close()


def measure(argv, out_path):
    """One run under GNU time: wall seconds and peak RSS (KiB)."""
    rss_path = out_path + ".time"
    with open(out_path, "wb") as out:
        st = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", rss_path] + argv,
                            stdout=out, stderr=subprocess.DEVNULL).returncode
    with open(rss_path) as f:
        wall, rss_kb = f.read().split()[-2:]
    os.unlink(rss_path)
    with open(out_path, "rb") as f:
        data = f.read()
    return {"status": st, "wall": float(wall), "rss_mb": int(rss_kb) / 1024, "out": data}


ADDR = re.compile(rb"^\S+ (\[\d+\] )? ?")


def ordinary_lines(out):
    """The ordinary session's lines, without time and flow number."""
    key = b" 198.51.100.10 > 203.0.113.25 "
    return [ADDR.sub(b"", l) for l in out.split(b"\n") if key in l]


def run(d, bins):
    print(f"{'binary':<36} {'exit':>4} {'wall s':>7} {'RSS MB':>8}  ordinary  "
          f"{'incomplete':>10} {'messages_mem':>12} {'message_too_big':>15}")
    bad = 0
    for b in bins:
        alone = measure([b, "-r", os.path.join(d, "ordinary.pcap")],
                        os.path.join(d, "out.ordinary.txt"))
        want = ordinary_lines(alone["out"])
        r = measure([b, "-r", os.path.join(d, "flood.pcap")], os.path.join(d, "out.flood.txt"))
        same = ordinary_lines(r["out"]) == want and len(want) >= 7
        bad += not same
        lines = r["out"].split(b"\n")
        # the timeline's line of each message (the journeys say it again)
        inc = sum(1 for l in lines
                  if b"] 198.51.100.77 > " in l and b" SMTP message #" in l and
                  l.endswith(b"[incomplete]"))
        mm = sum(1 for l in lines if b"messages_mem" in l)
        tb = sum(1 for l in lines if b"message_too_big" in l)
        print(f"{b[-36:]:<36} {r['status']:>4} {r['wall']:>7.2f} {r['rss_mb']:>8.1f}  "
              f"{'intact' if same else 'DIFFERS':<8}  {inc:>10} {mm:>12} {tb:>15}")
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
