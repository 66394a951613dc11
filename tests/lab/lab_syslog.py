#!/usr/bin/python3
"""lab_syslog.py SMTPSNIFF TOPDIR PCAP|DIR... - the servers' own log lines,
on the wire and on disk, against each other and against the mail on the
wire. A DIR stands for every NAME.pcap in it with a NAME.log.

Every lab host forwards its syslog over UDP 514 to the logserver
(10.255.0.253), which writes each line into one merged file; lab/record
keeps the part written during a capture as NAME.log beside NAME.pcap.
Both are independent records of what the daemons said: the datagrams as
the bridge carried them, the file as rsyslog wrote it. For each PCAP (with
PCAP's name but .log beside it):
  - the capture holds exactly the lines of the file (the logserver's own
    lines aside), host, tag (as the file's 24-column field shows it) and
    message alike, and for every Postfix queue ID in the file the lines
    naming it are the same in both;
  - each datagram comes from the address of the host it names;
  - every hop logged: for every message the capture shows accepted with
    "queued as QID", the accepting host's datagrams name QID (and say it
    was removed from the queue), and a lab host that passed it on says
    status=sent with QID; every POP3 or IMAP login has Dovecot's line;
  - the DNS server logged every answer the capture holds: for each
    answered query, the query log has the asking host, name and type.
Hosts and addresses come from lab/lib.sh. Exits 1 on any failure.
"""
import collections
import json
import os
import re
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pcapfile import Pcap  # noqa: E402
from syslogfmt import key, log_line, log_lines, wire_line  # noqa: E402

sniff, top = sys.argv[1], sys.argv[2]
pcaps = []
for a in sys.argv[3:]:
    if os.path.isdir(a):
        pcaps += sorted(os.path.join(a, f[:-4] + ".pcap") for f in os.listdir(a)
                        if f.endswith(".log") and os.path.exists(os.path.join(a, f[:-4] + ".pcap")))
    else:
        pcaps.append(a)
failures = 0


def fail(label, msg):
    global failures
    failures += 1
    print("FAIL %s: %s" % (label, msg))


def lab_hosts():
    """{name: address} of lab/lib.sh's hosts table."""
    text = open(os.path.join(top, "lab", "lib.sh")).read()
    net = re.search(r"^net=(\S+)", text, re.M).group(1)
    table = re.search(r'^hosts_table="(.*?)^"', text, re.M | re.S).group(1)
    out = {}
    for line in table.splitlines():
        f = line.split()
        if len(f) >= 2:
            out[f[0]] = f[1].replace("$net", net)
    return out


def datagrams(path):
    """(frame, source address, payload) of every IPv4 UDP datagram to port
    514 in a pcap file of Ethernet frames."""
    pcap = Pcap(open(path, "rb").read())
    if pcap.linktype != 1:
        raise SystemExit("%s: not Ethernet" % path)
    for frame, (_, _, _, pkt) in enumerate(pcap.records(), 1):
        if len(pkt) < 14 + 20 + 8 or pkt[12:14] != b"\x08\x00" or pkt[14 + 9] != 17:
            continue
        ihl = (pkt[14] & 15) * 4
        udp = pkt[14 + ihl:]
        if struct.unpack(">H", udp[2:4])[0] != 514:
            continue
        total = struct.unpack(">H", pkt[16:18])[0]
        yield frame, ".".join(str(b) for b in pkt[26:30]), udp[8:total - ihl]


def messages(pcap):
    out = subprocess.run([sniff, "-r", pcap, "--json"], capture_output=True, text=True)
    return [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]


hosts = lab_hosts()
logserver = hosts["logserver"]
by_addr = {a: n for n, a in hosts.items()}
lines_checked = 0
if not pcaps:
    fail(" ".join(sys.argv[3:]), "no recording with a log")
