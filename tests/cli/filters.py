#!/usr/bin/python3
"""filters.py - --host and --message keep exactly lines of the unfiltered
output (same numbers, same names), and exactly the lines they promise
(report/select.h).

Usage: filters.py SMTPSNIFF SRCDIR
The capture is made here: scenario4-1, scenario4-4 and scenario2-1 of
pcaps/, merged in time order into one file, so that one run holds three
messages with the same hosts in between.

Timeline lines are "TIME [FLOW] CLIENT > SERVER  ...", a syslog line
"TIME [FLOW] SENDER  LOG ...", an anomaly "TIME ! ... [flow N]". The
truth for --host H: the unfiltered lines with H as client or server, or
as the sender of a syslog line; for --message: the unfiltered lines of the
flows that carried the message's copies (the JSON journey says which),
syslog lines that name one of its queue IDs or its Message-ID, and DNS
questions of hosts on its path; no other line. Exits 1 on any failure.
"""
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

sniff, src = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(src, "tests"))
from pcapfile import Pcap  # noqa: E402

failures = 0
LINE = re.compile(r"^\S+ \[(\d+)\] (\S+)(?: > (\S+))?  (\S+)")


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures += 1


def merge(paths, out):
    recs = []
    head = None
    for p in paths:
        data = open(p, "rb").read()
        pc = Pcap(data)
        if head and data[:4] != head[:4]:  # the lab writes them all alike
            raise SystemExit("%s: not the same pcap format as the others" % p)
        head = head or data[:24]
        for off, sec, frac, frame in pc.records():
            recs.append((sec, frac, data[off:off + 16 + len(frame)]))
    recs.sort(key=lambda r: (r[0], r[1]))
    with open(out, "wb") as f:
        f.write(head)
        for r in recs:
            f.write(r[2])


def run(args):
    env = dict(os.environ, TZ="UTC")
    p = subprocess.run([sniff] + args, capture_output=True, text=True, env=env)
    if p.returncode not in (0, 1):
        check(False, "smtpsniff %s exited %d: %s" % (" ".join(args), p.returncode, p.stderr[-300:]))
    return p.stdout


def timeline(text):
    """The timeline's own lines: up to the verify table or the journeys."""
    out = []
    for l in text.splitlines():
        if l.startswith("Journeys (") or l.startswith("Verdicts"):
            break
        if LINE.match(l) or " ! " in l[:20]:
            out.append(l)
    return out


def subsequence(small, big):
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


tmp = tempfile.mkdtemp()
cap = os.path.join(tmp, "three.pcap")
merge([os.path.join(src, "pcaps", n + ".pcap") for n in ("scenario4-1", "scenario4-4", "scenario2-1")],
      cap)
full = timeline(run(["-r", cap, "--no-journey"]))
check(len(full) > 100, "the merged capture gives a timeline (%d lines)" % len(full))

# --host: a name, then an address (which the timeline shows by its name).
js = [json.loads(l) for l in run(["-r", cap, "--json"]).splitlines() if l.startswith("{")]
names = {}
for o in js:
    for side in ("client", "server"):
        if o.get(side + "_name"):
            names[o[side]] = o[side + "_name"]
for host in ("dmarc.mx.b.test", "10.255.2.40"):
    shown = names.get(host, host)
    got = timeline(run(["-r", cap, "--no-journey", "--host", host]))
    want = [l for l in full if (lambda m: m and shown in (m.group(2), m.group(3)))(LINE.match(l))]
    check(subsequence(got, full), "--host %s: every line is a line of the unfiltered output" % host)
    diff = [l for l in got if l not in want] + [l for l in want if l not in got]
    check(got == want, "--host %s: exactly the %d lines with %s as client, server or sender "
          "(got %d%s)" % (host, len(want), shown, len(got), ", e.g. " + diff[0] if diff else ""))

# --message: by Subject pattern, by #N, by Message-ID.
journeys = [o for o in js if o["type"] == "journey"]
check(len(journeys) == 3, "three journeys in the merged capture (%d)" % len(journeys))
target = next(j for j in journeys if "scenario4-4" in (j.get("subject") or ""))
flows = {str(s["flow"]) for s in target["steps"] if s["step"] == "copy"}
ids = {s.get("queue_id") for s in target["steps"] if s.get("queue_id")} | {target["message_id"]}
hosts = set()
for s in target["steps"]:
    if s["step"] == "copy":
        hosts |= {s.get("client_name", s["client"]), s.get("server_name", s["server"])}
first = min(s["message"] for s in target["steps"] if s["step"] == "copy")
for spec in ("*scenario4-4*", "#%d" % first, "<%s>" % target["message_id"]):
    got = timeline(run(["-r", cap, "--no-journey", "--message", spec]))
    check(subsequence(got, full), "--message %s: every line is a line of the unfiltered output" % spec)
    flow_lines = [l for l in full if LINE.match(l) and LINE.match(l).group(1) in flows
                  and LINE.match(l).group(4) not in ("LOG", "DNS")]
    check(all(l in got for l in flow_lines),
          "--message %s: all %d lines of the flows that carried it" % (spec, len(flow_lines)))
    bad = []
    for l in got:
        m = LINE.match(l)
        if not m:
            continue
        if m.group(4) == "LOG":
            if not any(i and i in l for i in ids):
                bad.append(l)
        elif m.group(4) == "DNS":
            if m.group(2) not in hosts:
                bad.append(l)
        elif m.group(1) not in flows:
            bad.append(l)
    check(not bad, "--message %s: no line of another message (%s)" % (spec, bad[:1]))
    logs = [l for l in got if LINE.match(l) and LINE.match(l).group(4) == "LOG"]
    check(len(logs) >= 10, "--message %s: the servers' lines about it (%d)" % (spec, len(logs)))
    check(any(LINE.match(l).group(4) == "DNS" for l in got if LINE.match(l)),
          "--message %s: the DNS questions of its hosts" % spec)
    jn = [json.loads(l) for l in run(["-r", cap, "--json", "--message", spec]).splitlines()
          if '"type":"journey"' in l]
    check(len(jn) == 1 and jn[0]["message_id"] == target["message_id"],
          "--message %s --json: its journey alone" % spec)

# stdin cannot be read twice: the filter still works from the message on.
with open(cap, "rb") as f:
    p = subprocess.run([sniff, "-r", "-", "--no-journey", "--message", "*scenario4-4*"], stdin=f,
                       capture_output=True, text=True, env=dict(os.environ, TZ="UTC"))
got = timeline(p.stdout)
check(p.returncode in (0, 1) and got and subsequence(got, full),
      "--message from standard input: lines of the unfiltered output (%d)" % len(got))
bad = subprocess.run([sniff, "-r", cap, "--message", "#0"], capture_output=True, text=True)
check(bad.returncode == 2 and "#N" in bad.stderr, "--message '#0' is a usage error (exit %d)"
      % bad.returncode)
sys.exit(1 if failures else 0)
