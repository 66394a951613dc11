"""run.py - smtpsniff run on a capture, measured, and its --json read back.

    r = run(BIN, ["-r", path, "--json"], timeout=None, keep=None, out=None)
    r.status    exit status (None: stopped at the timeout; -N: signal N)
    r.recs      the JSON records (those keep(line) lets through, if given;
                with out, a path, the output goes to that file instead)
    r.stderr    what it said there
    r.cpu       user + system CPU seconds (GNU time, all threads)
    r.wall      wall seconds
    r.rss_kb    peak resident set (KiB, GNU time's %M)

The binary runs under /usr/bin/time: a child forked from this script would
carry the script's own peak RSS across exec(2) (getrusage(2): ru_maxrss is
the largest of the process's life, before exec too), GNU time's child does
not. Its output is read as it comes, line by line, so that a run writing
gigabytes is never held here: keep(line) (bytes) says which lines to parse.
Debian's python3, standard library only.
"""
import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time


class Run:
    pass


def run(binary, argv, timeout=None, keep=None, out=None):
    r = Run()
    r.binary = binary
    r.recs, r.lines, r.bad_json = [], 0, 0
    stopped = []

    def stop():  # the group started here: GNU time and smtpsniff under it
        stopped.append(1)
        os.killpg(p.pid, signal.SIGKILL)

    with tempfile.NamedTemporaryFile(prefix="hostile-time-") as tf, \
            tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        dest = open(out, "wb") if out else subprocess.PIPE
        p = subprocess.Popen(["/usr/bin/time", "-f", "%U %S %M", "-o", tf.name, binary] + argv,
                             stdout=dest, stderr=err, start_new_session=True)
        if out:
            dest.close()
        timer = threading.Timer(timeout, stop) if timeout else None
        if timer:
            timer.start()
        for line in p.stdout or ():
            r.lines += 1
            if keep is None or keep(line):
                try:
                    r.recs.append(json.loads(line))
                except ValueError:
                    r.bad_json += 1
        st = p.wait()
        r.wall = time.monotonic() - t0
        if timer:
            timer.cancel()
        err.seek(0)
        r.stderr = err.read().decode(errors="replace")
        with open(tf.name) as f:
            said = [l for l in f.read().split("\n") if l.strip()]
    # GNU time writes "Command exited with non-zero status N" or "Command
    # terminated by signal N" before its own line.
    u, s, m = said[-1].split() if said and len(said[-1].split()) == 3 else ("0", "0", "0")
    r.cpu, r.rss_kb, r.status = float(u) + float(s), int(m), st
    for l in said[:-1]:
        if l.startswith("Command terminated by signal"):
            r.status = -int(l.split()[-1])
    if stopped:
        r.status = None
    return r


def tmpdir(prefix):
    """A scratch directory on disk (TMPDIR, else /var/tmp: /tmp may be a
    small tmpfs), for captures of gigabytes."""
    base = os.environ.get("TMPDIR") or ("/var/tmp" if os.path.isdir("/var/tmp") else None)
    return tempfile.TemporaryDirectory(prefix=prefix, dir=base)


ADDR = re.compile(rb"^\S+ (\[\d+\] )? ?")


def timeline_lines(text, client):
    """The lines of a timeline (bytes) about the flows of client (an
    address) and their messages, without time and flow number: what the
    benches compare between a capture and its ordinary session alone."""
    key = b" " + client.encode() + b" > "
    return [ADDR.sub(b"", l) for l in text.split(b"\n") if key in l]
