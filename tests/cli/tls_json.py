#!/usr/bin/python3
"""tls_json.py BIN SRC - smtpsniff's JSON tls records against tshark 4.0's
view of the same captures (tests/tls/NAME.tshark.txt, made by
tests/tls/mkexpected.sh; its README lists the fields): for every TLS
connection of the OpenSSL sessions and the lab's STARTTLS hops, the `end`
record's version, cipher suite (tshark's name for the ServerHello's
number), SNI and the SHA-256 of each certificate the server sent in the
clear (hashed here from the DER bytes tshark printed). Debian's python3.
"""
import hashlib
import json
import os
import subprocess
import sys

binary, src = sys.argv[1], sys.argv[2]
tls = os.path.join(src, "tests", "tls")
CAPTURES = [(os.path.join(tls, n + ".pcap"), os.path.join(tls, n + ".tshark.txt"))
            for n in ("tls12-gcm-ems", "tls12-cbc-etm", "tls12-resume", "tls12-alert",
                      "tls12-clientcert", "tls13-hrr-resume")]
CAPTURES.append((os.path.join(src, "pcaps", "starttls", "scenario4-4.pcap"),
                 os.path.join(tls, "scenario4-4.tshark.txt")))
VERSIONS = {"0x0304": "TLS 1.3", "0x0303": "TLS 1.2", "0x0302": "TLS 1.1", "0x0301": "TLS 1.0"}

suites = {}
with open(os.path.join(tls, "tshark-suites.txt")) as f:
    for line in f:
        v = line.rstrip("\n").split("\t")
        if len(v) == 4 and v[1] == "tls.handshake.ciphersuite":
            suites[int(v[2])] = v[3]


def tshark_view(path):
    """client port -> what tshark shows of that connection."""
    conns = {}
    for line in open(path):
        c = line.rstrip("\n").split("\t")
        c += [""] * (28 - len(c))
        sport, dport, types = int(c[1]), int(c[2]), c[6].split(",")
        if "1" in types:  # a ClientHello: the client's port names the connection
            conns.setdefault(sport, {"certs": []})["sni"] = c[14]
        if "2" in types:
            x = conns.setdefault(dport, {"certs": []})
            x["cipher"] = suites.get(int(c[11].split(",")[-1], 16), c[11])
            sv = c[16].split(",")[-1] if c[16] else ""
            x["version"] = VERSIONS.get(sv or c[8].split(",")[-1])
        if c[24] and "11" in types:
            x = conns.setdefault(dport, {"certs": []})
            if x.get("version") != "TLS 1.3":  # 1.3 sends them encrypted
                x["certs"] += [hashlib.sha256(bytes.fromhex(h)).hexdigest()
                               for h in c[24].split(",")]
    return conns


failures = checks = 0
for pcap, expected in CAPTURES:
    want = tshark_view(expected)
    out = subprocess.run([binary, "-r", pcap, "--json"], capture_output=True, check=True).stdout
    got = {}
    for line in out.splitlines():
        r = json.loads(line)
        if r.get("type") == "tls" and r.get("what") == "end":
            got[r["client_port"]] = r
    for port, w in sorted(want.items()):
        if "cipher" not in w:
            continue  # no ServerHello: nothing chosen
        g = got.get(port, {})
        pairs = [("version", w["version"], g.get("version")),
                 ("cipher", w["cipher"], g.get("cipher")),
                 ("sni", w.get("sni") or None, g.get("sni")),
                 ("certificates", w["certs"],
                  [x["sha256"] for x in g.get("to_client", {}).get("certificates", [])])]
        for what, a, b in pairs:
            checks += 1
            if a != b:
                failures += 1
                print("FAIL %s port %d %s: tshark %r, smtpsniff %r"
                      % (os.path.basename(pcap), port, what, a, b))
print("%d checks, %d failed" % (checks, failures))
sys.exit(1 if failures or checks < 40 else 0)
