#!/usr/bin/python3
"""tls_decrypt.py BIN SRC - issue 17: each mail session recorded over TLS,
decrypted with its key log, gives what the plaintext recording of the same
scenario gives: the same SMTP, POP3 and IMAP records, notes, anomalies,
messages (byte-exact), verdicts and journeys, apart from the STARTTLS
exchange, times and per-run identifiers. The captures are made by
tests/tls/mkmail.py (tests/tls/README-mail.md lists them). Debian's python3.

For each pair, `BIN -r NAME-tls.pcap --keylog NAME-tls.keylog --json
--zone mail-example.zone` against `BIN -r NAME-plain.pcap --json --zone
mail-example.zone` (the zone holds the SPF, DKIM and DMARC records the
message needs, so that the verdicts say pass, not unknown):

- Dropped, TLS side only, STARTTLS cases only: the protocol records after
  the greeting up to and including the STARTTLS/STLS one. They must be
  exactly SMTP EHLO, STARTTLS (smtplib says EHLO again once TLS is up);
  POP3 CAPA, STLS (poplib asks CAPA before STLS); IMAP CAPABILITY,
  STARTTLS (imaplib asks CAPABILITY again after it). Also the `note` that
  says TLS began. Nothing is dropped from the plaintext side, nor from an
  implicit-TLS pair (its plaintext half is the same client and server
  without TLS, on 25, 110 or 143).
- Left out of every record: time, frame, flow, ports, addresses (the
  sessions differ in them, and in nothing else) and the message's
  `number`. IMAP tags (imaplib numbers its commands, so they shift by the
  dropped ones) are written `<tag>` in the command and in reply lines that
  begin with it.
- Not compared: `tls`, `flow` and `summary` records (the TLS side has its
  handshake, a close_notify and a TCP RST the plaintext side has not).

Then, with truth from outside smtpsniff:
- the message: one per pair, SHA-256 and size those of
  tests/tls/mail-message.eml (the bytes mkmail.py sent); for SMTP the
  envelope mkmail.py used and its server's queue ID;
- the verdicts (SMTP): spf (mailfrom, helo), dkim and dmarc all pass;
- the TLS handshake: the version (and for TLS 1.2 the cipher suite) the
  generator asked for, and records decrypted both ways;
- the commands: tshark 4.0's decryption of the same capture with the same
  key log (`-o tls.keylog_file:K`) lists the same commands as smtpsniff,
  in order, the STARTTLS exchange included (secret-bearing commands, AUTH,
  PASS, LOGIN, by their first word only: smtpsniff masks them); and
  tshark's decrypted list, the STARTTLS exchange dropped as above, is
  tshark's list of the plaintext capture.

Also: the SMTP STARTTLS capture with its secrets in a pcapng Decryption
Secrets Block, read without --keylog, gives the same again; and as
controls that must differ, a TLS capture read without a key log and with
another capture's key log give no message.
Exit 1 on any difference, each printed.
"""
import hashlib
import json
import os
import re
import subprocess
import sys

binary, src = sys.argv[1], sys.argv[2]
TLS = os.path.join(src, "tests", "tls")
ZONE = os.path.join(TLS, "mail-example.zone")

