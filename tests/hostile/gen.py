"""gen.py - the packets of hostile captures, written to disk as they are made.

The one generator of tests/hostile/ and bench/: classic pcap and pcapng
writers that stream (a capture of gigabytes never sits in memory), Ethernet
with VLAN tags, IPv4 with fragments, IPv6 with extension headers, UDP, TCP
connections that keep their sequence numbers (and wrap them past 2^32), and
the ordinary SMTP session every hostile capture carries beside its flood:

    w = Pcap(path)                        # or Pcapng(path)
    o = Ordinary()                        # its frames: o.frames
    interleave(w, flood_frames, n_flood, o.frames)
    w.close()
    o.check(json_records)                 # [] when it came out intact

Formats after https://www.tcpdump.org/manpages/pcap-savefile.5.html, the
pcapng draft (draft-ietf-opsawg-pcapng), RFC 791 (IPv4 and its fragments),
RFC 8200 (IPv6 extension headers), RFC 793 (TCP), IEEE 802.1Q/802.1ad
(VLAN tags), RFC 5321 (the SMTP session). TCP and UDP checksums are left 0:
smtpsniff does not check them (offloading makes them wrong in most
captures). Debian's python3, standard library only.
"""
import functools
import hashlib
import struct

T0 = 1_780_000_000  # capture time of the first frame, seconds
MAC = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01"
ETH_IPV4, ETH_IPV6, ETH_VLAN, ETH_QINQ = 0x0800, 0x86DD, 0x8100, 0x88A8
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
REC = struct.Struct("<IIII")


# --- capture files ---------------------------------------------------------


