#!/usr/bin/python3
"""lmtp.py - LMTP (RFC 2033) as a real Postfix lmtp(8) client and a real
Dovecot LMTP server spoke it (pcaps/lmtp.*, made by lab/record-lmtp),
against what they wrote to disk and logged.

Usage: lmtp.py SMTPSNIFF PCAPS_DIR
The truth, from files smtpsniff never saw:
  - the message on the wire is lmtp.delivered (user1's Maildir file, as
    Dovecot wrote it) without the fields Dovecot's LMTP server put on top
    (Return-Path, Delivered-To, its Received "with LMTP"), line ends made
    CRLF; and that must be Postfix's Received field followed by
    lmtp.injected (what sendmail(1) was given), or the recording is wrong;
  - what became of each recipient is Postfix's lmtp(8) line in lmtp.log:
    status=sent (REPLY) or status=bounced (host H said: REPLY (in reply to
    COMMAND command)).
Checks, on `smtpsniff -r lmtp.pcap --json --export DIR`:
  1. the one message exported from the LMTP flow is the truth, byte for byte;
  2. each recipient refused at RCPT has its RCPT record with Postfix's reply;
  3. each recipient accepted at RCPT has, in the message record's list of
     per-recipient results after the final dot (RFC 2033 4.2), Postfix's
     reply for it, and the list holds no other recipient (one refused at
     RCPT may be there only with its RCPT reply);
  4. every reply on the LMTP flow answered a command (no
     reply_without_command anomaly: a per-recipient reply taken for the
     reply to the next command leaves one over).
The names of the per-recipient results are set in one place, RESULTS below.
Exits 1 on any failure.
"""
import collections
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

# Where a "message" record keeps its per-recipient results after the final
# dot, and the members of each: a list of {"rcpt": ..., "code": ..., "reply": ...}.
RESULTS = {"list": "deliveries", "rcpt": "rcpt", "code": "code", "reply": "reply"}

sniff, pcaps = sys.argv[1], sys.argv[2]
NAME = "lmtp"
LMTP_PORT = 24
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL " + msg)


def ok(msg):
    print("ok   " + msg)


def path(ext):
    return os.path.join(pcaps, NAME + ext)


def header_fields(data):
    """The header fields of a message with LF line ends, each folded as
    written."""
    out, off = [], 0
    while off < len(data) and data[off:off + 1] != b"\n":
        end = data.index(b"\n", off) + 1
        while data[end:end + 1] in (b" ", b"\t"):
            end = data.index(b"\n", end) + 1
        out.append(data[off:end])
        off = end
    return out


def truth():
    """The message as the LMTP client sent it, from lmtp.delivered, checked
    against lmtp.injected."""
    delivered = open(path(".delivered"), "rb").read()
    injected = open(path(".injected"), "rb").read()
    drop = 0
    for f in header_fields(delivered):
        name = f.split(b":", 1)[0].lower()
        if name in (b"return-path", b"delivered-to") or (name == b"received" and b" with LMTP" in f):
            drop += len(f)
        else:
            break
    sent = delivered[drop:]
    first = header_fields(sent)[0]
    if not first.startswith(b"Received: by ") or b"(Postfix" not in first or sent[len(first):] != injected:
        raise SystemExit("FAIL the recording: %s without Dovecot's fields is not Postfix's Received field "
                         "and %s" % (path(".delivered"), path(".injected")))
    return sent.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def log_results():
    """{recipient: (status, code, reply, command)} from Postfix's lmtp(8)
    lines in lmtp.log; command is what the reply answered ("RCPT TO",
    "end of DATA")."""
    out = {}
    for line in open(path(".log"), encoding="utf-8", errors="replace"):
        m = re.search(r" postfix/lmtp\[\d+\]: +[0-9A-F]+: to=<([^>]*)>, .*?\bstatus=(\w+) \((.*)\)$",
                      line.rstrip("\n"))
        if not m:
            continue
        rcpt, status, what = m.groups()
        s = re.match(r"^host \S+ said: (.*) \(in reply to (.*) command\)$", what)
        reply, command = (s.group(1), s.group(2)) if s else (what, "end of DATA")
        out[rcpt.lower()] = (status, int(reply[:3]), reply, command)
    if not out:
        raise SystemExit("FAIL the recording: no postfix/lmtp line with a status in " + path(".log"))
    return out


def reply_text(code, reply):
    """A reply as Postfix logs it: its lines joined by spaces, the code
    only at the front."""
    lines = [re.sub(r"^\d{3}[- ]?", "", l) for l in str(reply).split("\n")]
    return " ".join([str(code)] + [l for l in lines if l]).split()


def bare(addr):
    return str(addr).strip().strip("<>").lower()


