#!/usr/bin/python3
"""pcapng.py - a pcapng file with one Enhanced Packet Block on an interface no
block described, and what reading it must give.

Usage: pcapng.py SMTPSNIFF OUTDIR

Built block by block with struct, after the pcapng draft
(draft-ietf-opsawg-pcapng): a Section Header Block, one Interface
Description Block (Ethernet), then Enhanced Packet Blocks carrying syslog
datagrams (UDP to port 514), each with a line of its own. The fourth EPB
names interface 7, which no IDB describes: libpcap 1.10 ends the read
there. smtpsniff must skip that block alone, say so in an event naming its
offset, and show every other line; the exit status is 0.

The expected lines come from construction; when tshark is installed, its
count of the frames it reads before the bad block checks the file too.
"""
import json
import os
import shutil
import struct
import subprocess
import sys


def block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def shb():
    return block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))


def idb():
    return block(1, struct.pack("<HHI", 1, 0, 262144))  # LINKTYPE_ETHERNET


def csum(b):
    b += b"\0" * (len(b) % 2)
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(payload, sport=40000):
    udp = struct.pack("!HHHH", sport, 514, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
    return eth + ip + udp


def epb(iface, usec, data):
    body = struct.pack("<IIIII", iface, usec >> 32, usec & 0xFFFFFFFF, len(data), len(data))
    return block(6, body + data)


def line(i):
    return "<13>Dec  6 18:00:%02d lab.test app[1]: pcapng line %d" % (i, i)


def main():
    sniff, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "unknown-iface.pcapng")
    t0 = 1796580000 * 1000000
    blocks = [shb(), idb()]
    bad = 4  # the fourth packet block names interface 7
    offset = None
    for i in range(1, 8):
        b = epb(7 if i == bad else 0, t0 + i * 1000000, frame(line(i).encode()))
        if i == bad:
            offset = sum(len(x) for x in blocks)
        blocks.append(b)
    with open(path, "wb") as f:
        f.write(b"".join(blocks))

    failures = 0

    def check(ok, what):
        nonlocal failures
        print(("ok   " if ok else "FAIL ") + what)
        failures += not ok

    # An independent reader first: tshark stops at the same block (it uses
    # its own pcapng code, which refuses that block too) or reads past it.
    if shutil.which("tshark"):
        t = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "frame.number"],
                           capture_output=True, text=True)
        n = len(t.stdout.split())
        check(n >= bad - 1, "tshark reads the %d frames before the bad block (read %d)" %
              (bad - 1, n))

    r = subprocess.run([sniff, "-r", path, "--json"], capture_output=True, text=True)
    check(r.returncode == 0, "exit status 0 (got %d: %s)" % (r.returncode, r.stderr.strip()))
    logs, events = [], []
    for l in r.stdout.splitlines():
        o = json.loads(l)
        if o.get("type") == "log":
            logs.append(o.get("message"))
        elif o.get("type") == "anomaly":
            events.append(o)
    want = ["pcapng line %d" % i for i in range(1, 8) if i != bad]
    check(logs == want, "every line but the bad block's, in order: %s" % logs)
    skipped = [e for e in events if e.get("what") == "pcapng_block_skipped"]
    check(len(skipped) == 1, "one pcapng_block_skipped event (got %d)" % len(skipped))
    if skipped:
        d = skipped[0].get("detail", "")
        check(("the block at offset %d after frame %d:" % (offset, bad - 1)) in d,
              "the event names the block's offset %d: %s" % (offset, d))
        check("interface 7," in d, "the event names interface 7")

    # A block cut short still ends the read (exit 2), as before: only the
    # unknown interface is skipped.
    cut = os.path.join(out, "cut.pcapng")
    with open(path, "rb") as f:
        data = f.read()
    with open(cut, "wb") as f:
        f.write(data[:offset + 10])
    r = subprocess.run([sniff, "-r", cut, "--json"], capture_output=True, text=True)
    check(r.returncode == 2, "a truncated block still ends the read with 2 (got %d)" % r.returncode)
    print("%d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
