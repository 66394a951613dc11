#!/usr/bin/python3
"""tlsdec.py - how fast smtpsniff decrypts TLS, against `openssl speed` for
the same AEAD (issue 17).

    bench/tlsdec.py [--build DIR] [--dir DIR] [--mb N] [--new] [--only NAME]
                    [--repeat N] [--seconds S] [--perf]

For each suite below, one capture of a POP3S session (port 995) that
retrieves N MB (default 256) of mail in full-size TLS records, with the
client's key log, and one capture of the same session in plaintext (POP3,
port 110: the twin). Then, from a warm page cache, `bare_loop F` (libpcap
alone), `smtpsniff -r F` (the timeline; the TLS records read but not
decrypted: no key log), `smtpsniff -r F --keylog K` (decrypted, the
plaintext read on as POP3, the messages collected), and `smtpsniff -r
TWIN` under GNU time, each --repeat times (default 3; the least wall time
and the least CPU time are kept: the machine is shared); and `openssl speed
-seconds S -bytes 16384 [-decrypt] -evp CIPHER` (one process, one thread;
it divides by user CPU time).

It prints what smtpsniff made of each capture, the times, and the rates:
the MB decrypted (the TLS records' bytes, as smtpsniff counts them) over
the keylog run's wall time and over its CPU time (both threads), each as a
ratio to openssl speed's; the marginal rate, MB over the CPU time the
keylog run takes beyond the plaintext twin's; and with --perf, the rate of
the decryption proper: MB over the keylog run's CPU time times the share of
perf samples (perf record --call-graph dwarf) under tlsdec_record(), with
where the rest of the samples fall. Peak RSS is the keylog run's. These are
measurements on a noisy machine, not tests: no pass or fail on time.

Suites (TLS 1.3's three, and two of TLS 1.2): TLS_AES_128_GCM_SHA256,
TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256, ECDHE-RSA-AES128-GCM-
SHA256, ECDHE-RSA-AES128-SHA (AES-CBC with HMAC-SHA1; OpenSSL negotiates
encrypt-then-MAC, RFC 7366). The yardstick of the CBC suite is AES-128-CBC
decryption and HMAC-SHA1 one after the other: 1 / (1/cbc + 1/hmac).

The captures: a network namespace of this script's own (`ip netns add`,
deleted on the way out whatever happens; the recording process in it is
stopped by its PID first), its loopback only (MTU 65536: frames up to 64
KiB, so per-packet costs stay small beside the decryption), tcpdump on it.
The server is written here (Python's ssl, which writes records of 16,384
bytes of plaintext from a large sendall); it answers as Dovecot does (USER,
PASS, STAT, RETR, QUIT) and serves the same 8 MiB message body under a new
Message-ID for each RETR (messages stay under --max-message and
--max-messages-mem). The client is `openssl s_client -quiet -keylogfile K`
with the suite's -ciphersuites or -cipher, driven through its stdin and
stdout (a plain socket for the twin). A capture is kept only when tcpdump
dropped nothing and every message came through whole; smtpsniff's JSON
(untimed) must then show one flow without gaps, every message with the
SHA-256 of the bytes sent, the suite, and the records decrypted.

Files go to --dir (default ${BENCH_DIR:-/var/tmp/smtpsniff-bench}/tls), not
the tree: NAME.pcap, NAME.keylog, NAME.stderr (s_client's), plain-pop3.pcap,
the server's key and certificate. Later runs reuse them (--new makes them again). Recording
needs root (the namespace, tcpdump); the timing does not. Debian's python3,
standard library only; runs ip, tcpdump, openssl, /usr/bin/time, and perf
for --perf.
"""
import argparse
import base64
import hashlib
import json
import os
import random
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
PORT = 995
PLAIN_PORT = 110  # the plaintext twin
PLAIN = "plain-pop3"
SERVER_NAME = "mx.example.test"
USER, PASSWORD = "bob", "s3cret pass"
MSG_MB = 8  # each message; --max-message is 64M
RECORD = 16384  # the record size: what openssl speed is asked for

