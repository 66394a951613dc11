#!/usr/bin/python3
"""floods.py - two hostile captures that flood the timeline with events, and
what smtpsniff makes of them (issue 16, finding 7).

    bench/floods.py write DIR            the captures, into DIR
    bench/floods.py run DIR BIN [BIN2]   lines, bytes, wall time, peak RSS of
                                         BIN -r F for each capture (BIN2: the
                                         same again, for a before/after table)

The captures are tests/hostile/'s (tests/hostile/cases.py writes them):

  frag.pcap       200,000 IPv4 first fragments (MF set, offset 0), each of a
                  datagram of its own whose other fragments never come: past
                  --max-frag-dgrams (4096) every new one evicts the oldest,
                  so the old code printed one frag_evicted line per datagram
                  (the case frag_evicted).
  reply.pcap      an SMTP session whose EHLO reply is 92 MB: 92,000 lines of
                  "250-" and 1,000 bytes, then "250 SIZE" (a server that
                  answers with a reply of any length; RFC 5321 4.5.3.1.5
                  says 512 bytes a line and no limit on the lines), then
                  MAIL, RCPT, DATA, a message and QUIT, each paired with its
                  own reply (cases.long_replies).
  reply1.pcap     the same with the 92 MB as one line ("250 " and 92 MiB),
                  and a NOOP command of 92 MiB answered (the case long_line).
  ordinary.pcap   the ordinary session (tests/hostile/gen.py), alone.

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
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "hostile"))
import cases  # noqa: E402
import gen  # noqa: E402
import run as runner  # noqa: E402

LINE = b"250-" + b"y" * 994 + b"\r\n"  # 1,000 bytes
HOSTILE = "10.66.7.1"  # the long reply's client (cases.long_client(0))


def write(d):
    os.makedirs(d, exist_ok=True)
    w = gen.Pcap(os.path.join(d, "ordinary.pcap"), step=1000)
    gen.interleave(w, [], 0, gen.Ordinary().frames)
    w.close()
    cases.FragEvicted("frag").write(os.path.join(d, "frag.pcap"), 200_000)
    cases.long_replies(os.path.join(d, "reply.pcap"), 1, 92_000, unit=LINE,
                       last=b"250 SIZE 10240000\r\n", ordinary=gen.Ordinary())
    cases.LongLine("reply1").write(os.path.join(d, "reply1.pcap"), 92)


def measure(argv, out_path):
    r = runner.run(argv[0], argv[1:], out=out_path)
    with open(out_path, "rb") as f:
        data = f.read()
    return {"status": r.status, "lines": data.count(b"\n"), "bytes": len(data), "wall": r.wall,
            "rss_mb": r.rss_kb / 1024, "out": data}


def hostile_lines(out):
    """The long reply's session on the timeline (its flow's lines, not the
    journeys'), without time and flow number."""
    key = b"] " + HOSTILE.encode() + b" > "
    return [runner.ADDR.sub(b"", l) for l in out.split(b"\n") if key in l and b" SMTP " in l]


# The exchanges of the long reply's session, in order: (start, end) of each line.
PAIRS = [(b"SMTP 220 mx.example.net ESMTP", b""), (b"SMTP EHLO client.example.org -> 250 ", b""),
         (b"SMTP MAIL FROM:<a@example.org> -> 250 2.1.0 Ok", b""),
         (b"SMTP RCPT TO:<b@example.net> -> 250 2.1.5 Ok", b""),
         (b"SMTP DATA -> 354 go ahead", b""), (b"SMTP message #", b"-> 250 2.0.0 Ok: queued as 9"),
         (b"SMTP QUIT -> 221 2.0.0 Bye", b"")]
NOOP = (b"SMTP NOOP zzz", b"-> 250 2.0.0 Ok")


def hostile_ok(out, pairs):
    """The long reply's session: each command with its own reply, the
    exchanges in order and no others."""
    got = hostile_lines(out)
    return len(got) == len(pairs) and all(a in l and l.endswith(b)
                                          for (a, b), l in zip(pairs, got))


def run(d, bins):
    caps = ["frag.pcap", "reply.pcap", "reply1.pcap"]
    print(f"{'binary':<28} {'capture':<12} {'lines':>9} {'bytes':>12} {'wall s':>7} "
          f"{'RSS MB':>7}  ordinary  long reply's session")
    bad = 0
    for b in bins:
        alone = measure([b, "-r", os.path.join(d, "ordinary.pcap")],
                        os.path.join(d, "out.ordinary.txt"))
        want = runner.timeline_lines(alone["out"], gen.Ordinary().cli)
        for c in caps:
            runs = [measure([b, "-r", os.path.join(d, c)], os.path.join(d, "out." + c + ".txt"))
                    for _ in range(3)]
            r = min(runs, key=lambda x: x["wall"])  # the least disturbed of three
            runs = None
            same = runner.timeline_lines(r["out"], gen.Ordinary().cli) == want and len(want) >= 8
            bad += not same
            pairs = ""
            if c.startswith("reply"):
                want_pairs = PAIRS[:2] + [NOOP] + PAIRS[2:] if c == "reply1.pcap" else PAIRS
                n = len(hostile_lines(r["out"]))
                pairs = f"{n} lines, " + ("paired" if hostile_ok(r["out"], want_pairs)
                                          else "NOT PAIRED")
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
