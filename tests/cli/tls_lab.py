#!/usr/bin/python3
"""tls_lab.py - the lab's recordings with TLS (pcaps/tls/, lab/record --tls),
decrypted with their key logs, held against what the servers wrote to
disk, against the plaintext recordings of the same scenarios (pcaps/), and
against tshark's decryption of the same captures with the same key logs.

Usage: tls_lab.py SMTPSNIFF SRC

For each scenario (pcaps/tls/scenarioX-Y.pcap with .keylog and .eml):
- every TLS session decrypts: no tls_no_key, tls_bad_record_mac or other
  TLS failure event, and each hop's message comes out;
- each hop's message is, byte for byte, the end of the message Postfix
  wrote into user1's Maildir (NAME.eml: every hop prepends its lines;
  Maildir keeps LF where the wire has CRLF, the one change made before
  comparing), and the number of hops is the plaintext recording's;
- each hop's commands and reply codes are the plaintext recording's hop's,
  apart from what TLS adds: STARTTLS with the EHLO before it (RFC 3207 4.2:
  the session starts over), and on the client's hop the submission's AUTH
  and EHLO for the telnet client's HELO;
- --verify: smtpsniff's verdicts (method, result, domain, selector, and
  whether they agree with the receiver's) are the plaintext recording's,
  and on the checking hop each agrees with what the receiver wrote;
- tshark, given the same key log, lists the same client commands on each
  hop up to the DATA (tshark 4.0 shows none after the message on a
  decrypted SMTP session), pipelined ones one by one.
For pop3, imap (STLS, STARTTLS) and pop3s, imaps (implicit TLS, pop3s at
TLS 1.2): the commands (IMAP tags aside) and reply statuses are the
plaintext recording's but for STLS/STARTTLS, and every message retrieved is
the Maildir file of its scenario (pcaps/tls/scenarioX-Y.eml), byte for byte
but CRLF, as tshark lists the same commands.
scenario4-4-dsb.pcapng (the secrets inside, a Decryption Secrets Block)
read without --keylog gives what the pcap with --keylog gives. Controls
that must differ: without a key log, or with another recording's, no hop's
message comes out, and the journey says each relay hop was encrypted, with
its flow.
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

binary, src = sys.argv[1], sys.argv[2]
TLS = os.path.join(src, "pcaps", "tls")
PLAIN = os.path.join(src, "pcaps")
TLS_FAILURES = ("tls_no_key", "tls_bad_record_mac", "tls_unsupported", "tls_decrypt",
                "tls_gap", "tls_truncated", "tls_resync")

failures = checks = 0


def check(ok, what, detail=""):
    global failures, checks
    checks += 1
    if ok:
        print("ok   " + what)
    else:
        failures += 1
        print("FAIL " + what + (":\n  " + str(detail) if detail else ""))


def sniff(capture, *extra):
    r = subprocess.run([binary, "-r", capture, "--json"] + list(extra), capture_output=True)
    out = []
    for line in r.stdout.decode("utf-8", "replace").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            out.append({"type": "unparsable", "line": line})
    return out


def exported(capture, *extra):
    """The messages smtpsniff exports, in order: (proto, bytes)."""
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([binary, "-r", capture, "--export", d + "/x"] + list(extra),
                       capture_output=True)
        return [(os.path.basename(f).split("-", 1)[1][:-4], open(f, "rb").read())
                for f in sorted(glob.glob(d + "/x/*.eml"))]


def lf(b):
    return b.replace(b"\r\n", b"\n")


def events(recs):
    return [r.get("what") for r in recs if r.get("type") == "anomaly"]


def sessions(recs, proto):
    """Per flow, in order: (verb, code or status) of each exchange."""
    flows = {}
    for r in recs:
        if r.get("type") != proto:
            continue
        reply = r.get("reply") or ""
        if proto == "smtp":
            status = r.get("code")
        elif proto == "pop3":
            status = reply.split(" ", 1)[0]
        else:  # IMAP: the tagged reply's status, the tag aside
            last = reply.splitlines()[-1] if reply else ""
            status = last.split(" ")[1] if last.count(" ") else last
        flows.setdefault(r["flow"], []).append((r.get("verb"), status))
    return [flows[f] for f in sorted(flows)]


def without_tls(s, client_hop=False):
    """A hop's exchanges less what TLS adds (see the top)."""
    out = list(s)
    for i, (verb, _) in enumerate(out):
        if verb in ("STARTTLS", "STLS"):
            del out[i]
            if i and out[i - 1][0] in ("EHLO", "HELO", "CAPA", "CAPABILITY"):
                del out[i - 1]
            break
    if client_hop:
        out = [("EHLO" if v == "HELO" else v, c) for v, c in out if v != "AUTH"]
    return out