want_bytes = truth()
results = log_results()
with tempfile.TemporaryDirectory() as out:
    run = subprocess.run([sniff, "-r", path(".pcap"), "--json", "--export", out],
                         capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit("FAIL smtpsniff exited %d: %s" % (run.returncode, run.stderr.strip()))
    records = [json.loads(l) for l in run.stdout.splitlines() if l.startswith("{")]
    index = json.load(open(os.path.join(out, "index.json")))
    exported = [(m, open(os.path.join(out, m["file"]), "rb").read()) for m in index
                if m["proto"] == "lmtp" and m["hop"]["server_port"] == LMTP_PORT]

# 1. The bytes.
if len(exported) != 1:
    fail("%d messages exported from the LMTP flow, want 1" % len(exported))
else:
    got = exported[0][1]
    if got == want_bytes:
        ok("the message exported is the one on the wire, byte for byte (%d bytes, sha256 %s)"
           % (len(got), hashlib.sha256(got).hexdigest()[:16]))
    else:
        at = next((i for i, (a, b) in enumerate(zip(got, want_bytes)) if a != b),
                  min(len(got), len(want_bytes)))
        fail("the message exported (%d bytes) is not the one on the wire (%d bytes): they differ from "
             "byte %d: exported %r, on the wire %r" % (len(got), len(want_bytes), at, got[at:at + 40],
                                                       want_bytes[at:at + 40]))

lmtp = [r for r in records if r.get("server_port") == LMTP_PORT]
flows = {r["flow"] for r in lmtp}
messages = [r for r in lmtp if r["type"] == "message"]
accepted = sorted(r for r, v in results.items() if v[3] != "RCPT TO")
refused = sorted(r for r, v in results.items() if v[3] == "RCPT TO")

# 2. Refused at RCPT.
for rcpt in refused:
    status, code, reply, _ = results[rcpt]
    rec = [r for r in lmtp if r["type"] == "lmtp" and r.get("verb") == "RCPT"
           and re.search(r"<%s>" % re.escape(rcpt), r.get("command") or "", re.I)]
    if len(rec) != 1:
        fail("%s: %d RCPT records name it, want 1" % (rcpt, len(rec)))
    elif rec[0]["code"] != code or reply_text(rec[0]["code"], rec[0]["reply"]) != reply.split():
        fail("%s: refused at RCPT with %r (Postfix: %s), smtpsniff says %s %r"
             % (rcpt, reply, status, rec[0]["code"], rec[0]["reply"]))
    else:
        ok("%s: refused at RCPT: %s (Postfix: status=%s)" % (rcpt, reply, status))

# 3. The per-recipient results after the final dot.
if len(messages) != 1:
    fail("%d message records on the LMTP flow, want 1" % len(messages))
else:
    m = messages[0]
    if sorted(bare(r) for r in m.get("rcpt", [])) != accepted:
        fail("the message's recipients are %s; accepted at RCPT (Postfix's log) were %s"
             % (m.get("rcpt"), accepted))
    got = m.get(RESULTS["list"])
    if not isinstance(got, list):
        fail('the message record has no list "%s" of per-recipient results (RFC 2033 4.2): '
             "Postfix logged %s" % (RESULTS["list"], "; ".join(
                 "%s %s %s" % (r, results[r][0], results[r][2]) for r in accepted)))
    else:
        by = collections.defaultdict(list)
        for d in got:
            by[bare(d.get(RESULTS["rcpt"]))].append(d)
        for rcpt in accepted:
            status, code, reply, _ = results[rcpt]
            ds = by.pop(rcpt, [])
            if len(ds) != 1:
                fail("%s: %d per-recipient results, want 1 (Postfix: status=%s, %s)"
                     % (rcpt, len(ds), status, reply))
                continue
            d = ds[0]
            if d.get(RESULTS["code"]) != code or \
                    reply_text(d.get(RESULTS["code"]), d.get(RESULTS["reply"])) != reply.split():
                fail("%s: after the final dot Postfix got %r (status=%s), smtpsniff says %s %r"
                     % (rcpt, reply, status, d.get(RESULTS["code"]), d.get(RESULTS["reply"])))
            else:
                ok("%s: after the final dot: %s (Postfix: status=%s)" % (rcpt, reply, status))
        for rcpt, ds in sorted(by.items()):
            if rcpt in refused and all(d.get(RESULTS["code"]) == results[rcpt][1] for d in ds):
                continue
            fail("%s: per-recipient results %s for a recipient %s" % (
                rcpt, ds, "refused at RCPT" if rcpt in refused else "Postfix never named"))

# 4. Every reply answered a command.
unpaired = [r for r in records if r["type"] == "anomaly" and r.get("flow") in flows
            and r.get("what") == "reply_without_command"]
for a in unpaired:
    fail("frame %s: a reply on the LMTP flow answered no command (%s)" % (a.get("frame"), a.get("detail")))
if not unpaired:
    ok("every reply on the LMTP flow answered a command")

print("%d failures" % failures)
sys.exit(1 if failures else 0)
