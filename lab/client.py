#!/usr/bin/python3
"""lab/client.py - the lab's client.a.test: one SMTP scenario, or one POP3 or
IMAP session that lists and retrieves every message of user1.

  client.py smtp HOST NAME MAILFROM RCPTTO FROM   (prints the Message-ID)
  client.py pop3|imap HOST                         (prints the message count)

Run inside client.a.test's namespace by lab/send and lab/fetch. HOST is a
name, looked up through the lab's DNS as a real client would. The SMTP
dialogue is the upstream lab's: HELO, MAIL FROM, RCPT TO, DATA, the headers
Message-ID, Date, From, To, Subject, a blank line, one body line, ".", QUIT,
one line at a time with 0.1 s pauses, the envelope without angle brackets.
Each command waits for its reply; DATA's lines have nothing to wait for.
-v writes the dialogue to stderr. Debian's python3, standard library only.
"""
import email.utils
import re
import socket
import sys
import time

PAUSE = 0.1
verbose = False


class Conn:
    def __init__(self, host, port):
        addr = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_STREAM)[0][4]
        self.sock = socket.create_connection(addr, timeout=30)
        self.buf = b""

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
        self.sock.close()


def smtp_reply(c, want):
    while True:
        line = c.line()
        if not re.match(rb"^\d{3}-", line):
            break
    if not line.startswith(want.encode()):
        raise SystemExit("client: expected %s, got %r" % (want, line))


def smtp(host, name, mail_from, rcpt_to, header_from):
    msgid = "<%s.%d@client.a.test>" % (name, time.time_ns())
    c = Conn(host, 25)
    smtp_reply(c, "220")
    c.send("HELO client.a.test")
    smtp_reply(c, "250")
    c.send("MAIL FROM: %s" % mail_from)
    smtp_reply(c, "250")
    c.send("RCPT TO: %s" % rcpt_to)
    smtp_reply(c, "250")
    c.send("DATA")
    smtp_reply(c, "354")
    for line in ("Message-ID: %s" % msgid,
                 "Date: %s" % email.utils.formatdate(localtime=True),
                 "From: %s" % header_from,
                 "To: %s" % rcpt_to,
                 "Subject: %s" % name,
                 "",
                 "This is %s of the smtpbook lab." % name,
                 "."):
        c.send(line)
    smtp_reply(c, "250")
    c.send("QUIT")
    smtp_reply(c, "221")
    c.close()
    print(msgid)


def pop3(host):
    c = Conn(host, 110)

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


def imap(host):
    c = Conn(host, 143)
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
    global verbose
    if argv and argv[0] == "-v":
        verbose = True
        argv = argv[1:]
    if len(argv) == 6 and argv[0] == "smtp":
        smtp(*argv[1:])
    elif len(argv) == 2 and argv[0] == "pop3":
        pop3(argv[1])
    elif len(argv) == 2 and argv[0] == "imap":
        imap(argv[1])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
