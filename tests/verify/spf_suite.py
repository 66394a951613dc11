#!/usr/bin/python3
"""spf_suite.py - the openspf.org RFC 7208 test suite (YAML) as lines that
test_spf_suite.c reads, since C has no YAML reader among our dependencies.

Usage: spf_suite.py rfc7208-tests.yml

Every string is written as "x" followed by its bytes in hex ("x" alone is
the empty string), so any byte survives; "-" is a value that is absent.
Strings are encoded as Latin-1 when they can be, so the suite's "\\xEF\\xBB\\xBF"
becomes those three bytes (a UTF-8 byte order mark), as its authors meant.
Lines, per scenario, zone data first and in the suite's order:

  scenario <description>
  rr <name> <TYPE> <field>...   TXT/SPF: one field per string (none for []);
                                A, AAAA, PTR, CNAME: one; MX: preference, host
  none <name> <TYPE>            "TYPE: NONE": the type is listed but has no data
  timeout <name>                a "TIMEOUT" entry, where it stands in the list
  test <id> <host> <mailfrom> <helo> <result[,result...]> <explanation>
"""
import sys

import yaml


def enc(v):
    if v is None:
        return "-"
    if not isinstance(v, str):
        v = str(v)
    try:
        b = v.encode("latin-1")
    except UnicodeEncodeError:
        b = v.encode("utf-8")
    return "x" + b.hex()


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: spf_suite.py rfc7208-tests.yml\n")
        return 2
    out = []
    with open(sys.argv[1], "rb") as fp:
        for sc in yaml.safe_load_all(fp):
            if not sc:
                continue
            out.append("scenario %s" % enc(sc.get("description", "")))
            for name, entries in (sc.get("zonedata") or {}).items():
                for e in entries or []:
                    if e == "TIMEOUT":
                        out.append("timeout %s" % enc(name))
                        continue
                    for typ, val in e.items():
                        if val == "NONE":
                            out.append("none %s %s" % (enc(name), typ))
                        elif typ in ("TXT", "SPF"):
                            strs = val if isinstance(val, list) else [val]
                            out.append(" ".join(["rr", enc(name), typ] + [enc(s) for s in strs]))
                        elif typ == "MX":
                            out.append("rr %s MX %s %s" % (enc(name), enc(val[0]), enc(val[1])))
                        else:
                            out.append("rr %s %s %s" % (enc(name), typ, enc(val)))
            for tid, t in (sc.get("tests") or {}).items():
                res = t["result"]
                res = res if isinstance(res, list) else [res]
                out.append("test %s %s %s %s %s %s" % (
                    tid, enc(t.get("host")), enc(t.get("mailfrom", "")), enc(t.get("helo", "")),
                    ",".join(res), enc(t.get("explanation"))))
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
