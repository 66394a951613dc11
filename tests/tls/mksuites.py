#!/usr/bin/python3
"""mksuites.py - dissect/tlssuites.c from tshark's own table of cipher suite
names, so that smtpsniff names a suite exactly as tshark shows it.

    tshark -G values | tests/tls/mksuites.py > dissect/tlssuites.c
    (then clang-format -i dissect/tlssuites.c)

tests/tls/tshark-suites.txt keeps the lines it was made from (tshark 4.0.17:
`tshark -G values | grep -P '^V\\ttls.handshake.ciphersuite\\t'`); the unit
test checks the table against them and against OpenSSL's names
(tests/tls/openssl-ciphers.txt).

The key exchange of each suite is read off its name: what a
ServerKeyExchange holds depends on it (RFC 8422 5.4, RFC 5246 7.4.3, RFC 4279
and RFC 5489 for the PSK forms).
"""
import sys


def kx(name):
    if "_ECDHE_PSK_" in name:
        return "TLS_KX_ECDHE_PSK"
    if "_DHE_PSK_" in name or "_PSK_DHE_" in name:
        return "TLS_KX_DHE_PSK"
    if "_ECDHE_" in name or "_ECDH_anon_" in name or name.startswith("ECDHE_"):
        return "TLS_KX_ECDHE"
    if "_DHE_" in name or "_DH_anon_" in name:
        return "TLS_KX_DHE"
    return "TLS_KX_OTHER"


def main():
    rows = {}
    for line in sys.stdin:
        f = line.rstrip("\n").split("\t")
        if len(f) >= 4 and f[0] == "V" and f[1] == "tls.handshake.ciphersuite":
            rows.setdefault(int(f[2]), f[3])
    print("""/* tlssuites.c - TLS cipher suite names as tshark 4.0 shows them (IANA's,
 * with tshark's names for the few IANA leaves unnamed), and the key exchange
 * each one uses. Made by tests/tls/mksuites.py from `tshark -G values`; do
 * not edit by hand.
 */
#include "tlsnames.h"

const struct tls_suite tls_suites[] = {""")
    for k in sorted(rows):
        name = rows[k].replace("\\", "\\\\").replace('"', '\\"')
        print('\t{0x%04x, "%s", %s},' % (k, name, kx(rows[k])))
    print("};\nconst size_t tls_nsuites = sizeof tls_suites / sizeof tls_suites[0];")


if __name__ == "__main__":
    main()
