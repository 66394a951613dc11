#!/usr/bin/python3
"""relink.py - the same IP packets under another link layer.

Usage: relink.py IN.pcap OUT KIND
IN is a classic pcap of link type Ethernet (1) or raw IP (101); OUT gets
every IP packet of it wrapped as KIND: sll, sll2, null-le, null-be, loop,
raw, ipv4, ipv6, vlan, qinq, pppoe, mpls, snap, or pcapng (Ethernet in
pcapng blocks). Headers follow the tcpdump.org link-type pages; nothing
but the wrapping changes, so smtpsniff must report the same flows.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from pcapfile import Pcap  # noqa: E402

src, dst, kind = sys.argv[1:4]
b = open(src, 'rb').read()
pcap = Pcap(b)
e, nano, linktype = pcap.endian, pcap.nano, pcap.linktype
packets = []
for _, sec, frac, data in pcap.records():
    if linktype == 1:
        if data[12:14] not in (b'\x08\x00', b'\x86\xdd'):
            continue
        ip = data[14:]
    else:
        ip = data
    packets.append((sec, frac, ip))


def version(ip):
    return ip[0] >> 4


def ethertype(ip):
    return b'\x08\x00' if version(ip) == 4 else b'\x86\xdd'


MAC = b'\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02'
wrap = {
    'sll': (113, lambda ip: struct.pack('!HHH', 0, 1, 6) + b'\x02' * 6 + b'\0\0' + ethertype(ip)),
    'sll2': (276, lambda ip: ethertype(ip) + b'\0\0' + struct.pack('!IHBB', 2, 1, 0, 6) + b'\x02' * 6 + b'\0\0'),
    'null-le': (0, lambda ip: struct.pack('<I', 2 if version(ip) == 4 else 30)),
    'null-be': (0, lambda ip: struct.pack('>I', 2 if version(ip) == 4 else 10)),
    'loop': (108, lambda ip: struct.pack('>I', 2 if version(ip) == 4 else 24)),
    'raw': (101, lambda ip: b''),
    'ipv4': (228, lambda ip: b''),
    'ipv6': (229, lambda ip: b''),
    'vlan': (1, lambda ip: MAC + b'\x81\x00\x00\x7b' + ethertype(ip)),
    'qinq': (1, lambda ip: MAC + b'\x88\xa8\x00\x0a\x81\x00\x00\x7b' + ethertype(ip)),
    'pppoe': (1, lambda ip: MAC + b'\x88\x64\x11\x00\x00\x01' + struct.pack('!H', len(ip) + 2) +
              (b'\x00\x21' if version(ip) == 4 else b'\x00\x57')),
    'mpls': (1, lambda ip: MAC + b'\x88\x47' + b'\x00\x01\x00\x40' + b'\x00\x02\x01\x40'),
    'snap': (1, lambda ip: MAC + struct.pack('!H', len(ip) + 8) + b'\xaa\xaa\x03\x00\x00\x00' + ethertype(ip)),
    'pcapng': (1, lambda ip: MAC + ethertype(ip)),
}
lt, head = wrap[kind]
out = open(dst, 'wb')
if kind != 'pcapng':
    out.write(struct.pack(e + 'IHHiIII', struct.unpack(e + 'I', b[:4])[0], 2, 4, 0, 0, 262144, lt))
    for sec, frac, ip in packets:
        f = head(ip) + ip
        out.write(struct.pack(e + 'IIII', sec, frac, len(f), len(f)) + f)
else:
    def block(t, body):
        body += b'\0' * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack('<II', t, n) + body + struct.pack('<I', n)
    out.write(block(0x0a0d0d0a, struct.pack('<IHHq', 0x1a2b3c4d, 1, 0, -1)))
    # if_tsresol 9 (nanoseconds) or 6, so timestamps survive exactly
    opt = struct.pack('<HHB', 9, 1, 9 if nano else 6) + b'\0' * 3 + struct.pack('<HH', 0, 0)
    out.write(block(1, struct.pack('<HHI', 1, 0, 262144) + opt))
    scale = 10 ** 9 if nano else 10 ** 6
    for sec, frac, ip in packets:
        f = head(ip) + ip
        ts = sec * scale + frac
        out.write(block(6, struct.pack('<IIIII', 0, ts >> 32, ts & 0xffffffff, len(f), len(f)) + f))
out.close()
