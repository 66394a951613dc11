#!/usr/bin/python3
"""order.py - the time-order queue lets a line out as soon as nothing still
to come can be older, and the lines still come out in time order (issue 18,
point 3; report/openflows.h).

Usage: order.py SMTPSNIFF

The capture (made here, tests/hostile/gen.py) holds, over some 4.5 s:

  - a long SMTP session: ten pipelined transactions 350 ms apart, each
    message's reply 250 ms after the message. In the fifth, the segment
    with MAIL is lost and comes again 200 ms later; the one after it (RCPT,
    DATA) is held behind the hole meanwhile, and the reply to the fourth
    message comes in between, so the session reads the server's bytes
    while reassembly holds the client's (ss_pos held);
  - a short SMTP session every 10 ms (a message each, some 3 ms long);
  - a DNS query over UDP every 100 ms from a port of its own, answered
    600 ms later (a slow resolver): its line is of the query's time;
  - the same queries and answers over one TCP connection (RFC 7766
    pipelining), each with its two-byte length;
  - a long IMAP session: a FETCH every 400 ms, whose response carries a
    message in a literal that takes 100 ms to come, the exchange shown at
    the command's time; idle between them;
  - real sessions over TLS (tests/tls/): IMAP over implicit TLS, SMTP
    and IMAP after STARTTLS, each one's frames spread over the 4 s, read
    without keys (records only) and decrypted with its key log.

What is checked, against the times in the capture itself:

  - SMTP alone: every --json record comes out in time order (each
    record's "time", a flow's "end"; flows the capture's end closed come
    last), and the run says no order_full:
    nothing was let out before a line older than it came; every record is
    there (the long session's 10 messages and 41 exchanges, every short
    session's message); and the queue did let lines out early: at most a
    third of the lines waited at once (the summary's order_peak_lines).
    With the 10 s window alone, every line of the capture waits until the
    end;
    The same capture's timeline comes out in time order too;
  - DNS over TCP, and IMAP, each with the short sessions: the same, every
    answer, and every FETCH and its message, there;
  - each TLS session with the short sessions: the same, read without
    keys and decrypted (then its exchanges and its message there);
  - DNS with the short sessions: the timeline's lines, and the --json
    records, come out in time order, every DNS answer among them, and in
    --json under a third of the lines wait at once.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen import ACK, PSH, Pcap, Tcp, eth, ipv4, udp  # noqa: E402

MS = 1000  # microseconds
CLI, SRV, DNS = (10, 77, 0, 1), (10, 77, 0, 2), (10, 77, 0, 53)
LONG_TX, SHORT_EVERY, SHORT_UNTIL = 10, 10 * MS, 4500 * MS
DNS_EVERY, DNS_DELAY, DNS_UNTIL = 100 * MS, 600 * MS, 4000 * MS
IMAP_TX = 10


class Timed:
    """Frames stamped with a capture time (us), merged at the end."""

    def __init__(self):
        self.t, self.frames = 0, []

    def out(self, frame):
        self.frames.append((self.t, len(self.frames), frame))

    def at(self, t):
        self.t = t
        return self


def long_session(w):
    """The long session's frames into w."""
    t = Tcp(w.at(0).out, CLI, 41000, SRV, 25)
    t.open()
    w.at(5 * MS)
    t.seg(1, PSH | ACK, b"220 mx ESMTP\r\n")
    w.at(10 * MS)
    t.seg(0, PSH | ACK, b"EHLO long.example\r\n")
    w.at(40 * MS)
    t.seg(1, PSH | ACK, b"250-mx\r\n250 PIPELINING\r\n")
    last_reply = None
    for k in range(LONG_TX):
        base = 300 * MS + k * 350 * MS
        mail, rest = b"MAIL FROM:<a@long.example>\r\n", b"RCPT TO:<b@mx.example>\r\nDATA\r\n"
        if k == 4:
            # MAIL lost: RCPT and DATA come first, held behind the hole
            start = t.seq[0]
            w.at(base)
            t.seg(0, PSH | ACK, rest, seq=start + len(mail))
            w.at(base + 50 * MS)  # the fourth message's reply, read meanwhile
            t.seg(1, PSH | ACK, last_reply)
            last_reply = None
            w.at(base + 200 * MS)
            t.seg(0, PSH | ACK, mail)  # again: the hole fills
            t.seq[0] += len(rest)
            reply_at = base + 220 * MS
        else:
            if last_reply:
                w.at(base - 100 * MS)
                t.seg(1, PSH | ACK, last_reply)
            w.at(base)
            t.seg(0, PSH | ACK, mail + rest)
            reply_at = base + 80 * MS
        w.at(reply_at)
        t.seg(1, PSH | ACK, b"250 ok\r\n250 ok\r\n354 go\r\n")
        w.at(reply_at + 20 * MS)
        t.seg(0, PSH | ACK, b"Subject: long %d\r\n\r\nbody\r\n.\r\n" % k)
        last_reply = b"250 queued as L%d\r\n" % k
        if k == 3:
            continue  # its reply comes while the fifth's MAIL is lost
        w.at(reply_at + 270 * MS)
        t.seg(1, PSH | ACK, last_reply)
        last_reply = None
    w.at(300 * MS + LONG_TX * 350 * MS)
    t.seg(0, PSH | ACK, b"QUIT\r\n")
    t.seg(1, PSH | ACK, b"221 bye\r\n")
    t.close()


