#!/usr/bin/python3
"""mkseeds_dns.py [DIR] - writes the fuzz_dns seeds (RFC 1035 4.1 messages,
4.2.2 length-prefixed) in DIR, by default seeds/dns/ beside this file.

Chunks are separated by FF FE and alternate client/server; a chunk that
starts with FF FD is a hole as long as the rest of it (tests/fuzz/chunks.h).
Run it again after changing it; the seeds are kept in git."""
import os
import struct
import sys

SEP, HOLE = b'\xff\xfe', b'\xff\xfd'


def name(n):
    out = b''
    for label in n.rstrip('.').split('.'):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b'\0'


def rr(owner, rtype, ttl, rdata, cls=1):
    return name(owner) + struct.pack('>HHIH', rtype, cls, ttl, len(rdata)) + rdata


def msg(mid, flags, q=None, an=(), ns=(), ar=()):
    body = b''
    if q:
        body += name(q[0]) + struct.pack('>HH', q[1], 1)
    for sec in (an, ns, ar):
        body += b''.join(sec)
    return struct.pack('>HHHHHH', mid, flags, 1 if q else 0, len(an), len(ns), len(ar)) + body


def txt(*strings):
    return b''.join(bytes([len(s)]) + s for s in strings)


def opt(udp, do, options=b''):
    return b'\0' + struct.pack('>HHIH', 41, udp, 0x8000 if do else 0, len(options)) + options


def tcp(m):
    return struct.pack('>H', len(m)) + m


q1 = msg(4711, 0x0100, ('_dmarc.a.test', 16), ar=[opt(1232, True)])
a1 = msg(4711, 0x8580, ('_dmarc.a.test', 16),
         an=[rr('_dmarc.a.test', 16, 60, txt(b'v=DMARC1; p=quarantine; ', b'pct=100'))],
         ar=[opt(1232, True, struct.pack('>HH', 3, 3) + b'ns1')])
q2 = msg(2, 0x0100, ('www.a.test', 1))
a2 = msg(2, 0x8180, ('www.a.test', 1), an=[
    rr('www.a.test', 5, 300, name('c.a.test')),
    rr('c.a.test', 1, 30, bytes([192, 0, 2, 7]))])
q3 = msg(3, 0x0100, ('7.2.0.192.in-addr.arpa', 12))
a3 = msg(3, 0x8183, ('7.2.0.192.in-addr.arpa', 12),
         ns=[rr('a.test', 6, 300, name('ns.a.test') + name('h.a.test') + struct.pack('>IIIII', 1, 2, 3, 4, 60))])
a3b = msg(3, 0x8180, ('7.2.0.192.in-addr.arpa', 12),
          an=[rr('7.2.0.192.in-addr.arpa', 12, 60, name('mx.a.test'))])
axq = msg(9, 0, ('a.test', 252))
axa = [msg(9, 0x8400, ('a.test', 252), an=[rr('a.test', 1, 5, bytes([192, 0, 2, 1]))]),
       msg(9, 0x8400, None, an=[rr('b.a.test', 28, 5, bytes(15) + b'\1')])]

seeds = {
    'udp-pair': [q1, a1],
    'tcp-pair': [tcp(q1), tcp(a1)],
    'tcp-pipelined': [tcp(q1) + tcp(q2) + tcp(q3), tcp(a2)[:1], b'', tcp(a2)[1:] + tcp(a1)[:9],
                      b'', tcp(a1)[9:] + tcp(a3)],
    'tcp-gap': [tcp(q1) + tcp(q2) + tcp(q3), tcp(a1) + tcp(a2)[:5], b'',
                HOLE + bytes(len(tcp(a2)) - 5), b'', tcp(a3b)],
    'tcp-axfr': [tcp(axq), b''.join(tcp(m) for m in axa)],
    'malformed': [q2[:7], a2[:-3], tcp(q2), tcp(a2[:20])],
}
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), 'seeds', 'dns')
os.makedirs(out, exist_ok=True)
for k, chunks in seeds.items():
    with open(os.path.join(out, k), 'wb') as f:
        f.write(SEP.join(chunks))
