#!/usr/bin/python3
"""mkseeds_tcp.py - writes the seeds of fuzz_tcp: segment lists.

Usage: mkseeds_tcp.py [TOPDIR]
The format is fuzz_tcp.c's (its top comment): a 12-byte header of caps,
consumer modes and the two sides' ISNs, then 8-byte segment records. Each
seed is one of the situations RFC 9293 reassembly has to get right - a clean
close, reordering, retransmissions that agree and that do not, sequence
numbers wrapping at 2^32, a hole the peer acknowledges, a capture picked up
mid-stream, a reset and the ports used again, more flows than --max-flows,
a dissector that leaves bytes unconsumed past --max-pending, a snap length
that cuts a segment, far jumps and bogus ACKs, a flow that idles out - so
the fuzzer starts from every path of reassembly/tcp.c.
"""
import os
import struct
import sys

top = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..')
out = os.path.join(top, 'tests', 'fuzz', 'seeds', 'tcp')

SYN, FIN, RST, ACK = 1, 2, 4, 8
A, B = 0, 1


def header(flow_mem=7, mem=7, flows=3, pending=7, rexmit=6, detect=3, ack_wait=2, timeout=3,
           linger=2, never=0, probe=0, consume=0, k=0, isn_a=1000, isn_b=500000):
    """Indexes into the tables of fuzz_tcp.c setup(); 7/3 are the defaults."""
    c0 = flow_mem | mem << 3 | flows << 6
    c1 = pending | rexmit << 3 | detect << 6
    c2 = ack_wait | timeout << 2 | linger << 4 | never << 6
    c3 = probe | consume << 2 | k << 4
    return bytes([c0, c1, c2, c3]) + struct.pack('<II', isn_a & 0xffffffff, isn_b & 0xffffffff)


def seg(side, flags=ACK, tup=0, seq=0, smode=0, ack=0, amode=0, n=0, raw=b'', cut=0, tick=0,
        step=1):
    """One record; seq/ack are deltas (smode/amode 0: from the cursor, 1: x256,
    2: x65536, 3: from ISN+1). n: payload length (derived bytes), or raw bytes."""
    r0 = tup | side << 2
    r0 |= (flags & SYN and 8) | (flags & FIN and 16) | (flags & RST and 32) | (flags & ACK and 64)
    if raw:
        r0 |= 128
        n = len(raw)
    ln = n if n < 0xc0 else 0xbf + (n + 63) // 64
    r1 = smode | amode << 2 | cut << 4 | tick << 7
    return bytes([r0, r1]) + struct.pack('<hh', seq, ack) + bytes([ln, step]) + raw


def handshake(tup=0):
    return (seg(A, SYN, tup, seq=-1, smode=3) + seg(B, SYN | ACK, tup, seq=-1, smode=3) +
            seg(A, ACK, tup))


def close(tup=0):
    return seg(A, FIN | ACK, tup) + seg(B, FIN | ACK, tup) + seg(A, ACK, tup)


seeds = {
    # handshake, a command, a reply, both FINs
    'clean': header() + handshake() + seg(A, n=20) + seg(B, n=100) + seg(A, n=6) + close(),
    # the second segment first, then the first; a retransmission of both
    'reordered': header(flow_mem=3) + handshake() + seg(A, seq=50, n=50) + seg(A, n=50) +
    seg(A, seq=-150, n=150) + seg(B, n=10) + close(),
    # both ISNs just below 2^32: the stream crosses the wrap
    'wrap': header(isn_a=0xfffffff0, isn_b=0xffffffff) + handshake() + seg(A, n=100) +
    seg(B, n=200) + seg(A, n=100) + close(),
    # a segment lost, the peer acknowledges past it, time passes: a gap
    'acked_hole': header(ack_wait=1) + handshake() + seg(A, n=30) + seg(A, seq=40, n=30) +
    seg(B, n=5, ack=70, step=150) + seg(B, n=5) + close(),
    # picked up mid-stream between two high ports
    'midstream': header(flows=1) + seg(A, tup=2, n=40) + seg(B, tup=2, n=40) +
    seg(A, tup=2, n=40) + seg(B, tup=2, n=40),
    # a reset, then the same ports with a new ISN
    'reuse': header() + handshake() + seg(A, n=10) + seg(B, RST | ACK) +
    seg(A, SYN, seq=1000, step=120) + seg(B, SYN | ACK, seq=77) + seg(A, n=10) + close(),
    # four flows, --max-flows 1: each new one ends the oldest
    'evict': header(flows=0) + handshake(0) + handshake(1) + seg(A, tup=0, n=10) +
    handshake(3) + seg(B, tup=1, n=10) + seg(A, tup=2, n=5) + seg(A, tup=3, n=5),
    # a protocol that consumes nothing, --max-pending 100
    'pending': header(pending=3, probe=1, consume=1, k=2) + handshake() +
    b''.join(seg(A, n=60) for _ in range(4)) + seg(B, n=150) + close(),
    # a snap length cut: 1000 bytes announced beyond the 50 captured
    'cut': header() + handshake() + seg(A, n=50, cut=5) + seg(A, n=10) + seg(B, n=5) + close(),
    # SMTP-like lines taken from the input, consumed a line at a time
    'lines': header(consume=2, detect=1) + handshake() +
    seg(B, raw=b'220 mx.example ESMTP\r\n') + seg(A, raw=b'EHLO a.example\r\nMAIL FROM:<a@') +
    seg(A, raw=b'a.example>\r\n') + seg(B, raw=b'250 ok\r\n') + close(),
    # far jumps (x65536 and x256) and an acknowledgement from nowhere
    'far': header(rexmit=3) + handshake() + seg(A, n=10) + seg(A, seq=0x4000, smode=2, n=10) +
    seg(B, n=10, ack=0x7000, amode=2) + seg(A, seq=-300, smode=1, n=10) + close(),
    # silence longer than --tcp-timeout 30 s, then more bytes
    'idle': header(timeout=2) + handshake() + seg(A, n=10, step=202, tick=1) + seg(A, n=10) +
    seg(B, n=10),
    # segments queued behind holes under tiny --max-flow-mem and --max-mem
    'squeeze': header(flow_mem=1, mem=1, rexmit=2) + handshake() +
    b''.join(seg(A, seq=20 * i + 5, n=10) for i in range(6)) + seg(B, n=300) +
    seg(A, seq=-200, n=20) + close(),
    # IPv6, a repeated SYN with a new ISN before any data, a FIN with data
    'v6': header(never=1, probe=2) + seg(A, SYN, 3, seq=-1, smode=3) + seg(A, SYN, 3, seq=99) +
    seg(B, SYN | ACK, 3, seq=-1, smode=3) + seg(A, ACK, 3) + seg(A, FIN | ACK, 3, n=30) +
    seg(B, FIN | ACK, 3, n=30) + seg(A, ACK, 3),
    # time running backwards in the capture
    'backwards': header() + handshake() + seg(A, n=10, step=255) + seg(B, n=10, step=255) +
    close(),
}

os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