def short_sessions(w):
    n = 0
    for i, start in enumerate(range(0, SHORT_UNTIL, SHORT_EVERY)):
        t = Tcp(w.at(start).out, CLI, 42000 + i, SRV, 25)
        steps = [(1, b"220 mx\r\n"), (0, b"EHLO s.example\r\n"), (1, b"250 mx\r\n"),
                 (0, b"MAIL FROM:<s@s.example>\r\n"), (1, b"250 ok\r\n"),
                 (0, b"RCPT TO:<r@mx.example>\r\n"), (1, b"250 ok\r\n"), (0, b"DATA\r\n"),
                 (1, b"354 go\r\n"), (0, b"Subject: short %d\r\n\r\nhi\r\n.\r\n" % i),
                 (1, b"250 queued as S%d\r\n" % i), (0, b"QUIT\r\n"), (1, b"221 bye\r\n")]
        t.open()
        for j, (d, data) in enumerate(steps):
            w.at(start + (j + 1) * 200)
            t.seg(d, PSH | ACK, data)
        w.at(start + 3 * MS)
        t.close()
        n += 1
    return n


def imap_session(w):
    """A long IMAP session's frames into w: the exchanges it holds."""
    t = Tcp(w.at(0).out, CLI, 43000, SRV, 143)
    t.open()
    steps = [(5, 1, b"* OK IMAP4rev1 ready\r\n"), (10, 0, b"a1 LOGIN u p\r\n"),
             (20, 1, b"a1 OK logged in\r\n"), (30, 0, b"a2 SELECT INBOX\r\n"),
             (40, 1, b"* 1 EXISTS\r\na2 OK [READ-WRITE] selected\r\n")]
    for at, d, data in steps:
        w.at(at * MS)
        t.seg(d, PSH | ACK, data)
    for k in range(IMAP_TX):
        base = 300 * MS + k * 400 * MS
        msg = b"Subject: imap %d\r\n\r\n" % k + b"body line\r\n" * 20
        w.at(base)
        t.seg(0, PSH | ACK, b"f%d FETCH 1 BODY[]\r\n" % k)
        w.at(base + 50 * MS)
        t.seg(1, PSH | ACK, b"* 1 FETCH (BODY[] {%d}\r\n" % len(msg) + msg[:100])
        w.at(base + 150 * MS)
        t.seg(1, PSH | ACK, msg[100:] + b")\r\nf%d OK done\r\n" % k)
    w.at(300 * MS + IMAP_TX * 400 * MS)
    t.seg(0, PSH | ACK, b"z LOGOUT\r\n")
    t.seg(1, PSH | ACK, b"* BYE\r\nz OK bye\r\n")
    t.close()
    return 2 + IMAP_TX + 1


TLS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tls")
# sessions over TLS (their hosts are 127.0.0.1, the short sessions' are
# not): implicit TLS, and STARTTLS in SMTP and in IMAP
TLS_SESSIONS = ["mail-imaps13-tls", "mail-smtp-starttls13-tls", "mail-imap-starttls12-cbc-tls"]