for pcap in pcaps:
    before = failures
    label = os.path.relpath(pcap, top) if pcap.startswith(top) else pcap
    log = pcap[:-5] + ".log"
    if not os.path.exists(log):
        fail(label, "no %s beside it" % os.path.basename(log))
        continue
    wire = []
    for frame, src, payload in datagrams(pcap):
        w = wire_line(payload)
        if not w:
            fail(label, "frame %d: not a syslog line: %r" % (frame, payload[:80]))
            continue
        if hosts.get(w[0]) != src:
            fail(label, "frame %d: a line of %s from %s" % (frame, w[0], src))
        wire.append(key(*w))
    disk = []
    for n, line in log_lines(log):
        d = log_line(line)
        if not d:
            fail(label, "%s line %d is not a merged-log line: %r" % (os.path.basename(log), n, line[:80]))
            continue
        if d[0] != "logserver":
            disk.append(key(*d))
    if not wire:
        fail(label, "no syslog datagram in the capture")
    w, d = collections.Counter(wire), collections.Counter(disk)
    for k in sorted((d - w).keys()):
        fail(label, "on disk, not on the wire: %s %s%s" % k)
    for k in sorted((w - d).keys()):
        fail(label, "on the wire, not on disk: %s %s%s" % k)
    qids = sorted({q for _, tag, msg in disk if tag.startswith("postfix/")
                   for q in re.findall(r"^ +([0-9A-F]{6,}):", msg)})
    for q in qids:
        mine = lambda lines: sorted(k for k in lines if re.search(r"\b%s\b" % q, k[2]))
        if mine(wire) != mine(disk):
            fail(label, "queue ID %s: the lines naming it differ between the capture and the log" % q)
    lines_checked += len(disk)

    # Every hop logged what the wire shows it did.
    objs = messages(pcap)
    said = collections.defaultdict(list)
    for host, _, msg in wire:
        said[host].append(msg)
    for m in objs:
        if m["type"] != "message" or m["proto"] != "smtp" or not m.get("queue_id"):
            continue
        q, server, client = m["queue_id"], by_addr.get(m["server"]), by_addr.get(m["client"])
        if not any(s.startswith(" %s: " % q) for s in said.get(server, [])):
            fail(label, "message #%d: %s accepted it as %s, but none of its lines name %s"
                 % (m["number"], server, q, q))
        elif " %s: removed" % q not in said[server]:
            fail(label, "message #%d: %s never logged %s as removed from its queue" % (m["number"], server, q))
        if client and client != "client.a.test" and not any(
                "status=sent (250 " in s and s.endswith("queued as %s)" % q) for s in said.get(client, [])):
            fail(label, "message #%d: %s passed it on as %s without a status=sent line"
                 % (m["number"], client, q))
    for o in objs:
        if o["type"] == "note" and o.get("what") == "login":
            if not any("Login: user=<user1>" in s for s in said.get("imap.b.test", [])):
                fail(label, "a %s login on the wire, no Dovecot login line" % o.get("proto", "?"))
    queries = [l for h, t, l in wire if h == "dns.test" and t.startswith("pdns_recursor")]
    for o in objs:
        if o["type"] != "dns" or o.get("status") != "answered" or not o["answer"] + o["authority"]:
            continue
        who = by_addr.get(o["client"], o["client"])
        pat = re.compile(r"^ *%s +\( *%s\) %s\.\s+\S*\s+IN\s+%s\b"
                         % (o["rcode"], re.escape(who), re.escape(o["qname"]), o["qtype"]))
        if not any(pat.search(l) for l in queries):
            fail(label, "frame %d: %s asked %s %s, the DNS server's log has no line of it"
                 % (o["frame"], who, o["qtype"], o["qname"]))
    print("%s %s: %d lines on the wire and on disk, %d queue IDs, %d messages"
          % ("ok  " if failures == before else "FAIL", label, len(disk), len(qids),
             sum(1 for m in objs if m["type"] == "message")))

print("%d recordings, %d log lines compared, %d failures" % (len(pcaps), lines_checked, failures))
sys.exit(1 if failures else 0)
