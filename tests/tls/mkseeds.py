#!/usr/bin/python3
"""mkseeds.py - seeds for tests/fuzz/fuzz_tls.c: the sessions in
tests/tls/*.chunks in fuzz_tls's input form (an options byte, chunks cut on
ff fe alternating client and server, an empty chunk where a side sends
twice), with three options values; and RFC 8448 5's handshake (hellos as
records, the server's decrypted flight handed to the handshake layer, from
tests/unit/test_tls_rfc8448.c's vectors).

    tests/tls/mkseeds.py      (writes tests/tls/seeds/)
"""
import glob
import os
import re

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "seeds")
os.makedirs(out, exist_ok=True)
SEP = b"\xff\xfe"


def join(chunks):
    body, side = [], 0
    for want, data in chunks:
        if want != side:
            body.append(b"")  # the other side says nothing in between
            side ^= 1
        body.append(data)
        side ^= 1
    return SEP.join(body)


for path in sorted(glob.glob(os.path.join(here, "*.chunks"))):
    name = os.path.basename(path)[:-len(".chunks")]
    chunks = []
    for line in open(path):
        d, h = line.split()
        chunks.append((0 if d == "C" else 1, bytes.fromhex(h)))
    for opt in (0, 7, 8):
        with open(os.path.join(out, "%s-%d" % (name, opt)), "wb") as f:
            f.write(bytes([opt]) + join(chunks))

src = open(os.path.join(here, "..", "unit", "test_tls_rfc8448.c")).read()
vec = {m.group(1): bytes.fromhex("".join(re.findall(r'"([0-9a-f]*)"', m.group(2))))
       for m in re.finditer(r"static const char (s\d_\w+)\[\] = /\*[^*]*\*/((?:\s*\"[0-9a-f]*\")+);",
                            src)}


def rec(t, m):
    return bytes([t, 3, 3, len(m) >> 8, len(m) & 255]) + m


seq = [(0, rec(22, vec["s5_ch1"])), (1, rec(22, vec["s5_hrr"])), (0, rec(22, vec["s5_ch2"])),
       (1, rec(22, vec["s5_sh"]) + vec["s5_record"]), (1, b"\xff\xfa\x16" + vec["s5_flight"])]
with open(os.path.join(out, "rfc8448-5-0"), "wb") as f:
    f.write(b"\x00" + join(seq))
print(len(os.listdir(out)), "seeds")