# name, s_client options, server's TLS 1.2 cipher (None: TLS 1.3, the
# client offers one suite), the suite as smtpsniff names it, the openssl
# speed yardsticks (each: arguments after `openssl speed`; more than one:
# run one after the other on the same bytes).
SUITES = [
    ("tls13-aes128gcm", ["-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"], None,
     "TLS_AES_128_GCM_SHA256", [["-decrypt", "-evp", "aes-128-gcm"]]),
    ("tls13-aes256gcm", ["-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384"], None,
     "TLS_AES_256_GCM_SHA384", [["-decrypt", "-evp", "aes-256-gcm"]]),
    ("tls13-chacha", ["-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"], None,
     "TLS_CHACHA20_POLY1305_SHA256", [["-decrypt", "-evp", "chacha20-poly1305"]]),
    ("tls12-aes128gcm", ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"],
     "ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
     [["-decrypt", "-evp", "aes-128-gcm"]]),
    ("tls12-aes128cbc-sha", ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA"], "ECDHE-RSA-AES128-SHA",
     "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", [["-decrypt", "-evp", "aes-128-cbc"], ["-hmac", "sha1"]]),
]


def die(msg):
    sys.exit("tlsdec.py: " + msg)


def run(*cmd, **kw):
    return subprocess.run(list(cmd), check=True, capture_output=True, **kw).stdout


# ---------------------------------------------------------------- recording (in the namespace)


