#!/usr/bin/python3
"""mkseeds_mail.py - writes the seeds of fuzz_pop3 and fuzz_imap.

Usage: mkseeds_mail.py [TOPDIR]
Each seed is a conversation as chunks.h reads it: chunks cut by b"\\xff\\xfe",
client first, then server, and so on; a chunk starting b"\\xff\\xfd" is a gap
of the rest's length. The sessions are those of the unit tests and the lab
(a message of pcaps/ retrieved whole), so the fuzzer starts from every
state the dissectors have: multi-line responses, literals both ways, SASL,
IDLE, TLS, COMPRESS=DEFLATE, gaps inside and across literals.
"""
import os
import sys
import zlib

top = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..')
SEP, GAP = b'\xff\xfe', b'\xff\xfd'
lab = open(os.path.join(top, 'pcaps', 'scenario1-1.eml'), 'rb').read().replace(b'\n', b'\r\n')


def conv(*turns):
    """turns: ('c'|'s'|'cgap'|'sgap', bytes); empty chunks keep the alternation."""
    out, side = [], 'c'
    for who, data in turns:
        if who[0] != side:
            out.append(b'')
            side = who[0]
        out.append(GAP + data if who.endswith('gap') else data)
        side = 's' if side == 'c' else 'c'
    return SEP.join(out)


def stuff(msg):
    return b''.join((b'.' + l if l.startswith(b'.') else l) for l in msg.splitlines(True))


pop3 = {
    'lab': conv(('s', b'+OK Dovecot (Debian) ready.\r\n'), ('c', b'USER user1\r\n'),
                ('s', b'+OK\r\n'), ('c', b'PASS password\r\n'), ('s', b'+OK Logged in.\r\n'),
                ('c', b'LIST\r\n'), ('s', b'+OK 1 messages:\r\n1 %d\r\n.\r\n' % len(lab)),
                ('c', b'RETR 1\r\n'), ('s', b'+OK %d octets\r\n' % len(lab) + stuff(lab) + b'.\r\n'),
                ('c', b'QUIT\r\n'), ('s', b'+OK Logging out.\r\n')),
    'pipelined-stuffed': conv(('s', b'+OK ready\r\n'),
                              ('c', b'CAPA\r\nAPOP u c4c9334bac560ecc979e58001b3e22fb\r\nSTAT\r\n'
                                    b'RETR 1\r\nTOP 1 0\r\nUIDL\r\nDELE 1\r\nQUIT\r\n'),
                              ('s', b'+OK\r\nPIPELINING\r\n.\r\n+OK\r\n+OK 1 9\r\n+OK\r\na: b\r\n\r\n'
                                    b'..x\r\n..\r\n.\r\n+OK\r\na: b\r\n\r\n.\r\n-ERR no\r\n'
                                    b'+OK\r\n+OK bye\r\n')),
    'auth-stls': conv(('s', b'+OK ready\r\n'), ('c', b'AUTH PLAIN\r\n'), ('s', b'+ \r\n'),
                      ('c', b'AHVzZXIxAHNlY3JldA==\r\n'), ('s', b'-ERR no\r\n'),
                      ('c', b'AUTH LOGIN dXNlcjI=\r\n'), ('s', b'+ UGFzc3dvcmQ6\r\n'),
                      ('c', b'*\r\n'), ('s', b'-ERR cancelled\r\n'), ('c', b'STLS\r\n'),
                      ('s', b'+OK go\r\n'), ('c', b'\x16\x03\x01\x00\x05hello')),
    'gaps': conv(('s', b'+OK ready\r\n'), ('c', b'RETR 1\r\n'),
                 ('s', b'+OK 30 octets\r\nSubject: g\r\n\r\nfirst\r\n'), ('sgap', b'lost\r\n.\r\n'),
                 ('c', b'RETR 2\r\n'), ('s', b'+OK\r\nx\r\n.\r\n'), ('cgap', b'NOOP\r\n'),
                 ('s', b'+OK\r\nline\r\n.\r\n')),
}

