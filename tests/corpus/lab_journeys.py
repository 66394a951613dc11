#!/usr/bin/python3
"""lab_journeys.py - smtpsniff's journeys against the servers' own log files.

Usage: lab_journeys.py SMTPSNIFF DIR...
For every NAME.pcap with a NAME.log beside it (the lines the lab's log
server wrote to disk while the capture ran, lab/record), the path of each
message is built here from the log file alone, the way the Postfix guides
teach it (grep a queue ID, then follow "status=sent (250 ... queued as
NEXT)" to the next server), and compared with the "journey" records of
`smtpsniff -r NAME.pcap --json`:

- every chain of queue IDs in the log is one journey, whose hops carry the
  same queue IDs in the same order, at the same hosts, with the same
  Message-ID; a chain that ends in a local delivery ("status=sent
  (delivered to maildir)", LMTP) ends the journey in a delivery by that
  host;
- each hop's log lines are the lines of its host with its queue ID;
- the same capture without its syslog datagrams (the filter "not port
  514") read with --log NAME.log gives the same journeys.
Exits 1 on any failure.
"""
import collections
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from syslogfmt import log_line, log_lines  # noqa: E402

sniff = sys.argv[1]
failures = 0
# Postfix's queue IDs: short (hex) or long (enable_long_queue_ids); a word
# of lower case letters is a "warning:" or the like.
QID = re.compile(r"(?![a-z]+:)([0-9A-Za-z]{5,20}): (.*)\Z", re.S)


def fail(label, msg):
    global failures
    failures += 1
    print("FAIL %s: %s" % (label, msg))


def from_log(path):
    """The chains of (host, queue ID) the log file shows, each with its
    Message-ID and its final delivery (host, status) or None."""
    nodes = collections.OrderedDict()  # (host, qid) -> facts
    for _, line in log_lines(path):
        parsed = log_line(line)
        if not parsed:
            continue
        host, tag, msg = parsed
        if not tag.startswith("postfix"):
            continue
        m = QID.match(msg.strip())
        if not m or m.group(1) == "NOQUEUE":
            continue
        qid, rest = m.group(1), m.group(2)
        n = nodes.setdefault((host, qid), {"msgid": None, "next": [], "local": None})
        mid = re.match(r"message-id=<(.*)>\Z", rest)
        if mid:
            n["msgid"] = mid.group(1)
        d = re.match(r"to=<([^>]*)>,.* relay=([^,]+),.* status=(\w+) \((.*)\)\Z", rest)
        if d:
            program = tag.split("[")[0].split("/")[-1]
            queued = re.search(r"queued as ([0-9A-Za-z]+)\)?\Z", d.group(4))
            if d.group(3) == "sent" and queued and program != "lmtp":
                n["next"].append(queued.group(1))
            else:
                n["local"] = (host, d.group(3))
    by_qid = {q: (h, q) for (h, q) in nodes}
    targets = {by_qid[q] for n in nodes.values() for q in n["next"] if q in by_qid}
    chains = []

    def walk(node, path):
        path = path + [node]
        nexts = [by_qid[q] for q in nodes[node]["next"] if q in by_qid]
        if not nexts:
            chains.append(path)
        for nx in nexts:
            walk(nx, path)

    for node in nodes:
        if node not in targets:
            walk(node, [])
    out = []
    for path in chains:
        msgid = next((nodes[n]["msgid"] for n in path if nodes[n]["msgid"]), None)
        out.append({"hops": path, "msgid": msgid, "local": nodes[path[-1]]["local"]})
    return out


def relay_host(relay):
    return relay.split("[")[0] if relay else None


def journeys(args, label):
    out = subprocess.run([sniff, "--json"] + args, capture_output=True, text=True)
    if out.returncode not in (0, 1):
        fail(label, "smtpsniff %s exited %d: %s" % (" ".join(args), out.returncode,
                                                     out.stderr[-300:]))
    objs = [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]
    return [o for o in objs if o["type"] == "journey"]


