#!/usr/bin/python3
"""dns_counts.py - smtpsniff's DNS messages against tshark's (RFC 1035 4.1).

Usage: dns_counts.py SMTPSNIFF CORPUS_DIR [-v]
SMTPSNIFF runs as `SMTPSNIFF -r PCAP --json`; its {"type":"dns"} objects
("frame" of the query, "response_frame", "id", "answer", "raw" of a
malformed message, "client_port"/"server_port") are the records. For every
capture with a sibling <pcap>.tshark.txt, the "## DNS (frame transport id qr
opcode rcode qname qtype ancount A AAAA CNAME MX)" section (tshark 4.0.17,
one row per frame, several messages in a frame comma-joined) is compared
with the records, frame by frame:
  - each query: a message with QR=0 in that frame;
  - each response: a message with QR=1 in that frame, with as many answer
    records (ANCOUNT) as tshark counted, and the same id.
Every difference must be explained by a rule of KNOWN below (capture, what
differs, why); an unexplained difference fails, and so does a rule that no
longer matches anything, so the table stays true.
"""
import json
import os
import subprocess
import sys

# (capture file name, kind, frames or None for all, reason). kinds:
#   ours-only    smtpsniff has a message tshark does not list in that frame
#   theirs-only  tshark lists a message smtpsniff has no record of
#   ancount      both have the response, with different answer counts
#   id           both have the message, with different ids
HEURISTIC_443 = ('tshark\'s UDP heuristic dissector for DNS (on by default) takes these UDP '
                 'port-443 datagrams for DNS (%s); smtpsniff looks for DNS on ports 53, 5353 '
                 'and 5355 only, so the flows stay undissected')
KNOWN = [
    ('dns_over_tcp.pcapng', 'theirs-only', None,
     'libpcap refuses the file ("an interface has a snapshot length different from the snapshot '
     'length of the first interface"): smtpsniff reads no frame of it, tshark reads all three'),
    ('avast_securedns.pcapng', 'theirs-only', None, HEURISTIC_443 % 'Avast SecureDNS'),
    ('dnscrypt-v1-and-resolver-pings.pcap', 'theirs-only', None,
     HEURISTIC_443 % 'the DNSCrypt certificate queries and answers, plain DNS'),
]

# Differences that follow from a rule about the whole corpus rather than one
# capture; checked per message (see explain()).
RULES = {
    'mdns': 'smtpsniff dissects mDNS (port 5353, RFC 6762) and LLMNR (5355, RFC 4795) as DNS; '
            'tshark names them MDNS and LLMNR, which its DNS list leaves out',
    'cut400': 'the tshark view lists the first 400 DNS rows only: later frames are not compared',
}


def tshark_rows(path):
    """{frame: [(qr, id, ancount), ...]}, and whether the list was cut at 400 rows."""
    rows, on = {}, False
    for line in open(path, encoding='utf-8', errors='replace'):
        line = line.rstrip('\n')
        if line.startswith('## '):
            on = line.startswith('## DNS (')
            continue
        if not on or not line.strip():
            continue
        c = line.split('\t')
        frame = int(c[0])
        ids, qrs = c[3].split(','), c[4].split(',')
        # ancount: one value per message; a message tshark could not read
        # that far has none.
        an = c[9].split(',') if len(c) > 9 and c[9] else []
        msgs = []
        for i, qr in enumerate(qrs):
            if qr == '':
                continue
            msgs.append((int(qr), int(ids[i], 16) if i < len(ids) and ids[i] else None,
                         int(an[i]) if i < len(an) and an[i] else None))
        rows[frame] = msgs
    return rows, len(rows) >= 400


def ours(program, pcap):
    """{frame: [(qr, id, ancount), ...]} and the frames of mDNS/LLMNR flows."""
    out = subprocess.run([program, '-r', pcap, '--json'], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, check=False).stdout
    msgs, multicast = {}, set()
    for line in out.decode('utf-8', 'replace').splitlines():
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if o.get('type') != 'dns':
            continue
        mc = o.get('client_port') in (5353, 5355) or o.get('server_port') in (5353, 5355)
        raw_id = int(o['raw'][:4], 16) if o.get('raw') and len(o['raw']) >= 4 else None
        qid = o.get('id', raw_id)
        side = o.get('malformed_side')
        if 'frame' in o:
            # A malformed query keeps its own id in raw; a parsed one in "id".
            mid = raw_id if side in ('query', 'message') else qid
            msgs.setdefault(o['frame'], []).append((0, mid, None))
            if mc:
                multicast.add(o['frame'])
        if 'response_frame' in o:
            an = len(o['answer']) if 'answer' in o else None
            mid = raw_id if side == 'response' else qid
            msgs.setdefault(o['response_frame'], []).append((1, mid, an))
            if mc:
                multicast.add(o['response_frame'])
    return msgs, multicast


