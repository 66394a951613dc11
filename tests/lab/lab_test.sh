#!/bin/bash
# tests/lab/lab_test.sh [SMTPSNIFF] - live capture on the smtpbook lab.
#
# Brings the lab up (lab/up), captures on its bridge with
# `smtpsniff -i br-smtpbook -w live.pcap --flows --json` while every
# scenario runs and user1 reads the mailbox over POP3 and IMAP, stops the
# capture with SIGINT and tears the lab down (also on failure). Then checks:
#   - the live run lost nothing: no packet dropped by the kernel or the
#     interface, every TCP flow seen from its handshake to FIN both ways,
#     with no gap; UDP (DNS) flows have no close and end with the capture;
#   - it saw what the lab did: 28 SMTP flows (1 for scenario 1-1, 3 for each
#     of the 9 others), 1 POP3, 1 IMAP, DNS, each named by its protocol;
#   - `smtpsniff -r live.pcap --flows --json` reports the same flows (ends,
#     protocol, packets and bytes each way, how they closed).
#   - lab up + scenarios + down take less than LAB_BUDGET seconds (120).
# Exits 77 (skipped) when not root, without network namespaces, without the
# upstream zones or the lab's packages, or when a lab is already up.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
sniff=${1:-${SMTPSNIFF:-$top/build/smtpsniff}}
budget=${LAB_BUDGET:-120}
skip() { echo "SKIPPED: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "not root: the lab needs network namespaces and a bridge"
probe=sbprobe$$
ip netns add "$probe" 2>/dev/null || skip "network namespaces are not available here"
ip netns del "$probe"
ip link add "$probe" type bridge 2>/dev/null || skip "bridges are not available here"
ip link del "$probe"
. "$top/lab/lib.sh"
[ -d "$zones_src" ] || skip "no upstream zones in $zones_src"
for c in nsd postfix opendkim opendmarc policyd-spf dovecot /usr/bin/python3; do
	command -v "$c" >/dev/null || skip "$c is missing: run tools/deps lab"
done
[ ! -e "$state" ] && ! ip link show "$bridge" >/dev/null 2>&1 || skip "a lab is already up (lab/down first)"
[ -x "$sniff" ] || { echo "FAIL: no $sniff" >&2; exit 1; }

tmp=$(mktemp -d)
cap=""
cleanup() {
	[ -n "$cap" ] && kill -INT "$cap" 2>/dev/null && wait "$cap" 2>/dev/null
	"$top/lab/down" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
promiscuity() { ip -d link show "$bridge" | grep -o 'promiscuity [0-9]*' | awk '{ print $2 }'; }

t0=$(now)
"$top/lab/up"
t1=$(now)
before=$(promiscuity)
"$sniff" -i "$bridge" -w "$tmp/live.pcap" --flows --json >"$tmp/live.json" 2>"$tmp/live.err" &
cap=$!
wait_for 10 "smtpsniff to open $bridge" eval '[ "$(promiscuity)" -gt "$before" ]'
sleep 0.2
"$top/lab/send" all
"$top/lab/fetch" pop3
"$top/lab/fetch" imap
t2=$(now)
kill -INT "$cap"
rc=0
wait "$cap" || rc=$?
cap=""
"$top/lab/down"
t3=$(now)
echo "timings: up $(secs "$t0" "$t1") s, scenarios + pop3 + imap $(secs "$t1" "$t2") s, down $(secs "$t2" "$t3") s, in all $(secs "$t0" "$t3") s (budget $budget s)"
cat "$tmp/live.err"
[ "$rc" = 0 ] || { echo "FAIL: smtpsniff -i exited $rc" >&2; exit 1; }

"$sniff" -r "$tmp/live.pcap" --flows --json >"$tmp/replay.json"
/usr/bin/python3 - "$tmp/live.json" "$tmp/replay.json" "$(secs "$t0" "$t3")" "$budget" <<'EOF'
import json, sys
from collections import Counter

def load(path):
    flows, summary = [], None
    for line in open(path):
        o = json.loads(line)
        if o["type"] == "flow":
            flows.append(o)
        elif o["type"] == "summary":
            summary = o
    return flows, summary

live, lsum = load(sys.argv[1])
replay, rsum = load(sys.argv[2])
took, budget = float(sys.argv[3]), float(sys.argv[4])
bad = []

if lsum is None:
    bad.append("the live run printed no summary")
else:
    for k in ("dropped", "ifdropped"):
        if lsum.get(k) != 0:
            bad.append("live summary: %s=%s, not 0" % (k, lsum.get(k)))
    if lsum.get("received") != rsum.get("frames"):
        bad.append("live received %s frames, live.pcap holds %s" % (lsum.get("received"), rsum.get("frames")))

ports = {25: "smtp", 110: "pop3", 143: "imap", 53: "dns"}
for f in live:
    name = "flow %d %s %s:%d > %s:%d" % (f["flow"], f["proto"], f["client"]["ip"], f["client"]["port"],
                                        f["server"]["ip"], f["server"]["port"])
    want = ports.get(f["server"]["port"])
    if f["app"] != want:
        bad.append("%s: app %s, expected %s" % (name, f["app"], want))
    for d in ("c2s", "s2c"):
        if f[d]["gaps"] or f[d]["gap_bytes"]:
            bad.append("%s: %s has %d gaps (%d bytes)" % (name, d, f[d]["gaps"], f[d]["gap_bytes"]))
    if f["proto"] == "tcp":
        if f["close"] != "fin" or not f["handshake"] or f["midstream"]:
            bad.append("%s: close=%s handshake=%s midstream=%s (expected fin, a handshake, not midstream)"
                       % (name, f["close"], f["handshake"], f["midstream"]))
        if not (f["c2s"]["fin"] and f["s2c"]["fin"]):
            bad.append("%s: not closed by FIN both ways" % name)
    elif f["close"] not in ("eof", "idle"):
        bad.append("%s: UDP flow closed by %s (expected eof: UDP has no close)" % (name, f["close"]))

count = Counter(f["app"] for f in live)
for app, n in (("smtp", 28), ("pop3", 1), ("imap", 1)):
    if count[app] != n:
        bad.append("%d %s flows, expected %d" % (count[app], app, n))
if count["dns"] == 0:
    bad.append("no DNS flow")

def key(f):
    return (f["proto"], f["app"], f["client"]["ip"], f["client"]["port"], f["server"]["ip"], f["server"]["port"],
            f["c2s"]["packets"], f["c2s"]["bytes"], f["s2c"]["packets"], f["s2c"]["bytes"], f["close"])

lk, rk = Counter(map(key, live)), Counter(map(key, replay))
for k in sorted((lk - rk).keys()):
    bad.append("live only: %s" % (k,))
for k in sorted((rk - lk).keys()):
    bad.append("replay only: %s" % (k,))

if took >= budget:
    bad.append("lab up + scenarios + down took %.1f s, over the %.0f s budget" % (took, budget))

print("live: %d flows (%s), %s frames received, %s dropped, %s dropped by the interface; replay: %d flows"
      % (len(live), ", ".join("%s %d" % (a, n) for a, n in sorted(count.items(), key=str)),
         lsum and lsum.get("received"), lsum and lsum.get("dropped"), lsum and lsum.get("ifdropped"), len(replay)))
for b in bad:
    print("FAIL: " + b)
print("lab test: " + ("FAILED" if bad else "all checks hold"))
sys.exit(1 if bad else 0)
EOF