def make_body():
    """MSG_MB MiB of base64 lines of seeded random bytes: no line starts
    with a dot, so POP3's dot-stuffing leaves it as it is."""
    raw = random.Random(17).randbytes(MSG_MB * 1024 * 1024 * 3 // 4)
    b = base64.b64encode(raw)
    return b"".join(b[i:i + 76] + b"\r\n" for i in range(0, len(b), 76))


def message(i, body):
    head = (b"From: Alice <alice@a.example.test>\r\nTo: Bob <bob@b.example.test>\r\n"
            b"Subject: tlsdec bench %04d\r\nDate: Sun, 06 Dec 2026 18:30:00 +0000\r\n"
            b"Message-ID: <tlsdec.%04d@a.example.test>\r\n\r\n" % (i, i))
    return head + body


def pop3s_server(ls, ctx, body, count, err):
    """One POP3S session (ctx None: POP3), as Dovecot answers; errors
    handed to err."""
    try:
        sock, _ = ls.accept()
        s = ctx.wrap_socket(sock, server_side=True) if ctx else sock
        buf = b""
        s.sendall(b"+OK Dovecot ready.\r\n")
        size = len(message(1, body))
        while True:
            while b"\n" not in buf:
                d = s.recv(4096)
                if not d:
                    raise EOFError("client closed before QUIT")
                buf += d
            line, buf = buf.split(b"\n", 1)
            words = line.rstrip(b"\r").split(b" ")
            verb = words[0].upper()
            if verb in (b"USER", b"PASS"):
                s.sendall(b"+OK\r\n" if verb == b"USER" else b"+OK Logged in.\r\n")
            elif verb == b"STAT":
                s.sendall(b"+OK %d %d\r\n" % (count, count * size))
            elif verb == b"RETR":
                m = message(int(words[1]), body)
                s.sendall(b"+OK %d octets\r\n" % len(m) + m + b".\r\n")
            elif verb == b"QUIT":
                s.sendall(b"+OK Logging out.\r\n")
                break
            else:
                s.sendall(b"-ERR Unknown command.\r\n")
        try:  # close_notify, then the TCP close
            if ctx:
                s.settimeout(5)
                s = s.unwrap()
        except (OSError, ssl.SSLError, ValueError):
            pass
        s.close()
    except Exception as e:  # noqa: BLE001 - handed to the main thread
        err.append(e)
    finally:
        ls.close()


class Pipe:
    """s_client's stdout, read in large pieces."""

    def __init__(self, fd):
        self.fd, self.buf = fd, b""

    def until(self, end, keep=True):
        """Bytes up to and with end; keep=False counts them only."""
        got, kept = 0, []
        while True:
            i = self.buf.find(end)
            if i >= 0:
                i += len(end)
                got += i
                if keep:
                    kept.append(self.buf[:i])
                self.buf = self.buf[i:]
                return b"".join(kept) if keep else got
            # keep the last len(end)-1 bytes: the end may straddle two reads
            cut = max(0, len(self.buf) - len(end) + 1)
            got += cut
            if keep:
                kept.append(self.buf[:cut])
            self.buf = self.buf[cut:]
            d = os.read(self.fd, 1 << 20)
            if not d:
                raise EOFError("s_client ended early")
            self.buf += d


def record_one(name, opts, cipher12, outdir, count):
    """Records NAME.pcap and NAME.keylog in outdir: run in the namespace.
    opts None: the plaintext twin, POP3 on port 110, no key log."""
    cert, key = os.path.join(outdir, "srv.pem"), os.path.join(outdir, "srv.key")
    cap, keylog = os.path.join(outdir, name + ".pcap"), os.path.join(outdir, name + ".keylog")
    for f in (cap, keylog):
        if os.path.exists(f):
            os.unlink(f)
    body = make_body()
    size = len(message(1, body))
    port = PORT if opts is not None else PLAIN_PORT
    ctx = None
    if opts is not None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
    if cipher12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(cipher12)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(1)

    errlog = open(os.path.join(outdir, name + ".stderr"), "w+b")
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-n", "-s", "0", "-B", "262144",
                             "--immediate-mode", "-Z", "root", "-w", cap, "tcp port %d" % port],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    client, sock = None, None
    try:
        line = dump.stderr.readline()
        if b"listening on" not in line:
            raise RuntimeError("tcpdump: %r" % line)
        time.sleep(0.3)
        err = []
        t = threading.Thread(target=pop3s_server, args=(ls, ctx, body, count, err))
        t.start()
        if opts is not None:
            client = subprocess.Popen(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                                       "-servername", SERVER_NAME, "-CAfile", cert, "-quiet",
                                       "-keylogfile", keylog] + opts,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errlog)
            out = Pipe(client.stdout.fileno())

            def say(cmd):
                client.stdin.write(cmd + b"\r\n")
                client.stdin.flush()
        else:
            sock = socket.create_connection(("127.0.0.1", port))
            out = Pipe(sock.fileno())

            def say(cmd):
                sock.sendall(cmd + b"\r\n")

        def ok():
            r = out.until(b"\r\n")
            if not r.startswith(b"+OK"):
                raise RuntimeError("server said %r" % r)
            return r

        ok()
        for cmd in (b"USER " + USER.encode(), b"PASS " + PASSWORD.encode(), b"STAT"):
            say(cmd)
            ok()
        t0 = time.monotonic()
        for i in range(1, count + 1):
            say(b"RETR %d" % i)
            r = ok()
            if r != b"+OK %d octets\r\n" % size:
                raise RuntimeError("RETR %d: %r" % (i, r))
            got = out.until(b"\r\n.\r\n", keep=False)
            if got != size + 3:
                raise RuntimeError("RETR %d: %d bytes, not %d" % (i, got, size + 3))
        secs = time.monotonic() - t0
        say(b"QUIT")
        ok()
        if client:
            client.stdin.close()
            client.wait(timeout=30)
        else:
            while os.read(sock.fileno(), 65536):  # the server's close
                pass
            sock.close()
        t.join(30)
        if err:
            raise err[0]
        time.sleep(1)  # the last FIN and ACK
    finally:
        if client and client.poll() is None:
            client.kill()
            client.wait()
        if sock:
            sock.close()
        errlog.close()
        dump.send_signal(signal.SIGINT)
        _, stats = dump.communicate(timeout=60)
    m = re.search(rb"(\d+) packets? dropped by kernel", stats)
    if not m or m.group(1) != b"0":
        raise RuntimeError("tcpdump dropped packets: %r" % stats)
    print("tlsdec: %s: %d messages of %d bytes in %.1f s, %s" %
          (name, count, size, secs, stats.decode().strip().replace("\n", ", ")), flush=True)


# ---------------------------------------------------------------- the namespace


class Namespace:
    """A network namespace with its loopback up, deleted on exit; the
    process running in it is stopped first, by its PID."""

    def __init__(self):
        self.name = "ss-tlsdec-%d" % os.getpid()
        self.child = None
        run("ip", "netns", "add", self.name)
        try:
            run("ip", "netns", "exec", self.name, "ip", "link", "set", "lo", "up")
        except BaseException:
            self.close()
            raise

    def run(self, cmd):
        self.child = subprocess.Popen(["ip", "netns", "exec", self.name] + cmd)
        rc = self.child.wait()
        self.child = None
        return rc

    def close(self):
        if self.child and self.child.poll() is None:
            self.child.terminate()
            try:
                self.child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait()
        subprocess.run(["ip", "netns", "delete", self.name], check=False)


