#!/usr/bin/python3
"""mbox.py - --mbox FILE (issue 18): every message in one mbox file that
Python's mailbox module reads back, each message byte for byte what
--export DIR wrote for it, once mboxrd's quoting is undone and CRLF is
taken as LF.

Usage: mbox.py SMTPSNIFF SRCDIR

The truth: the .eml files of --export of the same run (the bytes carried),
the JSON message records (how many, their envelope sender and time), and a
reader that is not smtpsniff's: Python's mailbox.mbox finds the messages
(its own "From " line splitting) and gives each one's bytes. What is held:

  every lab recording (pcaps/*.pcap), each alone, and all the scenario
  recordings merged into one capture, plus the IMAPS recording decrypted
  with its key log: as many messages in the mbox as message records in
  --json and files in index.json; each message's bytes, after mboxrd
  unquoting (">>From " to ">From "), equal its .eml with CRLF as LF (and a
  line end added where the message ended without one); each "From " line
  names the JSON record's envelope sender (MAILER-DAEMON for <>, "-" without
  an envelope) and its time in asctime form, UTC, whatever TZ says;
  --mbox alone, and with --flows, writes the same file as beside --export.

  a capture made here (SMTP, by hand) whose messages hold lines beginning
  "From ", ">From ", ">>From ", "From" without the space, "From " after a
  bare LF, a bare CR, a dot-stuffed ".From ", the null sender, a quoted
  local part with a space in it, an empty message, and a BDAT message that
  ends without a line end.

  the file is made as --export's files are: mode 0600 under umask 0; an
  existing file, or a symbolic link, at the name is not written through
  (exit 4, the target unchanged); --overwrite replaces the link, not its
  target; a write the system refuses (RLIMIT_FSIZE) is exit 4.

Debian's python3, standard library only.
"""
import glob
import json
import mailbox
import os
import re
import resource
import signal
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pcapfile import Pcap  # noqa: E402

SNIFF, SRC = sys.argv[1], sys.argv[2]
failures = 0
ENV = dict(os.environ, TZ="Asia/Tokyo")  # the mbox's times are UTC whatever TZ says


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures += 1
    return ok


def run(args, **kw):
    return subprocess.run([SNIFF] + args, capture_output=True, env=ENV, **kw)


def merge(paths, out):
    """The records of several pcap files of one format, in time order."""
    recs, head = [], None
    for p in paths:
        data = open(p, "rb").read()
        pc = Pcap(data)
        head = head or data[:24]
        for off, sec, frac, frame in pc.records():
            recs.append((sec, frac, data[off:off + 16 + len(frame)]))
    recs.sort(key=lambda r: (r[0], r[1]))
    with open(out, "wb") as f:
        f.write(head)
        for r in recs:
            f.write(r[2])


def unquote(b):
    """mboxrd: one '>' less on every line that is '>' then '>*From '."""
    return re.sub(rb"(?m)^>(>*From )", rb"\1", b)


def expected(eml):
    """An .eml's bytes as the mbox holds them: CRLF as LF, ending in LF."""
    b = eml.replace(b"\r\n", b"\n")
    if b and not b.endswith(b"\n"):
        b += b"\n"
    return b


def asctime_utc(iso):
    """ "2026-12-06T09:28:00.762100Z" as "Sun Dec  6 09:28:00 2026"."""
    t = time.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S")
    return time.strftime("%a %b ", t) + "%2d" % t.tm_mday + time.strftime(" %H:%M:%S %Y", t)


