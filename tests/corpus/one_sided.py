#!/usr/bin/python3
"""one_sided.py - every recorded SMTP message again, from captures that
hold one direction of each SMTP connection only, as a tap or a span port
that sees one way gives them.

Usage: one_sided.py SMTPSNIFF PCAPS_DIR...
For each NAME.pcap in the folders whose full capture has SMTP messages
(`smtpsniff -r NAME.pcap --json --export DIR`: flows with app "smtp", LMTP
included, and messages with proto "smtp" or "lmtp"), two halves are cut from it,
everything but TCP segments of those connections kept as it was:
  client-only  without what each SMTP server sent; for a server S:P, the
               BPF filter  not (tcp and src host S and src port P)
  server-only  without what each SMTP client sent:
               not (tcp and dst host S and dst port P)
The halves are cut here, frame by frame (Ethernet, IPv4, TCP: what the
lab's captures hold), so that the test needs no tcpdump; the filters above
are what tcpdump -r NAME.pcap -w HALF would take to cut the same.
  client-only: every SMTP message exported from the full capture is exported
               again, byte for byte (compared by SHA-256 of the files), and
               no other: the client sent it, whatever the server answered.
  server-only: smtpsniff exits 0, exports no SMTP message (the bodies went
               the other way), and reports every reply line each server
               sent: its SMTP records' replies, per connection, are the
               CRLF lines of the server's bytes (put in order here, from
               the full capture's segments), as multisets.
Exits 1 on any failure, naming the capture and the message or reply.
"""
import collections
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pcapfile import Pcap  # noqa: E402

sniff, dirs = sys.argv[1], sys.argv[2:]
failures = 0


def fail(label, msg):
    global failures
    failures += 1
    print("FAIL %s: %s" % (label, msg))
    return 1


def run(pcap, out):
    """smtpsniff's records and its exported messages [(index entry, bytes)]."""
    p = subprocess.run([sniff, "-r", pcap, "--json", "--export", out], capture_output=True)
    recs = [json.loads(l) for l in p.stdout.decode("utf-8", "replace").splitlines() if l.startswith("{")]
    msgs = []
    idx = os.path.join(out, "index.json")
    if os.path.exists(idx):
        msgs = [(m, open(os.path.join(out, m["file"]), "rb").read()) for m in json.load(open(idx))]
    return p, recs, msgs


def tcp_segment(frame):
    """((src, sport), (dst, dport), seq, flags, payload) of an Ethernet
    frame holding an IPv4 TCP segment (802.1Q tags skipped; the payload
    without Ethernet padding), else None."""
    off = 12
    while frame[off:off + 2] in (b"\x81\x00", b"\x88\xa8"):
        off += 4
    ip = off + 2
    if frame[off:off + 2] != b"\x08\x00" or len(frame) < ip + 20:
        return None
    ihl = (frame[ip] & 15) * 4
    total = struct.unpack(">H", frame[ip + 2:ip + 4])[0]
    frag = struct.unpack(">H", frame[ip + 6:ip + 8])[0]
    if frame[ip + 9] != 6 or frag & 0x3fff or len(frame) < ip + ihl + 20:
        return None
    t = ip + ihl
    sport, dport, seq = struct.unpack(">HHI", frame[t:t + 8])
    doff, flags = (frame[t + 12] >> 4) * 4, frame[t + 13]
    addr = lambda a: ".".join(str(b) for b in a)  # noqa: E731
    return ((addr(frame[ip + 12:ip + 16]), sport), (addr(frame[ip + 16:ip + 20]), dport), seq, flags,
            frame[t + doff:ip + total])


def cut(src, dst, conns, keep):
    """Writes to dst the frames of src but the TCP segments of connections
    in conns ({(client, server)}) that go the other way than keep ("c2s" or
    "s2c"), records copied as they are. Returns how many segments of conns
    it kept and dropped, and {connection: the bytes its server sent} (the
    segments put in sequence order, each byte once)."""
    data = open(src, "rb").read()
    pcap = Pcap(data)
    if pcap.linktype != 1:
        raise SystemExit("%s: link type %d, not Ethernet" % (src, pcap.linktype))
    out, kept, dropped = [data[:24]], 0, 0
    sent = collections.defaultdict(list)
    for off, _, _, frame in pcap.records():
        seg = tcp_segment(frame)
        ends = seg[:2] if seg else None
        if ends in conns or (ends and ends[::-1] in conns):
            if ends[::-1] in conns:
                sent[ends[::-1]].append(seg[2:])
            if (ends in conns) == (keep == "c2s"):
                kept += 1
            else:
                dropped += 1
                continue
        out.append(data[off:off + 16 + len(frame)])
    open(dst, "wb").write(b"".join(out))
    return kept, dropped, {c: in_order(segs) for c, segs in sent.items()}


def in_order(segs):
    """The bytes of one direction of a connection from its (seq, flags,
    payload) segments: sequence numbers counted from its SYN (wrapping at
    2^32), retransmitted bytes taken once."""
    isn = next((seq for seq, flags, _ in segs if flags & 2), segs[0][0] - 1)
    stream = b""
    for rel, data in sorted(((seq - isn - 1) % 2**32, data) for seq, _, data in segs if data):
        if rel > len(stream):
            raise SystemExit("a hole in the server's bytes at %d" % len(stream))
        stream += data[len(stream) - rel:]
    return stream


def describe(m):
    h = m.get("hop", {})
    return "#%d %s:%s > %s:%s %s (%d bytes, sha256 %s)" % (
        m["number"], h.get("client"), h.get("client_port"), h.get("server"), h.get("server_port"),
        m.get("message_id") or "(no Message-ID)", m["size"], m["sha256"][:16])


