#!/usr/bin/python3
"""pcaps.py - smtpsniff's --mermaid diagrams of the shipped captures hold
what the capture has, and the real Mermaid library draws them.

Usage: pcaps.py SMTPSNIFF SRCDIR OUTDIR
For every capture under pcaps/ (and pcaps/opendkim, pcaps/starttls),
`smtpsniff -r PCAP --verify --mermaid OUTDIR/NAME.md` writes one diagram
per journey; against the same run's --json records:
  - one diagram per journey, in order;
  - every host of every copy is a participant (by the name the capture
    gives it, with its address);
  - every command of a copy's SMTP or LMTP transaction and every reply is
    an arrow, from the client to the server and back ("." is the message
    itself, an arrow "message #N (SIZE bytes)");
  - a copy whose receiver checks it has a note with smtpsniff's verdicts
    beside the receiver's;
  - every DNS question a host on the path asked in its part is an arrow
    to the DNS participant;
  - with --mermaid-without=dns,replies neither shows.
Then tests/mermaid/render.py draws all of them (exit 77 passed on).
"""
import json
import os
import re
import subprocess
import sys

sniff, src, outdir = sys.argv[1:4]
sys.path.insert(0, os.path.join(src, "tests", "mermaid"))
import render  # noqa: E402

failures = 0


def check(ok, what):
    global failures
    if not ok:
        failures += 1
        print("FAIL " + what)


def blocks(path):
    text = open(path, encoding="utf-8").read()
    out = []
    for b in re.findall(r"```mermaid\n(.*?)```", text, re.S):
        p = render.parse_block(b.split("\n"))
        out.append((p["actors"], p["messages"], p["notes"]))
    return out


def joined(lines):
    return "\n".join(lines)


os.makedirs(outdir, exist_ok=True)
pcaps = []
for d in ("pcaps", "pcaps/opendkim", "pcaps/starttls"):
    full = os.path.join(src, d)
    pcaps += [os.path.join(full, f) for f in sorted(os.listdir(full)) if f.endswith(".pcap")]
made = 0
for pcap in pcaps:
    label = os.path.relpath(pcap, src)
    name = label.replace("/", "_")[:-5]
    md = os.path.join(outdir, name + ".md")
    env = dict(os.environ, TZ="UTC")
    run = subprocess.run([sniff, "-r", pcap, "--verify", "--json", "--mermaid", md],
                         capture_output=True, text=True, env=env)
    if run.returncode not in (0, 1):
        check(False, "%s: exit %d %s" % (label, run.returncode, run.stderr[-200:]))
        continue
    recs = [json.loads(l) for l in run.stdout.splitlines() if l.startswith("{")]
    journeys = [r for r in recs if r["type"] == "journey"]
    diagrams = blocks(md)
    check(len(diagrams) == len([j for j in journeys if j["steps"]]),
          "%s: %d diagrams for %d journeys" % (label, len(diagrams), len(journeys)))
    made += len(diagrams)
    byflow = {}
    for r in recs:
        if r["type"] in ("smtp", "lmtp"):
            byflow.setdefault(r["flow"], []).append(r)
    # a session's commands are in the diagram of the transaction they
    # belong to: all of them in one of the capture's diagrams
    flows = set()
    every = {joined(m) for d in diagrams for m in d[1]}
    for j, (actors, messages, notes) in zip(journeys, diagrams):
        shown_actors = {joined(a) for a in actors}
        texts = [joined(m) for m in messages]
        for s in j["steps"]:
            if s["step"] != "copy":
                continue
            for side in ("client", "server"):
                want = s.get(side + "_name")
                want = want + "\n" + s[side] if want else s[side]
                check(want in shown_actors, "%s: journey %d: no participant %r (%s)"
                      % (label, j["journey"], want, sorted(shown_actors)))
            if s["proto"] in ("smtp", "lmtp"):
                flows.add(s["flow"])
                check(any(t.startswith("message #%d (" % s["message"]) for t in texts),
                      "%s: journey %d: no arrow for message #%d" % (label, j["journey"],
                                                                   s["message"]))
            if s.get("hop_role") == "checking":
                check(any("smtpsniff / receiver" in joined(n) for n in notes),
                      "%s: journey %d: no verdict note at the checking hop" % (label, j["journey"]))
    for f in sorted(flows):
        for x in byflow.get(f, []):
            cmd = x.get("command")
            if cmd and cmd != ".":
                check(cmd in every, "%s: flow %d: command %r not an arrow" % (label, f, cmd))
            reply = (x.get("reply") or "").split("\n")[0]
            if reply:
                check(reply in every, "%s: flow %d: reply %r not an arrow" % (label, f, reply))
    dns = [r for r in recs if r["type"] == "dns"]
    if journeys and dns and any("smtp" in (s.get("proto") or "") for j in journeys
                                for s in j["steps"]):
        check(any(joined(a).startswith("DNS") for d in diagrams for a in d[0]),
              "%s: no DNS participant though the capture has DNS" % label)
    # without DNS and replies
    bare = os.path.join(outdir, "bare-" + name + ".md.txt")
    subprocess.run([sniff, "-r", pcap, "--mermaid", bare, "--mermaid-without=dns,replies"],
                   capture_output=True, env=env)
    for actors, messages, _ in blocks(bare):
        check(not any(joined(a).startswith("DNS") for a in actors),
              "%s: --mermaid-without=dns still has DNS" % label)
        check(not any(re.match(r"\d\d\d[ -]", joined(m)) for m in messages),
              "%s: --mermaid-without=replies still has replies" % label)
print("%d diagrams of %d captures checked against their records" % (made, len(pcaps)))
if failures:
    sys.exit(1)
# Drawn by the real Mermaid (77: skipped when it is not installed, outside CI).
sys.exit(subprocess.run(["/usr/bin/python3", os.path.join(src, "tests", "mermaid", "render.py"),
                         outdir]).returncode)