def hops_of(j):
    """(host, queue ID) of each queue of a journey, in order: the host is
    the one whose log lines the step holds (a server may call itself
    otherwise than the capture's DNS names its address)."""
    hops = []
    for s in j["steps"]:
        if s["step"] in ("copy", "queue", "log_hop") and s.get("queue_id"):
            hosts = {l.get("host") for l in s.get("log", [])
                     if l.get("queue_id") == s["queue_id"]}
            host = hosts.pop() if len(hosts) == 1 else (
                relay_host(s.get("to_host")) or s.get("host") or s.get("server_name"))
            hops.append((host, s["queue_id"]))
    return hops


def comparable(j):
    """A journey without what differs between the wire and a file: flow
    numbers, frames, times."""
    steps = []
    for s in j["steps"]:
        t = {k: v for k, v in s.items() if k not in ("flow", "time", "frame", "held_ms")}
        if "encrypted_flow" in t:  # a flow number too: that there is one
            t["encrypted_flow"] = True
        t["log"] = [{k: v for k, v in l.items() if k not in ("time", "frame")}
                    for l in s.get("log", [])]
        steps.append(t)
    return {"message_id": j.get("message_id"), "steps": steps}


def check(pcap):
    label = os.path.relpath(pcap)
    log = pcap[:-5] + ".log"
    chains = from_log(log)
    # A recording with TLS (pcaps/tls/) is read with its key log.
    keys = pcap[:-5] + ".keylog"
    keylog = ["--keylog", keys] if os.path.exists(keys) else []
    got = journeys(["-r", pcap] + keylog, label)
    for c in chains:
        want = [(h, q) for h, q in c["hops"]]
        match = [j for j in got if [q for _, q in hops_of(j)] == [q for _, q in want]]
        if len(match) != 1:
            fail(label, "queue IDs %s: %d journeys carry them (%s)"
                 % ([q for _, q in want], len(match), [hops_of(j) for j in got]))
            continue
        j = match[0]
        if hops_of(j) != want:
            fail(label, "hosts: log %s, journey %s" % (want, hops_of(j)))
        if c["msgid"] and j.get("message_id") != c["msgid"]:
            fail(label, "Message-ID: log %s, journey %s" % (c["msgid"], j.get("message_id")))
        if c["local"]:
            ends = [s for s in j["steps"] if s["step"] in ("delivered", "failed")]
            if not any(s.get("host") == c["local"][0] and s.get("status") == c["local"][1]
                       for s in ends) and not any(
                    l.get("status") == c["local"][1] and l.get("host") == c["local"][0]
                    for s in j["steps"] for l in s.get("log", [])):
                fail(label, "the log's last delivery %s is not in the journey" % (c["local"],))
        for s in j["steps"]:
            if s["step"] in ("copy", "queue") and s.get("queue_id"):
                ids = {l.get("queue_id") for l in s.get("log", [])}
                if ids != {s["queue_id"]}:
                    fail(label, "message %s, queue %s: log lines of %s"
                         % (s["message"], s["queue_id"], ids))
    print("%s: %d journeys, %d queue chains in the log" % (label, len(got), len(chains)))
    # The same from the file, the datagrams left out.
    from_file = journeys(["-r", pcap, "--log", log] + keylog + ["not", "port", "514"],
                         label + " --log")
    a = sorted(json.dumps(comparable(j), sort_keys=True) for j in got)
    b = sorted(json.dumps(comparable(j), sort_keys=True) for j in from_file)
    if a != b:
        fail(label, "--log gives other journeys than the wire:\n  wire %s\n  file %s"
             % (a, b))


pcaps = []
for d in sys.argv[2:]:
    pcaps += sorted(os.path.join(d, f[:-4] + ".pcap") for f in os.listdir(d)
                    if f.endswith(".log") and os.path.exists(os.path.join(d, f[:-4] + ".pcap")))
if not pcaps:
    fail(" ".join(sys.argv[2:]), "no recording with a log")
for p in pcaps:
    check(p)
sys.exit(1 if failures else 0)