def conn_of(r):
    """((client, port), (server, port)) of a record or a hop."""
    return (r["client"], r["client_port"]), (r["server"], r["server_port"])


def reply_lines(recs, conns):
    """{connection: Counter of the reply lines} of the SMTP records."""
    out = collections.defaultdict(collections.Counter)
    for r in recs:
        if r["type"] in ("smtp", "lmtp") and r.get("reply") is not None and r.get("code", -1) >= 0 \
                and conn_of(r) in conns:
            out[conn_of(r)].update(r["reply"].split("\n"))
    return out


def check_client(label, half, out, full, servers):
    """The client's half gives every message of the full capture, as it
    was, and no other; returns the number of failures."""
    filt = " and ".join("not (tcp and src host %s and src port %d)" % s for s in servers)
    p, _, got = run(half, out)
    got = [(m, b) for m, b in got if m["proto"] in ("smtp", "lmtp")]
    have = collections.Counter(hashlib.sha256(b).hexdigest() for _, b in got)
    wanted = collections.Counter(hashlib.sha256(b).hexdigest() for _, b in full)
    bad = 0
    if p.returncode != 0:
        bad += fail(label, "client-only (%s): smtpsniff exited %d: %s"
                    % (filt, p.returncode, p.stderr.decode("utf-8", "replace")[-300:]))
    for m, b in full:
        h = hashlib.sha256(b).hexdigest()
        if have[h] > 0:
            have[h] -= 1
            continue
        same = [g for g, _ in got if conn_of(g["hop"]) == conn_of(m["hop"])]
        bad += fail(label, "client-only (%s): message %s went missing%s" % (
            filt, describe(m), "; that connection gave " + ", ".join(describe(g) for g in same)
            if same else ": nothing exported from that connection"))
    for m, b in got:
        if wanted[hashlib.sha256(b).hexdigest()] == 0:
            bad += fail(label, "client-only (%s): message %s is none of the full capture's"
                        % (filt, describe(m)))
    if not bad:
        print("ok   %s client-only: all %d SMTP messages, byte for byte" % (label, len(full)))
    return bad


def check_server(label, half, out, conns, server_sent):
    """The server's half gives no message and every reply line; returns the
    number of failures."""
    filt = " and ".join("not (tcp and dst host %s and dst port %d)" % s for s in sorted({s for _, s in conns}))
    p, recs, got = run(half, out)
    bad = 0
    if p.returncode != 0:
        bad += fail(label, "server-only (%s): smtpsniff exited %d: %s"
                    % (filt, p.returncode, p.stderr.decode("utf-8", "replace")[-300:]))
    for m, _ in got:
        if m["proto"] in ("smtp", "lmtp"):
            bad += fail(label, "server-only (%s): an SMTP message out of replies alone: %s"
                        % (filt, describe(m)))
    lines, n = reply_lines(recs, conns), 0
    for c in sorted(conns):
        want = collections.Counter(server_sent.get(c, b"").decode("utf-8", "replace").split("\r\n")[:-1])
        n += sum(want.values())
        miss, extra = want - lines[c], lines[c] - want
        if miss or extra:
            bad += fail(label, "server-only (%s): connection %s:%d > %s:%d: %s%s" % (
                filt, c[0][0], c[0][1], c[1][0], c[1][1],
                "reply lines missing: " + "; ".join(repr(r) for r in miss.elements()) if miss else "",
                (" and " if miss and extra else "") +
                ("reply lines the server never sent: " + "; ".join(repr(r) for r in extra.elements())
                 if extra else "")))
    if not bad:
        print("ok   %s server-only: no message; all %d reply lines of %d connections" % (label, n, len(conns)))
    return bad


top = os.path.dirname(os.path.commonpath([os.path.abspath(d) for d in dirs]))
checked = 0
for d in dirs:
    for name in sorted(f for f in os.listdir(d) if f.endswith(".pcap")):
        pcap = os.path.join(d, name)
        label = os.path.relpath(os.path.abspath(pcap), top)
        with tempfile.TemporaryDirectory() as tmp:
            for sub in ("full", "client", "server"):
                os.mkdir(os.path.join(tmp, sub))
            p, recs, full = run(pcap, os.path.join(tmp, "full"))
            full = [(m, b) for m, b in full if m["proto"] in ("smtp", "lmtp")]
            if p.returncode != 0 or not full:
                continue
            checked += 1
            conns = {((r["client"]["ip"], r["client"]["port"]), (r["server"]["ip"], r["server"]["port"]))
                     for r in recs if r["type"] == "flow" and r["proto"] == "tcp" and r.get("app") == "smtp"}
            for keep, sub in (("c2s", "client"), ("s2c", "server")):
                kept, dropped, server_sent = cut(pcap, os.path.join(tmp, sub + ".pcap"), conns, keep)
                if not kept or not dropped:
                    fail(label, "the %s-only half kept %d and dropped %d segments of the SMTP connections"
                         % (sub, kept, dropped))
            check_client(label, os.path.join(tmp, "client.pcap"), os.path.join(tmp, "client"), full,
                         sorted({s for _, s in conns}))
            check_server(label, os.path.join(tmp, "server.pcap"), os.path.join(tmp, "server"), conns,
                         server_sent)
if not checked:
    fail(" ".join(dirs), "no capture with SMTP messages")
print("%d captures with SMTP messages checked, %d failures" % (checked, failures))
sys.exit(1 if failures else 0)
