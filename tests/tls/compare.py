#!/usr/bin/python3
"""compare.py - the TLS parser's view of a capture against tshark's.

    compare.py TOOL CAPTURE EXPECTED [--allow EVENT ...] [--flows N]

TOOL is test_tls_pcap (it prints what dissect/tls.h learned, one fact a
line); EXPECTED is tshark 4.0's output for the same capture, made by the
command in tests/tls/README.md (FIELDS below, in that order). For each TCP
connection and direction, each field's values in the order tshark shows them
must be the values the parser gave, in the same order: record types and
lengths, handshake message types and lengths, hello versions, randoms,
session IDs, cipher suites, compression methods, extension types, SNI, ALPN,
supported versions and groups, key-share groups (offered, chosen, asked for
by a HelloRetryRequest), signature algorithms, PSK modes and the chosen PSK,
the ServerKeyExchange's curve, each certificate's SHA-256 (of the DER tshark
shows), and the last alert in the clear. (tshark shows the signature
algorithms of certificates' SCTs among the handshake's; they are left out.)

Each certificate the parser read is held against OpenSSL's command line on
the same DER (EXPECTED's .openssl.txt beside it, made by the same script):
subject and issuer (-nameopt RFC2253), notBefore and notAfter, the DNS and
IP subjectAltNames, the SHA-256 fingerprint.

The tool runs again with the bytes fed in pieces of 1 and of 7 bytes: its
output must not change. Events (anomalies) must be among the --allow ones.
--flows N: the connections with TLS must be N (the test cannot pass empty).
"""
import datetime
import hashlib
import ipaddress
import os
import subprocess
import sys

FIELDS = ["frame.number", "tcp.srcport", "tcp.dstport", "tls.record.content_type",
          "tls.record.opaque_type", "tls.record.length", "tls.handshake.type",
          "tls.handshake.length", "tls.handshake.version", "tls.handshake.random",
          "tls.handshake.session_id", "tls.handshake.ciphersuite", "tls.handshake.comp_method",
          "tls.handshake.extension.type", "tls.handshake.extensions_server_name",
          "tls.handshake.extensions_alpn_str", "tls.handshake.extensions.supported_version",
          "tls.handshake.extensions_supported_group", "tls.handshake.extensions_key_share_group",
          "tls.handshake.extensions_key_share_selected_group", "tls.handshake.sig_hash_alg",
          "tls.extension.psk_ke_mode", "tls.handshake.extensions.psk.identity.selected",
          "tls.handshake.server_named_curve", "tls.handshake.certificate",
          "tls.alert_message.level", "tls.alert_message.desc", "tls.sct.sct_version"]

# tshark field -> the tool's fact name; values are compared as numbers
# unless listed in TEXT.
SIMPLE = {"tls.handshake.version": "version", "tls.handshake.random": "random",
          "tls.handshake.session_id": "session_id", "tls.handshake.ciphersuite": "suite",
          "tls.handshake.comp_method": "comp", "tls.handshake.extension.type": "ext",
          "tls.handshake.extensions_server_name": "sni",
          "tls.handshake.extensions_alpn_str": "alpn",
          "tls.handshake.extensions.supported_version": "supported_version",
          "tls.handshake.extensions_supported_group": "supported_group",
          "tls.handshake.extensions_key_share_group": "key_share",
          "tls.handshake.extensions_key_share_selected_group": "selected_group",
          "tls.handshake.sig_hash_alg": "sigalg", "tls.extension.psk_ke_mode": "psk_mode",
          "tls.handshake.extensions.psk.identity.selected": "psk_selected",
          "tls.handshake.server_named_curve": "named_curve"}
TEXT = {"random", "session_id", "sni", "alpn", "cert"}


def norm(name, v):
    if name in TEXT:
        return v.lower()
    return int(v, 0)


def tshark_facts(path):
    rows = []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line:
            continue
        f = line.split("\t")
        f += [""] * (len(FIELDS) - len(f))
        rows.append(dict(zip(FIELDS, f)))
    # the client of each connection: the side that sent a ClientHello
    clients = {}
    for r in rows:
        key = frozenset((r["tcp.srcport"], r["tcp.dstport"]))
        if key not in clients and "1" in r["tls.handshake.type"].split(","):
            clients[key] = r["tcp.srcport"]
    facts = {}

    def add(port, d, name, v):
        facts.setdefault((port, d, name), []).append(v)

    last_alert = {}
    for r in rows:
        key = frozenset((r["tcp.srcport"], r["tcp.dstport"]))
        if key not in clients:
            continue
        cport = int(clients[key])
        d = "C" if r["tcp.srcport"] == clients[key] else "S"

        def vals(fname):
            return [x for x in r[fname].split(",") if x != ""] if r[fname] else []
        types = vals("tls.record.content_type") + vals("tls.record.opaque_type")
        lens = vals("tls.record.length")
        for t, n in zip(types, lens):
            add(cport, d, "record", (int(t), int(n)))
        for t, n in zip(vals("tls.handshake.type"), vals("tls.handshake.length")):
            add(cport, d, "hs", (int(t), int(n)))
        for fname, name in SIMPLE.items():
            vs = vals(fname)
            if fname == "tls.handshake.sig_hash_alg":
                # tshark shows the signature algorithm of each Signed
                # Certificate Timestamp inside a certificate (RFC 6962 3.2)
                # in the same field; the Certificate comes first in a frame
                vs = vs[len(vals("tls.sct.sct_version")):]
            for v in vs:
                add(cport, d, name, norm(name, v))
        for v in vals("tls.handshake.certificate"):
            add(cport, d, "cert", hashlib.sha256(bytes.fromhex(v.replace(":", ""))).hexdigest())
        for lv, ds in zip(vals("tls.alert_message.level"), vals("tls.alert_message.desc")):
            last_alert[(cport, d)] = (int(lv), int(ds))
    for (cport, d), a in last_alert.items():
        add(cport, d, "alert", a)
    return facts, {int(p) for p in clients.values()}


