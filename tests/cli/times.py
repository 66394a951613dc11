#!/usr/bin/python3
"""times.py - capture times as smtpsniff shows them: every record of an
ordinary SMTP session has its time, in --json and on the timeline, whatever
the time stamps of the capture say.

Usage: times.py SMTPSNIFF CASE...
CASE is one of:
  zero    every frame stamped 0 (pcap ts_sec 0, ts_usec 0: legal, as in
          synthetic captures); 1970-01-01T00:00:00Z is a time like any other
  2038    from 2038-01-19 03:14:08 UTC (2^31 s, where a signed 32-bit
          time_t ends) on, pcap and pcapng
  2100    in the year 2100 (pcap, and pcapng in micro- and nanoseconds), and
          the last second a pcap can hold (2106-02-07 06:28:15)
  far     pcapng beyond the pcap's range: the years 2200 and 2262
  hostile pcapng time stamps no clock can show (past 2^63 s, past the
          year 2262, and jumping between 1970 and those by turns): no
          crash or overflow (run under the sanitizers), every time shown
          held at an end of the range smtpsniff holds (1970 to 2262)

Each capture is written here, by hand, from the pcap and pcapng formats
(https://www.tcpdump.org/manpages/pcap-savefile.5.html, RFC draft
draft-ietf-opsawg-pcapng): the time of every frame is known, so the time of
every record follows from the frame numbers it names. smtpsniff runs with
TZ=UTC. Debian's python3, standard library only.
"""
import datetime
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

SNIFF = sys.argv[1]
CASES = sys.argv[2:]
CLIENT, SERVER = bytes([192, 0, 2, 10]), bytes([192, 0, 2, 25])
CPORT, SPORT = 40000, 25
C2S, S2C = 0, 1

# The session, one TCP segment a frame: (direction, flags, payload).
SESSION = [
    (C2S, 'S', b''),
    (S2C, 'SA', b''),
    (C2S, 'A', b''),
    (S2C, 'PA', b'220 mx.example ESMTP\r\n'),  # 4: greeting
    (C2S, 'PA', b'EHLO client.example\r\n'),  # 5
    (S2C, 'PA', b'250-mx.example\r\n250 8BITMIME\r\n'),  # 6
    (C2S, 'PA', b'MAIL FROM:<a@example.org>\r\n'),  # 7
    (S2C, 'PA', b'250 2.1.0 Ok\r\n'),  # 8
    (C2S, 'PA', b'RCPT TO:<b@example.net>\r\n'),  # 9
    (S2C, 'PA', b'250 2.1.5 Ok\r\n'),  # 10
    (C2S, 'PA', b'DATA\r\n'),  # 11
    (S2C, 'PA', b'354 End data with <CR><LF>.<CR><LF>\r\n'),  # 12
    (C2S, 'PA', b'From: a@example.org\r\nTo: b@example.net\r\nSubject: times\r\n\r\n'
     b'Hello.\r\n'),  # 13: the message
    (C2S, 'PA', b'.\r\n'),  # 14: its end
    (S2C, 'PA', b'250 2.0.0 Ok: queued as ABC123\r\n'),  # 15
    (C2S, 'PA', b'QUIT\r\n'),  # 16
    (S2C, 'PA', b'221 2.0.0 Bye\r\n'),  # 17
    (S2C, 'FA', b''),
    (C2S, 'FA', b''),
    (S2C, 'A', b''),
]
# What each record of the session must name: the timeline's words after
# "SMTP ", and the JSON record's frames (the command's, the reply's).
WANT = [
    ('220 ', 'smtp', None, 4),
    ('EHLO ', 'smtp', 5, 6),
    ('MAIL ', 'smtp', 7, 8),
    ('RCPT ', 'smtp', 9, 10),
    ('DATA ', 'smtp', 11, 12),
    ('message #', 'message', 13, 14),
    (None, 'smtp', 14, 15),  # "." (not on the timeline without -v)
    ('QUIT ', 'smtp', 16, 17),
]


