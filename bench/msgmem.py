#!/usr/bin/python3
"""msgmem.py - sixteen SMTP sessions 48 MB into DATA at once, and what
smtpsniff holds for them (issue 16, finding 2: --max-messages-mem).

    bench/msgmem.py write DIR            the captures, into DIR
    bench/msgmem.py run DIR BIN [BIN2]   exit status, wall time, peak RSS of
                                         BIN -r F (BIN2: the same again, for a
                                         before/after table)

The captures (written by tests/hostile/cases.py, the case messages_mem):

  flood.pcap      16 SMTP sessions from 10.66.4.1, each from its own client
                  port, each sending one 48 MB message: all 16 reach DATA
                  first, then their segments (1460 bytes) come in turn, so
                  all 16 messages are being collected at once. Among them
                  (in the middle of the flood), an ordinary session sends a
                  short message from other addresses; then the 16 end their
                  messages with "." and QUIT.
  ordinary.pcap   the ordinary session alone.

Without a cap on all messages together, each session may keep 64 MB
(--max-message): the 16 held 768 MB and more. `run` says, for each binary,
whether the ordinary session's lines are those it has alone (times and flow
numbers aside: it must come out intact), how many of the 16 messages are
marked incomplete, and how many messages_mem / message_too_big anomalies
were raised. Peak RSS and wall time are GNU time's (tests/hostile/run.py),
the output goes to a file. Exit status 1 when the ordinary session differs.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "hostile"))
import cases  # noqa: E402
import gen  # noqa: E402
import run as runner  # noqa: E402

SIZE_MB = 48
BIG = "10.66.4.1"  # cases.BIG_CLI


def write(d):
    os.makedirs(d, exist_ok=True)
    w = gen.Pcap(os.path.join(d, "ordinary.pcap"), step=10)
    gen.interleave(w, [], 0, gen.Ordinary().frames)
    w.close()
    c = cases.MessagesMem("messages_mem")
    assert c.sessions(SIZE_MB) == 16
    c.write(os.path.join(d, "flood.pcap"), SIZE_MB)


def measure(argv, out_path):
    r = runner.run(argv[0], argv[1:], out=out_path)
    with open(out_path, "rb") as f:
        data = f.read()
    return {"status": r.status, "wall": r.wall, "rss_mb": r.rss_kb / 1024, "out": data}


def run(d, bins):
    print(f"{'binary':<36} {'exit':>4} {'wall s':>7} {'RSS MB':>8}  ordinary  "
          f"{'incomplete':>10} {'messages_mem':>12} {'message_too_big':>15}")
    bad = 0
    ordinary = gen.Ordinary().cli
    for b in bins:
        alone = measure([b, "-r", os.path.join(d, "ordinary.pcap")],
                        os.path.join(d, "out.ordinary.txt"))
        want = runner.timeline_lines(alone["out"], ordinary)
        r = measure([b, "-r", os.path.join(d, "flood.pcap")], os.path.join(d, "out.flood.txt"))
        same = runner.timeline_lines(r["out"], ordinary) == want and len(want) >= 7
        bad += not same
        lines = r["out"].split(b"\n")
        # the timeline's line of each message (the journeys say it again)
        inc = sum(1 for l in lines
                  if b"] " + BIG.encode() + b" > " in l and b" SMTP message #" in l and
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
