#!/usr/bin/python3
"""decrypt_compare.py - the decryption step (dissect/tlsdec.c) held against
tshark's decryption of the same capture with the same key log.

Usage: decrypt_compare.py TOOL CAPTURE KEYLOG EXPECTED [--dsb] [--no-keylog]
                          [--drop N | --corrupt N] [--flows N]

TOOL is test_tlsdec_pcap; EXPECTED is NAME.tshark-dec.txt (mkdecrypted.sh).
For every frame with TLS: the records smtpsniff read - the type of each one
in the clear, the (inner) type of each one decrypted - must be tshark's
content types of that frame, in order, from the same port; the plaintext of
each record decrypted must be the bytes of tshark's "Decrypted TLS" data
sources of that frame, in order; no record may fail. The same again with
the bytes fed one at a time and in pieces of 7.

--drop N / --corrupt N: the key log's Nth session (by first appearance of
its client random, from 1) is taken out / has every secret changed in one
digit. That flow must then decrypt nothing - each of its encrypted records
said as tls_no_key / tls_bad_record_mac (the first three of a kind per
direction said aloud, the direction stopped after eight), its records in
the clear still read - and every other flow must come out as above.

--dsb: the secrets come from CAPTURE's pcapng Decryption Secrets Blocks
(with --no-keylog: from them alone).

--skip-frame N: frame N is left out, as if the capture had lost it (a
record, or a record holding a KeyUpdate). Each direction must then give
tshark's plaintexts in order less those of frame N - the records after the
hole found again and opened at their sequence numbers, under the next key
where a KeyUpdate was lost - with no record failing.
"""
import os
import re
import subprocess
import sys
import tempfile


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def parse_expected(path):
    """frames: {frame: (srcport, dstport, [types])}, decs: {frame: [hex]}"""
    frames, decs = {}, {}
    part, cur = None, None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line == "# fields":
                part = "fields"
                continue
            if line == "# decrypted":
                part = "dec"
                continue
            if part == "fields":
                cols = line.split("\t")
                types = [int(x) for x in cols[3].split(",") if x]
                frames[int(cols[0])] = (int(cols[1]), int(cols[2]), types)
            elif part == "dec":
                if line.startswith("frame "):
                    cur = int(line.split()[1])
                elif line.startswith("dec "):
                    decs.setdefault(cur, []).append(line[4:])
    return frames, decs


def run_tool(tool, args):
    p = subprocess.run([tool] + args, capture_output=True, text=True)
    if p.returncode:
        fail("%s %s: exit %d: %s" % (tool, " ".join(args), p.returncode, p.stderr))
    recs, fails, events, summary, keylog = {}, [], [], [], None
    order = []
    for line in p.stdout.splitlines():
        if line.startswith("keylog "):
            keylog = line
            continue
        if line.startswith("- "):
            summary.append(line)
            continue
        parts = line.split(" ", 5)
        frame, port, peer, kind = int(parts[0]), int(parts[1]), int(parts[2]), parts[3]
        if kind == "clear":
            recs.setdefault(frame, []).append((port, int(parts[4]), None, peer))
        elif kind == "dec":
            recs.setdefault(frame, []).append((port, int(parts[4]), parts[5] if len(parts) > 5 else "", peer))
            order.append((port, peer, parts[5] if len(parts) > 5 else ""))
        elif kind == "fail":
            rest = line.split(" ", 6)
            recs.setdefault(frame, []).append((port, "fail", rest[4], peer))
            fails.append((frame, port, rest[4], int(rest[5]), rest[6] if len(rest) > 6 else ""))
        elif kind == "event":
            events.append((frame, port, parts[4]))
    run_tool.order = order
    return p.stdout, recs, fails, events, summary, keylog


def sessions(keylog_path):
    order = []
    with open(keylog_path) as f:
        for line in f:
            cols = line.split()
            if len(cols) == 3 and not line.startswith("#") and cols[1] not in order:
                order.append(cols[1])
    return order


def changed_keylog(keylog_path, n, how):
    victim = sessions(keylog_path)[n - 1]
    out = []
    with open(keylog_path) as f:
        for line in f:
            cols = line.split()
            if len(cols) == 3 and cols[1] == victim:
                if how == "drop":
                    continue
                s = cols[2]
                s = s[:-1] + ("0" if s[-1] != "0" else "1")
                line = "%s %s %s\n" % (cols[0], cols[1], s)
            out.append(line)
    fd, path = tempfile.mkstemp(suffix=".keylog")
    with os.fdopen(fd, "w") as f:
        f.writelines(out)
    return path


def compare(frames, decs, recs, skip_ports=()):
    """Frames of flows not in skip_ports (client ports) against tshark's."""
    n = 0
    for frame in sorted(set(frames) | set(recs)):
        if frame not in frames:
            fail("frame %d: records read where tshark has no TLS: %s" % (frame, recs[frame]))
        sport, dport, types = frames[frame]
        if sport in skip_ports or dport in skip_ports:
            continue
        got = recs.get(frame, [])
        if [r[1] for r in got] != types:
            fail("frame %d: record types %s, tshark %s" % (frame, [r[1] for r in got], types))
        if any(r[0] != sport for r in got):
            fail("frame %d: records from port %s, tshark %d" % (frame, [r[0] for r in got], sport))
        mine = [r[2] for r in got if r[2] is not None]
        if mine != decs.get(frame, []):
            fail("frame %d: plaintext differs from tshark's:\n  ours   %s\n  tshark %s"
                 % (frame, [m[:80] for m in mine], [d[:80] for d in decs.get(frame, [])]))
        n += len(mine)
    return n


