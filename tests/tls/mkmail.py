#!/usr/bin/python3
"""mkmail.py - mail sessions over TLS, with their key logs, and the same
sessions in plaintext, for the decryption step's end-to-end test
(tests/cli/tls_decrypt.py; issue 17: a TLS recording, decrypted, gives the
records, messages and verdicts of the plaintext recording of the same
scenario). README-mail.md says what each file holds.

Usage (as root, in the root network namespace; loopback only):
    /usr/bin/python3 tests/tls/mkmail.py [OUTDIR [WORKDIR]]
OUTDIR defaults to this script's directory, WORKDIR (certificate, DKIM key,
raw captures) to /work/tmp-tlscap. Debian's python3, standard library only;
it runs `openssl` (keys, the DKIM signature), `tcpdump` and `editcap`.

The servers are written here, minimal but real: SMTP answers as Postfix
does (EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, QUIT; a fixed queue
ID), POP3 and IMAP as Dovecot does (STLS, USER, PASS, STAT, RETR, QUIT;
CAPABILITY, STARTTLS, LOGIN, SELECT, FETCH, LOGOUT). The clients are
Python's smtplib, poplib and imaplib. A server run without TLS does not
offer STARTTLS/STLS (as a server without a certificate), so that its
replies are those the TLS server gives once TLS is up: what differs
between the two recordings of a case is only the exchange before TLS.

Every case is recorded twice, plaintext and TLS, with the same message
(fixed Message-ID and Date, DKIM-signed with a fixed key), by tcpdump
on lo filtered to the case's port; tcpdump is started, awaited until it
says it listens, and stopped by its own PID with SIGINT. The TLS client's
SSLContext.keylog_filename writes the NSS key log. Every run makes new
keys and randoms, so a run replaces all the files together.
"""
import base64
import hashlib
import os
import random
import re
import shutil
import signal
import smtplib
import poplib
import imaplib
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else HERE
WORK = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else "/work/tmp-tlscap"

SERVER_NAME = "mx.example.test"
HELO = "client.a.example.test"
DOMAIN = "a.example.test"
SELECTOR = "sel"
MAIL_FROM = "alice@a.example.test"
RCPT_TO = "bob@b.example.test"
USER, PASSWORD = "bob", "s3cret pass"
QUEUE_ID = "4D5B21C0A3F"  # fixed: the same reply in every recording
UIDVALIDITY = 1765000000


def run(*cmd, **kw):
    return subprocess.run(list(cmd), check=True, capture_output=True, **kw).stdout


# ---------------------------------------------------------------- keys


def make_keys():
    """The server's self-signed certificate and the DKIM key, kept in WORK
    so that a run again signs the message with the same key."""
    os.makedirs(WORK, exist_ok=True)
    cert, key = os.path.join(WORK, "srv.pem"), os.path.join(WORK, "srv.key")
    if not os.path.exists(cert):
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
            cert, "-days", "3650", "-subj", "/O=smtpsniff test/CN=" + SERVER_NAME, "-addext",
            "subjectAltName=DNS:%s,IP:127.0.0.1" % SERVER_NAME)
    dkim = os.path.join(WORK, "dkim.key")
    if not os.path.exists(dkim):
        run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out",
            dkim)
    return cert, key, dkim


# ---------------------------------------------------------------- the message


def relaxed_header(line):
    """RFC 6376 3.4.2: name lower case, unfolded, runs of WSP one SP."""
    name, value = line.split(b":", 1)
    value = re.sub(rb"[ \t]+", b" ", value.replace(b"\r\n", b"")).strip(b" ")
    return name.strip().lower() + b":" + value


def relaxed_body(body):
    """RFC 6376 3.4.4."""
    lines = [re.sub(rb"[ \t]+", b" ", ln).rstrip(b" ") for ln in body.split(b"\r\n")]
    while lines and lines[-1] == b"":
        lines.pop()
    return b"".join(ln + b"\r\n" for ln in lines)