def verdicts(recs):
    return sorted((r.get("role"), r.get("method"), r.get("result"), r.get("domain"),
                   r.get("selector"), r.get("agreement")) for r in recs if r.get("type") == "verdict")


def tshark_commands(capture, keylog):
    """Per TCP stream, the client commands tshark decrypts, one by one."""
    r = subprocess.run(["tshark", "-r", capture, "-o", "tls.keylog_file:" + keylog, "-Y",
                        "smtp.req || pop.request || imap.request", "-T", "fields",
                        "-E", "occurrence=a", "-E", "aggregator=\x01", "-e", "tcp.stream",
                        "-e", "smtp.req.command", "-e", "pop.request.command",
                        "-e", "imap.request"], capture_output=True)
    streams = {}
    for line in r.stdout.decode("utf-8", "replace").splitlines():
        f = line.split("\t")
        cmds = [c for c in f[1:] if c]
        for c in (cmds[0].split("\x01") if cmds else []):
            if f[3:4] and f[3]:  # IMAP: the verb after the tag
                c = c.split(" ")[1] if " " in c else c
            streams.setdefault(int(f[0]), []).append(c.upper())
    return [streams[k] for k in sorted(streams)]


def sniff_commands(recs, proto):
    return [[v for v, _ in s if v] for s in sessions(recs, proto)]


def tshark_same(name, capture, keylog, recs, proto):
    want = tshark_commands(capture, keylog)
    got = sniff_commands(recs, proto)
    if proto == "smtp":
        # tshark's SMTP dissector splits "STARTTLS" as "STAR" "TLS" and
        # shows nothing after DATA once decrypted: compared up to DATA.
        want = [["STARTTLS" if c == "STAR" else c for c in s] for s in want]
        got = [s[:s.index("DATA") + 1] if "DATA" in s else s for s in got]
    check(want == got and len(got) > 0, "%s: tshark decrypts the same commands" % name,
          "tshark %s\n  smtpsniff %s" % (want, got))


KEYS = lambda name: os.path.join(TLS, name + ".keylog")  # noqa: E731

scenarios = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(TLS, "scenario*.eml")))
check(len(scenarios) == 10, "ten scenarios recorded with TLS", scenarios)
for name in scenarios:
    cap = os.path.join(TLS, name + ".pcap")
    plain = os.path.join(PLAIN, name + ".pcap")
    eml = open(os.path.join(TLS, name + ".eml"), "rb").read()
    recs = sniff(cap, "--keylog", KEYS(name), "--verify")
    precs = sniff(plain, "--verify")
    bad = [e for e in events(recs) if e in TLS_FAILURES]
    check(not bad, "%s: every TLS session decrypts" % name, bad)
    hs = [r for r in recs if r.get("type") == "tls" and r.get("what") == "handshake"]
    check(len(hs) == len(sessions(recs, "smtp")), "%s: every SMTP hop is TLS (%d)" % (name, len(hs)))
    msgs = [b for p, b in exported(cap, "--keylog", KEYS(name)) if p == "smtp"]
    pmsgs = [b for p, b in exported(plain) if p == "smtp"]
    check(len(msgs) == len(pmsgs) and msgs, "%s: %d hops, as in the plaintext recording" % (name, len(msgs)),
          "%d against %d" % (len(msgs), len(pmsgs)))
    for i, m in enumerate(msgs):
        check(lf(eml).endswith(lf(m)), "%s: hop %d's message is the end of the Maildir file, byte for byte"
              % (name, i + 1))
    ts, ps = sessions(recs, "smtp"), sessions(precs, "smtp")
    same = len(ts) == len(ps) and all(without_tls(t, i == 0) == without_tls(p, i == 0)
                                      for i, (t, p) in enumerate(zip(ts, ps)))
    check(same, "%s: each hop's commands and reply codes are the plaintext recording's" % name,
          "tls %s\n  plain %s" % ([without_tls(t, i == 0) for i, t in enumerate(ts)],
                                  [without_tls(p, i == 0) for i, p in enumerate(ps)]))
    check(verdicts(recs) == verdicts(precs) and verdicts(recs),
          "%s: the verdicts are the plaintext recording's" % name,
          "tls %s\n  plain %s" % (verdicts(recs), verdicts(precs)))
    # What the receiver checked (each MX checks only what it is for).
    checked = [v for v in verdicts(recs) if v[0] == "checking" and v[5] != "unchecked"]
    if os.path.getsize(os.path.join(TLS, name + ".verdicts")):
        check(checked and all(v[5] == "agree" for v in checked),
              "%s: on the checking hop each verdict the receiver wrote agrees with smtpsniff's" % name,
              checked)
    tshark_same(name, cap, KEYS(name), recs, "smtp")

