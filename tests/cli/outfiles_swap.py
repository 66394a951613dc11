"""outfiles_swap.py - a --streams file swapped for a hard link while the
--max-open-files LRU has it closed. smtpsniff reads the capture from a pipe
(-r -, one thread), fed frame by frame: up to the client's first bytes of
the first TCP connection that began with a server greeting. By then the
server's file holds the greeting and, with --max-open-files=1, is closed
(the client's file took the one slot). The test waits until the client's
file holds its bytes, puts a hard link to VICTIM in the place of the
server's file (as anyone who can write to DIR could), and feeds the rest.

Usage: outfiles_swap.py SMTPSNIFF PCAP DIR VICTIM
Prints the server file's name, then smtpsniff's exit status; its standard
output goes to DIR.out, as --json. Exit 1 when the moment never came.
"""
import os
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pcapfile import Pcap  # noqa: E402

sniff, pcap_path, out, victim = sys.argv[1:5]
raw = open(pcap_path, "rb").read()
p = Pcap(raw)
assert p.linktype == 1, "Ethernet captures only"


def tcp(data):
    """(src, sport, dst, dport, payload length, flags) of an Ethernet IPv4 TCP frame, or None."""
    if len(data) < 34 or data[12:14] != b"\x08\x00" or data[23] != 6:
        return None
    ihl = (data[14] & 15) * 4
    total = struct.unpack(">H", data[16:18])[0]
    t = 14 + ihl
    sport, dport = struct.unpack(">HH", data[t:t + 4])
    doff = (data[t + 12] >> 4) * 4
    ip = lambda b: ".".join(str(x) for x in b)
    return ip(data[26:30]), sport, ip(data[30:34]), dport, total - ihl - doff, data[t + 13]


# The first connection seen from its SYN whose server spoke first, and the
# frame that carries the client's first bytes after that.
syn = {}
server_spoke = set()
cut = None
for i, (off, sec, frac, data) in enumerate(p.records()):
    t = tcp(data)
    if not t:
        continue
    src, sport, dst, dport, n, flags = t
    if flags & 0x12 == 0x02:
        syn[(src, sport, dst, dport)] = True
    if n <= 0:
        continue
    if (dst, dport, src, sport) in syn:
        server_spoke.add((dst, dport, src, sport))
    elif (src, sport, dst, dport) in server_spoke:
        cut = (off + 16 + len(data), (src, sport, dst, dport), n)
        break
if not cut:
    sys.exit("no connection where the server spoke first")
end, (c, cp, s, sp), n = cut
client_tail = "-%s.%d-%s.%d" % (c, cp, s, sp)
server_tail = "-%s.%d-%s.%d" % (s, sp, c, cp)

with open(out + ".out", "wb") as o:
    proc = subprocess.Popen([sniff, "-r", "-", "--json", "--streams", out, "--max-open-files=1"],
                            stdin=subprocess.PIPE, stdout=o, stderr=subprocess.STDOUT)
    proc.stdin.write(raw[:end])
    proc.stdin.flush()
    # The client's bytes in their file: the server's file is closed now.
    deadline = time.time() + 20
    name = None
    while time.time() < deadline:
        names = os.listdir(out) if os.path.isdir(out) else []
        cl = [x for x in names if x.endswith(client_tail)]
        sv = [x for x in names if x.endswith(server_tail)]
        if cl and sv and os.path.getsize(os.path.join(out, cl[0])) >= n:
            name = sv[0]
            break
        time.sleep(0.01)
    if name:
        tmp = os.path.join(out, ".swap")
        os.link(victim, tmp)
        os.rename(tmp, os.path.join(out, name))
    proc.stdin.write(raw[end:])
    proc.stdin.close()
    rc = proc.wait()
if not name:
    sys.exit("smtpsniff never wrote the client's first bytes")
print(name)
print(rc)
