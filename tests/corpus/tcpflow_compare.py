#!/usr/bin/python3
"""tcpflow_compare.py - each TCP direction smtpsniff writes, against tcpflow's.

Usage: tcpflow_compare.py SMTPSNIFF CORPUS_DIR [KNOWN_DIFFERENCES]
For every capture with a sibling <pcap>.tcpflow.txt (tcpflow 1.6.1: size and
MD5 of each direction it wrote, and how many NUL bytes are in it), runs
`smtpsniff -r PCAP --streams DIR` and compares direction by direction.

tcpflow is a reference, not the truth. Three of its habits are recognised
and checked byte for byte through the MD5:
- it writes a hole as NUL bytes, where smtpsniff reports a gap;
- it takes the Ethernet padding of a short frame (6 NULs after a 54-byte
  header) for payload: its file is smtpsniff's plus 6 NULs;
- a padded frame after the end makes it open a file "cN" of NULs only.
Every other difference must be listed, with its reason, in
KNOWN_DIFFERENCES (lines "pcap flowfile reason"); a listed difference that
no longer occurs fails too, so the list stays true.
"""
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

sniff, corpus = sys.argv[1], sys.argv[2]
known = {}
if len(sys.argv) > 3:
    for line in open(sys.argv[3]):
        line = line.strip()
        if line and not line.startswith('#'):
            pcap, flowfile, reason = line.split(None, 2)
            known[(pcap, flowfile)] = reason


def norm(endpoint):
    """010.000.000.001.00025 -> 10.0.0.1.25, 2001:db8::1.00025 -> 2001:db8::1.25"""
    addr, port = endpoint.rsplit('.', 1)
    if ':' not in addr:
        addr = '.'.join(str(int(x)) for x in addr.split('.'))
    return f'{addr}.{int(port)}'


def md5(b):
    return hashlib.md5(b).hexdigest()


failures, checked, exact, gapped, padded, artifacts = [], 0, 0, 0, 0, 0
seen_known = set()
for root, _, files in os.walk(corpus):
    for name in sorted(files):
        if not name.endswith('.tcpflow.txt'):
            continue
        pcap = name[:-len('.tcpflow.txt')]
        path = os.path.join(root, pcap)
        theirs = []
        for line in open(os.path.join(root, name)):
            m = re.match(r'\s*(\d+) ([0-9a-f]{32}) (\S+) nul=(\d+)', line)
            if m:
                theirs.append((int(m.group(1)), m.group(2), m.group(3), int(m.group(4))))
        if not theirs:
            continue
        with tempfile.TemporaryDirectory() as out:
            subprocess.run([sniff, '-r', path, '--streams', out, '--flows'], check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            ours = {}
            for line in open(os.path.join(out, 'index.jsonl')):
                o = json.loads(line)
                if not o['file']:
                    continue
                data = open(os.path.join(out, o['file']), 'rb').read()
                key = o['file'].split('-', 1)[1]
                ours.setdefault(key, []).append((data, o['gaps_total'],
                                                 sum(g['len'] for g in o['gaps'])))
        for size, sum5, flowfile, nul in theirs:
            # src-dst, then "--VLAN" when tagged, then "cN" for the N-th reuse
            m = re.match(r'([^-]+\.\d+)-([^-]+\.\d+)(?:--\d+)?(?:c(\d+))?$', flowfile)
            key = norm(m.group(1)) + '-' + norm(m.group(2))
            conn = int(m.group(3)) if m.group(3) else 0
            got = ours.get(key, [])
            checked += 1
            why = known.get((pcap, flowfile))
            problem = None
            if conn >= len(got):
                if size == nul and sum5 == md5(bytes(size)):
                    artifacts += 1   # NULs only: padding of frames that carried no data
                else:
                    problem = 'smtpsniff wrote no such direction'
            else:
                data, ogaps, ogapbytes = got[conn]
                if (len(data), md5(data)) == (size, sum5):
                    exact += 1
                elif (size, sum5) == (len(data) + 6, md5(data + bytes(6))):
                    padded += 1
                elif nul and ogaps and size in (len(data) + ogapbytes, len(data) + ogapbytes + 6):
                    gapped += 1      # tcpflow's NULs stand where smtpsniff says bytes are missing
                else:
                    problem = (f'tcpflow {size} bytes nul={nul}, smtpsniff {len(data)} bytes, '
                               f'gaps {ogaps} ({ogapbytes} bytes)')
            if problem and why:
                seen_known.add((pcap, flowfile))
            elif problem:
                failures.append(f'{pcap} {flowfile}: {problem}')
            elif why:
                failures.append(f'{pcap} {flowfile}: listed as a known difference, but now agrees')
print(f'{checked} directions: {exact} identical to tcpflow; {padded} where tcpflow added the '
      f'Ethernet padding; {artifacts} NUL-only tcpflow files; {gapped} where tcpflow wrote NULs '
      f'and smtpsniff reports the gap; {len(seen_known)} known differences')
for f in failures:
    print('FAIL', f)
sys.exit(1 if failures else 0)