def tls_session(name):
    """A part: the frames of a real session of tests/tls/NAME.pcap, spread
    over the 4 s (its Ethernet frames as they are)."""
    def part(w):
        with open(os.path.join(TLS_DIR, name + ".pcap"), "rb") as f:
            data = f.read()
        frames, off = [], 24
        while off + 16 <= len(data):
            caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
            frames.append(data[off + 16:off + 16 + caplen])
            off += 16 + caplen
        for k, frame in enumerate(frames):
            w.at(5 * MS + k * (4000 * MS // len(frames))).out(frame)
        return len(frames)
    return part


def dns_name(name):
    return b"".join(bytes([len(p)]) + p for p in name.split(b".")) + b"\0"


def dns_messages(i):
    """The query and answer of lookup i."""
    qname = dns_name(b"h%d.example.org" % i)
    q = i.to_bytes(2, "big") + b"\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" + qname + \
        b"\x00\x01\x00\x01"
    a = i.to_bytes(2, "big") + b"\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00" + qname + \
        b"\x00\x01\x00\x01" + b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + \
        bytes([192, 0, 2, i % 250 + 1])
    return q, a


def dns_over_tcp(w):
    """The lookups over one TCP connection, answered out of turn of the
    queries sent since."""
    t = Tcp(w.at(0).out, CLI, 44000, DNS, 53)
    t.open()
    starts = list(range(MS, DNS_UNTIL, DNS_EVERY))
    events = []
    for i, start in enumerate(starts):
        q, a = dns_messages(i)
        events.append((start, 0, q))
        events.append((start + DNS_DELAY, 1, a))
    for at, d, m in sorted(events, key=lambda e: e[0]):
        w.at(at)
        t.seg(d, PSH | ACK, len(m).to_bytes(2, "big") + m)
    w.at(DNS_UNTIL + DNS_DELAY)
    t.close()
    return len(starts)


def dns_lookups(w):
    n = 0
    for i, start in enumerate(range(0, DNS_UNTIL, DNS_EVERY)):
        q, a = dns_messages(i)
        w.at(start).out(eth(ipv4(bytes(CLI), bytes(DNS), 17, udp(50000 + i, 53, q))))
        w.at(start + DNS_DELAY).out(eth(ipv4(bytes(DNS), bytes(CLI), 17, udp(53, 50000 + i, a))))
        n += 1
    return n


def run(sniff, tmp, name, parts, text=False, args=()):
    """The capture of parts (each a function of a Timed), read with
    --json: its records; text: the timeline as it is printed; args
    given too."""
    path = os.path.join(tmp, name + ".pcap")
    w = Timed()
    counts = [part(w) for part in parts]
    p = Pcap(path)
    for t, _, frame in sorted(w.frames):
        p.put(frame, t)
    p.close()
    out = subprocess.run([sniff, "-r", path] + ([] if text else ["--json"]) + list(args),
                         capture_output=True, check=True,
                         env=dict(os.environ, TZ="UTC")).stdout.decode()
    return (out if text else [json.loads(line) for line in out.splitlines()]), counts


def in_order(name, recs):
    """What is wrong with the order of recs, and how many lines they are."""
    bad, shown, last, eof = [], [], "", 0
    for r in recs:
        at = r.get("end") if r["type"] == "flow" else r.get("time")
        if r["type"] in ("summary", "journey") or at is None:
            continue
        # a flow's record comes when it ended as smtpsniff saw it: at its
        # last packet ("end") for a FIN or a reset; flows still open when
        # the capture ended ("eof"), at the end (docs/json.md)
        if r["type"] == "flow" and r["close"] not in ("fin", "rst"):
            eof += r["close"] == "eof"
            continue
        if eof:
            bad.append("%s: %s record at %s after the flows the end closed" %
                       (name, r["type"], at))
        # RFC 3339 times of one day, all in UTC ("Z"), compare as text
        if at < last:
            bad.append("%s: %s record at %s after one at %s" % (name, r["type"], at, last))
        last = max(last, at)
        shown.append(r)
    full = [r for r in recs if r["type"] == "anomaly" and r.get("what") == "order_full"]
    if full:
        bad.append("%s: order_full: %s" % (name, full[0].get("detail")))
    summary = [r for r in recs if r["type"] == "summary"][-1]
    peak = summary.get("order_peak_lines")
    if peak is None or peak * 3 > len(shown):
        bad.append("%s: the queue held %s of %d lines at once: not let out early" %
                   (name, peak, len(shown)))
    print("%s: %d records in time order, then %d flows the end closed; %d waited at most" %
          (name, len(shown), eof, peak or 0))
    return bad


def text_in_order(name, text):
    """What is wrong with the order of a timeline's lines (their times,
    HH:MM:SS.mmm in UTC; the lines under them are skipped)."""
    bad, last, n = [], "", 0
    for line in text.splitlines():
        if line.startswith("Journeys ("):
            break  # the journeys, each message's path, come after the timeline
        at = line[:12]
        if len(at) < 12 or at[2] != ":" or at[8] != "." or line[12] != " ":
            continue
        if at < last:
            bad.append("%s: line at %s after one at %s: %s" % (name, at, last, line[:80]))
        last = max(last, at)
        n += 1
    if "order_full" in text:
        bad.append("%s: order_full" % name)
    print("%s: %d timeline lines in time order" % (name, n))
    return bad


def main():
    sniff = sys.argv[1]
    bad = []
    with tempfile.TemporaryDirectory() as tmp:
        # SMTP alone, so that nothing else holds the lines back
        recs, (_, nshort) = run(sniff, tmp, "smtp", [long_session, short_sessions])
        bad += in_order("smtp", recs)
        msgs = [r for r in recs if r["type"] == "message"]
        long_msgs = [r for r in msgs if r.get("client_port") == 41000]
        long_ex = [r for r in recs if r["type"] == "smtp" and r.get("client_port") == 41000]
        if len(long_msgs) != LONG_TX or len(long_ex) != 2 + 4 * LONG_TX + 1:
            bad.append("long session: %d messages, %d exchanges; want %d, %d" %
                       (len(long_msgs), len(long_ex), LONG_TX, 2 + 4 * LONG_TX + 1))
        if len(msgs) - len(long_msgs) != nshort:
            bad.append("%d short sessions' messages, want %d" %
                       (len(msgs) - len(long_msgs), nshort))
        # the same on the timeline, where an SMTP flow has no line of its
        # own at its end: only what the session still holds holds lines back
        text, _ = run(sniff, tmp, "smtp", [long_session, short_sessions], text=True)
        bad += text_in_order("smtp timeline", text)
        # DNS with the short sessions, on the timeline: there a DNS flow
        # has no line of its own at its end, so only its queries awaiting
        # answers hold lines back
        text, (nshort, ndns) = run(sniff, tmp, "dns", [short_sessions, dns_lookups], text=True)
        bad += text_in_order("dns", text)
        answered = [line for line in text.splitlines() if " DNS A? h" in line and " -> " in line]
        if len(answered) != ndns:
            bad.append("%d DNS answers on the timeline, want %d" % (len(answered), ndns))
        # and in --json, where each DNS flow's record comes at the end
        recs, _ = run(sniff, tmp, "dns", [short_sessions, dns_lookups])
        bad += in_order("dns json", recs)
        answered = [r for r in recs if r["type"] == "dns" and r.get("response_time")]
        if len(answered) != ndns:
            bad.append("%d DNS answers in --json, want %d" % (len(answered), ndns))
        # DNS over one TCP connection with the short sessions: it holds
        # back only its queries awaiting answers
        recs, (_, ntcp) = run(sniff, tmp, "dnstcp", [short_sessions, dns_over_tcp])
        bad += in_order("dns tcp json", recs)
        answered = [r for r in recs if r["type"] == "dns" and r.get("response_time")]
        if len(answered) != ntcp:
            bad.append("%d DNS answers over TCP, want %d" % (len(answered), ntcp))
        # a long IMAP session with the short ones: between its exchanges
        # it holds nothing back
        recs, (nimap, nshort) = run(sniff, tmp, "imap", [imap_session, short_sessions])
        bad += in_order("imap json", recs)
        ex = [r for r in recs if r["type"] == "imap" and r.get("verb")]
        got = [r for r in recs if r["type"] == "message" and r.get("proto") == "imap"]
        if len(ex) != nimap or len(got) != IMAP_TX:
            bad.append("IMAP: %d exchanges, %d messages; want %d, %d" %
                       (len(ex), len(got), nimap, IMAP_TX))
        text, _ = run(sniff, tmp, "imap", [imap_session, short_sessions], text=True)
        bad += text_in_order("imap timeline", text)
        # sessions over TLS with the short ones: without keys the records
        # say all as they come; decrypted, the protocol inside says what it
        # holds, as in the clear
        for name in TLS_SESSIONS:
            parts = [tls_session(name), short_sessions]
            recs, _ = run(sniff, tmp, name, parts)
            bad += in_order(name, recs)
            keylog = os.path.join(TLS_DIR, name + ".keylog")
            recs, _ = run(sniff, tmp, name, parts, args=("--keylog", keylog))
            bad += in_order(name + " decrypted", recs)
            # the session's records are those it has read alone
            alone = subprocess.run([sniff, "-r", os.path.join(TLS_DIR, name + ".pcap"), "--json",
                                    "--keylog", keylog], capture_output=True, check=True).stdout
            want = sorted(r["type"] for r in map(json.loads, alone.decode().splitlines())
                          if r["type"] not in ("flow", "summary", "journey"))
            got = sorted(r["type"] for r in recs if r.get("client") == "127.0.0.1")
            if got != want or "message" not in got:
                bad.append("%s decrypted: records %s, read alone %s" % (name, got, want))
    for b in bad[:20]:
        print("FAIL", b)
    print("FAILED" if bad else "ok")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
