#!/usr/bin/python3
"""lab/client.py - the lab's client.a.test: one SMTP scenario as upstream's
send.sh sends it, or one POP3 or IMAP session that lists and retrieves every
message of user1.

  client.py smtp TITLE FROM TO SERVER [ENVELOPE_FROM]   (prints the Message-ID)
  client.py pop3|imap HOST                             (prints the message count)
  client.py --keylog FILE submit TITLE FROM TO SERVER [ENVELOPE_FROM]
  client.py --keylog FILE [--tls12] pop3|imap|pop3s|imaps HOST

Run inside client.a.test's namespace by lab/send and lab/fetch, in the
hosts' time zone. SERVER and HOST are names, looked up through the lab's DNS
(A and AAAA, as telnet asks). The SMTP session is upstream's send.sh, which
pipes its lines into telnet: HELO with FROM's domain, "MAIL FROM: ADDR",
"RCPT TO:   ADDR", DATA, the headers Message-ID (<YYYYmmddHHMMSS.N@domain>,
N a bash $RANDOM), Date, From, "To:   ADDR", "Subject: TITLE (mail from
FROM)", a blank line, "Hello TO!", "." and QUIT, each line 0.1 s after the
one before (QUIT 0.2 s) whatever the server has answered so far, as a pipe
into telnet sends them. The replies are read as they come and checked at
the end: 220, 250, 250, 250, 354, 250, 221, or the scenario fails.
-v writes the dialogue to stderr, as telnet shows it. Debian's python3,
standard library only.

With TLS (lab/up --tls), --keylog FILE names where the client writes its
TLS secrets (RFC 9850, Python's ssl does it through OpenSSL's keylog
callback). submit is the same message submitted as a mail program does on
587: EHLO, STARTTLS, EHLO again, AUTH PLAIN as user1, then the envelope and
the message, each command after the reply to the one before (RFC 3207
forbids sending on before the 220 to STARTTLS). pop3 and imap then begin
with STLS (RFC 2595) and STARTTLS (RFC 9051); pop3s and imaps use TLS from
the first byte, on 995 and 993. --tls12 caps the version at TLS 1.2 (whose
handshake shows the certificate). The lab's certificate is self-signed:
the client takes it unchecked, as Postfix's "may" level does.
"""
import base64
import random
import re
import select
import socket
import ssl
import sys
import time

PAUSE = 0.1
verbose = False
keylog = None
tls12 = False


def tls_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if keylog:
        ctx.keylog_filename = keylog
    return ctx


