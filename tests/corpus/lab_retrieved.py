#!/usr/bin/python3
"""lab_retrieved.py - every message the lab's reader retrieved, against what
the server wrote to disk, and the logins.

Usage: lab_retrieved.py SMTPSNIFF PCAPS_DIR
For pop3.pcap and imap.pcap in PCAPS_DIR and in PCAPS_DIR/opendkim: user1
logs in (POP3 USER/PASS, IMAP LOGIN) and retrieves each of its messages in
full (RETR n; FETCH 1:* BODY.PEEK[]). NAME.notes lists them in delivery
order (size on disk, Subject), and each is the Maildir file NAME.eml
beside it. Checks that:
- smtpsniff --export writes one .eml per retrieval, in that order, each
  equal to its Maildir file with LF made CRLF, byte for byte (RFC 1939 3
  and RFC 9051 2.2: line ends are CRLF on the wire; the POP3 dot-stuffing
  and the "." line removed, the IMAP literal as counted), and none marked
  incomplete or partial;
- each message record names the user (user1), the mailbox (INBOX) and
  which message it was (RETR n, UID n BODY[]);
- the login shows user1 and masks the password (`--json` "command"
  fields), the password appears nowhere in the output, and with
  --show-secrets it does (so the mask hid something real).
Any other recording NAME.pcap with its NAME.eml that ends with the reader
fetching the message (journey.pcap): each whole message retrieved is
NAME.eml with CRLF line ends.
"""
import json
import os
import subprocess
import sys
import tempfile

sniff, pcaps = sys.argv[1], sys.argv[2]
PASSWORD = 'password'  # lab/conf: user1's password


def expected(path):
    out = []
    for line in open(path):
        if line.startswith('#') or not line.strip():
            continue
        size, subject = line.split(None, 1)
        out.append((int(size), subject.strip()))
    return out


def run(pcap, *opts):
    return subprocess.run([sniff, '-r', pcap, '--json', *opts], capture_output=True,
                          check=True).stdout.decode()


fail = checked = 0


def bad(label, why):
    global fail
    print(f'FAIL {label}: {why}')
    fail = 1


for sub in ('', 'opendkim'):
    folder = os.path.join(pcaps, sub)
    for proto in ('pop3', 'imap'):
        pcap = os.path.join(folder, proto + '.pcap')
        label = os.path.relpath(pcap, pcaps)
        if not os.path.exists(pcap):
            bad(label, 'missing')
            continue
        want = expected(os.path.join(folder, proto + '.notes'))
        with tempfile.TemporaryDirectory() as out:
            lines = run(pcap, '--export', out).splitlines()
            index = sorted(json.load(open(os.path.join(out, 'index.json'))),
                           key=lambda m: m['number'])
            got = [open(os.path.join(out, m['file']), 'rb').read() for m in index]
        objs = [json.loads(line) for line in lines]
        msgs = [o for o in objs if o['type'] == 'message']
        if len(got) != len(want) or len(msgs) != len(want):
            bad(label, f'{len(got)} messages exported, {len(msgs)} records, '
                f'{len(want)} expected')
            continue
        ok = True
        for i, ((size, subject), data, m) in enumerate(zip(want, got, msgs)):
            # "scenarioX-Y (mail from ADDR)": the recording is scenarioX-Y
            disk = open(os.path.join(folder, subject.split()[0] + '.eml'), 'rb').read()
            if len(disk) != size:
                bad(label, f'{subject.split()[0]}.eml is {len(disk)} bytes, {proto}.notes says {size}')
                ok = False
            if data != disk.replace(b'\n', b'\r\n'):
                bad(label, f'message {i + 1} is not {subject.split()[0]}.eml with CRLF line ends')
                ok = False
            which = f'RETR {i + 1}' if proto == 'pop3' else f'UID {i + 1} BODY[]'
            fields = (m['proto'], m['user'], m['mailbox'], m['which'], m['incomplete'],
                      m['partial'], m['headers'].get('subject'))
            if fields != (proto, 'user1', 'INBOX', which, False, False, subject):
                bad(label, f'message {i + 1}: {fields}')
                ok = False
        cmds = [o['command'] for o in objs if o['type'] == proto and o.get('command')]
        logins = ['USER user1', 'PASS ****'] if proto == 'pop3' else ['a1 LOGIN user1 ****']
        notes = [o['detail'] for o in objs if o['type'] == 'note' and o['what'] == 'login']
        if any(c not in cmds for c in logins) or notes != [
                f'user1 logged in with {"USER/PASS" if proto == "pop3" else "LOGIN"}']:
            bad(label, f'the login is not shown as {logins}: commands {cmds[:3]}, notes {notes}')
            ok = False
        if PASSWORD in '\n'.join(lines):
            bad(label, 'the password is in the output')
            ok = False
        if PASSWORD not in run(pcap, '--show-secrets'):
            bad(label, '--show-secrets does not show the password')
            ok = False
        if ok:
            checked += 1
            print(f'ok   {label}: {len(got)} messages = the Maildir files with CRLF '
                  f'({sum(len(d) for d in got)} bytes); login {" / ".join(logins)}')
# Other recordings that end with the reader fetching what was delivered
# (journey.pcap): each whole message retrieved is NAME.eml with CRLF.
for sub in ('', 'opendkim'):
    folder = os.path.join(pcaps, sub)
    for name in sorted(os.listdir(folder)):
        if not name.endswith('.eml') or name.startswith('scenario'):
            continue
        pcap = os.path.join(folder, name[:-4] + '.pcap')
        if not os.path.exists(pcap):
            continue
        label = os.path.relpath(pcap, pcaps)
        msgs = [json.loads(line) for line in run(pcap).splitlines()]
        msgs = [m for m in msgs if m['type'] == 'message' and m['proto'] in ('pop3', 'imap')]
        if not msgs:
            continue
        with tempfile.TemporaryDirectory() as out:
            run(pcap, '--export', out)
            index = json.load(open(os.path.join(out, 'index.json')))
            got = [open(os.path.join(out, m['file']), 'rb').read() for m in index
                   if m['proto'] in ('pop3', 'imap') and not m['partial']]
        want = open(os.path.join(folder, name), 'rb').read().replace(b'\n', b'\r\n')
        if not got or any(g != want for g in got):
            bad(label, f'a message retrieved is not {name} with CRLF line ends')
            continue
        checked += 1
        print(f'ok   {label}: the {len(got)} message(s) {msgs[0]["user"]} retrieved by '
              f'{msgs[0]["proto"].upper()} = {name} with CRLF ({len(want)} bytes)')
print(f'{checked} captures checked')
sys.exit(1 if fail or checked < 4 else 0)
