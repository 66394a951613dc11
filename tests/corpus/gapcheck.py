#!/usr/bin/python3
"""gapcheck.py - is OURS the stream ORIGINAL with some byte ranges missing?

Usage: gapcheck.py ORIGINAL OURS
OURS marks each hole "[N bytes missing]". Read as N unknown bytes, OURS must
line up with ORIGINAL byte for byte everywhere else and have its length:
then every delivered byte is the right byte at the right place, in order.
Exits 0 when it does, 1 (saying where) when it does not.
"""
import re
import sys

orig = open(sys.argv[1], 'rb').read()
ours = open(sys.argv[2], 'rb').read()
pos = 0      # position in ours
opos = 0     # position in the original
holes = 0
for m in re.finditer(rb'\[(\d+) bytes missing\]', ours):
    chunk = ours[pos:m.start()]
    if orig[opos:opos + len(chunk)] != chunk:
        sys.exit(f"bytes {pos}..{m.start()} of {sys.argv[2]} are not the original's "
                 f"{opos}..{opos + len(chunk)}")
    opos += len(chunk) + int(m.group(1))
    pos = m.end()
    holes += 1
chunk = ours[pos:]
if orig[opos:] != chunk:
    sys.exit(f"the tail from byte {pos} of {sys.argv[2]} is not the original's from {opos}")
print(f"{sys.argv[2]}: the original stream with {holes} holes, in order")
