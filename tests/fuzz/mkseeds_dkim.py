#!/usr/bin/python3
"""mkseeds_dkim.py - writes the seeds of fuzz_dkim (tests/verify/fuzz_dkim.c).

Usage: mkseeds_dkim.py [TOPDIR]
A seed is one mode byte (see fuzz_dkim.c) and the rest. The messages are
signed ones whose keys the fuzz target's store holds, so every seed goes
through the cryptography: the lab's delivered messages (pcaps/*.eml, LF
made CRLF as on the wire; the fields the MX added are not signed) and the
example of RFC 8463 Appendix A.3.
"""
import os
import sys

top = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..')
out = os.path.join(top, 'tests', 'fuzz', 'seeds', 'dkim')
os.makedirs(out, exist_ok=True)

RFC8463 = b'\r\n'.join([
    b'DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;',
    b' d=football.example.com; i=@football.example.com;',
    b' q=dns/txt; s=brisbane; t=1528637909; h=from : to :',
    b' subject : date : message-id : from : subject : date;',
    b' bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;',
    b' b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus',
    b' Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==',
    b'DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;',
    b' d=football.example.com; i=@football.example.com;',
    b' q=dns/txt; s=test; t=1528637909; h=from : to : subject :',
    b' date : message-id : from : subject : date;',
    b' bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;',
    b' b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3',
    b' DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz',
    b' dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=',
    b'From: Joe SixPack <joe@football.example.com>',
    b'To: Suzie Q <suzie@shopping.example.net>',
    b'Subject: Is dinner ready?',
    b'Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)',
    b'Message-ID: <20030712040037.46341.5F8J@football.example.com>',
    b'',
    b'Hi.',
    b'',
    b'We lost the game.  Are you hungry yet?',
    b'',
    b'Joe.',
    b''])


def lab(name):
    return open(os.path.join(top, 'pcaps', name + '.eml'), 'rb').read().replace(b'\n', b'\r\n')


def without_signature(msg):
    """msg from its DKIM-Signature field on, that field left out."""
    start = msg.index(b'DKIM-Signature:')
    end = start
    while True:
        end = msg.index(b'\r\n', end) + 2
        if msg[end:end + 1] not in (b' ', b'\t'):
            return msg[end:]


seeds = {
    'rfc8463': b'\x00' + RFC8463,
    'lab-scenario3-1': b'\x00' + lab('scenario3-1'),
    'lab-scenario3-2': b'\x00' + lab('scenario3-2'),
    'lab-scenario4-4': b'\x00' + lab('scenario4-4'),
    'lab-signature-prefix': b'\x01' + without_signature(lab('scenario3-1')),
    'tag-list': b'\x02' + RFC8463[len(b'DKIM-Signature: '):],
    'incomplete': b'\x03' + RFC8463,
    'key-record': b'\x04' + b'v=DKIM1; h=sha256; k=rsa; n=folded key; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCA'
    b'Q8AMIIBCgKCAQEArZJMRsbd4hWkfSGenTF0gPLWrDYy8UqtY1abFBsm2S8Lacbv6BQdfS8/r0tZSqP8J14tmMiPPOxJ'
    b'2nj5F0k5ShJPJeB861RUDpr/DYqZ08GFK6HxtrZV8p2qjAyvIsGfMN2Sy3sbgafQyUCcLZrL7Btu5AIOOcumRSPKC2A'
    b'S8r30VuP19KUrY0+8c9qS58y4/laH5lYOpRGCid 6RbmZOoN1g03caTiVruEUDXb8y8EtimPycCjRH6D55ccdW/xl/8'
    b'wxJppNEiRK8tp/wOhKNqVOqDQJVWtfKi/FMCEaPp0tqDGi+D2KO/EWGG/d3fSbV3ROGHbdT0ak6azM6vbZRDQIDAQAB'
    b'\n' + lab('scenario3-1'),
}
for name, data in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
print('%d seeds in %s' % (len(seeds), out))