class Conn:
    def __init__(self, host, port, implicit=False):
        addr = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_STREAM)[0][4]
        self.host = host
        self.sock = socket.create_connection(addr, timeout=30)
        self.buf = b""
        if implicit:
            self.starttls()

    def starttls(self):
        """TLS from here; nothing the server sent may be left unread."""
        if self.buf:
            raise SystemExit("client: %s sent more before TLS: %r" % (self.host, self.buf))
        self.sock = tls_context().wrap_socket(self.sock, server_hostname=self.host)
        if verbose:
            sys.stderr.write("# TLS: %s %s\n" % (self.sock.version(), self.sock.cipher()[0]))

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise SystemExit("client: connection closed by the server")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        if verbose:
            sys.stderr.write("S: %s\n" % line.decode("utf-8", "replace").rstrip("\r"))
        return line + b"\n"

    def exactly(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise SystemExit("client: connection closed by the server")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def send(self, text, pause=True):
        if pause:
            time.sleep(PAUSE)
        if verbose:
            sys.stderr.write("C: %s\n" % text)
        self.sock.sendall(text.encode() + b"\r\n")

    def close(self):
        if isinstance(self.sock, ssl.SSLSocket):
            try:
                self.sock = self.sock.unwrap()  # close_notify, as mail programs send
            except (OSError, ssl.SSLError):
                pass
        self.sock.close()


def smtp(title, hfrom, to, server, envfrom=None):
    envfrom = envfrom or hfrom
    domain = hfrom.split("@", 1)[1] if "@" in hfrom else ""
    t0 = time.monotonic()
    # A and AAAA, as telnet's lookup asks; the lab has IPv4 only.
    addrs = socket.getaddrinfo(server, 25, 0, socket.SOCK_STREAM)
    addr = next(a[4] for a in addrs if a[0] == socket.AF_INET)
    if verbose:
        sys.stderr.write("# telnet %s 25\nTrying %s...\n" % (server, addr[0]))
    sock = socket.create_connection(addr, timeout=30)
    if verbose:
        sys.stderr.write("Connected to %s.\n" % server)
    msgid = [None]

    # Each line is made when send.sh's echo would run: the Message-ID and
    # Date carry the time they were written.
    def message_id():
        msgid[0] = "<%s.%d@%s>" % (time.strftime("%Y%m%d%H%M%S"), random.randrange(32768), domain)
        return "Message-ID: " + msgid[0]

    script = [(0.1, lambda: "HELO " + domain),
              (0.1, lambda: "MAIL FROM: " + envfrom),
              (0.1, lambda: "RCPT TO:   " + to),
              (0.1, lambda: "DATA"),
              (0.1, message_id),
              (0.1, lambda: time.strftime("Date: %a, %d %b %Y %H:%M:%S %z")),
              (0.1, lambda: "From: " + hfrom),
              (0.1, lambda: "To:   " + to),
              (0.1, lambda: "Subject: %s (mail from %s)" % (title, hfrom)),
              (0.1, lambda: ""),
              (0.1, lambda: "Hello %s!" % to),
              (0.1, lambda: "."),
              (0.2, lambda: "QUIT")]
    buf, replies, due, closed = b"", [], t0, False

    def read(until):
        """Takes in what the server says until the monotonic time UNTIL."""
        nonlocal buf, closed
        while not closed:
            wait = until - time.monotonic()
            if wait <= 0 or not select.select([sock], [], [], wait)[0]:
                return
            chunk = sock.recv(65536)
            if not chunk:
                closed = True
                return
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                text = line.decode("utf-8", "replace").rstrip("\r")
                if verbose:
                    sys.stderr.write(text + "\n")
                if not re.match(r"^\d{3}-", text):
                    replies.append(text)

    for pause, make in script:
        due += pause
        read(due)
        line = make()
        if verbose:
            sys.stderr.write(line + "\n")
        try:
            sock.sendall(line.encode() + b"\r\n")
        except OSError as e:
            raise SystemExit("client: %s: %s after %s" % (server, e, replies))
    read(time.monotonic() + 30)
    sock.close()
    if verbose:
        sys.stderr.write("Connection closed by foreign host.\n")
    codes = [r[:3] for r in replies]
    if codes != ["220", "250", "250", "250", "354", "250", "221"]:
        raise SystemExit("client: %s answered %s" % (server, replies))
    print(msgid[0])


def submit(title, hfrom, to, server, envfrom=None):
    """The scenario's message, submitted on 587 after STARTTLS and AUTH."""
    envfrom = envfrom or hfrom
    domain = hfrom.split("@", 1)[1] if "@" in hfrom else ""
    c = Conn(server, 587)

    def reply(want):
        while True:
            line = c.line().decode("utf-8", "replace").rstrip("\r\n")
            if not re.match(r"^\d{3}-", line):
                break
        if not line.startswith(want):
            raise SystemExit("client: %s answered %r (wanted %s)" % (server, line, want))

    def command(text, want):
        c.send(text, pause=False)
        reply(want)

    reply("220")
    command("EHLO " + domain, "250")
    command("STARTTLS", "220")
    c.starttls()
    command("EHLO " + domain, "250")
    command("AUTH PLAIN " + base64.b64encode(b"\0user1\0password").decode(), "235")
    command("MAIL FROM:<%s>" % envfrom, "250")
    command("RCPT TO:<%s>" % to, "250")
    command("DATA", "354")
    msgid = "<%s.%d@%s>" % (time.strftime("%Y%m%d%H%M%S"), random.randrange(32768), domain)
    for line in ["Message-ID: " + msgid, time.strftime("Date: %a, %d %b %Y %H:%M:%S %z"),
                 "From: " + hfrom, "To:   " + to, "Subject: %s (mail from %s)" % (title, hfrom),
                 "", "Hello %s!" % to]:
        c.send(line, pause=False)
    command(".", "250")
    command("QUIT", "221")
    c.close()
    print(msgid)


def pop3(host, mode=""):
    c = Conn(host, 995 if mode == "s" else 110, implicit=mode == "s")

    def ok():
        line = c.line()
        if not line.startswith(b"+OK"):
            raise SystemExit("client: POP3 said %r" % line)

    def multiline():
        out = []
        while True:
            line = c.line()
            if line.rstrip(b"\r\n") == b".":
                return out
            out.append(line)

    ok()
    if mode == "stls":
        c.send("STLS")
        ok()
        c.starttls()
    c.send("USER user1")
    ok()
    c.send("PASS password")
    ok()
    c.send("LIST")
    ok()
    numbers = [int(l.split()[0]) for l in multiline()]
    for n in numbers:
        c.send("RETR %d" % n)
        ok()
        multiline()
    c.send("QUIT")
    ok()
    c.close()
    print(len(numbers))


def imap(host, mode=""):
    c = Conn(host, 993 if mode == "s" else 143, implicit=mode == "s")
    tag = 0

    def command(text):
        """Sends a tagged command; returns the untagged lines, literals in."""
        nonlocal tag
        tag += 1
        t = b"a%d" % tag
        c.send("%s %s" % (t.decode(), text))
        lines = []
        while True:
            line = c.line()
            m = re.search(rb"\{(\d+)\}\r?\n$", line)
            if m:
                line += c.exactly(int(m.group(1)))
                line += c.line()
            if line.startswith(t + b" "):
                if not line.startswith(t + b" OK"):
                    raise SystemExit("client: IMAP said %r" % line)
                return lines
            lines.append(line)

    greeting = c.line()
    if not greeting.startswith(b"* OK"):
        raise SystemExit("client: IMAP greeting %r" % greeting)
    if mode == "stls":
        command("STARTTLS")
        c.starttls()
    command("LOGIN user1 password")
    command('LIST "" "*"')
    exists = 0
    for line in command("SELECT INBOX"):
        m = re.match(rb"\* (\d+) EXISTS", line)
        if m:
            exists = int(m.group(1))
    if exists:
        command("FETCH 1:* (UID RFC822.SIZE BODY.PEEK[])")
    command("LOGOUT")
    c.close()
    print(exists)


def main(argv):
    global verbose, keylog, tls12
    while argv and argv[0] in ("-v", "--keylog", "--tls12"):
        if argv[0] == "-v":
            verbose = True
        elif argv[0] == "--tls12":
            tls12 = True
        elif len(argv) > 1:
            keylog = argv[1]
            argv = argv[1:]
        argv = argv[1:]
    # With a key log, pop3 and imap begin with STLS and STARTTLS.
    plain = "stls" if keylog else ""
    if len(argv) in (5, 6) and argv[0] == "smtp":
        smtp(*argv[1:])
    elif len(argv) in (5, 6) and argv[0] == "submit":
        submit(*argv[1:])
    elif len(argv) == 2 and argv[0] in ("pop3", "pop3s"):
        pop3(argv[1], "s" if argv[0] == "pop3s" else plain)
    elif len(argv) == 2 and argv[0] in ("imap", "imaps"):
        imap(argv[1], "s" if argv[0] == "imaps" else plain)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