def one(name, cap, d, extra=()):
    """--export and --mbox of cap, held to each other and to --json."""
    os.makedirs(d)
    mb, ex = os.path.join(d, "m.mbox"), os.path.join(d, "x")
    p = run(["-r", cap, "--json", "--export", ex, "--mbox", mb] + list(extra))
    if not check(p.returncode == 0, "%s: exit 0 (%d: %s)" % (name, p.returncode,
                                                               p.stderr[-300:])):
        return 0
    recs = [json.loads(line) for line in p.stdout.splitlines()]
    recs = [r for r in recs if r.get("type") == "message"]
    index = json.load(open(os.path.join(ex, "index.json")))
    box = mailbox.mbox(mb, create=False)
    keys = list(box.iterkeys())
    check(len(keys) == len(recs) == len(index),
          "%s: %d messages in the mbox, %d JSON message records, %d in index.json"
          % (name, len(keys), len(recs), len(index)))
    bad = []
    for k, rec, ent in zip(keys, recs, index):
        eml = open(os.path.join(ex, ent["file"]), "rb").read()
        got = unquote(box.get_bytes(k))
        if got != expected(eml):
            bad.append("%s: %r... against %r..." % (ent["file"], got[:80], expected(eml)[:80]))
            continue
        sender = rec.get("mail_from")
        if sender is None:
            sender = "-"
        elif sender == "":
            sender = "MAILER-DAEMON"
        sender = re.sub(r"[\x00-\x20\x7f]", "_", sender)
        want = "%s %s" % (sender, asctime_utc(rec["time"]) if rec.get("time")
                          else "Thu Jan  1 00:00:00 1970")
        frm = box.get_message(k).get_from()
        if frm != want:
            bad.append("%s: From line %r, not %r" % (ent["file"], frm, want))
    check(not bad, "%s: every message is its .eml byte for byte, From lines as --json%s"
          % (name, "".join("\n     " + b for b in bad[:5])))
    check(oct(os.stat(mb).st_mode & 0o777) == "0o600", "%s: the mbox is mode 0600" % name)
    # Alone, and with --flows (which dissects only for the outputs that need it).
    for how in (["--mbox"], ["--flows", "--mbox"]):
        alone = os.path.join(d, "alone.mbox")
        p = run(["-r", cap] + how[:-1] + ["--mbox", alone] + list(extra))
        same = p.returncode == 0 and open(alone, "rb").read() == open(mb, "rb").read()
        check(same, "%s: %s alone writes the same file (exit %d)"
              % (name, " ".join(how), p.returncode))
        if os.path.exists(alone):
            os.unlink(alone)
    return len(keys)


# The capture made here: one SMTP session, frames as tests/cli/times.py makes them.
CLIENT, SERVER = bytes([192, 0, 2, 10]), bytes([192, 0, 2, 25])
FROMS = (b"From: a@example.org\r\nTo: b@example.net\r\nSubject: from lines\r\n\r\n"
         b"From the start of a line\r\n"
         b">From quoted once\r\n"
         b">>From quoted twice\r\n"
         b"From\r\n"
         b"Fromage\r\n"
         b" From indented\r\n"
         b"..From dot-stuffed\r\n"
         b"a bare LF here\nFrom after it\r\n"
         b"a bare CR\r in the middle\r\n"
         b">From \r\n"
         b"From \r\n"
         b"\r\n"
         b"From after an empty line\r\n"
         b"last line\r\n")
BDAT = b"Subject: no line end\r\n\r\nFrom the body, and no CRLF at the end"
C2S, S2C = 0, 1
SESSION = [
    (S2C, b"220 mx.example ESMTP\r\n"),
    (C2S, b"EHLO client.example\r\n"),
    (S2C, b"250-mx.example\r\n250-CHUNKING\r\n250 8BITMIME\r\n"),
    (C2S, b"MAIL FROM:<>\r\n"), (S2C, b"250 2.1.0 Ok\r\n"),
    (C2S, b"RCPT TO:<b@example.net>\r\n"), (S2C, b"250 2.1.5 Ok\r\n"),
    (C2S, b"DATA\r\n"), (S2C, b"354 go ahead\r\n"),
    (C2S, FROMS + b".\r\n"), (S2C, b"250 2.0.0 Ok: queued as A1\r\n"),
    (C2S, b'MAIL FROM:<"a b"@example.org>\r\n'), (S2C, b"250 2.1.0 Ok\r\n"),
    (C2S, b"RCPT TO:<b@example.net>\r\n"), (S2C, b"250 2.1.5 Ok\r\n"),
    (C2S, b"DATA\r\n"), (S2C, b"354 go ahead\r\n"),
    (C2S, b".\r\n"), (S2C, b"250 2.0.0 Ok: queued as A2\r\n"),  # an empty message
    (C2S, b"MAIL FROM:<c@example.org>\r\n"), (S2C, b"250 2.1.0 Ok\r\n"),
    (C2S, b"RCPT TO:<b@example.net>\r\n"), (S2C, b"250 2.1.5 Ok\r\n"),
    (C2S, b"BDAT %d LAST\r\n" % len(BDAT) + BDAT), (S2C, b"250 2.0.0 Ok: queued as A3\r\n"),
    (C2S, b"QUIT\r\n"), (S2C, b"221 2.0.0 Bye\r\n"),
]


def synth(path):
    seq = [1000, 5000]
    frames = []

    def seg(d, bits, payload):
        src, dst = (CLIENT, SERVER) if d == C2S else (SERVER, CLIENT)
        sp, dp = (40000, 25) if d == C2S else (25, 40000)
        ack = seq[1 - d] if bits & 16 else 0
        tcp = struct.pack("!HHIIBBHHH", sp, dp, seq[d], ack, 5 << 4, bits, 65535, 0, 0)
        seq[d] += len(payload) + (1 if bits & 3 else 0)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + len(payload), len(frames) + 1,
                         0x4000, 64, 6, 0, src, dst)
        eth = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01" if d == C2S else \
            b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02"
        frames.append(eth + b"\x08\x00" + ip + tcp + payload)
    seg(C2S, 2, b"")
    seg(S2C, 18, b"")
    seg(C2S, 16, b"")
    for d, payload in SESSION:
        seg(d, 24, payload)
    seg(S2C, 17, b"")
    seg(C2S, 17, b"")
    seg(S2C, 16, b"")
    b = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
    for i, f in enumerate(frames):  # 2026-12-06 10:00:00 UTC on, 1 ms apart
        b += struct.pack("<IIII", 1796551200, 1000 * i, len(f), len(f)) + f
    open(path, "wb").write(b)


