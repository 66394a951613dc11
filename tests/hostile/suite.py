#!/usr/bin/python3
"""suite.py - the hostile captures of issue 16 at small sizes, each checked
(tests/hostile/cases.py says what each holds and must give).

Usage: suite.py SMTPSNIFF [CASE...]

Each case's capture is written to a scratch directory (removed after), read
with `SMTPSNIFF -r FILE --json` and the case's options, and checked: the
exit status, the ordinary session among the flood intact (its commands,
replies, message bytes and SHA-256, flow), the events the class must raise,
floods of them summarised, no crash (a sanitizer's report is an exit
status of its own). One line a case, "ok" or "FAIL" with why; exit status 1
when any failed. CASE names the cases to run (all by default).
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases  # noqa: E402
import run  # noqa: E402


def main(argv):
    if not argv or argv[0].startswith("-"):
        sys.stderr.write(__doc__)
        return 2
    binary, only = argv[0], argv[1:]
    known = {c.name for c in cases.CASES}
    if set(only) - known:
        sys.stderr.write("suite.py: no case %s (cases: %s)\n" %
                         (", ".join(sorted(set(only) - known)), ", ".join(sorted(known))))
        return 2
    failed = []
    with run.tmpdir("hostile-") as d:
        for c in cases.CASES:
            if only and c.name not in only:
                continue
            path = os.path.join(d, c.name + ".pcap")
            t0 = time.monotonic()
            x = c.write(path, c.small)
            r = run.run(binary, ["-r", path, "--json"] + c.args(c.small), keep=c.keep(x))
            bad = c.check(r, x)
            if r.bad_json:
                bad.append("%d lines of output are not JSON" % r.bad_json)
            os.unlink(path)
            took = time.monotonic() - t0
            if bad:
                failed.append(c.name)
                print("FAIL %-18s (%.1f s)" % (c.name, took))
                for b in bad:
                    print("     " + b[:1000])
            else:
                print("ok   %-18s (%.1f s) %s" % (c.name, took, " ".join(c.args(c.small))))
            sys.stdout.flush()
    print("%d case(s) failed%s" % (len(failed), ": " + " ".join(failed) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