def frames():
    """The session as Ethernet frames, with sequence numbers that add up."""
    seq = [1000, 5000]
    out = []
    for d, flags, payload in SESSION:
        bits = sum({'F': 1, 'S': 2, 'P': 8, 'A': 16}[c] for c in flags)
        src, dst = (CLIENT, SERVER) if d == C2S else (SERVER, CLIENT)
        sp, dp = (CPORT, SPORT) if d == C2S else (SPORT, CPORT)
        ack = seq[1 - d] if 'A' in flags else 0
        tcp = struct.pack('!HHIIBBHHH', sp, dp, seq[d], ack, 5 << 4, bits, 65535, 0, 0)
        seq[d] += len(payload) + ('S' in flags) + ('F' in flags)
        total = 20 + len(tcp) + len(payload)
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, total, len(out) + 1, 0x4000, 64, 6, 0,
                         src, dst)
        eth = (b'\x02\x00\x00\x00\x00\x02' if d == C2S else b'\x02\x00\x00\x00\x00\x01')
        eth += (b'\x02\x00\x00\x00\x00\x01' if d == C2S else b'\x02\x00\x00\x00\x00\x02')
        out.append(eth + b'\x08\x00' + ip + tcp + payload)
    return out


def pcap(stamps, nano=False):
    """A classic pcap; stamps: (sec, frac) a frame, frac in micro- or
    nanoseconds as nano says."""
    magic = 0xa1b23c4d if nano else 0xa1b2c3d4
    b = struct.pack('<IHHiIII', magic, 2, 4, 0, 0, 65535, 1)
    for (sec, frac), f in zip(stamps, frames()):
        b += struct.pack('<IIII', sec, frac, len(f), len(f)) + f
    return b


def pcapng(stamps, resol):
    """A pcapng file: one interface with if_tsresol resol (a byte: 6 micro,
    9 nano, 0 seconds); stamps: the 64-bit time stamp of each frame in
    units of that resolution."""
    def block(t, body):
        body += b'\0' * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack('<II', t, n) + body + struct.pack('<I', n)
    b = block(0x0a0d0d0a, struct.pack('<IHHq', 0x1a2b3c4d, 1, 0, -1))
    opt = struct.pack('<HHB', 9, 1, resol) + b'\0' * 3 + struct.pack('<HH', 0, 0)
    b += block(1, struct.pack('<HHI', 1, 0, 65535) + opt)
    for ts, f in zip(stamps, frames()):
        b += block(6, struct.pack('<IIIII', 0, ts >> 32, ts & 0xffffffff, len(f), len(f)) + f)
    return b


