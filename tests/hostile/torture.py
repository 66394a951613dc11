#!/usr/bin/python3
"""torture.py - the hostile captures of issue 16 at large sizes: memory
checked against the caps, time checked for linear growth.

Usage: torture.py BIN [--old OLDBIN] [--only CASE]... [--timeout S]
                  [--old-timeout S] [--memory]

For each case of tests/hostile/cases.py that has sizes (n, 2n, 4n), its
capture is written into a scratch directory (TMPDIR, else /var/tmp; each
file deleted once read) and read with `BIN -r FILE --json` and the case's
options, under GNU time. Each run is checked as the suite checks it (exit
status, the ordinary session intact, the events) and:

  memory  peak RSS <= the case's bound: base + what the caps in use let the
          class hold + 32M, where base is the peak RSS of the ordinary
          session alone with the same options (the formula of each case is
          printed below the table);
  time    CPU seconds (user + system, all threads; the less of two runs)
          growing linearly: each doubling of the input may multiply them by
          at most 2.6 (linear is 2, quadratic 4; 3.0 for random order into
          the out-of-order queue, n log n with cache misses that grow with
          n: cases.py says why). A step whose larger run took under 0.3 s is
          not judged (GNU time counts in 10 ms ticks, and a machine shared
          with others adds noise): "-" in the ratio column.

With --old OLDBIN the same captures are read by OLDBIN too (the binary from
before the fixes), for a before/after table: its CPU seconds, peak RSS and
whether its output passes the checks. A run of it past --old-timeout
seconds (default 120) is stopped and shown as ">T"; the larger sizes of
that case are then not tried with it. OLDBIN's results never change the
exit status. --only runs the named cases alone; --timeout (default 900)
stops a run of BIN, which then fails. --memory reads each case at its
first size only, once, and judges its output and its memory but not its
time: the ctest torture_memory, which catches a cost per flow or per
segment that outgrew its bound in every make test (time is left to `make
torture`, on a machine of one's own).

Exit status 0 when every run of BIN passed its checks, its memory bound and
its time ratios; 1 otherwise.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases  # noqa: E402
import gen  # noqa: E402
import run  # noqa: E402

MIN_CPU = 0.3


def base_rss(binary, d, args):
    """The peak RSS (KiB) of the ordinary session alone, with args."""
    path = os.path.join(d, "ordinary.pcap")
    w = gen.Pcap(path)
    gen.interleave(w, [], 0, gen.Ordinary().frames)
    w.close()
    r = run.run(binary, ["-r", path, "--json"] + args)
    os.unlink(path)
    return r.rss_kb


def verdict(r, bad):
    if r.status is None:
        return ">T"
    return "ok" if not bad else "FAIL"


def main(argv):
    old, only, timeout, old_timeout, memory = None, [], 900.0, 120.0, False
    args = []
    while argv:
        a = argv.pop(0)
        if a in ("--old", "--only", "--timeout", "--old-timeout") and not argv:
            sys.exit(__doc__)
        if a == "--old":
            old = argv.pop(0)
        elif a == "--only":
            only.append(argv.pop(0))
        elif a == "--timeout":
            timeout = float(argv.pop(0))
        elif a == "--old-timeout":
            old_timeout = float(argv.pop(0))
        elif a == "--memory":
            memory = True
        elif a.startswith("-"):
            sys.exit(__doc__)
        else:
            args.append(a)
    if len(args) != 1:
        sys.exit(__doc__)
    binary = args[0]
    todo = [c for c in cases.CASES if c.sizes and (not only or c.name in only)]
    if only and len(todo) != len(only):
        sys.exit("torture.py: no such case with sizes among %s" %
                 ", ".join(c.name for c in cases.CASES if c.sizes))
    head = "%-18s %9s %-9s %7s %5s %7s %7s %7s  %-4s" % (
        "case", "n", "unit", "cpu s", "x2", "wall s", "RSS MB", "bound", "new")
    if old:
        head += "  %7s %5s %7s  %-4s" % ("old cpu", "x2", "RSS MB", "old")
    if memory:
        print("memory: RSS <= bound (formulas below); each case at its first size, time not judged")
    else:
        print("time: each doubling at most x2.6 (ooo_random x3.0; judged from %.1f s); "
              "memory: RSS <= bound (formulas below)" % MIN_CPU)
    print(head)
    failures, formulas, old_notes = [], {}, []
    with run.tmpdir("torture-") as d:
        for c in todo:
            base = base_rss(binary, d, c.args(c.sizes[0]))
            prev = prev_old = None
            old_gave_up = False
            for n in c.sizes[:1] if memory else c.sizes:
                path = os.path.join(d, c.name + ".pcap")
                t0 = time.monotonic()
                x = c.write(path, n)
                made = time.monotonic() - t0
                argv = ["-r", path, "--json"] + c.args(n)
                r = run.run(binary, argv, timeout=timeout, keep=c.keep(x))
                bad = c.check(r, x) if r.status is not None else ["stopped after %g s" % timeout]
                if r.status is not None and not memory:  # the time again: the less disturbed of two
                    again = run.run(binary, argv, timeout=timeout, keep=lambda line: False)
                    r.cpu, r.wall = min(r.cpu, again.cpu), min(r.wall, again.wall)
                    r.rss_kb = max(r.rss_kb, again.rss_kb)
                bound, formula = c.bound(base, n)
                formulas[c.name] = formula
                if r.rss_kb > bound:
                    bad.append("peak RSS %d KiB over the bound %d KiB (%s)" %
                               (r.rss_kb, bound, formula))
                ratio = "-"
                if prev is not None and r.cpu >= MIN_CPU:
                    q = r.cpu / max(prev, 0.01)
                    ratio = "%.2f" % q
                    if q > c.ratio:
                        bad.append("CPU time x%.2f for twice the input (at most x%.1f)" %
                                   (q, c.ratio))
                prev = r.cpu
                line = "%-18s %9d %-9s %7.2f %5s %7.2f %7.1f %7.1f  %-4s" % (
                    c.name, n, c.unit, r.cpu, ratio, r.wall, r.rss_kb / 1024, bound / 1024,
                    verdict(r, bad))
                if old:
                    if old_gave_up:
                        line += "  %7s %5s %7s  %-4s" % (">T", "", "", ">T")
                    else:
                        ro = run.run(old, argv, timeout=old_timeout, keep=c.keep(x))
                        if ro.status is None:
                            old_gave_up = True
                            line += "  %7s %5s %7s  %-4s" % (">%g" % old_timeout, "", "", ">T")
                        else:
                            oratio = ("%.2f" % (ro.cpu / max(prev_old, 0.01))
                                      if prev_old is not None and ro.cpu >= MIN_CPU else "-")
                            obad = c.check(ro, x)
                            if ro.rss_kb > bound:
                                obad.append("peak RSS over the bound")
                            if obad:
                                old_notes.append("%s n=%d: %s" % (c.name, n, obad[0][:150]))
                            line += "  %7.2f %5s %7.1f  %-4s" % (ro.cpu, oratio, ro.rss_kb / 1024,
                                                                 verdict(ro, obad))
                            prev_old = ro.cpu
                os.unlink(path)
                print(line + "   (written in %.0f s)" % made, flush=True)
                for b in bad:
                    failures.append("%s n=%d: %s" % (c.name, n, b))
    print()
    for name, f in formulas.items():
        print("bound %-18s %s" % (name, f))
    if old_notes:
        print()
        for f in old_notes:
            print("old  " + f)
    if failures:
        print()
        for f in failures:
            print("FAIL " + f[:1000])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
