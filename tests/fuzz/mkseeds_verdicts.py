#!/usr/bin/python3
"""mkseeds_verdicts.py - writes the seeds of fuzz_authres and fuzz_recvspf.

Usage: mkseeds_verdicts.py [TOPDIR]
Each seed is one field value, the bytes after the colon, as a receiving server
wrote it: every Authentication-Results and Received-SPF field of the lab's
delivered messages (pcaps/ and pcaps/opendkim/, folds kept, with LF as stored
and again with CRLF), the examples of RFC 8601 Appendix B and RFC 7208 9.1,
and the hard cases of tests/verify/test_authres.c and test_recvspf.c
(comments nested and escaped, quoted strings, sloppy writers, errors).
"""
import glob
import os
import re
import sys

top = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..')
seeds = os.path.join(top, 'tests', 'fuzz', 'seeds')

AUTHRES = {
    'rfc8601-b2': b'example.org 1; none',
    'rfc8601-b3': b'example.com;\r\n          spf=pass smtp.mailfrom=example.net',
    'rfc8601-b4a': b'example.com;\r\n          auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n'
                   b'          spf=pass smtp.mailfrom=example.net',
    'rfc8601-b4b': b'example.com; iprev=pass\r\n          policy.iprev=192.0.2.200',
    'rfc8601-b5': b'example.com;\r\n          dkim=pass (good signature) header.d=example.com',
    'rfc8601-b6': b'example.com;\r\n      dkim=pass reason="good signature"\r\n'
                  b'        header.i=@mail-router.example.net;\r\n      dkim=fail reason="bad signature"\r\n'
                  b'        header.i=@newyork.example.com',
    'rfc8601-b7': b'foo.example.net (foobar) 1 (baz);\r\n'
                  b'    dkim (Because I like it) / 1 (One yay) = (wait for it) fail\r\n'
                  b'      policy (A dot can go here) . (like that) expired\r\n'
                  b"      (this surprised me) = (as I wasn't expecting it) 1362471462",
    'rfc7601-b5': b'example.com;\r\n          sender-id=fail header.from=example.com;\r\n'
                  b'          dkim=pass (good signature) header.d=example.com',
    'nested': b'example.com (outer (inner \\) paren) end); auth=pass (cram-md5 (comment inside '
              b'comment)) smtp.auth=sender@example.com',
    'tight': b'example.com;dkim(c1)=(c2)pass(c3)header(c4).(c5)d(c6)=(c7)example.com(c8);spf=none',
    'quoted': b'example.net; dkim=fail reason="bad \\"sig\\"; really" header.d=example.net; '
              b'spf=pass smtp.mailfrom="john \\"q\\" doe"@example.net',
    'microsoft': b'spf.protection.outlook.com; spf=pass (sender IP is 192.0.2.1) '
                 b'smtp.mailfrom=example.com; dkim=none (message not signed) header.d=none;dmarc=none '
                 b'action=none header.from=example.com;compauth=pass reason=100',
    'ipv6': b'mx.example.net; iprev=pass smtp.remote-ip=2001:db8::1',
    'no-authserv-id': b'dkim=pass header.d=example.com',
    'unquoted-reason': b'example.com; dkim=fail reason=signature verification failed header.d=example.com',
    'unclosed': b'example.com; spf=pass smtp.mailfrom=a.example; dkim=pass (unclosed',
    'deep': b'example.com ' + b'(' * 40 + b'x' + b')' * 40 + b'; none',
    # past the caps of authres.h: results, properties, a value, a comment
    'many-results': b'example.com' + b'; spf=pass smtp.mailfrom=a.example' * 70,
    'many-props': b'example.com; dkim=pass' + b' header.x=y' * 40 + b'; spf=none',
    'long-value': b'example.com; dkim=pass header.d=' + b'a' * 1100 + b' (' + b'c ' * 600 + b')',
}

RECVSPF = {
    'rfc7208-1': b'pass (mybox.example.org: domain of\r\n'
                 b' myname@example.com designates 192.0.2.1 as permitted sender)\r\n'
                 b'    receiver=mybox.example.org; client-ip=192.0.2.1;\r\n'
                 b'    envelope-from="myname@example.com"; helo=foo.example.com;',
    'rfc7208-2': b'fail (mybox.example.org: domain of\r\n'
                 b'                     myname@example.com does not designate\r\n'
                 b'                     192.0.2.1 as permitted sender)\r\n'
                 b'                     identity=mailfrom; client-ip=192.0.2.1;\r\n'
                 b'                     envelope-from="myname@example.com";',
    'nested': b'SoftFail (example.org: transitioning (really \\) not) yet) client-ip=192.0.2.9',
    'quoted': b'neutral client-ip=192.0.2.9; problem="no \\"v=spf1\\"; record"; x-extra=""',
    'comments': b'none (c1) helo (c2) = (c3) mail.example.org (c4) ; (c5) mechanism = default',
    'sloppy': b'pass client-ip=2001:db8::1 envelope-from=a@example.com;; helo=',
    'unclosed': b'pass helo=a.example; problem="open',
    # past the caps of recvspf.h
    'many-pairs': b'pass' + b' x-a=b;' * 40,
    'long-value': b'pass (' + b'c ' * 600 + b') problem="' + b'a' * 1100 + b'"',
}


def fields(path, name):
    """The raw values of the fields called name in the message at path."""
    data = open(path, 'rb').read()
    head = re.split(rb'\r?\n\r?\n', data, maxsplit=1)[0]
    out = []
    for m in re.finditer(rb'^' + name + rb':(.*(?:\r?\n[ \t].*)*)', head, re.M | re.I):
        out.append(m.group(1))
    return out


def write(kind, name, value):
    d = os.path.join(seeds, kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(value)


for kind, table in (('authres', AUTHRES), ('recvspf', RECVSPF)):
    for name, value in table.items():
        write(kind, name, value)

for eml in sorted(glob.glob(os.path.join(top, 'pcaps', 'scenario*.eml')) +
                  glob.glob(os.path.join(top, 'pcaps', 'opendkim', 'scenario*.eml'))):
    set_ = 'opendkim-' if os.path.basename(os.path.dirname(eml)) == 'opendkim' else ''
    base = set_ + os.path.basename(eml)[:-4]
    for kind, field in (('authres', b'Authentication-Results'), ('recvspf', b'Received-SPF')):
        for i, v in enumerate(fields(eml, field)):
            write(kind, '%s-%d' % (base, i), v)
            write(kind, '%s-%d-crlf' % (base, i), v.replace(b'\n', b'\r\n'))