def iso(ns):
    """What --json must say for ns nanoseconds since the epoch."""
    sec, sub = divmod(ns, 10 ** 9)
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=sec)
    return t.strftime('%Y-%m-%dT%H:%M:%S.') + '%06dZ' % (sub // 1000)


def clock(ns):
    """What the timeline must say (TZ=UTC): HH:MM:SS.mmm."""
    sec, sub = divmod(ns, 10 ** 9)
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=sec)
    return t.strftime('%H:%M:%S.') + '%03d' % (sub // 10 ** 6)


fails = 0


def bad(what):
    global fails
    print('FAIL ' + what)
    fails += 1


def run(path, *opts):
    env = dict(os.environ, TZ='UTC')
    p = subprocess.run([SNIFF, '-r', path, '--no-journey', *opts], env=env, capture_output=True)
    return p.returncode, p.stdout.decode('utf-8', 'replace'), p.stderr.decode('utf-8', 'replace')


def check(name, path, ns):
    """Runs smtpsniff on path, whose frame i (1-based) was stamped ns[i - 1]
    nanoseconds, and checks every record's times and the timeline."""
    n0 = fails
    rc, out, err = run(path, '--json')
    if rc != 0 or err:
        bad(f'{name}: --json: status {rc}: {err.strip()}')
        return
    recs = [json.loads(line) for line in out.splitlines()]
    recs = [r for r in recs if r['type'] in ('smtp', 'message', 'note', 'dns')]
    if len(recs) != len(WANT):
        bad(f'{name}: {len(recs)} records, want {len(WANT)}:\n{out}')
        return
    for r, (_, kind, cmd, reply) in zip(recs, WANT):
        got = {k: r.get(k) for k in ('time', 'reply_time', 'end')}
        if kind == 'message':
            frames_ok = r.get('frame_start') == cmd and r.get('frame_end') == reply
            want = {'time': iso(ns[cmd - 1]), 'reply_time': None, 'end': iso(ns[reply - 1])}
        else:
            frames_ok = r.get('frame') == cmd and r.get('reply_frame') == reply
            want = {'time': iso(ns[(cmd or reply) - 1]), 'reply_time': iso(ns[reply - 1]),
                    'end': None}
        if r['type'] != kind or not frames_ok:
            bad(f'{name}: record is not the one of frames {cmd}, {reply}: {json.dumps(r)}')
        elif got != want:
            bad(f'{name}: frames {cmd}, {reply}: times {got}, want {want}')
    # the flow's start and end: the times of its first and last frames
    flow = [json.loads(line) for line in out.splitlines() if '"type":"flow"' in line]
    if len(flow) != 1 or flow[0]['first_frame'] != 1:
        bad(f'{name}: not one flow from frame 1: {flow}')
    else:
        got = (flow[0].get('start'), flow[0].get('end'))
        fw = (iso(ns[0]), iso(ns[flow[0]['last_frame'] - 1]))
        if got != fw:
            bad(f'{name}: flow start and end {got}, want {fw}')
    rc, out, err = run(path)
    if rc != 0 or err:
        bad(f'{name}: timeline: status {rc}: {err.strip()}')
        return
    lines = out.splitlines()
    if lines[:1] != ['times are local, UTC (+00:00)']:  # the zone, said once first
        bad(f'{name}: the timeline does not begin by saying its zone:\n{out}')
        return
    lines = lines[1:]
    want = [(clock(ns[(cmd or reply) - 1]), words) for words, _, cmd, reply in WANT if words]
    if len(lines) != len(want):
        bad(f'{name}: {len(lines)} timeline lines, want {len(want)}:\n{out}')
        return
    for line, (t, words) in zip(lines, want):
        m = re.match(r'(\S+) \[1\] 192\.0\.2\.10 > 192\.0\.2\.25  SMTP (.*)', line)
        if not m or not m.group(2).startswith(words):
            bad(f'{name}: timeline line is not the {words.strip()} one: {line}')
        elif m.group(1) != t:
            bad(f'{name}: timeline shows {m.group(1)}, want {t}: {line}')
    if fails == n0:
        print(f'ok   {name}: every record at its frames\' times ({iso(ns[0])} ...)')


def stamps_us(first, step_us):
    """(sec, usec) of each frame: first (seconds), then step_us apart."""
    out = []
    for i in range(len(SESSION)):
        us = first * 10 ** 6 + i * step_us
        out.append(divmod(us, 10 ** 6))
    return out


def case_pcap(d, name, first, step_us):
    st = stamps_us(first, step_us)
    path = f'{d}/{name}.pcap'
    open(path, 'wb').write(pcap(st))
    check(name, path, [s * 10 ** 9 + u * 1000 for s, u in st])


def case_pcap_ns(d, name, first, step_ns):
    ns = [first * 10 ** 9 + i * step_ns for i in range(len(SESSION))]
    path = f'{d}/{name}.pcap'
    open(path, 'wb').write(pcap([divmod(t, 10 ** 9) for t in ns], nano=True))
    check(name, path, ns)


def case_pcapng(d, name, first, step_ns, resol):
    unit = 10 ** (9 - resol)
    ns = [first * 10 ** 9 + i * step_ns for i in range(len(SESSION))]
    path = f'{d}/{name}.pcapng'
    open(path, 'wb').write(pcapng([t // unit for t in ns], resol))
    check(name, path, [t // unit * unit for t in ns])


def epoch(*ymdhms):
    return int((datetime.datetime(*ymdhms) - datetime.datetime(1970, 1, 1)).total_seconds())


MAX_NS = (2 ** 63 - 1) // 10 ** 9 * 10 ** 9 - 1  # 2262-04-11T23:47:15.999999999Z


def hostile(d):
    """Time stamps that are no time. What smtpsniff does with them: a pcapng
    time past the end of int64 nanoseconds is held at the end,
    2262-04-11T23:47:15.999999999Z; one past 2^63 s, which libpcap hands over
    wrapped to before 1970, is held at 1970-01-01T00:00:00Z; and capture time
    never runs backwards (reassembly). The session still dissects, nothing overflows (the
    sanitizers' runtime errors fail the test), and every time shown is one
    of those two ends."""
    n = len(SESSION)
    # 2^64 - 20 ns on: 2554, past int64 nanoseconds: all held at the end
    path = f'{d}/hostile-ns.pcapng'
    open(path, 'wb').write(pcapng([(1 << 64) - n + i for i in range(n)], 9))
    check('hostile-ns', path, [MAX_NS] * n)
    # 2^64 - 1 s and so on: held at 1970
    path = f'{d}/hostile-s.pcapng'
    open(path, 'wb').write(pcapng([(1 << 64) - 1 - i for i in range(n)], 0))
    check('hostile-s', path, [0] * n)
    # 1970 and past the end by turns: robustness only (flows time out)
    ends = (iso(0), iso(MAX_NS))
    jump_ns = [(1 << 64) - 1 if i % 2 else 0 for i in range(n)]
    jump_s = [(1 << 63) + 5 if i % 2 else 0 for i in range(n)]
    for name, st, resol in (('hostile-jump', jump_ns, 9), ('hostile-jump-s', jump_s, 0)):
        path = f'{d}/{name}.pcapng'
        open(path, 'wb').write(pcapng(st, resol))
        n0 = fails
        for opts in (['--json'], [], ['--json', '--verify', '-v'], ['--verify', '-v'],
                     ['--flows'], ['--json', '--flows']):
            rc, out, err = run(path, *opts)
            what = f'{name} {" ".join(opts)}'
            if rc not in (0, 1) or 'runtime error' in err or 'Sanitizer' in err:
                bad(f'{what}: status {rc}: {err.strip()[:2000]}')
                continue
            for t in re.findall(r'"(?:time|reply_time|end|start|response_time)":"([^"]*)"', out):
                if not (t.startswith(ends[0][:19]) or t.startswith(ends[1][:19])):
                    bad(f'{what}: a time at neither end: {t}')
                    break
            if '--json' not in opts:
                for line in out.splitlines():
                    m = re.match(r'(\S+) (\[\d+\]|flow \d+) ', line)  # records and flows
                    if m and m.group(1)[:8] not in ('00:00:00', '23:47:15'):
                        bad(f'{what}: a line without a clock at either end: {line}')
                        break
        if fails == n0:
            print(f'ok   {name}: every time shown at an end of the range, nothing overflowed')


with tempfile.TemporaryDirectory() as d:
    for case in CASES:
        if case == 'zero':
            case_pcap(d, 'zero', 0, 0)
            case_pcap_ns(d, 'zero-ns', 0, 0)
            case_pcapng(d, 'zero-pcapng', 0, 0, 6)
        elif case == '2038':
            # 2^31 s exactly, then 1.234567 s a frame: 2038-01-19 03:14:08 ...
            # (frames closer than --tcp-linger, so that the last ACK is the flow's)
            case_pcap(d, '2038', 1 << 31, 1234567)
            case_pcap_ns(d, '2038-ns', 1 << 31, 1234567891)
            case_pcapng(d, '2038-pcapng', 1 << 31, 1234567000, 6)
            # the last second of the signed 32-bit time_t, into the next
            case_pcap(d, '2038-edge', (1 << 31) - 10, 999999)
        elif case == '2100':
            case_pcap(d, '2100', epoch(2100, 3, 1, 23, 59, 50), 1250001)
            case_pcapng(d, '2100-pcapng', epoch(2100, 3, 1, 23, 59, 50), 1250001000, 6)
            case_pcapng(d, '2100-pcapng-ns', epoch(2100, 3, 1, 23, 59, 50), 1250001234, 9)
            # the last seconds a pcap's unsigned 32-bit ts_sec holds
            case_pcap(d, '2106', (1 << 32) - len(SESSION), 1000001)
        elif case == 'far':
            case_pcapng(d, '2200-pcapng-ns', epoch(2200, 7, 4, 12, 0, 0), 3123456789, 9)
            # up to 2262-04-11T23:47:15.3, 0.7 s before int64 nanoseconds end
            case_pcapng(d, '2262-pcapng', epoch(2262, 4, 11, 23, 47, 2), 700001000, 6)
        elif case == 'hostile':
            hostile(d)
        else:
            bad(f'no case {case}')
sys.exit(1 if fails else 0)
