#!/usr/bin/python3
"""lab_logs.py - smtpsniff's syslog records against the logserver's file.

Usage: lab_logs.py SMTPSNIFF DIR...
For every NAME.pcap in a DIR with a NAME.log beside it (the lines the
logserver wrote while the capture ran, lab/record), the "log" records of
`smtpsniff -r NAME.pcap --json` must be exactly the lines of NAME.log that
came over the wire: the file's lines but the logserver's own, host, tag and
message alike, each as often as the file has it (tests/syslogfmt.py pairs
them as tests/lab/lab_syslog.py does). A record's tag is its app, [pid] and
the colon; its message has the one SP after the tag that the dissector drops.
Every record must also be RFC 3164 with a PRI, a timestamp and a frame, and
smtpsniff must raise no syslog event. Exits 1 on any failure.
"""
import collections
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from syslogfmt import key, log_line, log_lines  # noqa: E402

sniff = sys.argv[1]
failures = 0


def fail(label, msg):
    global failures
    failures += 1
    print("FAIL %s: %s" % (label, msg))


def wire_text(s):
    """A JSON string of wire bytes as the file has them: json_str writes a
    byte that is no ASCII as \\u00XX, the file is UTF-8."""
    try:
        return s.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return s


def records(pcap, label):
    out = subprocess.run([sniff, "-r", pcap, "--json"], capture_output=True, text=True)
    if out.returncode not in (0, 1):
        fail(label, "smtpsniff exited %d: %s" % (out.returncode, out.stderr[-300:]))
    objs = [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]
    for o in objs:
        if o["type"] == "anomaly" and o["layer"] == "syslog":
            fail(label, "frame %s: %s: %s" % (o.get("frame"), o["what"], o["detail"]))
    return [o for o in objs if o["type"] == "log"]


pcaps = []
for d in sys.argv[2:]:
    pcaps += sorted(os.path.join(d, f[:-4] + ".pcap") for f in os.listdir(d)
                    if f.endswith(".log") and os.path.exists(os.path.join(d, f[:-4] + ".pcap")))
if not pcaps:
    fail(" ".join(sys.argv[2:]), "no recording with a log")
for pcap in pcaps:
    before = failures
    label = os.path.relpath(pcap)
    got = []
    for o in records(pcap, label):
        if o.get("syslog") != "rfc3164" or "facility" not in o or "timestamp" not in o \
                or "frame" not in o or "host" not in o:
            fail(label, "not a whole RFC 3164 record: %s" % json.dumps(o)[:200])
            continue
        tag = wire_text(o.get("app", ""))
        if "pid" in o:
            tag += "[%d]" % o["pid"]
        elif "procid" in o:
            tag += "[%s]" % wire_text(o["procid"])
        got.append(key(o["host"], tag + ":", " " + wire_text(o["message"])))
    disk = []
    for n, line in log_lines(pcap[:-5] + ".log"):
        d = log_line(line)
        if not d:
            fail(label, "line %d is not a merged-log line: %r" % (n, line[:80]))
        elif d[0] != "logserver":
            disk.append(key(*d))
    g, d = collections.Counter(got), collections.Counter(disk)
    for k in sorted((d - g).keys()):
        fail(label, "in the log, no record: %s %s%s" % k)
    for k in sorted((g - d).keys()):
        fail(label, "a record, not in the log: %s %s%s" % k)
    print("%s %s: %d records, %d lines" % ("ok  " if failures == before else "FAIL", label,
                                         len(got), len(disk)))
sys.exit(1 if failures else 0)
