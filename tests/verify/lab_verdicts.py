#!/usr/bin/python3
"""lab_verdicts.py SMTPSNIFF SRCDIR - smtpsniff --verify on every lab
recording of both verifier sets, against independent truth: the RFCs'
verdicts and what the lab's real verifiers wrote, both in each capture's
NAME.notes (lab/record wrote them; lab/rfc-verdicts gives the RFC
reasoning, lab/verifier-notes the verifiers' faults).

For the hop into the checking MX (spf.mx, dkim.mx or dmarc.mx.b.test), and
for every method the .notes file lists (the methods that receiver checks):
  - smtpsniff's result is the RFC's, and never "unknown": every answer the
    verdict needs is in the capture;
  - the receiver's result, as smtpsniff read it from the copy the MX passed
    on, is what the verifier wrote;
  - the agreement is "agree" when those two are the same, "disagree" when
    not, and every disagreement is one lab/verifier-notes explains.
Across all hops of all recordings: upstream's rspamd set (pcaps/) agrees
with the RFCs everywhere, as the book shows it; the second set
(pcaps/opendkim/) disagrees exactly once, in 4-4's DMARC, where OpenDMARC
1.4.2 wrote pass. smtpsniff exits 1 exactly for the captures with a
disagreement. Where Debian's libopendmarc is installed, the cause
lab/verifier-notes gives is checked too: opendmarc_reverse_domain() makes
x.test, y.test and a.test one and the same.
A path without a checking MX (1-1, 1-2): no receiver verdict at all.
"""
import ctypes
import ctypes.util
import json
import os
import subprocess
import sys

sniff, src = sys.argv[1:3]
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL " + msg)


def notes(path):
    """{method: (rfc, written, why)} of a NAME.notes file; {} for none."""
    rows = {}
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        p = line.split()
        if p[0] == "none":
            return {}
        rfc, written = p[1], p[2].split("=", 1)[1]
        why = line.split("DIFFERS:", 1)[1].strip() if "DIFFERS:" in line else ""
        rows[p[0]] = (rfc, written, why)
    return rows


def verdicts(pcap):
    out = subprocess.run([sniff, "-r", pcap, "--verify", "--json"], capture_output=True, text=True)
    if out.returncode not in (0, 1):
        fail("%s: exit %d: %s" % (pcap, out.returncode, out.stderr))
        return [], out.returncode
    v = [json.loads(l) for l in out.stdout.splitlines() if l.startswith('{"type":"verdict"')]
    return v, out.returncode


def on_mx_hop(v):
    name = v["hop"].get("server_name", "")
    return name.endswith(".mx.b.test") and not name.startswith("plain.")


def mx_hop(vs):
    """The verdicts of the hop into a checking MX, keyed by method. SPF's
    HELO identity is left out: the receivers' fields carry the MAIL FROM
    identity only (what the .notes files list)."""
    by = {}
    for v in vs:
        if not on_mx_hop(v):
            continue
        if v["method"] == "spf" and v["props"].get("identity") != "mailfrom":
            continue
        by.setdefault(v["method"], []).append(v)
    return by


checked = 0
disagreements = {"rspamd": [], "opendkim": []}
for set_name, sub in (("rspamd", ""), ("opendkim", "opendkim")):
    d = os.path.join(src, "pcaps", sub)
    names = sorted(f[:-6] for f in os.listdir(d)
                   if f.endswith(".notes") and (f.startswith("scenario") or f.startswith("journey")))
    if len(names) < 10:
        fail("%s: %d recordings with notes, want the ten scenarios" % (d, len(names)))
    for name in names:
        pcap = os.path.join(d, name + ".pcap")
        label = (sub + "/" if sub else "") + name
        exp = notes(os.path.join(d, name + ".notes"))
        vs, code = verdicts(pcap)
        for v in vs:
            if v["agreement"] == "disagree":
                disagreements[set_name].append((name, v["method"]))
        if not exp:
            theirs = [v for v in vs if v["receiver"] and v["receiver"]["result"]]
            if theirs:
                fail("%s: no checking MX, yet a receiver verdict was read: %s" % (label, theirs[0]))
            if code != 0:
                fail("%s: exit status %d, want 0" % (label, code))
            checked += 1
            continue
        # Nothing the receiver checks is unknown on the checking hop: not
        # SPF's HELO identity either, which is checked where its record
        # was asked (policyd-spf) and left out where nothing checked it
        # (rspamd). The methods a receiver does not check (DMARC on
        # spf.mx, say) may well be.
        for v in vs:
            if on_mx_hop(v) and v["method"] in exp and "unknown" in (v["result"], v["agreement"]):
                fail("%s: %s %s unknown on the checking hop (%s; %s)"
                     % (label, v["method"], v["props"].get("identity", ""), v["reason"], v["why"]))
        by = mx_hop(vs)
        for method, (rfc, written, why) in exp.items():
            got = by.get(method, [])
            if len(got) != 1:
                fail("%s %s: %d verdicts on the MX hop" % (label, method, len(got)))
                continue
            v = got[0]
            rcv = (v["receiver"] or {}).get("result")
            if rcv != written:
                fail("%s %s: receiver wrote %s, smtpsniff read %s" % (label, method, written, rcv))
            if v["result"] != rfc:
                fail("%s %s: RFC gives %s, smtpsniff said %s: %s" % (label, method, rfc, v["result"], v["reason"]))
                continue
            want = "agree" if rfc == written else "disagree"
            if v["agreement"] != want:
                fail("%s %s: want %s, got %s (%s)" % (label, method, want, v["agreement"], v["why"]))
            if want == "disagree":
                if not why:
                    fail("%s %s: a disagreement lab/verifier-notes does not explain" % (label, method))
                print("%s %s: smtpsniff %s, receiver %s: disagree, as it must: %s"
                      % (label, method, rfc, written, why))
            checked += 1
        want_code = 1 if any(r[0] != r[1] for r in exp.values()) else 0
        if code != want_code:
            fail("%s: exit status %d, want %d" % (label, code, want_code))

if disagreements["rspamd"]:
    fail("upstream's rspamd set: disagreements %s, want none (the book's verdicts are the RFCs')"
         % disagreements["rspamd"])
if disagreements["opendkim"] != [("scenario4-4", "dmarc")]:
    fail("the opendkim set: disagreements %s, want exactly scenario4-4's dmarc"
         % disagreements["opendkim"])

# The cause of that one disagreement, in Debian's own library.
lib = ctypes.util.find_library("opendmarc")
if lib:
    dmarc = ctypes.CDLL(lib)

    def reverse(name):
        buf = ctypes.create_string_buffer(256)
        dmarc.opendmarc_reverse_domain(name.encode(), buf, len(buf))
        return buf.value.decode()

    seen = {n: reverse(n) for n in ("x.test", "y.test", "a.test", "ab.test")}
    if not (seen["x.test"] == seen["y.test"] == seen["a.test"] != seen["ab.test"]):
        fail("libopendmarc's opendmarc_reverse_domain() does not behave as lab/verifier-notes says: %s" % seen)
    else:
        print("libopendmarc: opendmarc_reverse_domain() gives %s: the cause lab/verifier-notes names" % seen)
else:
    print("libopendmarc is not installed: the cause of OpenDMARC's 4-4 verdict is not checked here")

print("%d verdicts checked against the RFCs and the lab's verifiers, %d failures" % (checked, failures))
sys.exit(1 if failures else 0)