AGREED = {'queries': 0, 'responses': 0, 'answers': 0}


def compare(name, theirs, mine, multicast, cut):
    """The differences of one capture: (kind, frame, detail); what agrees is
    counted in AGREED."""
    diffs = []
    last = max(theirs) if theirs else 0
    for frame in sorted(set(theirs) | set(mine)):
        if cut and frame > last:
            continue
        t, m = list(theirs.get(frame, [])), list(mine.get(frame, []))
        for qr in (0, 1):
            tq = sorted([x for x in t if x[0] == qr], key=lambda x: (x[1] or 0))
            mq = sorted([x for x in m if x[0] == qr], key=lambda x: (x[1] or 0))
            for a, b in zip(tq, mq):
                if a[1] is not None and b[1] is not None and a[1] != b[1]:
                    diffs.append(('id', frame, f'qr={qr} tshark id {a[1]:#06x}, ours {b[1]:#06x}'))
                elif qr == 1 and a[2] is not None and b[2] is not None and a[2] != b[2]:
                    diffs.append(('ancount', frame, f'tshark {a[2]} answers, ours {b[2]}'))
                else:
                    AGREED['responses' if qr else 'queries'] += 1
                    AGREED['answers'] += (b[2] or 0) if qr else 0
            for x in tq[len(mq):]:
                diffs.append(('theirs-only', frame, f'qr={qr} id={x[1]}'))
            for x in mq[len(tq):]:
                kind = 'mdns' if frame in multicast else 'ours-only'
                diffs.append((kind, frame, f'qr={qr} id={x[1]}'))
    return diffs


def main():
    program, corpus = sys.argv[1], sys.argv[2]
    verbose = '-v' in sys.argv[3:]
    if not os.path.isdir(corpus):
        print(f'skipped: {corpus} is missing')
        return 77
    used, failures = set(), []
    totals = {'captures': 0, 'queries': [0, 0], 'responses': [0, 0], 'answers': [0, 0]}
    for root, _, files in sorted(os.walk(corpus)):
        for fname in sorted(files):
            if not fname.endswith('.tshark.txt'):
                continue
            pcap = fname[:-len('.tshark.txt')]
            theirs, cut = tshark_rows(os.path.join(root, fname))
            mine, multicast = ours(program, os.path.join(root, pcap))
            if not theirs and not mine:
                continue
            totals['captures'] += 1
            for i, side in enumerate((theirs, mine)):
                for frame, msgs in side.items():
                    if cut and theirs and frame > max(theirs):
                        continue
                    for qr, _, an in msgs:
                        totals['responses' if qr else 'queries'][i] += 1
                        totals['answers'][i] += an or 0
            nq = [sum(1 for m in s.values() for x in m if x[0] == 0) for s in (theirs, mine)]
            nr = [sum(1 for m in s.values() for x in m if x[0] == 1) for s in (theirs, mine)]
            line = f'{pcap}: tshark {nq[0]} queries {nr[0]} responses; ours {nq[1]} / {nr[1]}'
            if cut:
                line += ' (tshark view cut at 400 rows)'
                used.add(('*', 'cut400'))
            print(line)
            for kind, frame, detail in compare(pcap, theirs, mine, multicast, cut):
                if kind == 'mdns':
                    used.add(('*', 'mdns'))
                    if verbose:
                        print(f'  frame {frame}: {kind} {detail}: {RULES["mdns"]}')
                    continue
                rule = next((k for k in KNOWN if k[0] == pcap and k[1] == kind and
                             (k[2] is None or frame in k[2])), None)
                if rule:
                    used.add((rule[0], rule[1]))
                    if verbose:
                        print(f'  frame {frame}: {kind} {detail}: known: {rule[3]}')
                    continue
                failures.append(f'{pcap} frame {frame}: {kind} {detail}')
    for k in KNOWN:
        if (k[0], k[1]) not in used:
            failures.append(f'known difference no longer seen: {k[0]} {k[1]}')
    print(f"{totals['captures']} captures; queries tshark {totals['queries'][0]} ours "
          f"{totals['queries'][1]}; responses tshark {totals['responses'][0]} ours "
          f"{totals['responses'][1]}; answer records tshark {totals['answers'][0]} ours "
          f"{totals['answers'][1]}")
    print(f"agreeing message by message (frame, QR, id, ANCOUNT): {AGREED['queries']} queries, "
          f"{AGREED['responses']} responses, {AGREED['answers']} answer records; every other "
          f"difference is explained above (-v lists them)")
    for f in failures:
        print('FAIL', f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
