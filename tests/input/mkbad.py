#!/usr/bin/python3
"""mkbad.py - writes damaged and hostile captures for bad_input.sh.

Usage: mkbad.py GOOD.pcap OUTDIR
Every file is derived from GOOD (a real capture) or built from the pcap
format (https://www.tcpdump.org/manpages/pcap-savefile.5.html) by hand.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from pcapfile import Pcap  # noqa: E402

good, out = sys.argv[1], sys.argv[2]
data = open(good, 'rb').read()
pcap = Pcap(data)
end = pcap.endian
recs = list(pcap.records())


def write(name, b):
    open(f'{out}/{name}', 'wb').write(b)


write('text.pcap', b'this is not a capture file at all\n' * 4)
write('empty.pcap', b'')
write('header-only-half.pcap', data[:12])
# Cut inside the payload of record 20, then inside the header of record 20.
write('cut-payload.pcap', data[:recs[20][0] + 16 + 10])
write('cut-header.pcap', data[:recs[20][0] + 7])
# Record 20 claims 1 GB of captured bytes.
bad = bytearray(data)
struct.pack_into(end + 'I', bad, recs[20][0] + 8, 1 << 30)
write('huge-caplen.pcap', bytes(bad[:recs[20][0] + 16 + 100]))

# A capture of link type USER0 (147), which smtpsniff does not decode.
hdr = struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 147)
write('user0.pcap', hdr + struct.pack('<IIII', 0, 0, 4, 4) + b'abcd')


def frame(ip_total_delta=0, cut_ip=False, doff=5, payload=b'EHLO x\r\n', seq=1000):
    """An Ethernet/IPv4/TCP frame from 10.9.9.1:40000 to 10.9.9.2:25."""
    tcp = struct.pack('!HHIIBBHHH', 40000, 25, seq, 0, doff << 4, 0x18, 1024, 0, 0) + payload
    total = 20 + len(tcp)
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, total + ip_total_delta, 1, 0, 64, 6, 0,
                     bytes([10, 9, 9, 1]), bytes([10, 9, 9, 2]))
    eth = b'\x02' * 6 + b'\x04' * 6 + b'\x08\x00'
    f = eth + (ip[:12] if cut_ip else ip + tcp)
    return f


def capture(frames):
    b = struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
    for i, f in enumerate(frames):
        b += struct.pack('<IIII', 1700000000 + i, 0, len(f), len(f)) + f
    return b


# Frame 1 says its IP datagram is 400 bytes longer than the frame (caplen ==
# len: nothing was cut), frame 2 has half an IP header, frame 3 a TCP data
# offset of 2 words, frame 4 is whole and good.
write('lying-headers.pcap', capture([frame(ip_total_delta=400), frame(cut_ip=True),
                                     frame(doff=2), frame(payload=b'QUIT\r\n', seq=1008)]))