def make_message(dkim_key):
    """A fixed message over 16 KB (several TLS records each way it goes),
    with lines that SMTP and POP3 must dot-stuff, trailing white space,
    and a valid DKIM signature (rsa-sha256, relaxed/relaxed)."""
    headers = [
        b"From: Alice <%s>" % MAIL_FROM.encode(),
        b"To: Bob <%s>" % RCPT_TO.encode(),
        b"Subject: issue 17: the same mail, in clear and over TLS",
        b"Date: Sat, 06 Dec 2025 18:30:00 +0000",
        b"Message-ID: <20251206183000.17@a.example.test>",
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=us-ascii",
    ]
    body = [b"Hello Bob,", b"", b".A line that starts with a dot.", b".", b"..",
            b"Trailing white space here:   \t", b""]
    for i in range(1, 601):
        body.append(b"line %04d: the quick brown fox jumps over the lazy dog, %s" %
                    (i, b"x" * (i % 17)))
    body += [b"", b"-- ", b"Alice", b""]
    body = b"\r\n".join(body)
    bh = base64.b64encode(hashlib.sha256(relaxed_body(body)).digest())
    signed = [b"from", b"to", b"subject", b"date", b"message-id"]
    sig = (b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s; s=%s;\r\n"
           b"\tt=1765045800; h=%s;\r\n\tbh=%s;\r\n\tb=" %
           (DOMAIN.encode(), SELECTOR.encode(), b":".join(signed), bh))
    by_name = {h.split(b":")[0].lower(): h for h in headers}
    data = b"".join(relaxed_header(by_name[n]) + b"\r\n" for n in signed) + relaxed_header(sig)
    b = base64.b64encode(run("openssl", "dgst", "-sha256", "-sign", dkim_key, input=data))
    return sig + b + b"\r\n" + b"\r\n".join(headers) + b"\r\n\r\n" + body


def write_zone(dkim_key, path):
    """What --verify needs to check the message: SPF for the MAIL FROM and
    the HELO name (the client is 127.0.0.1), the DKIM key, DMARC."""
    der = run("openssl", "pkey", "-in", dkim_key, "-pubout", "-outform", "DER")
    p = base64.b64encode(der).decode()
    parts = " ".join('"%s"' % s for s in
                     ["v=DKIM1; k=rsa; p=" + p[:200]] + [p[i:i + 200] for i in range(200, len(p), 200)])
    with open(path, "w") as f:
        f.write("; mail-example.zone - made by mkmail.py with the captures: the DNS the\n"
                "; mail-*.pcap sessions' message needs for --verify (SPF for 127.0.0.1,\n"
                "; the DKIM key it was signed with, DMARC).\n"
                "$ORIGIN %s.\n$TTL 3600\n"
                "@\tIN\tSOA\tns.%s. hostmaster.%s. 1 3600 600 86400 3600\n"
                "@\tIN\tTXT\t\"v=spf1 ip4:127.0.0.1 -all\"\n"
                "client\tIN\tTXT\t\"v=spf1 ip4:127.0.0.1 -all\"\n"
                "_dmarc\tIN\tTXT\t\"v=DMARC1; p=reject\"\n"
                "%s._domainkey\tIN\tTXT\t%s\n" % (DOMAIN, DOMAIN, DOMAIN, SELECTOR, parts))


# ---------------------------------------------------------------- servers


class Conn:
    """A server's side of a connection, read by lines, that TLS can take
    over (STARTTLS) or hold from the start (implicit TLS)."""

    def __init__(self, sock):
        self.sock, self.buf, self.tls = sock, b"", False

    def readline(self):
        while b"\n" not in self.buf:
            d = self.sock.recv(65536)
            if not d:
                raise EOFError("client closed")
            self.buf += d
        i = self.buf.index(b"\n") + 1
        line, self.buf = self.buf[:i], self.buf[i:]
        return line

    def send(self, data):
        self.sock.sendall(data)

    def start_tls(self, ctx):
        assert not self.buf, "bytes after STARTTLS before the handshake"
        self.sock = ctx.wrap_socket(self.sock, server_side=True)
        self.tls = True

    def close(self):
        """As Postfix and Dovecot do: close_notify, then the TCP close."""
        if self.tls:
            try:
                self.sock.settimeout(2)
                self.sock = self.sock.unwrap()
            except (OSError, ssl.SSLError, ValueError):
                pass
        self.sock.close()


def lines(*ls):
    return b"".join(x + b"\r\n" for x in ls)