# name, protocol, STARTTLS or implicit, TLS version, TLS 1.2 cipher (IANA)
PAIRS = [
    ("mail-smtp-starttls13", "smtp", "starttls", "TLS 1.3", None),
    ("mail-smtp-starttls12-gcm", "smtp", "starttls", "TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    ("mail-smtps13", "smtp", "implicit", "TLS 1.3", None),
    ("mail-pop3-stls13", "pop3", "starttls", "TLS 1.3", None),
    ("mail-pop3s12-chacha", "pop3", "implicit", "TLS 1.2",
     "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    ("mail-imap-starttls12-cbc", "imap", "starttls", "TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"),
    ("mail-imaps13", "imap", "implicit", "TLS 1.3", None),
]
DROPPED = {"smtp": ["EHLO", "STARTTLS"], "pop3": ["CAPA", "STLS"], "imap": ["CAPABILITY", "STARTTLS"]}
SECRET_VERBS = {"AUTH", "PASS", "LOGIN", "AUTHENTICATE"}
PROTO_TYPES = ("smtp", "lmtp", "pop3", "imap")
RECORD_KEYS = ("type", "verb", "command", "reply", "code", "enhanced", "status", "pipelined")
MESSAGE_SKIP = {"time", "flow", "client", "client_port", "client_name", "server", "server_port",
                "server_name", "number", "frame_start", "frame_end", "end"}
VERDICT_SKIP = {"time", "hop", "message"}
STEP_SKIP = {"time", "flow", "client", "server", "client_name", "server_name", "message", "copy_of",
             "held_ms", "log"}

with open(os.path.join(TLS, "mail-message.eml"), "rb") as f:
    EML = f.read()
SENT = {"sha256": hashlib.sha256(EML).hexdigest(), "size": len(EML)}
ENVELOPE = {"helo": "client.a.example.test", "mail_from": "alice@a.example.test",
            "rcpt": ["bob@b.example.test"], "queue_id": "4D5B21C0A3F", "code": 250}

failures = checks = 0


def check(ok, what, detail=""):
    global failures, checks
    checks += 1
    if ok:
        print("ok   " + what)
    else:
        failures += 1
        print("FAIL " + what + (":\n" + detail if detail else ""))


def sniff(capture, *extra):
    r = subprocess.run([binary, "-r", capture, "--json", "--zone", ZONE] + list(extra),
                       capture_output=True)
    out = []
    for line in r.stdout.decode("utf-8", "replace").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            out.append({"type": "unparsable", "line": line})
    return r.returncode, r.stderr.decode("utf-8", "replace"), out


def untag(cmd, reply):
    """IMAP: the command's tag as <tag>, in the command and the reply."""
    if not cmd:
        return cmd, reply
    tag = cmd.split(" ", 1)[0]
    cmd = "<tag>" + cmd[len(tag):]
    if reply:
        reply = "\n".join("<tag>" + ln[len(tag):] if ln.startswith(tag + " ") else ln
                          for ln in reply.split("\n"))
    return cmd, reply


def view(records, drop_starttls, proto):
    """What is compared, and the verbs dropped."""
    v = {"records": [], "notes": [], "anomalies": [], "messages": [], "verdicts": [],
         "journeys": [], "verify_summary": []}
    dropped, seen_greeting, in_drop = [], False, drop_starttls
    for r in records:
        t = r.get("type")
        if t in PROTO_TYPES:
            if r.get("verb") is None and r.get("command") is None and not seen_greeting:
                seen_greeting = True
            elif in_drop:
                dropped.append(r.get("verb"))
                if r.get("verb") in ("STARTTLS", "STLS"):
                    in_drop = False
                continue
            x = {k: r.get(k) for k in RECORD_KEYS if k in r}
            if t == "imap":
                x["command"], x["reply"] = untag(x.get("command"), x.get("reply"))
            v["records"].append(x)
        elif t == "note":
            if r.get("what") != "tls":
                v["notes"].append({k: r.get(k) for k in ("proto", "what", "detail")})
        elif t == "anomaly":
            v["anomalies"].append({k: r.get(k) for k in ("layer", "what", "detail")})
        elif t == "message":
            v["messages"].append({k: x for k, x in r.items() if k not in MESSAGE_SKIP})
        elif t == "verdict":
            v["verdicts"].append({k: x for k, x in r.items() if k not in VERDICT_SKIP})
        elif t == "journey":
            v["journeys"].append(
                {k: ([{a: b for a, b in s.items() if a not in STEP_SKIP} for s in x]
                     if k == "steps" else x) for k, x in r.items()})
        elif t == "verify_summary":
            v["verify_summary"].append(r)
        elif t == "unparsable":
            v["anomalies"].append(r)
    if not drop_starttls:
        dropped = None
    return v, dropped


def show(x):
    return json.dumps(x, sort_keys=True)


def compare(label, a, b):
    """Each part of two views; the differing items printed."""
    for part in a:
        x, y = a[part], b[part]
        if x == y:
            check(True, "%s: %s the same (%d)" % (label, part, len(x)))
            continue
        lines = []
        for i in range(max(len(x), len(y))):
            p = show(x[i]) if i < len(x) else "(none)"
            q = show(y[i]) if i < len(y) else "(none)"
            if p != q:
                lines.append("  [%d] plain: %s\n  [%d] tls:   %s" % (i, p, i, q))
        check(False, "%s: %s differ" % (label, part), "\n".join(lines[:10]))


def tshark_commands(capture, proto, keylog):
    """The client's commands as tshark dissects them, decrypting with the
    key log. SMTP and POP3: command and parameter joined by a space (tshark
    4.0 takes the first four bytes of a line as the command and what
    follows the fifth as the parameter: STARTTLS is STAR and TLS). IMAP:
    the request line."""
    field = {"smtp": ("smtp.req", "-e", "smtp.req.command", "-e", "smtp.req.parameter"),
             "pop3": ("pop.request", "-e", "pop.request.command", "-e", "pop.request.parameter"),
             "imap": ("imap.request", "-e", "imap.request")}[proto]
    cmd = ["tshark", "-n", "-r", capture, "-Y", field[0], "-T", "fields"] + list(field[1:])
    if keylog:
        cmd[1:1] = ["-o", "tls.keylog_file:" + keylog]
    r = subprocess.run(cmd, capture_output=True)
    out = []
    for line in r.stdout.decode("utf-8", "replace").splitlines():
        cols = line.split("\t")
        if proto == "imap":
            out.append(cols[0])
            continue
        c, p = cols[0], cols[1] if len(cols) > 1 else ""
        starttls = c.upper() == "STAR" and p.upper() == "TLS"
        out.append("STARTTLS" if starttls else c + (" " + p if p else ""))
    return out


def verb_of(line, proto):
    w = line.split(" ")
    return (w[1] if proto == "imap" and len(w) > 1 else w[0]).upper()


def cmd_norm(line, proto):
    """A command for the comparison with tshark: secret-bearing ones by
    their word, IMAP tags as <tag>."""
    if proto == "imap":
        line = untag(line, None)[0]
    return verb_of(line, proto) if verb_of(line, proto) in SECRET_VERBS else line


def drop_tshark(cmds, proto):
    """tshark's list with the STARTTLS exchange dropped as from smtpsniff's."""
    for i, c in enumerate(cmds):
        if verb_of(c, proto) in ("STARTTLS", "STLS"):
            return cmds[i + 1:]
    return cmds


def expect_message(label, v, proto):
    msgs = v["messages"]
    check(len(msgs) == 1, "%s: one message" % label, show(msgs))
    if not msgs:
        return
    m = msgs[0]
    got = {"sha256": m.get("sha256"), "size": m.get("size")}
    check(got == SENT and m.get("incomplete") is False,
          "%s: the message is mail-message.eml byte for byte" % label,
          "  got %s, incomplete %s; sent %s" % (got, m.get("incomplete"), SENT))
    if proto == "smtp":
        env = {k: m.get(k) for k in ENVELOPE}
        check(env == ENVELOPE, "%s: the envelope mkmail.py used" % label, "  got %s" % env)
        res = sorted((x["method"], (x.get("props") or {}).get("identity", ""), x["result"])
                     for x in v["verdicts"])
        want = sorted([("spf", "mailfrom", "pass"), ("spf", "helo", "pass"), ("dkim", "", "pass"),
                       ("dmarc", "", "pass")])
        check(res == want, "%s: spf, dkim, dmarc pass" % label, "  got %s" % res)
    else:
        check(m.get("user") == "bob" and m.get("mailbox") == "INBOX",
              "%s: retrieved by bob from INBOX" % label, "  got %s" % show(m))


for name, proto, how, version, cipher in PAIRS:
    plain = os.path.join(TLS, name + "-plain.pcap")
    tls = os.path.join(TLS, name + "-tls.pcap")
    keylog = os.path.join(TLS, name + "-tls.keylog")
    rc_p, err_p, out_p = sniff(plain)
    rc_t, err_t, out_t = sniff(tls, "--keylog", keylog)
    check(rc_p == 0 and rc_t == 0, "%s: exit 0 both" % name,
          "  plain %d %s\n  tls %d %s" % (rc_p, err_p.strip(), rc_t, err_t.strip()))
    vp, _ = view(out_p, False, proto)
    vt, dropped = view(out_t, how == "starttls", proto)
    if how == "starttls":
        check(dropped == DROPPED[proto], "%s: the STARTTLS exchange dropped is %s" %
              (name, " ".join(DROPPED[proto])), "  dropped %s" % dropped)
    compare(name, vp, vt)
    expect_message(name + " (plain)", vp, proto)
    expect_message(name + " (tls)", vt, proto)

    # The handshake the generator asked for, and records decrypted.
    ends = [r for r in out_t if r.get("type") == "tls" and r.get("what") == "end"]
    got = [(r.get("version"), r.get("cipher") if cipher else None) for r in ends]
    check(got == [(version, cipher)], "%s: %s %s" % (name, version, cipher or ""), "  got %s" % got)
    dec = [re.search(r"decrypted (\d+) records to the server, (\d+) back", r.get("detail", ""))
           for r in ends]
    check(len(dec) == 1 and dec[0] and int(dec[0].group(1)) > 0 and int(dec[0].group(2)) > 0,
          "%s: records decrypted both ways" % name, "  %s" % [r.get("detail") for r in ends])

    # tshark: the same commands decrypted, and the same as in plaintext.
    ts_t = tshark_commands(tls, proto, keylog)
    ts_p = tshark_commands(plain, proto, None)
    ours = [r["command"] for r in out_t
            if r.get("type") == proto and r.get("verb") not in (None, ".")]
    a, b = [cmd_norm(c, proto) for c in ts_t], [cmd_norm(c, proto) for c in ours]
    check(len(a) >= 5 and a == b, "%s: smtpsniff's commands are tshark's decryption (%d)" %
          (name, len(a)), "  tshark    %s\n  smtpsniff %s" % (a, b))
    a = [cmd_norm(c, proto) for c in (drop_tshark(ts_t, proto) if how == "starttls" else ts_t)]
    b = [cmd_norm(c, proto) for c in ts_p]
    check(len(a) >= 5 and a == b, "%s: tshark: the decrypted commands are the plaintext ones" % name,
          "  tls   %s\n  plain %s" % (a, b))

# The secrets inside the pcapng, no --keylog.
name = "mail-smtp-starttls13"
rc, err, out = sniff(os.path.join(TLS, name + "-tls-dsb.pcapng"))
vd, dropped = view(out, True, "smtp")
vp, _ = view(sniff(os.path.join(TLS, name + "-plain.pcap"))[2], False, "smtp")
check(rc == 0 and dropped == DROPPED["smtp"], "%s-tls-dsb.pcapng: exit 0, STARTTLS dropped" % name,
      "  exit %d %s, dropped %s" % (rc, err.strip(), dropped))
compare(name + "-tls-dsb.pcapng", vp, vd)

# Controls: without the right secrets there is nothing to compare, and the
# comparison above would say so.
for label, capture, extra in [
        ("mail-smtps13 without a key log", "mail-smtps13-tls.pcap", []),
        ("mail-smtps13 with mail-imaps13's key log", "mail-smtps13-tls.pcap",
         ["--keylog", os.path.join(TLS, "mail-imaps13-tls.keylog")]),
        ("mail-imap-starttls12-cbc without a key log", "mail-imap-starttls12-cbc-tls.pcap", [])]:
    out = sniff(os.path.join(TLS, capture), *extra)[2]
    msgs = [r for r in out if r.get("type") == "message"]
    check(not msgs, "control, %s: no message" % label, "  %s" % msgs)

print("%d checks, %d failed" % (checks, failures))
sys.exit(1 if failures or checks < 100 else 0)
