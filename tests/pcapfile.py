"""pcapfile.py - a classic pcap file read record by record, for the test
scripts (https://www.tcpdump.org/manpages/pcap-savefile.5.html).

    p = Pcap(open(path, "rb").read())
    p.endian ("<" or ">"), p.nano (nanosecond stamps), p.linktype
    for off, sec, frac, data in p.records(): ...

off is where the record's 16-byte header starts; frac is micro- or
nanoseconds as p.nano says. Debian's python3, standard library only.
"""
import struct

MAGICS = {b"\xd4\xc3\xb2\xa1": ("<", False), b"\x4d\x3c\xb2\xa1": ("<", True),
          b"\xa1\xb2\xc3\xd4": (">", False), b"\xa1\xb2\x3c\x4d": (">", True)}


class Pcap:
    def __init__(self, data):
        if data[:4] not in MAGICS:
            raise ValueError("not a classic pcap file")
        self.data = data
        self.endian, self.nano = MAGICS[data[:4]]
        self.linktype = struct.unpack(self.endian + "I", data[20:24])[0]

    def records(self):
        off = 24
        while off + 16 <= len(self.data):
            sec, frac, incl, _ = struct.unpack(self.endian + "IIII", self.data[off:off + 16])
            yield off, sec, frac, self.data[off + 16:off + 16 + incl]
            off += 16 + incl