def main():
    a = sys.argv[1:]
    if len(a) < 4:
        print(__doc__)
        sys.exit(2)
    tool, cap, keylog, expected = a[:4]
    opts = a[4:]
    frames, decs = parse_expected(expected)
    ndec = sum(len(v) for v in decs.values())
    if not ndec:
        fail("%s: tshark decrypted nothing: the expected file is not one to test with" % expected)
    args = [cap]
    if "--no-keylog" not in opts:
        args += ["--keylog", keylog]
    if "--dsb" in opts:
        args += ["--dsb"]
    if "--skip-frame" in opts:
        args += ["--skip-frame", opts[opts.index("--skip-frame") + 1]]
    how = n = None
    for h in ("--drop", "--corrupt"):
        if h in opts:
            how, n = h[2:], int(opts[opts.index(h) + 1])
    tmp = None
    if how:
        tmp = changed_keylog(keylog, n, how)
        args[args.index(keylog)] = tmp
    try:
        out, recs, fails, events, summary, kl = run_tool(tool, args)
        if "--flows" in opts and len(summary) != int(opts[opts.index("--flows") + 1]):
            fail("%d flows, not %s" % (len(summary), opts[opts.index("--flows") + 1]))
        if "--skip-frame" in opts:
            skipped = int(opts[opts.index("--skip-frame") + 1])
            if fails:
                fail("records not decrypted after frame %d was lost: %s" % (skipped, fails[:5]))
            if not any(e[2] == "tls_gap" for e in events):
                fail("leaving frame %d out made no gap" % skipped)
            want, got = {}, {}
            for frame in sorted(decs):
                if frame != skipped:
                    sp, dp, _ = frames[frame]
                    want.setdefault((sp, dp), []).extend(decs[frame])
            for port, peer, h in run_tool.order:
                got.setdefault((port, peer), []).append(h)
            for k in sorted(set(want) | set(got)):
                if want.get(k, []) != got.get(k, []):
                    w, g = want.get(k, []), got.get(k, [])
                    fail("%d -> %d: %d records, tshark less frame %d: %d; first difference at %s"
                         % (k[0], k[1], len(g), skipped, len(w),
                            next((i for i in range(min(len(w), len(g))) if w[i] != g[i]), min(len(w), len(g)))))
            lost = len(decs.get(skipped, []))
            print("ok: frame %d (%d records) lost: the other %d records decrypted as tshark did"
                  % (skipped, lost, sum(len(v) for v in got.values())))
            return
        if not how:
            if fails:
                fail("records not decrypted: %s" % fails[:5])
            k = compare(frames, decs, recs)
            if k != ndec:
                fail("%d records decrypted, tshark %d" % (k, ndec))
            for s in ("1", "7"):
                o2 = run_tool(tool, args + ["--split", s])[0]
                if o2 != out:
                    fail("fed in pieces of %s bytes, the output changes" % s)
            print("ok: %d records decrypted as tshark did (%s; %s)" % (k, os.path.basename(cap), kl))
            return
        if not fails:
            fail("the %s session's records did not fail" % how)
        want = "tls_no_key" if how == "drop" else "tls_bad_record_mac"
        # the flow that failed, by its client port (tlsdec_describe's line)
        clients = [int(x.split()[1]) for x in summary if "failed" in x]
        if len(clients) != 1:
            fail("failures in %d flows: %s" % (len(clients), summary))
        victim = clients[0]
        bydir = {}
        for frame, port, st, say, detail in fails:
            if st not in (want, "tls_decrypt_stopped"):
                fail("frame %d: %s, not %s: %s" % (frame, st, want, detail))
            bydir.setdefault(port, []).append((st, say, detail))
        for port, lst in bydir.items():
            sts = [s for s, _, _ in lst]
            saids = [y for _, y, _ in lst]
            nwant = sts.count(want)
            if nwant != min(len(lst), 8):
                fail("port %d: %d %s before the stop, of %d records" % (port, nwant, want, len(lst)))
            if saids[:nwant] != [1] * min(nwant, 3) + [0] * max(nwant - 3, 0):
                fail("port %d: said %s, not the first three" % (port, saids))
            if len(lst) > 8 and saids[8:] != [1] + [0] * (len(lst) - 9):
                fail("port %d: the stop said %s" % (port, saids[8:]))
            if len(lst) > 8 and "no longer decrypted" not in lst[7][2]:
                fail("port %d: the eighth failure does not say the stop: %s" % (port, lst[7][2]))
        # the victim's encrypted records are all failures, its clear ones read
        nv = 0
        for frame, (sp, dp, types) in frames.items():
            if victim not in (sp, dp):
                continue
            got = recs.get(frame, [])
            if len(got) != len(types):
                fail("frame %d (the %s flow): %d records, tshark %d" % (frame, how, len(got), len(types)))
            for r in got:
                if r[2] is not None and r[1] != "fail":
                    fail("frame %d: a record of the %s flow decrypted" % (frame, how))
            nv += len(decs.get(frame, []))
        if nv != len(fails):
            fail("the %s flow: %d failures, tshark decrypted %d records" % (how, len(fails), nv))
        k = compare(frames, decs, recs, skip_ports={victim})
        if k != ndec - nv:
            fail("the other flows: %d records decrypted, tshark %d" % (k, ndec - nv))
        print("ok: session %d %s: its flow (port %d) said %d failures, the others decrypted %d "
              "records as tshark did" % (n, how + "ped" if how == "drop" else how + "ed", victim,
                                        len(fails), k))
    finally:
        if tmp:
            os.unlink(tmp)


main()