class Pcap:
    """A classic pcap file (Ethernet, microseconds), written as it goes.
    put(frame) stamps each frame step microseconds after the one before;
    put(frame, us) stamps it us microseconds after T0 (never earlier than
    the last). raw(b) appends bytes as they are (damage on purpose)."""

    def __init__(self, path, step=1, linktype=1):
        self.f = open(path, "wb", buffering=1 << 20)
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))
        self.us, self.step, self.frames = 0, step, 0

    def put(self, frame, us=None):
        if us is not None and us > self.us:
            self.us = us
        t = T0 * 1_000_000 + self.us
        self.f.write(REC.pack(t // 1_000_000, t % 1_000_000, len(frame), len(frame)))
        self.f.write(frame)
        self.us += self.step
        self.frames += 1

    def raw(self, b):
        self.f.write(b)

    def tell(self):
        self.f.flush()
        return self.f.tell()

    def close(self):
        self.f.close()


def _block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


class Pcapng(Pcap):
    """A pcapng file: a Section Header Block, one Interface Description
    Block (Ethernet, microseconds), then an Enhanced Packet Block a frame.
    put(frame, us, iface=7) writes a block naming interface 7, which no
    block describes."""

    def __init__(self, path, step=1):
        self.f = open(path, "wb", buffering=1 << 20)
        self.f.write(_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
        self.f.write(_block(1, struct.pack("<HHI", 1, 0, 262144)))
        self.us, self.step, self.frames = 0, step, 0

    def put(self, frame, us=None, iface=0):
        if us is not None and us > self.us:
            self.us = us
        t = T0 * 1_000_000 + self.us
        body = struct.pack("<IIIII", iface, t >> 32, t & 0xFFFFFFFF, len(frame), len(frame))
        self.f.write(_block(6, body + frame))
        self.us += self.step
        self.frames += 1


# --- layers ----------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _head(ethertype, tags):
    head = MAC
    for i in range(tags):
        head += struct.pack("!HH", ETH_QINQ if i < tags - 1 else ETH_VLAN, 100 + i)
    return head + struct.pack("!H", ethertype)


def eth(payload, ethertype=ETH_IPV4, tags=0):
    """An Ethernet frame; tags: that many 802.1ad/802.1Q tags stacked
    (QinQ: the outer ones 0x88a8, the innermost 0x8100)."""
    return _head(ethertype, tags) + payload


def _ip_sum(h):
    s = sum(struct.unpack("!10H", h))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return struct.pack("!H", ~s & 0xFFFF)


def ipv4(src, dst, proto, payload, ident=0, frag=0):
    """An IPv4 packet; frag: the flags and offset field (0x2000 MF, the
    offset in 8-byte units below it)."""
    h = struct.pack("!BBHHHBB2s4s4s", 0x45, 0, 20 + len(payload), ident & 0xFFFF, frag, 64, proto,
                    b"\0\0", bytes(src), bytes(dst))
    return h[:10] + _ip_sum(h) + h[12:] + payload


def ipv6(src, dst, nh, payload, ext=0):
    """An IPv6 packet with ext destination-options headers (8 bytes each,
    RFC 8200 4.6) before the transport header nh."""
    chain, nxt = b"", nh
    for _ in range(ext):
        chain = struct.pack("!BB", nxt, 0) + b"\x01\x04\0\0\0\0" + chain  # PadN
        nxt = 60
    body = chain + payload
    return struct.pack("!IHBB16s16s", 6 << 28, len(body), nxt, 64, bytes(src), bytes(dst)) + body


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp(sport, dport, seq, ack, flags, payload=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4,
                       flags, 65535, 0, 0) + payload


class Tcp:
    """One TCP connection over IPv4, client side 0, server side 1: each
    segment goes to out (a frame each, made by link) with the sequence
    numbers kept (mod 2^32, from isn)."""

    def __init__(self, out, cli, sport, srv, dport, isn=(1000, 50000), mss=1460, link=eth):
        self.out, self.link, self.mss = out, link, mss
        self.ep = [(bytes(cli), sport), (bytes(srv), dport)]
        self.seq = list(isn)

    def seg(self, d, flags, data=b"", seq=None):
        (a, ap), (b, bp) = self.ep[d], self.ep[1 - d]
        s = self.seq[d] if seq is None else seq
        ack = self.seq[1 - d] if flags & ACK else 0
        self.out(self.link(ipv4(a, b, 6, tcp(ap, bp, s, ack, flags, data))))
        if seq is None:
            self.seq[d] = (self.seq[d] + len(data) + (1 if flags & (SYN | FIN) else 0)) & 0xFFFFFFFF

    def open(self):
        self.seg(0, SYN)
        self.seg(1, SYN | ACK)
        self.seg(0, ACK)

    def send(self, d, data):
        """data from side d in full-size segments, an ACK back every 32
        segments as a peer sends them, and one at the end."""
        for i in range(0, len(data), self.mss):
            self.seg(d, PSH | ACK, data[i:i + self.mss])
            if (i // self.mss) % 32 == 31:
                self.seg(1 - d, ACK)
        self.seg(1 - d, ACK)

    def close(self):
        self.seg(0, FIN | ACK)
        self.seg(1, FIN | ACK)
        self.seg(0, ACK)


def cut(chunks, mss=1460):
    """The payloads of full segments (the last one shorter) cut from an
    iterable of byte strings of any size, without copying more than each
    payload."""
    carry = b""
    for c in chunks:
        mv, i = memoryview(c), 0
        if carry:
            i = mss - len(carry)
            carry += bytes(mv[:i])
            if len(carry) < mss:
                continue
            yield carry
        while len(mv) - i >= mss:
            yield bytes(mv[i:i + mss])
            i += mss
        carry = bytes(mv[i:])
    if carry:
        yield carry


def stream(t, d, chunks):
    """Sends an iterable of byte strings from side d of the Tcp t as send()
    does, without holding them whole: a generator that yields after each
    segment, for its caller to write the frames out (see pump)."""
    for i, p in enumerate(cut(chunks, t.mss)):
        t.seg(d, PSH | ACK, p)
        if i % 32 == 31:
            t.seg(1 - d, ACK)
        yield
    t.seg(1 - d, ACK)


def pump(frames, steps):
    """The frames a list gathers while steps (an iterable) runs, yielded as
    they come and let go of."""
    for _ in steps:
        yield from frames
        frames.clear()
    yield from frames
    frames.clear()


def repeat(unit, size):
    """size bytes of unit repeated, as chunks of about 1 MB."""
    block = unit * max(1, (1 << 20) // len(unit))
    while size > 0:
        yield block[:size]
        size -= len(block)


# --- the ordinary session ----------------------------------------------------

MESSAGE = (b"From: <alice@example.org>\r\nTo: <bob@example.net>\r\n"
           b"Subject: an ordinary message\r\nMessage-ID: <ordinary.1@example.org>\r\n\r\n"
           b"Hello Bob,\r\n..a line that starts with a dot\r\nBye.\r\n.\r\n")
EHLO_REPLY = b"250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n"
ORD_CLI, ORD_SRV, ORD_PORT = (198, 51, 100, 10), (203, 0, 113, 25), 40001


def unstuff(data):
    """A DATA message as the server stores it (RFC 5321 4.5.2): the final
    "." line gone, one leading dot taken off every other line."""
    assert data.endswith(b"\r\n.\r\n")
    lines = data[:-3].split(b"\r\n")
    return b"\r\n".join(l[1:] if l.startswith(b".") else l for l in lines)


class Ordinary:
    """An ordinary SMTP session on its own 4-tuple (198.51.100.10:40001 to
    203.0.113.25:25 unless told): EHLO, MAIL, RCPT, DATA with a short
    message, QUIT, each answered; frames: its frames, in order. isn: the
    initial sequence numbers (near 2^32 to wrap inside the session); link:
    how each IPv4 packet is framed."""

    EXCHANGES = [  # (verb, command line, reply)
        (None, None, b"220 mx.example.net ESMTP\r\n"),
        ("EHLO", b"EHLO client.example.org", EHLO_REPLY),
        ("MAIL", b"MAIL FROM:<alice@example.org>", b"250 2.1.0 Ok\r\n"),
        ("RCPT", b"RCPT TO:<bob@example.net>", b"250 2.1.5 Ok\r\n"),
        ("DATA", b"DATA", b"354 End data with <CR><LF>.<CR><LF>\r\n"),
        (".", MESSAGE, b"250 2.0.0 Ok: queued as 4ABCD1\r\n"),
        ("QUIT", b"QUIT", b"221 2.0.0 Bye\r\n"),
    ]

    def __init__(self, cli=ORD_CLI, srv=ORD_SRV, port=ORD_PORT, isn=(1000, 50000), link=eth):
        self.cli, self.srv, self.port = ".".join(map(str, cli)), ".".join(map(str, srv)), port
        self.frames = []
        t = Tcp(self.frames.append, cli, port, srv, 25, isn=isn, link=link)
        t.open()
        self.c2s = self.s2c = 0
        for verb, cmd, reply in self.EXCHANGES:
            if cmd is not None:
                line = cmd if verb == "." else cmd + b"\r\n"
                t.send(0, line)
                self.c2s += len(line)
            t.send(1, reply)
            self.s2c += len(reply)
        t.close()
        self.message = unstuff(MESSAGE)

    def mine(self, rec):
        """Whether a --json record is about this session."""
        return rec.get("client") == self.cli and rec.get("client_port") == self.port or (
            rec.get("type") == "flow" and rec["client"] == {"ip": self.cli, "port": self.port})

    def check(self, recs, late_ack=False):
        """What differs between this session's --json records among recs and
        what it said (the commands and replies sent, the message's bytes
        and SHA-256 computed here): a list of words, empty when intact.
        late_ack: a flow of no bytes picked up mid-way (the last ACK, after
        the flow was ended) is let be."""
        got = [r for r in recs if self.mine(r) and not (
            late_ack and r["type"] == "flow" and r["midstream"] and
            r["c2s"]["bytes"] == r["s2c"]["bytes"] == 0)]
        bad = []
        cmds = [r for r in got if r["type"] == "smtp"]
        want = [(v, c.decode() if c and v != "." else ("." if v == "." else None),
                 int(rep[:3]), rep.decode().rstrip("\r\n").replace("\r\n", "\n"))
                for v, c, rep in self.EXCHANGES]
        have = [(r.get("verb"), r.get("command"), r.get("code"), r.get("reply")) for r in cmds]
        if have != want:
            bad.append("commands and replies %r, want %r" % (have, want))
        msgs = [r for r in got if r["type"] == "message"]
        digest = hashlib.sha256(self.message).hexdigest()
        if len(msgs) != 1:
            bad.append("%d message records, want 1" % len(msgs))
        elif (msgs[0].get("size"), msgs[0].get("sha256"), msgs[0].get("incomplete"),
              msgs[0].get("mail_from"), msgs[0].get("rcpt")) != (
                  len(self.message), digest, False, "alice@example.org", ["bob@example.net"]):
            m = msgs[0]
            bad.append("message size %s sha256 %s incomplete %s from %s to %s, want %d %s "
                       "false alice@example.org [bob@example.net]" %
                       (m.get("size"), m.get("sha256"), m.get("incomplete"), m.get("mail_from"),
                        m.get("rcpt"), len(self.message), digest))
        flows = [r for r in got if r["type"] == "flow"]
        if len(flows) != 1:
            bad.append("%d flow records, want 1" % len(flows))
        else:
            f = flows[0]
            have = (f["c2s"]["bytes"], f["s2c"]["bytes"], f["c2s"]["gaps"] + f["s2c"]["gaps"],
                    f["close"])
            if have != (self.c2s, self.s2c, 0, "fin"):
                bad.append("flow bytes c2s %d s2c %d, gaps %d, close %s; want %d %d 0 fin" %
                           (have + (self.c2s, self.s2c)))
        anomalies = [r for r in got if r["type"] == "anomaly"]
        if anomalies:
            bad.append("anomalies on its flow: %r" % anomalies[:3])
        return bad


def interleave(w, flood, n, ordinary, every=None, start=None):
    """Writes the n frames of the iterable flood to w with the frames of
    ordinary among them: one every `every` flood frames (default: spread
    evenly over the flood) from flood frame `start` on (default: so that
    the ordinary session sits in the middle of the flood). Flood frames
    beyond n and ordinary frames left over follow at the end."""
    k = len(ordinary)
    if every is None:
        every = max(1, n // (k + 1))
    if start is None:
        start = max(0, (n - every * (k - 1)) // 2)
    j = 0
    for i, f in enumerate(flood):
        if j < k and i >= start and (i - start) % every == 0:
            w.put(ordinary[j])
            j += 1
        w.put(f)
    for f in ordinary[j:]:
        w.put(f)
