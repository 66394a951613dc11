#!/usr/bin/python3
"""extract.py - the TLS part of each STARTTLS session in a capture, as the
segments carried it: what tests/unit/test_tls.c replays in pieces and the
fuzz target starts from.

    extract.py CAPTURE.pcap OUTPREFIX

For each TCP connection (Ethernet, Linux cooked or loopback, IPv4 or IPv6)
whose client sent STARTTLS (SMTP, IMAP) or STLS (POP3) and whose server
answered 220 / +OK / OK - or whose client spoke TLS from its first byte
(implicit TLS) - writes OUTPREFIX-<client port>.chunks: one line per segment
payload from where TLS starts, "C hex" (client to server) or "S hex", in
capture order. Retransmitted bytes are dropped by sequence number; the
lab's captures have no loss (a hole would stop the extraction with an
error). tests/tls/README.md says which files came from which capture.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pcapfile  # noqa: E402


def tcp_of(linktype, frame):
    if linktype == 1:
        etype, off = struct.unpack(">H", frame[12:14])[0], 14
        while etype == 0x8100:
            etype, off = struct.unpack(">H", frame[off + 2:off + 4])[0], off + 4
    elif linktype == 113:
        etype, off = struct.unpack(">H", frame[14:16])[0], 16
    elif linktype == 0:  # BSD loopback: a 4-byte address family
        etype, off = (0x0800 if frame[0] == 2 or frame[3] == 2 else 0x86DD), 4
    else:
        raise SystemExit("link type %d not handled" % linktype)
    if etype == 0x0800:
        ihl = (frame[off] & 15) * 4
        if frame[off + 9] != 6:
            return None
        total = struct.unpack(">H", frame[off + 2:off + 4])[0]
        src, dst = frame[off + 12:off + 16], frame[off + 16:off + 20]
        seg = frame[off + ihl:off + total]
    elif etype == 0x86DD:
        if frame[off + 6] != 6:
            return None
        plen = struct.unpack(">H", frame[off + 4:off + 6])[0]
        src, dst = frame[off + 8:off + 24], frame[off + 24:off + 40]
        seg = frame[off + 40:off + 40 + plen]
    else:
        return None
    sport, dport, seq = struct.unpack(">HHI", seg[0:8])
    doff = (seg[12] >> 4) * 4
    flags = seg[13]
    return (src, sport, dst, dport), seq, flags, seg[doff:]


def main():
    cap, prefix = sys.argv[1], sys.argv[2]
    p = pcapfile.Pcap(open(cap, "rb").read())
    conns = {}  # client key -> state
    for _, _, _, frame in p.records():
        t = tcp_of(p.linktype, frame)
        if not t:
            continue
        (src, sport, dst, dport), seq, flags, payload = t
        a, b = (src, sport), (dst, dport)
        if flags & 0x02 and not flags & 0x10:  # SYN: a new connection, a is the client
            conns[(a, b)] = {"next": {0: (seq + 1) & 0xFFFFFFFF, 1: None}, "chunks": [],
                             "pre": [b"", b""], "tls": [False, False], "cport": sport}
            continue
        if (a, b) in conns:
            c, d = conns[(a, b)], 0
        elif (b, a) in conns:
            c, d = conns[(b, a)], 1
        else:
            continue
        if flags & 0x02:  # SYN-ACK
            c["next"][1] = (seq + 1) & 0xFFFFFFFF
            continue
        if not payload:
            continue
        nxt = c["next"][d]
        if nxt is None:
            continue
        skip = (nxt - seq) & 0xFFFFFFFF
        if skip >= 0x80000000:
            raise SystemExit("%s: a hole in the stream; not extracted" % cap)
        if skip >= len(payload):
            continue  # all seen before
        payload = payload[skip:]
        c["next"][d] = (nxt + len(payload)) & 0xFFFFFFFF
        if c["tls"][d]:
            c["chunks"].append((d, payload))
            continue
        # Before TLS: look for the end of the STARTTLS command (client) or
        # of the reply that accepts it (server).
        c["pre"][d] += payload
        text = c["pre"][d]
        # implicit TLS: the client's first byte is a handshake record's
        if d == 0 and len(text) == len(payload) and text[:2] == b"\x16\x03":
            c["tls"] = [True, True]
            c["chunks"].append((0, payload))
            continue
        if d == 0:
            for verb in (b"STARTTLS\r\n", b"STLS\r\n"):
                i = text.upper().find(verb)
                if i >= 0:
                    c["tls"][0] = True
                    rest = text[i + len(verb):]
                    if rest:
                        c["chunks"].append((0, rest))
                    break
        elif c["tls"][0]:
            # the server's reply to STARTTLS is the last line before TLS
            lines = text.split(b"\r\n")
            for k in range(len(lines) - 1):
                ln = lines[k]
                if ln.startswith(b"220 ") or ln.startswith(b"+OK") or b" OK " in ln:
                    before = b"\r\n".join(lines[:k + 1]) + b"\r\n"
                    if not c.get("after_cmd"):
                        continue
                    c["tls"][1] = True
                    rest = text[len(before):]
                    if rest:
                        c["chunks"].append((1, rest))
                    break
        if d == 0 and c["tls"][0]:
            c["after_cmd"] = True
            c["pre"][1] = b""  # the reply that counts comes after the command
    n = 0
    for c in conns.values():
        if not c["chunks"]:
            continue
        path = "%s-%d.chunks" % (prefix, c["cport"])
        with open(path, "w") as f:
            for d, data in c["chunks"]:
                f.write("%s %s\n" % ("CS"[d], data.hex()))
        n += 1
        print(path, len(c["chunks"]), "segments")
    if not n:
        raise SystemExit("%s: no STARTTLS session" % cap)


if __name__ == "__main__":
    main()