def smtp_server(c, tls_ctx, received):
    c.send(b"220 %s ESMTP Postfix\r\n" % SERVER_NAME.encode())
    while True:
        line = c.readline()
        words = line.rstrip(b"\r\n").split(b" ", 1)
        verb = words[0].upper()
        if verb == b"EHLO":
            ext = [SERVER_NAME.encode(), b"PIPELINING", b"SIZE 10240000", b"VRFY", b"ETRN"]
            if tls_ctx and not c.tls:
                ext.append(b"STARTTLS")
            ext += [b"AUTH PLAIN LOGIN", b"ENHANCEDSTATUSCODES", b"8BITMIME", b"DSN", b"SMTPUTF8",
                    b"CHUNKING"]
            c.send(b"".join(b"250%s%s\r\n" % (b" " if i == len(ext) - 1 else b"-", e)
                            for i, e in enumerate(ext)))
        elif verb == b"STARTTLS" and tls_ctx and not c.tls:
            c.send(b"220 2.0.0 Ready to start TLS\r\n")
            c.start_tls(tls_ctx)
        elif verb == b"AUTH":
            arg = words[1].split(b" ")
            resp = arg[1] if len(arg) > 1 else None
            if resp is None:
                c.send(b"334 \r\n")
                resp = c.readline().strip()
            if base64.b64decode(resp) == b"\0%s\0%s" % (USER.encode(), PASSWORD.encode()):
                c.send(b"235 2.7.0 Authentication successful\r\n")
            else:
                c.send(b"535 5.7.8 Error: authentication failed: authentication failure\r\n")
        elif verb == b"MAIL":
            c.send(b"250 2.1.0 Ok\r\n")
        elif verb == b"RCPT":
            c.send(b"250 2.1.5 Ok\r\n")
        elif verb == b"DATA":
            c.send(b"354 End data with <CR><LF>.<CR><LF>\r\n")
            msg = []
            while True:
                ln = c.readline()
                if ln == b".\r\n":
                    break
                msg.append(ln[1:] if ln.startswith(b".") else ln)
            received.append(b"".join(msg))
            c.send(b"250 2.0.0 Ok: queued as %s\r\n" % QUEUE_ID.encode())
        elif verb in (b"RSET", b"NOOP"):
            c.send(b"250 2.0.0 Ok\r\n")
        elif verb == b"QUIT":
            c.send(b"221 2.0.0 Bye\r\n")
            return
        else:
            c.send(b"502 5.5.2 Error: command not recognized\r\n")


def pop3_server(c, tls_ctx, message):
    c.send(b"+OK Dovecot ready.\r\n")
    while True:
        words = c.readline().rstrip(b"\r\n").split(b" ", 1)
        verb = words[0].upper()
        if verb == b"CAPA":
            caps = [b"CAPA", b"TOP", b"UIDL", b"RESP-CODES", b"PIPELINING", b"AUTH-RESP-CODE"]
            if tls_ctx and not c.tls:
                caps.append(b"STLS")
            c.send(lines(b"+OK", *caps, b"USER", b"SASL PLAIN", b"."))
        elif verb == b"STLS" and tls_ctx and not c.tls:
            c.send(b"+OK Begin TLS negotiation now.\r\n")
            c.start_tls(tls_ctx)
        elif verb == b"USER":
            c.send(b"+OK\r\n")
        elif verb == b"PASS":
            ok = words[1] == PASSWORD.encode()
            c.send(b"+OK Logged in.\r\n" if ok else b"-ERR [AUTH] Authentication failed.\r\n")
        elif verb == b"STAT":
            c.send(b"+OK 1 %d\r\n" % len(message))
        elif verb == b"RETR" and words[1:] == [b"1"]:
            body = re.sub(rb"(?m)^\.", b"..", message)
            c.send(b"+OK %d octets\r\n" % len(message) + body + b".\r\n")
        elif verb == b"QUIT":
            c.send(b"+OK Logging out.\r\n")
            return
        else:
            c.send(b"-ERR Unknown command.\r\n")


def imap_server(c, tls_ctx, message):
    caps = b"IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+"
    c.send(b"* OK Dovecot ready.\r\n")
    while True:
        line = c.readline().rstrip(b"\r\n")
        tag, _, rest = line.partition(b" ")
        cmd, _, args = rest.partition(b" ")
        cmd = cmd.upper()
        if cmd == b"CAPABILITY":
            more = b" STARTTLS" if tls_ctx and not c.tls else b""
            c.send(lines(b"* CAPABILITY " + caps + more + b" AUTH=PLAIN",
                         tag + b" OK Pre-login capabilities listed, post-login capabilities have more."))
        elif cmd == b"STARTTLS" and tls_ctx and not c.tls:
            c.send(tag + b" OK Begin TLS negotiation now.\r\n")
            c.start_tls(tls_ctx)
        elif cmd == b"LOGIN":
            ok = args == b'%s "%s"' % (USER.encode(), PASSWORD.encode())
            c.send(tag + (b" OK [CAPABILITY " + caps + b"] Logged in\r\n" if ok else
                          b" NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"))
        elif cmd == b"SELECT":
            c.send(lines(b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
                         b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)]"
                         b" Flags permitted.", b"* 1 EXISTS", b"* 0 RECENT",
                         b"* OK [UNSEEN 1] First unseen.",
                         b"* OK [UIDVALIDITY %d] UIDs valid" % UIDVALIDITY,
                         b"* OK [UIDNEXT 2] Predicted next UID",
                         tag + b" OK [READ-WRITE] Select completed."))
        elif cmd == b"FETCH" and args.upper() == b"1 (UID BODY[])":
            c.send(b"* 1 FETCH (UID 1 FLAGS (\\Seen) BODY[] {%d}\r\n" % len(message) + message +
                   b")\r\n" + tag + b" OK Fetch completed.\r\n")
        elif cmd == b"LOGOUT":
            c.send(lines(b"* BYE Logging out", tag + b" OK Logout completed."))
            return
        else:
            c.send(tag + b" BAD Error in IMAP command received by server.\r\n")


