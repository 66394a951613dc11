#!/usr/bin/python3
"""lab/lmtp.py - what lab/record-lmtp writes beside pcaps/lmtp.pcap, and
its checks of the recording.

  lmtp.py message FROM RCPT...               the message to submit, on stdout
  lmtp.py check INJECTED DELIVERED STREAMS   the delivered file against the
                                             injected one and the wire
  lmtp.py notes LOG INJECTED DELIVERED       NAME.notes, from the daemons' log

check: DELIVERED (user1's Maildir file, as Dovecot wrote it) must be the
fields Dovecot's LMTP server put on top (Return-Path, its Received "with
LMTP"; Delivered-To too, when it adds one), then Postfix's Received field
(pickup's "by plain.mx.b.test (Postfix, from userid 0)"), then INJECTED (what
sendmail(1) was given) byte for byte; and that much, line ends made CRLF and
dot-stuffed, followed by the final dot, must be in the client's half of the
LMTP flow as `smtpsniff --streams` wrote it to STREAMS. So the message on
the wire is known three ways that agree.

notes: for each recipient, what became of it: Postfix's lmtp(8) line
(status, the server's reply, the command it answered) and the lines of
Dovecot's LMTP server (dovecot-lmtp) that name it. Debian's python3,
standard library only.
"""
import collections
import email.utils
import os
import re
import sys
import textwrap
import time

LMTP_FIELDS = re.compile(rb"\A(?:Return-Path|Delivered-To|Received):")
POSTFIX_RECEIVED = re.compile(rb"\AReceived: by plain\.mx\.b\.test \(Postfix, from userid 0\)\n")


def fields(data):
    """The header fields of an LF-terminated message, each folded as
    written, and the offset where the header ends."""
    out, off = [], 0
    while off < len(data) and data[off:off + 1] != b"\n":
        end = data.index(b"\n", off) + 1
        while data[end:end + 1] in (b" ", b"\t"):
            end = data.index(b"\n", end) + 1
        out.append(data[off:end])
        off = end
    return out, off


def message(sender, rcpts):
    """A plain message from SENDER to RCPTS, dated now in the hosts' zone
    (TZ), with a Message-ID as the lab's client makes them; two of its body
    lines begin with a dot, which the LMTP client must double on the wire."""
    now = time.time()
    stamp = time.strftime("%Y%m%d%H%M%S", time.localtime(now))
    return ("From: %s\nTo: %s\nSubject: lmtp (one message, %d recipients)\nDate: %s\n"
            "Message-ID: <%s.%d@%s>\n\nHello %s!\n.A line that begins with a dot.\n.\n"
            "That line above was a dot alone.\n"
            % (sender, ", ".join(rcpts), len(rcpts), email.utils.formatdate(now, localtime=True),
               stamp, os.getpid(), sender.split("@")[1], ", ".join(rcpts)))


def check(injected_path, delivered_path, streams):
    injected = open(injected_path, "rb").read()
    delivered = open(delivered_path, "rb").read()
    top, _ = fields(delivered)
    n = 0
    while n < len(top) and LMTP_FIELDS.match(top[n]) and not POSTFIX_RECEIVED.match(top[n]):
        n += 1
    added = top[:n]
    if not added or not added[0].startswith(b"Return-Path: ") or \
            not any(f.startswith(b"Received: ") and b" with LMTP" in f for f in added):
        sys.exit("%s: no Return-Path and Received ... with LMTP on top" % delivered_path)
    sent = delivered[sum(len(f) for f in added):]
    if not POSTFIX_RECEIVED.match(sent):
        sys.exit("%s: no Received field of Postfix's pickup below Dovecot's fields" % delivered_path)
    received, _ = fields(sent)
    if sent[len(received[0]):] != injected:
        sys.exit("%s: below Postfix's Received field is not %s" % (delivered_path, injected_path))
    wire = sent.replace(b"\n", b"\r\n")
    stuffed = re.sub(rb"(?m)^\.", b"..", wire) + b".\r\n"
    halves = [os.path.join(streams, f) for f in os.listdir(streams)]
    if not any(stuffed in open(f, "rb").read() for f in halves):
        sys.exit("%s: no stream holds the message dot-stuffed and ended with a dot" % streams)
    print("%s = %s + Postfix's Received field + %s; the LMTP client sent that much, CRLF, "
          "dot-stuffed (%d bytes unstuffed)"
          % (os.path.basename(delivered_path), " + ".join(f.split(b":")[0].decode() for f in added),
             os.path.basename(injected_path), len(wire)))


def log_lines(path):
    """(host, tag, message) of each line of the merged log (upstream's
    template: TIME HOSTNAME(24 columns) TAG(24 columns)MSG)."""
    for line in open(path, encoding="utf-8", errors="replace"):
        _, _, rest = line.rstrip("\n").partition(" ")
        yield rest[:24].rstrip(), rest[25:49].rstrip(), rest[49:].strip()


