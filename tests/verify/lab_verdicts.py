#!/usr/bin/python3
"""lab_verdicts.py SMTPSNIFF SRCDIR SHAREDDIR - smtpsniff --verify on every
lab recording (both verifier sets) against independent truth: the RFCs'
verdicts and what the lab's real verifiers wrote, both in each capture's
NAME.expected (lab/record wrote them; lab/rfc-verdicts gives the RFC
reasoning, lab/verifier-notes the verifiers' faults).

For the hop into the checking MX (spf.mx, dkim.mx or dmarc.mx.b.test), and
for every method the .expected file lists:
  - smtpsniff's result is the RFC's;
  - the receiver's result, as smtpsniff read it from the copy the MX
    passed on, is what the verifier wrote;
  - the agreement is "agree" when those two are the same and "disagree"
    when not; every disagreement is printed with the lab's explanation.
One thing the capture alone cannot settle is checked as such: in 4-1 ... 4-3
both verifier sets asked only _dmarc.<From domain> (NXDOMAIN) and never the
Organizational Domain's record _dmarc.a.test, so the capture lacks the
answer RFC 7489 6.6.3 needs: smtpsniff must say "unknown" (cannot tell,
not captured), never "none"; given a.test's zone (the upstream smtpbook
zone, --zone) it must say the RFC's pass, and disagree with the receiver.
A path without a checking MX (1-1, 1-2): no receiver verdict at all.
"""
import json
import os
import subprocess
import sys
import tempfile

sniff, src, shared = sys.argv[1:4]
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL " + msg)


def expected(path):
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


def verdicts(pcap, zones=()):
    cmd = [sniff, "-r", pcap, "--verify", "--json"]
    for z in zones:
        cmd += ["--zone", z]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode not in (0, 1):
        fail("%s: exit %d: %s" % (pcap, out.returncode, out.stderr))
        return [], out.returncode
    v = [json.loads(l) for l in out.stdout.splitlines() if l.startswith('{"type":"verdict"')]
    return v, out.returncode


def mx_hop(vs):
    """The verdicts of the hop into a checking MX, keyed by method."""
    hop = [v for v in vs if v["hop"].get("server_name", "").endswith(".mx.b.test")
           and not v["hop"]["server_name"].startswith("plain.")]
    by = {}
    for v in hop:
        if v["method"] == "spf" and v["props"].get("identity") != "mailfrom":
            continue
        by.setdefault(v["method"], []).append(v)
    return by


# a.test's zone, from the upstream lab (the lab serves it with _NETWORK
# made 10.255): the Organizational Domain's DMARC record the verifiers
# never asked for.
zone = None
upstream = os.path.join(shared, "smtpbook", "zones", "a.test.zone")
if os.path.exists(upstream):
    zone = tempfile.NamedTemporaryFile("w", suffix=".zone", delete=False)
    zone.write(open(upstream).read().replace("_NETWORK", "10.255"))
    zone.close()

checked = 0
for sub in ("", "rspamd"):
    d = os.path.join(src, "pcaps", sub)
    for name in sorted(f[:-5] for f in os.listdir(d) if f.startswith("scenario") and f.endswith(".pcap")):
        pcap = os.path.join(d, name + ".pcap")
        exp = expected(os.path.join(d, name + ".expected"))
        label = (sub + "/" if sub else "") + name
        vs, code = verdicts(pcap)
        by = mx_hop(vs)
        if not exp:
            theirs = [v for v in vs if v["receiver"] and v["receiver"]["result"]]
            if theirs:
                fail("%s: no checking MX, yet a receiver verdict was read: %s" % (label, theirs[0]))
            checked += 1
            continue
        for method, (rfc, written, why) in exp.items():
            got = by.get(method, [])
            if len(got) != 1:
                fail("%s %s: %d verdicts on the MX hop" % (label, method, len(got)))
                continue
            v = got[0]
            rcv = (v["receiver"] or {}).get("result")
            if rcv != written:
                fail("%s %s: receiver wrote %s, smtpsniff read %s" % (label, method, written, rcv))
            if method == "dmarc" and rfc == "pass" and written == "none":
                # The Organizational Domain's record is not in the capture.
                if v["result"] != "unknown" or "_dmarc.a.test" not in (v["reason"] or ""):
                    fail("%s dmarc: want unknown (_dmarc.a.test not captured), got %s: %s"
                         % (label, v["result"], v["reason"]))
                if v["agreement"] != "unknown":
                    fail("%s dmarc: want agreement unknown, got %s" % (label, v["agreement"]))
                if zone is None:
                    print("%s dmarc: unknown as it must be (no upstream zone to go further)" % label)
                    continue
                vz, code_z = verdicts(pcap, [zone.name])
                v = mx_hop(vz).get("dmarc", [None])[0]
                if not v or v["result"] != rfc:
                    fail("%s dmarc with --zone a.test: want %s, got %s" % (label, rfc, v and v["result"]))
                    continue
                if code_z != 1:
                    fail("%s: a disagreement must exit 1, got %d" % (label, code_z))
            elif v["result"] != rfc:
                fail("%s %s: RFC gives %s, smtpsniff said %s: %s" % (label, method, rfc, v["result"], v["reason"]))
                continue
            want = "agree" if rfc == written else "disagree"
            if v["agreement"] != want:
                fail("%s %s: want %s, got %s (%s)" % (label, method, want, v["agreement"], v["why"]))
            if want == "disagree":
                print("%s %s: smtpsniff %s, receiver %s: disagree, as it must: %s"
                      % (label, method, rfc, written, why))
            checked += 1
        # Exit 1 exactly when a verdict of the plain run disagrees (the
        # DMARC cases above are unknown there, not disagreements).
        want_code = 1 if any(r[0] != r[1] and not (m == "dmarc" and r[1] == "none")
                             for m, r in exp.items()) else 0
        if code != want_code:
            fail("%s: exit status %d, want %d" % (label, code, want_code))

if zone:
    os.unlink(zone.name)
print("%d verdicts checked against the RFCs and the lab's verifiers, %d failures" % (checked, failures))
sys.exit(1 if failures else 0)