# ---------------------------------------------------------------- clients


def smtp_client(port, mode, ctx, message):
    cls = smtplib.SMTP_SSL if mode == "implicit" else smtplib.SMTP
    s = cls(local_hostname=HELO, **({"context": ctx} if mode == "implicit" else {}))
    s._host = SERVER_NAME  # the SNI and the name checked: connect() takes the address
    s.connect("127.0.0.1", port)
    s.ehlo()
    if mode == "starttls":
        s.starttls(context=ctx)
        s.ehlo()
    s.login(USER, PASSWORD)
    refused = s.sendmail(MAIL_FROM, [RCPT_TO], message)
    assert not refused
    s.quit()


def pop3_client(port, mode, ctx, message):
    if mode == "implicit":
        p = poplib.POP3_SSL("127.0.0.1", port, context=ctx)
    else:
        p = poplib.POP3("127.0.0.1", port)
        if mode == "starttls":
            p.stls(ctx)
    p.user(USER)
    p.pass_(PASSWORD)
    assert p.stat() == (1, len(message))
    _, got, _ = p.retr(1)
    assert b"\r\n".join(got) + b"\r\n" == message, "POP3 message changed"
    p.quit()


def imap_client(port, mode, ctx, message):
    random.seed(17)  # imaplib's tag prefix
    if mode == "implicit":
        m = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=ctx)
    else:
        m = imaplib.IMAP4("127.0.0.1", port)
        if mode == "starttls":
            m.starttls(ctx)
    m.login(USER, PASSWORD)
    m.select("INBOX")
    typ, data = m.fetch("1", "(UID BODY[])")
    assert typ == "OK" and data[0][1] == message, "IMAP message changed"
    m.logout()


# ---------------------------------------------------------------- the cases

# name, protocol, port of the plaintext run, port of the TLS run, mode,
# TLS settings: (maximum version, TLS 1.2 cipher or None).
CASES = [
    ("mail-smtp-starttls13", "smtp", 25, 25, "starttls", ("1.3", None)),
    ("mail-smtp-starttls12-gcm", "smtp", 587, 587, "starttls", ("1.2", "ECDHE-RSA-AES128-GCM-SHA256")),
    ("mail-smtps13", "smtp", 25, 465, "implicit", ("1.3", None)),
    ("mail-pop3-stls13", "pop3", 110, 110, "starttls", ("1.3", None)),
    ("mail-pop3s12-chacha", "pop3", 110, 995, "implicit", ("1.2", "ECDHE-RSA-CHACHA20-POLY1305")),
    ("mail-imap-starttls12-cbc", "imap", 143, 143, "starttls", ("1.2", "ECDHE-RSA-AES128-SHA256")),
    ("mail-imaps13", "imap", 143, 993, "implicit", ("1.3", None)),
]
SERVERS = {"smtp": smtp_server, "pop3": pop3_server, "imap": imap_server}
CLIENTS = {"smtp": smtp_client, "pop3": pop3_client, "imap": imap_client}
DSB = "mail-smtp-starttls13"  # the capture also given with its secrets embedded


def contexts(cert, key, tls, keylog):
    version, cipher = tls
    srv = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    srv.load_cert_chain(cert, key)
    cli = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cli.load_verify_locations(cert)
    cli.keylog_filename = keylog
    if version == "1.3":
        srv.minimum_version = cli.minimum_version = ssl.TLSVersion.TLSv1_3
    else:
        cli.maximum_version = ssl.TLSVersion.TLSv1_2
        cli.set_ciphers(cipher)
        srv.set_ciphers(cipher)
    return srv, cli