POSTFIX_RCPT = re.compile(r"^([0-9A-F]+): to=<([^>]*)>, .*?\bdsn=([0-9.]+), status=(\w+) \((.*)\)$")
SAID = re.compile(r"^host \S+ said: (.*) \(in reply to (.*) command\)$")


def notes(log, injected_path, delivered_path):
    lines = list(log_lines(log))
    sender = rcpts = None
    for host, tag, msg in lines:
        m = re.match(r"^[0-9A-F]+: from=<([^>]*)>, size=\d+, nrcpt=(\d+)", msg)
        if tag.startswith("postfix/qmgr") and m:
            sender, rcpts = m.group(1), int(m.group(2))
    # A queue ID that only cleanup named: the notice bounce(8) cancelled.
    qids = collections.defaultdict(set)
    for host, tag, msg in lines:
        m = re.match(r"^([0-9A-F]{6,}): ", msg)
        if tag.startswith("postfix/") and m:
            qids[m.group(1)].add(tag.split("[")[0])
    notice = sorted(q for q, tags in qids.items() if tags == {"postfix/cleanup"})
    intro = ("lmtp.pcap: Postfix's lmtp(8) client on plain.mx.b.test (10.255.2.30) hands one message "
             "to Dovecot's LMTP server on imap.b.test (10.255.2.40, port 24): RFC 2033, recorded by "
             "lab/record-lmtp on br-smtpbook. The message was submitted on plain.mx.b.test with "
             "sendmail(1) from <%s> to %s recipients, with DSN NOTIFY=NEVER (sendmail -N never), so "
             "that no bounce follows: Postfix's bounce(8) opens a notice (its cleanup logs a "
             "message-id%s) and cancels it, as no recipient wants one. Dovecot's LMTP server does "
             "not announce DSN (RFC 3461), so no NOTIFY goes on the wire. Dovecot's users: user1 (no "
             "quota), user2 (a 100-byte quota, checked only when the message is saved: Dovecot's "
             "default lmtp_rcpt_check_quota = no accepts it at RCPT), and no other."
             % (sender, rcpts, ", queue ID " + ", ".join(notice) if notice else ""))
    out = ["# " + l for l in textwrap.wrap(intro, 92, break_on_hyphens=False)]
    out += ["#",
            "# Per recipient (RFC 2033 4.2: after the final dot, one reply per recipient accepted at",
            "# RCPT, in RCPT order), as the daemons logged it (lmtp.log):"]
    for host, tag, msg in lines:
        m = POSTFIX_RCPT.match(msg)
        if not (host == "plain.mx.b.test" and tag.startswith("postfix/lmtp") and m):
            continue
        qid, rcpt, dsn, status, what = m.groups()
        s = SAID.match(what)
        reply, command = (s.group(1), s.group(2)) if s else (what, "end of DATA")
        when = "at RCPT" if command == "RCPT TO" else "after the final dot"
        out.append("")
        out.append("%s: %s %s: %s" % (rcpt, status, when, reply))
        out.append("  postfix/lmtp: %s: to=<%s>, dsn=%s, status=%s (%s)" % (qid, rcpt, dsn, status, what))
        user = rcpt.split("@")[0]
        said = [msg for h, t, msg in lines if t.startswith("dovecot-lmtp") and
                re.search(r"\blmtp\(%s(@[^)]*)?\)|<%s>|\b%s\b" % (re.escape(user), re.escape(rcpt),
                                                                  re.escape(rcpt)), msg)]
        for d in said:
            out.append("  dovecot-lmtp: %s" % d)
        if not said:
            out.append("  dovecot-lmtp: (no line names it: the refusal at RCPT is in the reply alone)")
        if status == "sent":
            out.append("  stored in its Maildir as lmtp.delivered")
    delivered = open(delivered_path, "rb").read()
    top, _ = fields(delivered)
    names = []
    for f in top:
        if POSTFIX_RECEIVED.match(f):
            break
        names.append(f.split(b":")[0].decode())
    out += ["",
            "# lmtp.injected is what sendmail(1) was given. lmtp.delivered is user1's Maildir file as",
            "# Dovecot wrote it (LF line ends): on top the fields Dovecot added (%s)," % ", ".join(names),
            "# then Postfix's Received field (pickup), then lmtp.injected byte for byte. The message on",
            "# the wire is lmtp.delivered without Dovecot's fields, line ends CRLF (then dot-stuffed):",
            "# lab/record-lmtp checked that the LMTP client's stream holds exactly that."]
    print("\n".join(out))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "message":
        sys.stdout.write(message(args[0], args[1:]))
    elif cmd == "check":
        check(*args)
    elif cmd == "notes":
        notes(*args)
    else:
        sys.exit("usage: lmtp.py message|check|notes ...")
