#!/usr/bin/python3
"""lab_messages.py - every message of every hop, against what the servers
wrote to disk.

Usage: lab_messages.py SMTPSNIFF PCAPS_DIR
For each lab recording NAME.pcap with its delivered Maildir file NAME.eml:
- the message on the hop into imap.b.test must be NAME.eml, line ends made
  CRLF, without the fields imap.b.test put on top when it received and
  delivered it (Return-Path, X-Original-To, Delivered-To and its Received);
- each earlier hop's message must be the next hop's without the header
  fields that the next hop's client prepended: byte for byte, the next
  message ends with this one and begins with whole header fields only.
A recording with TLS (pcaps/tls/) is read with its key log, NAME.keylog.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

sniff, pcaps = sys.argv[1], sys.argv[2]
IMAP_B = '10.255.2.40'
FIELDS = re.compile(rb'\A(?:[!-9;-~]+:[^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*)+\Z')


def delivered_as_sent(path):
    data = open(path, 'rb').read().replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
    # imap.b.test's own fields sit on top, its Received the last of them.
    m = re.match(rb'(?:(?:Return-Path|X-Original-To|Delivered-To):[^\r\n]*\r\n)*'
                 rb'Received:[^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*', data)
    if not m or b'by imap.b.test' not in m.group(0):
        raise SystemExit(f'{path}: no Received field of imap.b.test on top')
    return data[m.end():]


def names(prefix):
    return [f.split(b':', 1)[0].decode() for f in re.findall(rb'^[!-9;-~]+:', prefix, re.M)]


fail = checked = 0
for root, _, files in sorted(os.walk(pcaps)):
    # pcaps/starttls/: the relay hops went over STARTTLS, so no message
    # crosses them in clear (their golden shows them as encrypted hops).
    if os.path.basename(root) == 'starttls':
        continue
    for name in sorted(files):
        if not name.endswith('.eml'):
            continue
        pcap = os.path.join(root, name[:-4] + '.pcap')
        if not os.path.exists(pcap):
            continue
        with tempfile.TemporaryDirectory() as out:
            keys = pcap[:-5] + '.keylog'
            subprocess.run([sniff, '-r', pcap, '--export', out] +
                           (['--keylog', keys] if os.path.exists(keys) else []), check=True,
                           stdout=subprocess.DEVNULL)
            index = json.load(open(os.path.join(out, 'index.json')))
            # The hops are SMTP's; a reader's retrieval (POP3, IMAP) is
            # checked by lab_retrieved.py.
            hops = [(m['hop'], open(os.path.join(out, m['file']), 'rb').read(), m)
                    for m in sorted(index, key=lambda m: m['number']) if m['proto'] == 'smtp']
        label = os.path.relpath(pcap, pcaps)
        if not hops or hops[-1][0]['server'] != IMAP_B:
            print(f'FAIL {label}: no message on the hop into imap.b.test')
            fail = 1
            continue
        want = delivered_as_sent(os.path.join(root, name))
        if hops[-1][1] != want:
            print(f'FAIL {label}: the last hop\'s message is not the delivered file')
            fail = 1
            continue
        story = []
        for (hop, data, m), (nhop, ndata, _) in zip(hops, hops[1:]):
            if m['incomplete'] or not ndata.endswith(data) or not FIELDS.match(ndata[:-len(data)]):
                print(f'FAIL {label}: hop {hop["client"]} > {hop["server"]} is not the next '
                      f'hop\'s message minus prepended fields')
                fail = 1
                break
            added = names(ndata[:-len(data)])
            story.append(f'{nhop.get("client_name", nhop["client"])} added {", ".join(added)}')
        else:
            checked += 1
            print(f'ok   {label}: {len(hops)} hops, the last = the delivered file ({len(want)} bytes)'
                  + ('; ' + '; '.join(story) if story else ''))
print(f'{checked} recordings checked')
sys.exit(1 if fail or not checked else 0)