def record_all(suites, outdir, mb):
    if os.geteuid() != 0:
        die("recording needs root (a network namespace, tcpdump)")
    cert, key = os.path.join(outdir, "srv.pem"), os.path.join(outdir, "srv.key")
    if not os.path.exists(cert):
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
            cert, "-days", "3650", "-subj", "/O=smtpsniff bench/CN=" + SERVER_NAME, "-addext",
            "subjectAltName=DNS:%s,IP:127.0.0.1" % SERVER_NAME)
    count = max(1, mb // MSG_MB)
    ns = Namespace()
    try:
        for s in suites:
            cmd = [sys.executable, os.path.abspath(__file__), "--record", s[0], outdir, str(count)]
            if ns.run(cmd) != 0:
                die("%s: recording failed" % s[0])
    finally:
        ns.close()


# ---------------------------------------------------------------- checking and timing


def check(smtpsniff, suite, cap, keylog, count):
    """What smtpsniff --json makes of the capture (untimed): the suite,
    no gap, every message whole with the SHA-256 of what was sent, the
    records decrypted. Returns the TLS records' bytes and counts (suite
    None: the plaintext twin, messages and gaps only)."""
    name, _, _, cipher, _ = suite or (PLAIN, None, None, None, None)
    body = make_body()
    want = {hashlib.sha256(message(i, body)).hexdigest() for i in range(1, count + 1)}
    out = run(smtpsniff, "-r", cap, "--json", *(["--keylog", keylog] if suite else [])).decode()
    got, end, flows = set(), None, []
    for line in out.splitlines():
        r = json.loads(line)
        if r["type"] == "message" and not r["incomplete"]:
            got.add(r["sha256"])
        elif r["type"] == "tls" and r["what"] == "end":
            end = r
        elif r["type"] == "flow":
            flows.append(r)
        elif r["type"] == "anomaly" and r.get("what", "").startswith("tls_"):
            die("%s: %s" % (name, line))
    if len(flows) != 1 or flows[0]["c2s"]["gaps"] or flows[0]["s2c"]["gaps"]:
        die("%s: gaps or more than one flow" % name)
    if got != want:
        die("%s: %d of %d messages came out whole" % (name, len(got & want), len(want)))
    if not suite:
        return None
    if end is None or end["cipher"] != cipher:
        die("%s: no TLS end record with %s" % (name, cipher))
    m = re.search(r"decrypted (\d+) records to the server, (\d+) back", end["detail"])
    recs = end["to_server"]["records"] + end["to_client"]["records"]
    dec = int(m.group(1)) + int(m.group(2)) if m else 0
    if dec < recs - 10:
        die("%s: %d of %d records decrypted" % (name, dec, recs))
    nbytes = end["to_server"]["bytes"] + end["to_client"]["bytes"]
    return nbytes, recs, dec, end.get("etm")


def timed(cmd, path, repeat=1):
    """The best of repeat runs, each from a warm page cache: (wall s, CPU
    s, peak RSS KiB), each the least of the runs."""
    if repeat > 1:
        runs = [timed(cmd, path) for _ in range(repeat)]
        return tuple(min(r[i] for r in runs) for i in range(3))
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass
    with tempfile.NamedTemporaryFile() as tf:
        t0 = time.perf_counter()
        subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", tf.name] + cmd, check=True,
                       stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        rss, user, sys_ = open(tf.name).read().split()[-3:]
    return wall, float(user) + float(sys_), int(rss)


def speed(args, seconds):
    """openssl speed's rate in MB/s (10^6) for RECORD-byte blocks."""
    out = run("openssl", "speed", "-seconds", str(seconds), "-bytes", str(RECORD), *args).decode()
    last = out.strip().splitlines()[-1].split()
    return float(last[-1].rstrip("k")) * 1000 / 1e6


# where the keylog run's time goes: functions (with what they call) and
# where the samples fall (self), as shares of all samples of both threads
PERF_PARENTS = ["tlsdec_record", "aead_open", "lineproto_feed", "msgmem_add", "source_run",
                "scan", "pending_feed", "pcap_next_ex"]


def perf_profile(cmd, outdir, name):
    """(share under tlsdec_record, text) from perf record --call-graph
    dwarf (libcrypto has no frame pointers)."""
    data = os.path.join(outdir, name + ".perf.data")
    try:
        run("perf", "record", "-F", "1999", "--call-graph", "dwarf,16384", "-o", data, "--", *cmd)
        rep = run("perf", "report", "-i", data, "--stdio", "--children", "-g", "none", "--sort",
                  "symbol", "-q").decode()
        top = run("perf", "report", "-i", data, "--stdio", "--no-children", "-g", "none",
                  "--sort", "dso,symbol", "--percent-limit", "2", "-q").decode()
    finally:
        if os.path.exists(data):
            os.unlink(data)
    share, lines = {}, []
    for ln in rep.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+([\d.]+)%\s+\[.\]\s+(\S+)", ln)
        if m and m.group(3) in PERF_PARENTS and m.group(3) not in share:
            share[m.group(3)] = float(m.group(1)) / 100
    for p in PERF_PARENTS:
        lines.append("  %5.1f%%  %s (and what it calls)" % (100 * share.get(p, 0), p))
    lines.append("  self, >= 2%:")
    lines += ["  " + " ".join(ln.split()[:4]) for ln in top.splitlines() if ln.strip()]
    return share.get("tlsdec_record", 0) or float("nan"), "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description="smtpsniff's TLS decryption against openssl speed")
    ap.add_argument("--build", default=os.path.join(TOP, os.environ.get("BUILD", "build")))
    ap.add_argument("--dir", default=os.path.join(
        os.environ.get("BENCH_DIR", "/var/tmp/smtpsniff-bench"), "tls"))
    ap.add_argument("--mb", type=int, default=256, help="MB of mail per capture (default 256)")
    ap.add_argument("--new", action="store_true", help="record the captures again")
    ap.add_argument("--only", action="append", help="this suite only (repeatable)")
    ap.add_argument("--seconds", type=int, default=3, help="openssl speed's time per cipher")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of each reader, the least time kept (default 3)")
    ap.add_argument("--perf", action="store_true", help="profile each keylog run")
    ap.add_argument("--record", nargs=3, help=argparse.SUPPRESS)  # NAME OUTDIR COUNT, in the ns
    a = ap.parse_args()

    # SIGTERM and SIGHUP unwind like ^C: the namespace goes, children stop
    def stop(signum, _frame):
        raise KeyboardInterrupt("signal %d" % signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    if a.record:
        s = ([x for x in SUITES if x[0] == a.record[0]] or [(PLAIN, None, None)])[0]
        try:
            record_one(s[0], s[1], s[2], a.record[1], int(a.record[2]))
        except BaseException:  # no half capture left to be reused
            for ext in (".pcap", ".keylog"):
                path = os.path.join(a.record[1], s[0] + ext)
                if os.path.exists(path):
                    os.unlink(path)
            raise
        return

    suites = [s for s in SUITES if not a.only or s[0] in a.only]
    if not suites:
        die("no suite named %s" % a.only)
    smtpsniff = os.path.join(a.build, "smtpsniff")
    bare = os.path.join(a.build, "bench", "bare_loop")
    for b in (smtpsniff, bare):
        if not os.access(b, os.X_OK):
            die("no %s: build first (make build, or --build DIR)" % b)
    os.makedirs(a.dir, exist_ok=True)
    count = max(1, a.mb // MSG_MB)
    todo = [s for s in suites if a.new or not all(
        os.path.exists(os.path.join(a.dir, s[0] + ext)) for ext in (".pcap", ".keylog"))]
    plain = os.path.join(a.dir, PLAIN + ".pcap")
    if a.new or not os.path.exists(plain):
        todo.append((PLAIN,))
    if todo:
        record_all(todo, a.dir, a.mb)

    rates = {}  # openssl speed, once per distinct yardstick
    check(smtpsniff, None, plain, None, count)
    t_plain = timed([smtpsniff, "-r", plain], plain, a.repeat)
    print("tlsdec: %s: %.3f s (CPU %.2f s)" % (PLAIN, t_plain[0], t_plain[1]), flush=True)
    rows = []
    for s in suites:
        name = s[0]
        cap, keylog = os.path.join(a.dir, name + ".pcap"), os.path.join(a.dir, name + ".keylog")
        nbytes, recs, dec, etm = check(smtpsniff, s, cap, keylog, count)
        packets = int(run(bare, cap).split()[0])
        t_bare = timed([bare, cap], cap, a.repeat)
        t_clear = timed([smtpsniff, "-r", cap], cap, a.repeat)
        t_key = timed([smtpsniff, "-r", cap, "--keylog", keylog], cap, a.repeat)
        inv = 0.0
        for y in s[4]:
            k = " ".join(y)
            if k not in rates:
                rates[k] = speed(y, a.seconds)
            inv += 1 / rates[k]
        prof = perf_profile([smtpsniff, "-r", cap, "--keylog", keylog], a.dir, name) \
            if a.perf else None
        rows.append((name, s[3], nbytes, recs, dec, etm, packets, os.path.getsize(cap), t_bare,
                     t_clear, t_key, 1 / inv, prof))
        print("tlsdec: %s: bare %.3f s, no key %.3f s, keylog %.3f s" %
              (name, t_bare[0], t_clear[0], t_key[0]), flush=True)

    print()
    print("%s, %d cores, load %.1f, %s, %s" % (
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.cpu_count(), os.getloadavg()[0],
        os.uname().release, run("openssl", "version").decode().strip()))
    for r in rows:
        print("%-20s %-38s %6.1f MB %5d packets %6d records (%d decrypted, %.0f B each)%s" %
              (r[0], r[1], r[7] / 1e6, r[6], r[3], r[4], r[2] / r[3], " etm" if r[5] else ""))
    print("%-20s %-38s %6.1f MB" % (PLAIN, "(the same POP3 session, no TLS)",
                                    os.path.getsize(plain) / 1e6))
    print()
    print("%-20s %7s %7s %15s %15s %7s" % ("run: wall s (CPU s)", "MB dec", "bare", "no key",
                                           "keylog", "RSS MB"))
    for r in rows:
        (wb, _, _), (wc, cc, _), (wk, ck, rss) = r[8], r[9], r[10]
        print("%-20s %7.1f %7.3f %7.3f (%5.2f) %7.3f (%5.2f) %7.1f" %
              (r[0], r[2] / 1e6, wb, wc, cc, wk, ck, rss / 1024))
    print("%-20s %7s %7s %7.3f (%5.2f) %15s %7.1f" % (PLAIN, "-", "-", t_plain[0], t_plain[1], "-",
                                                     t_plain[2] / 1024))
    print()
    hdr = "%-20s %8s %8s %8s %6s %6s %8s %6s" % ("rates: MB/s", "wall", "CPU", "openssl", "wall",
                                                 "CPU", "marginal", "ratio")
    print(hdr + ("  %8s %6s" % ("tlsdec", "ratio") if a.perf else ""))
    for r in rows:
        mb, ossl, (wk, ck, _) = r[2] / 1e6, r[11], r[10]
        marg = mb / (ck - t_plain[1]) if ck > t_plain[1] else float("inf")
        line = "%-20s %8.1f %8.1f %8.1f %6.2f %6.2f %8.1f %6.2f" % (
            r[0], mb / wk, mb / ck, ossl, mb / wk / ossl, mb / ck / ossl, marg, marg / ossl)
        if r[12]:
            t = r[12][0] * ck
            line += "  %8.1f %6.2f" % (mb / t, mb / t / ossl)
        print(line)
    print("""
MB dec: the TLS records' bytes, as smtpsniff counts them (10^6 bytes). Rates: MB dec over
the keylog run's wall time and its CPU time (user + system, both threads), and each over
openssl speed's (-bytes %d, one core; it divides by user CPU time); marginal: MB dec over
the CPU time the keylog run takes beyond the plaintext twin's (TLS records read and
decrypted), and its ratio.%s""" % (RECORD, "" if not a.perf else """ tlsdec: MB dec over the keylog run's CPU time times
the share of perf samples under tlsdec_record() (the decryption proper), and its ratio."""))
    for k, v in sorted(rates.items()):
        print("  openssl speed %-36s %8.1f MB/s" % (k, v))
    for r in rows:
        if r[12]:
            print("\nperf: %s: smtpsniff -r F --keylog K, share of samples under each\n%s" %
                  (r[0], r[12][1]))

if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt as e:
        sys.exit("tlsdec.py: stopped (%s)" % (e or "interrupt"))