def tool_facts(out):
    facts, events, flows = {}, [], set()
    for line in out.splitlines():
        f = line.split(" ", 3)
        port, d, name = int(f[0]), f[1], f[2]
        flows.add(port)
        rest = f[3] if len(f) > 3 else ""
        if name == "event":
            events.append((port, d, rest))
            continue
        if d == "-" or name.startswith("cert.") or name.endswith("-more") or name == "flags":
            continue
        if name in ("record", "hs", "alert"):
            v = tuple(int(x) for x in rest.split())
        elif name in TEXT:
            v = rest.lower()
        else:
            v = int(rest, 0)
        facts.setdefault((port, d, name), []).append(v)
    return facts, events, flows


def openssl_certs(path):
    """sha256 -> (subject, issuer, validity, sans) from `openssl x509` output."""
    certs, cur, san_next = {}, {}, False
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line == "--":
            if "sha" in cur:
                certs[cur["sha"]] = (cur.get("subject", ""), cur.get("issuer", ""),
                                     "%s / %s" % (cur.get("nb", "?"), cur.get("na", "?")),
                                     cur.get("sans", ""))
            cur, san_next = {}, False
        elif line.startswith("sha256 Fingerprint="):
            cur["sha"] = line.split("=", 1)[1].replace(":", "").lower()
        elif line.startswith("subject="):
            cur["subject"] = line.split("=", 1)[1]
        elif line.startswith("issuer="):
            cur["issuer"] = line.split("=", 1)[1]
        elif line.startswith("notBefore=") or line.startswith("notAfter="):
            k, v = line.split("=", 1)
            t = datetime.datetime.strptime(" ".join(v.split()[:4]), "%b %d %H:%M:%S %Y")
            cur["nb" if k == "notBefore" else "na"] = t.strftime("%Y-%m-%d %H:%M:%S")
        elif line.startswith("X509v3 Subject Alternative Name"):
            san_next = True
        elif san_next:
            names = []
            for n in line.strip().split(", "):
                if n.startswith("DNS:"):
                    names.append(n)
                elif n.startswith("IP Address:"):
                    names.append("IP:" + str(ipaddress.ip_address(n[len("IP Address:"):])))
            cur["sans"] = ", ".join(names)
            san_next = False
    return certs


def tool_certs(out):
    """sha256 -> (subject, issuer, validity, sans) as the parser read them."""
    certs, sha = {}, None
    for line in out.splitlines():
        f = line.split(" ", 3)
        if len(f) < 3:
            continue
        rest = f[3] if len(f) > 3 else ""
        if f[2] == "cert":
            sha = rest
            certs[sha] = ["", "", "", ""]
        elif f[2].startswith("cert.") and sha:
            i = ["cert.subject", "cert.issuer", "cert.validity", "cert.sans"].index(f[2])
            certs[sha][i] = rest
    return {k: tuple(v) for k, v in certs.items()}


def main():
    tool, cap, expected = sys.argv[1:4]
    allow, nflows, i = set(), None, 4
    while i < len(sys.argv):
        if sys.argv[i] == "--allow":
            allow.add(sys.argv[i + 1])
        elif sys.argv[i] == "--flows":
            nflows = int(sys.argv[i + 1])
        i += 2
    if not os.path.exists(cap):
        print("%s: absent, skipped" % cap)  # ../shared may not be there
        sys.exit(77)
    out = subprocess.run([tool, cap], capture_output=True, text=True, check=True).stdout
    bad = 0
    for n in ("1", "7"):
        again = subprocess.run([tool, cap, "--split", n], capture_output=True, text=True,
                               check=True).stdout
        if again != out:
            print("FAIL: fed in pieces of %s bytes, the parser says something else" % n)
            bad += 1
    want, tflows = tshark_facts(expected)
    got, events, flows = tool_facts(out)
    compared = 0
    for key in sorted(set(want) | set(got), key=str):
        w, g = want.get(key, []), got.get(key, [])
        if w != g:
            bad += 1
            print("FAIL %s %s %s:\n  tshark: %s\n  parser: %s" % (key[0], key[1], key[2],
                                                                   w[:12], g[:12]))
        else:
            compared += len(w)
    cfile = expected.replace(".tshark.txt", ".openssl.txt")
    if os.path.exists(cfile):
        want_c, got_c = openssl_certs(cfile), tool_certs(out)
        for sha in sorted(set(want_c) | set(got_c)):
            if want_c.get(sha) != got_c.get(sha):
                bad += 1
                print("FAIL certificate %s:\n  openssl: %s\n  parser:  %s" %
                      (sha, want_c.get(sha), got_c.get(sha)))
            else:
                compared += 4
    for port, d, what in events:
        if what.split(" ", 1)[0] not in allow:
            bad += 1
            print("FAIL unexpected event %s %s %s" % (port, d, what))
    if nflows is not None and len(tflows) != nflows:
        bad += 1
        print("FAIL tshark shows %d TLS connections, %d expected" % (len(tflows), nflows))
    if tflows != flows:
        bad += 1
        print("FAIL connections: tshark %s, parser %s" % (sorted(tflows), sorted(flows)))
    if not compared:
        bad += 1
        print("FAIL nothing compared")
    print("%s: %d values in %d connections agree with tshark, %d disagreements, %d events" %
          (cap.rsplit("/", 1)[-1], compared, len(tflows), bad, len(events)))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