with tempfile.TemporaryDirectory() as t:
    os.umask(0)
    caps = sorted(glob.glob(os.path.join(SRC, "pcaps", "*.pcap")))
    total = 0
    for cap in caps:
        total += one(os.path.basename(cap), cap, os.path.join(t, os.path.basename(cap)))
    merged = os.path.join(t, "scenarios.pcap")
    merge(sorted(glob.glob(os.path.join(SRC, "pcaps", "scenario*.pcap"))), merged)
    total += one("all scenarios merged", merged, os.path.join(t, "merged"))
    tls = os.path.join(SRC, "pcaps", "tls", "imaps.pcap")
    if os.path.exists(tls):
        total += one("tls/imaps.pcap decrypted", tls, os.path.join(t, "imaps"),
                     ["--keylog", os.path.join(SRC, "pcaps", "tls", "imaps.keylog")])
    check(total >= 20, "%d messages in all the recordings" % total)

    # The "From " lines.
    syn = os.path.join(t, "froms.pcap")
    synth(syn)
    n = one("From lines (made here)", syn, os.path.join(t, "froms"))
    check(n == 3, "From lines: the three messages (%d)" % n)
    raw = open(os.path.join(t, "froms", "m.mbox"), "rb").read()
    for line in (b"\n>From the start", b"\n>>From quoted once", b"\n>>>From quoted twice",
                 b"\nFrom\n", b"\nFromage\n", b"\n From indented", b"\n.From dot-stuffed",
                 b"a bare LF here\n>From after it\n", b"a bare CR\r in the middle\n",
                 b"\n>>From \n", b"\n>From \n", b"\n\n>From after an empty line\n",
                 b"From MAILER-DAEMON Sun Dec  6 10:00:00 2026\n",
                 b'\nFrom "a_b"@example.org Sun Dec  6 10:00:00 2026\n\n',
                 b"\n>From the body, and no CRLF at the end\n\n"):
        check(line in raw, "From lines: the file holds %r" % line)
    # Python's mailbox as a client opens it: the messages' headers.
    box = mailbox.mbox(os.path.join(t, "froms", "m.mbox"), create=False)
    subj = [m["Subject"] for m in box]
    check(subj == ["from lines", None, "no line end"], "From lines: the Subjects %r" % subj)

    # Made as --export's files are made.
    mb = os.path.join(t, "safe.mbox")
    victim = os.path.join(t, "victim")
    open(victim, "wb").write(b"the victim's own bytes\n")
    open(mb, "wb").write(b"an earlier file\n")
    p = run(["-r", syn, "--mbox", mb])
    check(p.returncode == 4 and open(mb, "rb").read() == b"an earlier file\n",
          "an existing file is not replaced without --overwrite: exit %d, %s"
          % (p.returncode, p.stderr.decode().strip()))
    os.unlink(mb)
    os.symlink(victim, mb)
    p = run(["-r", syn, "--mbox", mb])
    check(p.returncode == 4 and b"symbolic link" in p.stderr,
          "a symbolic link is not followed: exit %d, %s" % (p.returncode,
                                                              p.stderr.decode().strip()))
    p = run(["-r", syn, "--mbox", mb, "--overwrite"])
    check(p.returncode == 0 and not os.path.islink(mb)
          and open(mb, "rb").read() == open(os.path.join(t, "froms", "m.mbox"), "rb").read(),
          "--overwrite replaces the link with the mbox (exit %d)" % p.returncode)
    check(open(victim, "rb").read() == b"the victim's own bytes\n",
          "the link's target is unchanged")
    p = run(["-r", syn, "--mbox", os.path.join(t, "no", "such", "dir", "m.mbox")])
    check(p.returncode == 4, "a missing directory: exit %d, %s"
          % (p.returncode, p.stderr.decode().strip()))

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100))
    big = os.path.join(t, "big.mbox")
    p = run(["-r", syn, "--mbox", big], preexec_fn=small_files)
    check(p.returncode == 4 and b"--mbox" in p.stderr,
          "a write refused (file size limit): exit %d, %s"
          % (p.returncode, p.stderr.decode().strip()))

print("%d failures" % failures)
sys.exit(1 if failures else 0)
