#!/bin/bash
# times.sh - the timeline's times as tcpdump's -t family gives them
# (tcpdump(1): -t none, -tt seconds since 1970, -ttt since the line before,
# -tttt date and time, -ttttt since the first line), in UTC (--utc) or
# local time (TZ), the zone said once, on pcaps/journey.pcap.
#
# The truth is the capture's own time stamps as tcpdump reads them: every
# -tt time on the timeline must be one of tcpdump -tt's frame times, in
# order; every other form is worked out here from the -tt times of the same
# lines with Python's datetime and zoneinfo (the system's tz database), and
# the lines must be the same but for their time field. The delta forms are
# checked with -v too (flow lines, indented lines that have no time), and
# --json must not change with -t. The timeline alone (--no-journey), but
# for a last check that no placeholder is left with the journeys.
#
# Usage: times.sh SMTPSNIFF SRCDIR
set -uo pipefail
sniff=$1 src=$2
. "$(dirname "$0")/lib.sh"
pcap=$src/pcaps/journey.pcap

tcpdump -tt -n -r "$pcap" 2>/dev/null | awk '{print $1}' >"$t/frames" ||
	{ echo "SKIP: tcpdump cannot read $pcap"; exit 77; }
[ -s "$t/frames" ] || { bad "tcpdump gave no frame times"; exit 1; }

# NAME TZ OPTIONS...: one run, its output in $t/NAME.
run() {
	local name=$1 tz=$2
	shift 2
	TZ=$tz "$sniff" -r "$pcap" --no-journey "$@" >"$t/$name" 2>"$t/$name.err"
	local code=$?
	[ $code = 0 ] || { bad "$name: exit $code"; cat "$t/$name.err"; }
}
run tt UTC -tt
run tt_tokyo Asia/Tokyo -tt
run none UTC -t
run clock_utc UTC
run clock_tokyo Asia/Tokyo
run clock_tokyo_utc Asia/Tokyo --utc
run date_tokyo Asia/Tokyo -tttt
run date_utc Asia/Tokyo -tttt --utc
run delta Asia/Tokyo -ttt
run first Asia/Tokyo -ttttt
run time_delta UTC --time delta
run tt_v UTC -tt -v
run delta_v UTC -ttt -v
run first_v UTC -ttttt -v
run json UTC --json
run json_ttt UTC --json -ttt

/usr/bin/python3 - "$t" <<'EOF' || fail=1
import datetime, os, re, sys, zoneinfo

d = sys.argv[1]
fail = 0


def bad(msg):
    global fail
    print("FAIL " + msg)
    fail = 1


def lines(name):
    with open(os.path.join(d, name), "rb") as f:
        data = f.read()
    if b"\x01" in data:
        bad(name + ": a time placeholder was left in the output")
    return data.decode("utf-8", "replace").split("\n")[:-1]


def us_of(tt):
    s, f = tt.split(".")
    return int(s) * 1000000 + int(f)


frames = [us_of(x) for x in lines("frames")]
frame_set = set(frames)
TT = re.compile(r"^(\d+\.\d{6}) (.*)$")


def timed(name, pattern):
    """Each line split into its time field and the rest; lines without one
    (-v's indented lines) have None."""
    out = []
    for ln in lines(name):
        m = re.match("^(" + pattern + ") (.*)$", ln)
        out.append((m.group(1), m.group(2)) if m else (None, ln))
    return out


# -tt: each time is a frame's, as tcpdump -tt prints it, in time order.
tt = timed("tt", r"\d+\.\d{6}")
if len(tt) < 100:
    bad(f"-tt: only {len(tt)} lines")
stamps = [us_of(t) for t, _ in tt if t]
if len(stamps) != len(tt):
    bad("-tt: a line without a seconds.microseconds time")
unknown = [t for t in stamps if t not in frame_set]
if unknown:
    bad(f"-tt: {len(unknown)} times are no frame's time (first {unknown[0]})")
if stamps != sorted(stamps):
    bad("-tt: the times are not in order")
if lines("tt_tokyo") != lines("tt"):
    bad("-tt depends on TZ")
print(f"ok   -tt: {len(stamps)} lines, every time one of tcpdump's {len(frames)} frame times, in order")
rest = [r for _, r in tt]