imap = {
    'lab': conv(('s', b'* OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+ AUTH=PLAIN] ready.\r\n'),
                ('c', b'a1 LOGIN user1 password\r\n'), ('s', b'a1 OK Logged in\r\n'),
                ('c', b'a2 LIST "" "*"\r\n'), ('s', b'* LIST (\\HasNoChildren) "." INBOX\r\na2 OK\r\n'),
                ('c', b'a3 SELECT INBOX\r\n'), ('s', b'* 1 EXISTS\r\n* OK [UIDNEXT 2] x\r\na3 OK\r\n'),
                ('c', b'a4 FETCH 1:* (UID RFC822.SIZE BODY.PEEK[])\r\n'),
                ('s', b'* 1 FETCH (UID 1 RFC822.SIZE %d BODY[] {%d}\r\n' % (len(lab), len(lab)) + lab
                      + b')\r\na4 OK Fetch completed.\r\n'),
                ('c', b'a5 LOGOUT\r\n'), ('s', b'* BYE Logging out\r\na5 OK Logout completed.\r\n')),
    'literals': conv(('s', b'* OK ready\r\n'), ('c', b'a1 LOGIN {5}\r\n'), ('s', b'+ go\r\n'),
                     ('c', b'user1 {8}\r\n'), ('s', b'+ go\r\n'), ('c', b'password\r\n'),
                     ('s', b'a1 OK\r\n'),
                     ('c', b'A2 APPEND INBOX (\\Seen) {14+}\r\nSubject: x\r\n\r\n ~{3+}\r\nabc\r\n'),
                     ('s', b'A2 OK [APPENDUID 1 7] done\r\n'), ('c', b'A3 APPEND x {100}\r\n'),
                     ('s', b'A3 NO [TRYCREATE] no\r\n'),
                     ('c', b'a4 UID FETCH 7 (ENVELOPE BODY[HEADER] BODY[TEXT] BINARY[] BODY[]<0.4>)\r\n'),
                     ('s', b'* 1 FETCH (ENVELOPE ("d" {3}\r\nsub NIL) BODY[HEADER] {14}\r\n'
                           b'Subject: x\r\n\r\n BODY[TEXT] {0}\r\n BINARY[] ~{3}\r\na\x00b '
                           b'BODY[]<0> {4}\r\nSubj UID 7)\r\na4 OK\r\n')),
    'auth-idle-tls': conv(('s', b'* OK ready\r\n'), ('c', b'a1 AUTHENTICATE PLAIN AHVzZXIxAHNlY3JldA==\r\n'),
                          ('s', b'a1 NO\r\n'), ('c', b'a2 AUTHENTICATE LOGIN\r\n'),
                          ('s', b'+ VXNlcm5hbWU6\r\n'), ('c', b'dXNlcjI=\r\n'), ('s', b'+ UGFzc3dvcmQ6\r\n'),
                          ('c', b'cGFzc3dvcmQy\r\n'), ('s', b'a2 OK\r\n'), ('c', b'a3 IDLE\r\n'),
                          ('s', b'+ idling\r\n* 4 EXISTS\r\n'), ('c', b'DONE\r\n'), ('s', b'a3 OK\r\n'),
                          ('c', b'a4 STARTTLS\r\n'), ('s', b'a4 OK go\r\n'), ('c', b'\x16\x03\x01hello')),
    'gaps': conv(('s', b'* OK ready\r\n'), ('c', b'a1 FETCH 1:2 BODY[]\r\n'),
                 ('s', b'* 1 FETCH (BODY[] {30}\r\nSubject: a\r\n\r\n'), ('sgap', b'0123456789'),
                 ('s', b'line\r\n)\r\n* 2 FETCH (BODY[] {20}\r\nSub'), ('sgap', b'ject\r\n)\r\n* 3 FE'),
                 ('s', b'x\r\n* 9 FETCH (BODY[] {4}\r\na1 O)\r\na1 OK done\r\n'),
                 ('c', b'A2 APPEND INBOX {20+}\r\nSubject: c\r\n'), ('cgap', b'xxxx'),
                 ('c', b'ab\r\n\r\n'), ('s', b'A2 OK\r\n'), ('cgap', b'a3 NOOP\r\n'),
                 ('s', b'a3 OK\r\n')),
}

cz, sz = zlib.compressobj(wbits=-15), zlib.compressobj(wbits=-15)


def deflated(z, data):
    return z.compress(data) + z.flush(zlib.Z_SYNC_FLUSH)


imap['compress'] = conv(('s', b'* OK [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE] ready\r\n'),
                        ('c', b'a1 COMPRESS DEFLATE\r\n'),
                        ('s', b'a1 OK DEFLATE active\r\n' + deflated(sz, b'* 1 EXISTS\r\n')),
                        ('c', deflated(cz, b'a2 LOGIN user1 secret\r\na3 FETCH 1 BODY[]\r\n')),
                        ('s', deflated(sz, b'a2 OK\r\n* 1 FETCH (BODY[] {7}\r\nhi\r\nyou)\r\n'
                                       b'a3 OK\r\n')),
                        ('cgap', deflated(cz, b'a4 NOOP\r\n')), ('s', deflated(sz, b'a4 OK\r\n')))

for target, seeds in (('pop3', pop3), ('imap', imap)):
    d = os.path.join(top, 'tests', 'fuzz', 'seeds', target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)