mailbox = {}
for name in scenarios:
    mailbox[name] = lf(open(os.path.join(TLS, name + ".eml"), "rb").read())
for name, proto, plain in (("pop3", "pop3", "pop3"), ("imap", "imap", "imap"),
                           ("pop3s", "pop3", "pop3"), ("imaps", "imap", "imap")):
    cap = os.path.join(TLS, name + ".pcap")
    recs = sniff(cap, "--keylog", KEYS(name))
    precs = sniff(os.path.join(PLAIN, plain + ".pcap"))
    bad = [e for e in events(recs) if e in TLS_FAILURES]
    check(not bad, "%s: the TLS session decrypts" % name, bad)
    hs = [r for r in recs if r.get("type") == "tls" and r.get("what") == "handshake"]
    want = "TLS 1.2" if name == "pop3s" else "TLS 1.3"
    check(len(hs) == 1 and hs[0].get("version") == want, "%s: one %s handshake" % (name, want),
          [h.get("version") for h in hs])
    t, p = sessions(recs, proto), sessions(precs, proto)
    check(len(t) == 1 and without_tls(t[0]) == without_tls(p[0]),
          "%s: commands and reply statuses are the plaintext recording's" % name,
          "tls %s\n  plain %s" % (t, p))
    got = [lf(b) for pr, b in exported(cap, "--keylog", KEYS(name)) if pr == proto]
    subjects = [re.search(rb"^Subject: (scenario\d-\d) ", m, re.M) for m in got]
    ok = len(got) == len(mailbox) and all(s and mailbox.get("scenario" + s.group(1).decode()[8:]) == m
                                          for s, m in zip(subjects, got))
    check(ok, "%s: the %d messages retrieved are the Maildir files, byte for byte" % (name, len(got)))
    tshark_same(name, cap, KEYS(name), recs, proto)

# The secrets inside the pcapng, and the controls.
cap = os.path.join(TLS, "scenario4-4.pcap")
key = lambda r: json.dumps({k: v for k, v in r.items() if k != "input"}, sort_keys=True)  # noqa: E731
a = [key(r) for r in sniff(cap, "--keylog", KEYS("scenario4-4"), "--verify")]
b = [key(r) for r in sniff(os.path.join(TLS, "scenario4-4-dsb.pcapng"), "--verify")]
check(a == b and a, "scenario4-4-dsb.pcapng without --keylog: what the pcap gives with its key log",
      "%d records against %d" % (len(b), len(a)))
for what, extra in (("without a key log", []), ("with another recording's key log",
                                                   ["--keylog", KEYS("scenario4-1")])):
    recs = sniff(cap, "--verify", *extra)
    msgs = [r for r in recs if r.get("type") == "message"]
    check(not msgs, "scenario4-4 %s: no hop's message comes out" % what, len(msgs))
    steps = [s for r in recs if r.get("type") == "journey" for s in r.get("steps", [])]
    enc = [s.get("encrypted_flow") for s in steps if s.get("step") == "log_hop"]
    tls_flows = sorted(r["flow"] for r in recs if r.get("type") == "tls" and r.get("what") == "handshake"
                       and r.get("server_port") == 25)
    check(len(enc) == 2 and sorted(enc) == tls_flows,
          "scenario4-4 %s: the journey says each relay hop was encrypted, with its flow" % what,
          "steps %s, TLS flows to port 25 %s" % (enc, tls_flows))
    if extra:
        check("tls_no_key" in events(recs), "scenario4-4 %s: tls_no_key said" % what)

print("%d checks, %d failed" % (checks, failures))
sys.exit(1 if failures else 0)