UTC = datetime.timezone.utc
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def wall(us, tz, date, digits):
    t = datetime.datetime.fromtimestamp(us // 1000000, tz)
    frac = us % 1000000 // (1000 if digits == 3 else 1)
    s = t.strftime("%Y-%m-%d %H:%M:%S" if date else "%H:%M:%S")
    return f"{s}.{frac:0{digits}d}"


def span(a, b):
    v = b - a
    sign = "-" if v < 0 else ""
    v = abs(v)
    return f"{sign}{v // 3600000000:02d}:{v // 60000000 % 60:02d}:{v // 1000000 % 60:02d}.{v % 1000000:06d}"


AT = re.compile(r"delivered at (\d{4}-\d\d-\d\d \S+|\S+)")


def check(name, want_zone, want_fields, pattern):
    """name's lines: the zone line (or none) first, then the -tt lines with
    want_fields[i] in place of their time."""
    ls = lines(name)
    zl = [l for l in ls if l.startswith("times are ")]
    if want_zone is None:
        if zl:
            bad(f"{name}: says a zone: {zl[0]}")
            return
    else:
        if zl != [want_zone] or ls[0] != want_zone:
            bad(f"{name}: zone lines {zl}, want exactly '{want_zone}' first")
            return
        ls = ls[1:]
    if len(ls) != len(rest):
        bad(f"{name}: {len(ls)} lines, -tt has {len(rest)}")
        return
    for i, (l, r, f) in enumerate(zip(ls, rest, want_fields)):
        # a time inside a line is as the form writes one: checked below
        l, r = AT.sub("delivered at T", l), AT.sub("delivered at T", r)
        want = f + " " + r if f is not None else r
        if l != want:
            bad(f"{name}: line {i + 1}:\n  got  {l[:120]}\n  want {want[:120]}")
            return
    print(f"ok   {name}: {len(ls)} lines" + (f", '{want_zone}' once" if want_zone else ", no zone line"))


check("none", None, [None] * len(stamps), "")
check("clock_utc", "times are local, UTC (+00:00)", [wall(u, UTC, 0, 3) for u in stamps], "")
check("clock_tokyo", "times are local, JST (+09:00)", [wall(u, TOKYO, 0, 3) for u in stamps], "")
check("clock_tokyo_utc", "times are UTC", [wall(u, UTC, 0, 3) for u in stamps], "")
check("date_tokyo", "times are local, JST (+09:00)", [wall(u, TOKYO, 1, 3) for u in stamps], "")
check("date_utc", "times are UTC", [wall(u, UTC, 1, 3) for u in stamps], "")
deltas = [span(stamps[i - 1] if i else stamps[0], u) for i, u in enumerate(stamps)]
check("delta", None, deltas, "")
check("time_delta", None, deltas, "")
check("first", None, [span(stamps[0], u) for u in stamps], "")
if any(d.startswith("-") for d in deltas):
    bad("-ttt: a delta runs backwards on journey.pcap")

# With -v: flow lines have times too, and the indented lines none; the
# deltas count from timed line to timed line.
tv = timed("tt_v", r"\d+\.\d{6}")
sv = [us_of(t) for t, _ in tv if t]
untimed = sum(1 for t, _ in tv if not t)
if not untimed or any(not r.startswith("    ") for t, r in tv if not t):
    bad(f"-tt -v: {untimed} untimed lines, each should be indented")
for name, ref in (("delta_v", "prev"), ("first_v", "first")):
    got = timed(name, r"-?\d\d+:\d\d:\d\d\.\d{6}")
    if [AT.sub("", r) for _, r in got] != [AT.sub("", r) for _, r in tv]:
        bad(f"{name}: the lines differ from -tt -v's but for the time")
        continue
    want, k = [], 0
    for t, _ in tv:
        if t:
            want.append(span(sv[k - 1] if ref == "prev" and k else sv[0], sv[k]))
            k += 1
        else:
            want.append(None)
    if [t for t, _ in got] != want:
        bad(f"{name}: the times are not the spans between the -tt -v lines")
    else:
        print(f"ok   {name}: {len(sv)} timed lines and {untimed} indented ones")

# A time inside a line ("delivered at"): the clock's in its zone; ISO 8601
# with the offset where no zone is said.
at_tt = [AT.search(l).group(1) for l in lines("tt") if AT.search(l)]
at_clock = [AT.search(l).group(1) for l in lines("clock_tokyo") if AT.search(l)]
at_delta = [AT.search(l).group(1) for l in lines("delta") if AT.search(l)]
at_date = [AT.search(l).group(1) for l in lines("date_tokyo") if AT.search(l)]
if not at_tt:
    bad("no 'delivered at' line on journey.pcap")
if not len(at_tt) == len(at_clock) == len(at_delta) == len(at_date):
    bad("'delivered at' is not on the same lines in each form")
for tt_at, c, dl, dt in zip(at_tt, at_clock, at_delta, at_date):
    u = us_of(tt_at)
    if u not in frame_set:
        bad(f"'delivered at {tt_at}' is no frame's time")
    if c != wall(u, TOKYO, 0, 3):
        bad(f"'delivered at {c}', want {wall(u, TOKYO, 0, 3)}")
    if dt != wall(u, TOKYO, 1, 3):
        bad(f"-tttt: 'delivered at {dt}', want {wall(u, TOKYO, 1, 3)}")
    iso = wall(u, TOKYO, 1, 3).replace(" ", "T") + "+09:00"
    if dl != iso:
        bad(f"-ttt: 'delivered at {dl}', want {iso}")
print(f"ok   'delivered at': {len(at_tt)} mentions, in each form")

if lines("json") != lines("json_ttt"):
    bad("--json changes with -ttt")
else:
    print("ok   --json is the same with -ttt")
sys.exit(fail)
EOF

# With the journeys after the timeline (the default): no placeholder of
# -ttt or -ttttt is left anywhere.
for t_opt in -ttt -ttttt; do
	TZ=UTC "$sniff" -r "$pcap" $t_opt >"$t/j" 2>&1 || bad "$t_opt with journeys: exit $?"
	if LC_ALL=C grep -q $'\001' "$t/j"; then bad "$t_opt with journeys: a placeholder was left"; else pass "$t_opt with journeys: every time filled in"; fi
done

# -t may be given at most five times; --time takes the names.
status 2 "-tttttt" -- "$sniff" -r "$pcap" -tttttt
status 2 "--time=never" -- "$sniff" -r "$pcap" --time never
exit $fail