def listen(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
    except OSError as e:
        sys.exit("mkmail.py: 127.0.0.1:%d is taken (%s): free it or change CASES" % (port, e))
    s.listen(1)
    return s


def session(proto, port, mode, srv_ctx, cli_ctx, message):
    """One connection: the server in a thread, the client here."""
    ls = listen(port)
    err, received = [], []

    def serve():
        try:
            sock, _ = ls.accept()
            c = Conn(sock)
            if mode == "implicit":
                c.start_tls(srv_ctx)
            arg = received if proto == "smtp" else message
            try:
                SERVERS[proto](c, srv_ctx if mode == "starttls" else None, arg)
            finally:
                c.close()
        except Exception as e:  # handed to the main thread
            err.append(e)
        finally:
            ls.close()

    t = threading.Thread(target=serve)
    t.start()
    CLIENTS[proto](port, mode, cli_ctx, message)
    t.join(10)
    if err:
        raise err[0]
    if proto == "smtp":
        assert received == [message], "SMTP message changed on the way"


def tcp_ends(path, port):
    """How the capture's connection ended: a set of 'client FIN', 'server
    FIN', 'client RST', 'server RST' (the side by the server's port).
    pcap, Ethernet, IPv4, as tcpdump writes it on lo here."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] == b"\xd4\xc3\xb2\xa1" and struct.unpack("<I", data[20:24])[0] == 1
    ends, off = set(), 24
    while off + 16 <= len(data):
        incl = struct.unpack("<I", data[off + 8:off + 12])[0]
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(pkt) < 34 or pkt[12:14] != b"\x08\x00" or pkt[23] != 6:
            continue
        tcp = pkt[14 + (pkt[14] & 15) * 4:]
        if len(tcp) < 14:
            continue
        side = "server" if struct.unpack(">H", tcp[:2])[0] == port else "client"
        if tcp[13] & 0x01:
            ends.add(side + " FIN")
        if tcp[13] & 0x04:
            ends.add(side + " RST")
    return ends


def record(path, port, body):
    """tcpdump on lo for the port while body() runs; stopped by its PID.
    --immediate-mode: without it, packets wait in the kernel's ring for a
    block to fill or time out, and a SIGINT then loses them (-U only
    flushes what tcpdump has been given). A capture that lacks the end of
    the connection is made again: the client's FIN, and the server's FIN
    or (TLS: the server's close_notify came after the client closed) the
    client's RST."""
    for attempt in range(3):
        p = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "--immediate-mode", "-n", "-s", "0",
                              "-Z", "root", "-w", path, "tcp port %d" % port],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            line = p.stderr.readline()
            if b"listening on" not in line:
                raise RuntimeError("tcpdump: %r" % line)
            time.sleep(0.3)
            body()
            time.sleep(1)  # the last FIN and ACK
        finally:
            p.send_signal(signal.SIGINT)
            p.communicate(timeout=10)
        ends = tcp_ends(path, port)
        if "client FIN" in ends and ("server FIN" in ends or "client RST" in ends):
            return
        print("%s: the end of the connection is missing (%s), again" % (path, sorted(ends)))
    sys.exit("mkmail.py: %s: no complete capture in 3 attempts" % path)


def main():
    if os.geteuid() != 0:
        sys.exit("mkmail.py: run as root (tcpdump on lo)")
    cert, key, dkim = make_keys()
    message = make_message(dkim)
    with open(os.path.join(OUT, "mail-message.eml"), "wb") as f:
        f.write(message)
    write_zone(dkim, os.path.join(OUT, "mail-example.zone"))
    for name, proto, plain_port, tls_port, mode, tls in CASES:
        raw = os.path.join(WORK, name + "-plain.pcap")
        record(raw, plain_port, lambda: session(proto, plain_port, "plain", None, None, message))
        shutil.copyfile(raw, os.path.join(OUT, name + "-plain.pcap"))
        keylog = os.path.join(OUT, name + "-tls.keylog")

        def tls_run():
            if os.path.exists(keylog):  # the context appends to it
                os.unlink(keylog)
            srv_ctx, cli_ctx = contexts(cert, key, tls, keylog)
            session(proto, tls_port, mode, srv_ctx, cli_ctx, message)

        raw = os.path.join(WORK, name + "-tls.pcap")
        record(raw, tls_port, tls_run)
        shutil.copyfile(raw, os.path.join(OUT, name + "-tls.pcap"))
        print("%-26s plain :%-4d tls :%-4d %s TLS %s %s" %
              (name, plain_port, tls_port, mode, tls[0], tls[1] or ""))
    run("editcap", "--inject-secrets", "tls," + os.path.join(OUT, DSB + "-tls.keylog"),
        os.path.join(OUT, DSB + "-tls.pcap"), os.path.join(OUT, DSB + "-tls-dsb.pcapng"))


if __name__ == "__main__":
    main()
