#!/bin/bash
# tests/lab/lab_test.sh [SMTPSNIFF] - live capture on the smtpbook lab, with
# upstream's verifiers (rspamd, the lab's default).
#
# Brings the lab up (lab/up), captures on its bridge with
# `smtpsniff -i br-smtpbook -w live.pcap --flows --json` while every
# scenario runs and user1 reads the mailbox over POP3 and IMAP, stops the
# capture with SIGINT and tears the lab down (also on failure). Then checks:
#   - the live run lost nothing: no packet dropped by the kernel or the
#     interface, every TCP flow seen from its handshake to FIN both ways,
#     with no gap; UDP flows (DNS, syslog) have no close and end with the
#     capture;
#   - it saw what the lab did: 28 SMTP flows (1 for scenario 1-1, 3 for each
#     of the 9 others), 1 POP3, 1 IMAP, DNS, each named by its protocol,
#     and syslog datagrams to the logserver from every host with a daemon;
#   - `smtpsniff -r live.pcap --flows --json` reports the same flows (ends,
#     protocol, packets and bytes each way, how they closed);
#   - each checking MX wrote exactly the verdicts the smtpbook book shows
#     for the scenario (../shared/smtpbook/upstream/book/v1/article.md,
#     read by lab/book.py): the same Authentication-Results clauses, but
#     for header.b, which differs with every signature;
#   - the client spoke as upstream's send.sh (HELO with the From domain,
#     "MAIL FROM: ADDR", "RCPT TO:   ADDR", its Message-ID, Subject and
#     body forms), the hosts ran in Asia/Tokyo (+0900, JST), and imap.b.test
#     added no Delivered-To or X-Original-To;
#   - the servers' syslog lines in the capture are those the logserver
#     wrote to disk meanwhile, and every hop logged (tests/lab/lab_syslog.py);
#   - the scenarios, sent and read once more into a second capture, give the same
#     --save-expect file byte for byte (no Message-ID, time, queue ID or
#     port in it); --expect of one against the other exits 0 (the known
#     disagreements are in the file), and one verdict altered in the file
#     exits 1 with a diff that names it;
#   - lab/down left nothing behind: no namespace, link, bridge, address,
#     mount or process of the lab's, and kept the logs;
#   - lab up + scenarios + down take less than LAB_BUDGET seconds (120).
# Exits 77 (skipped) when not root, without network namespaces, without the
# upstream zones or book or the lab's packages, or when a lab is already up.
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
/usr/bin/python3 -c "import sys; sys.path.insert(0, '$top/lab'); import book; sys.exit(0 if book.path() else 1)" ||
	skip "no smtpbook book text (../shared/smtpbook/upstream/book/v1/article.md)"
for c in pdns_server pdns_recursor rsyslogd postfix rspamd dovecot /usr/bin/python3; do
	command -v "$c" >/dev/null || skip "$c is missing: run tools/deps lab"
done
[ ! -e "$state" ] && ! ip link show "$bridge" >/dev/null 2>&1 || skip "a lab is already up (lab/down first)"
[ -x "$sniff" ] || { echo "FAIL: no $sniff" >&2; exit 1; }

tmp=$(mktemp -d)
# The lab's logs go to the test's own folder, not over a user's.
export LAB_LOGS=$tmp/logs
logs=$LAB_LOGS
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
at=$(log_size)
"$top/lab/send" all
"$top/lab/fetch" pop3
"$top/lab/fetch" imap
t2=$(now)
# The capture stops once the servers' log has settled (lab/lib.sh): every
# line the lab will send about what happened is then on the wire and on
# disk alike. Frames that still come before the signal is acted on are
# read too (capture/source.c seals the socket and reads what the kernel
# counted), so received = written holds either way.
wait_for 10 "the servers' last log lines" logs_settled "$at"
kill -INT "$cap"
rc=0
wait "$cap" || rc=$?
cap=""
tail -c +$((at + 1)) "$logs/syslog" >"$tmp/live.log"
# The same scenarios again, for the regression mode of CI.
before=$(promiscuity)
"$sniff" -i "$bridge" -w "$tmp/again.pcap" >/dev/null 2>"$tmp/again.err" &
cap=$!
wait_for 10 "smtpsniff to open $bridge again" eval '[ "$(promiscuity)" -gt "$before" ]'
sleep 0.2
"$top/lab/send" all
"$top/lab/fetch" pop3 >/dev/null
"$top/lab/fetch" imap >/dev/null
kill -INT "$cap"
rc2=0
wait "$cap" || rc2=$?
cap=""
mkdir "$tmp/mail"
cp "$maildir"/new/* "$maildir"/cur/* "$tmp/mail/" 2>/dev/null || true
cp "$state/pids" "$tmp/pids"
"$top/lab/down"
t3=$(now)

# Nothing left behind (lab/down checks its namespaces, links and bridge
# itself, and fails when one is left): no process it started, no address
# of the lab's range and no mount of its in the root namespace, no state;
# the logs are kept.
left=()
while read -r pid st name; do
	alive "$pid" "$st" && left+=("process $pid ($name)")
done <"$tmp/pids"
ip -o addr show | grep -q " $net\." && left+=("an address in $net.0.0/16 in the root namespace")
grep -q smtpbook /proc/self/mountinfo && left+=("a mount: $(grep smtpbook /proc/self/mountinfo | head -n 1)")
[ -e "$state" ] && left+=("$state")
ls /etc/netns 2>/dev/null | grep -qE 'test$|^logserver$' && left+=("/etc/netns entries")
if [ ${#left[@]} -gt 0 ]; then
	printf 'FAIL: lab/down left behind: %s\n' "${left[@]}" >&2
	exit 1
fi
[ -s "$logs/syslog" ] || { echo "FAIL: lab/down did not keep the merged log ($logs/syslog)" >&2; exit 1; }
echo "lab/down left nothing behind and kept $(wc -l <"$logs/syslog") merged log lines"

echo "timings: up $(secs "$t0" "$t1") s, scenarios + pop3 + imap $(secs "$t1" "$t2") s, down $(secs "$t2" "$t3") s, in all $(secs "$t0" "$t3") s (budget $budget s)"
cat "$tmp/live.err"
[ "$rc" = 0 ] || { echo "FAIL: smtpsniff -i exited $rc" >&2; exit 1; }
[ "$rc2" = 0 ] || { echo "FAIL: smtpsniff -i (again) exited $rc2" >&2; exit 1; }

# Two recordings of the same scenarios: one expect file.
ci_bad=0
"$sniff" -r "$tmp/live.pcap" --save-expect "$tmp/one.expect" >/dev/null ||
	{ echo "FAIL: --save-expect of the first recording exited $?"; ci_bad=1; }
"$sniff" -r "$tmp/again.pcap" --save-expect "$tmp/two.expect" >/dev/null ||
	{ echo "FAIL: --save-expect of the second recording exited $?"; ci_bad=1; }
if ! cmp -s "$tmp/one.expect" "$tmp/two.expect"; then
	echo "FAIL: two recordings give different expect files:"
	diff "$tmp/one.expect" "$tmp/two.expect" | head -20
	ci_bad=1
fi
"$sniff" -r "$tmp/again.pcap" --expect "$tmp/one.expect" >/dev/null 2>"$tmp/expect.err" ||
	{ echo "FAIL: --expect of the second recording against the first's file exited $?:"; cat "$tmp/expect.err"; ci_bad=1; }
sed '0,/| dmarc fail \/ fail agree$/s//| dmarc pass \/ fail disagree/' "$tmp/one.expect" >"$tmp/altered.expect"
if cmp -s "$tmp/one.expect" "$tmp/altered.expect"; then
	echo "FAIL: no dmarc fail verdict to alter in the expect file"
	ci_bad=1
else
	code=0
	"$sniff" -r "$tmp/again.pcap" --expect "$tmp/altered.expect" >/dev/null 2>"$tmp/altered.err" || code=$?
	[ "$code" = 1 ] || { echo "FAIL: --expect with an altered verdict exited $code, want 1"; ci_bad=1; }
	grep -q '^- .*| dmarc pass / fail disagree$' "$tmp/altered.err" ||
		{ echo "FAIL: the diff does not name the altered verdict:"; cat "$tmp/altered.err"; ci_bad=1; }
fi
[ $ci_bad = 0 ] && echo "two recordings, one expect file ($(grep -vc '^#' "$tmp/one.expect") verdicts); --expect holds and catches a change"

"$sniff" -r "$tmp/live.pcap" --flows --json >"$tmp/replay.json"
"$sniff" -r "$tmp/live.pcap" --json >"$tmp/records.json"
# Every host with a daemon logs (the client has none; the logserver keeps
# its own lines).
daemons=$(for h in $(hosts); do case $(role_of "$h") in client | logserver) ;; *) addr_of "$h" ;; esac; done)
checks=0
/usr/bin/python3 - "$tmp/live.json" "$tmp/replay.json" "$(secs "$t0" "$t3")" "$budget" "$tmp/mail" \
	"$tmp/records.json" "$top" "$daemons" <<'EOF' || checks=1
import email
import email.policy
import json
import os
import re
import sys
from collections import Counter
sys.path.insert(0, os.path.join(sys.argv[7], "lab"))
import book

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
maildir, records = sys.argv[5], [json.loads(l) for l in open(sys.argv[6])]
bad = []

if lsum is None:
    bad.append("the live run printed no summary")
else:
    for k in ("dropped", "ifdropped"):
        if lsum.get(k) != 0:
            bad.append("live summary: %s=%s, not 0" % (k, lsum.get(k)))
    if lsum.get("received") != rsum.get("frames"):
        bad.append("live received %s frames, live.pcap holds %s" % (lsum.get("received"), rsum.get("frames")))

ports = {25: "smtp", 110: "pop3", 143: "imap", 53: "dns", 514: "syslog"}
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
# Every host with a daemon forwards its syslog.
logged = {f["client"]["ip"] for f in live if f["server"]["port"] == 514 and f["server"]["ip"] == "10.255.0.253"}
daemons = set(sys.argv[8].split())
if not daemons:
    bad.append("lab/lib.sh names no host with a daemon")
if daemons - logged:
    bad.append("no syslog datagram from %s" % ", ".join(sorted(daemons - logged)))

# What the checking MXs wrote, against the book; what the client sent and
# the hosts' clocks, against upstream's send.sh and compose file.
shown = book.verdicts()
delivered = {}
for name in sorted(os.listdir(maildir)):
    raw = open(os.path.join(maildir, name), "rb").read()
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    subject = msg.get("Subject", "")
    m = re.match(r"scenario(\d-\d) \(mail from (\S+)\)$", subject)
    if not m:
        bad.append("%s: Subject %r is not upstream's \"scenarioX-Y (mail from ADDR)\"" % (name, subject))
        continue
    sid, hfrom = m.groups()
    delivered[sid] = msg
    to = msg.get("To", "")
    if msg.get("From") != hfrom or not re.search(rb"^To:   \S+@\S+$", raw, re.M):
        bad.append("%s: From %r, To %r (upstream writes \"To:   ADDR\")" % (sid, msg.get("From"), to))
    if msg.get_payload() != "Hello %s!\n" % to:
        bad.append("%s: body %r, not \"Hello %s!\"" % (sid, msg.get_payload(), to))
    if not re.match(r"^<\d{14}\.\d{1,5}@%s>$" % re.escape(hfrom.split("@")[1]), msg.get("Message-ID", "")):
        bad.append("%s: Message-ID %r is not upstream's <YYYYmmddHHMMSS.N@domain>" % (sid, msg.get("Message-ID")))
    if not msg.get("Date", "").endswith(" +0900"):
        bad.append("%s: Date %r is not in +0900" % (sid, msg.get("Date")))
    for r in msg.get_all("Received", []):
        if not re.search(r"\+0900 \(JST\)$", " ".join(r.split())):
            bad.append("%s: a Received not stamped in Asia/Tokyo: %r" % (sid, " ".join(r.split())[-40:]))
    for f in ("Delivered-To", "X-Original-To"):
        if msg.get(f) is not None:
            bad.append("%s: imap.b.test added %s, which upstream's configuration does not" % (sid, f))
    ours = [book.clauses(v) for v in msg.get_all("Authentication-Results", [])]
    want = shown.get(sid)
    if not want:
        if ours:
            bad.append("%s: the book shows no verdict, the MX wrote %s" % (sid, ours))
        continue
    if len(ours) != 1 or ours[0][0] != want[0]:
        bad.append("%s: Authentication-Results by %s, the book's by %s" % (sid, [o[0] for o in ours], want[0]))
        continue
    got = list(ours[0][1])
    for clause in want[1]:
        match = [c for c in got if book.same(c, clause)]
        if match:
            got.remove(match[0])
            print("%s %s as the book: %s" % (sid, want[0], match[0]))
        else:
            bad.append("%s: the book shows %r, %s wrote %s" % (sid, clause, want[0],
                       [c for c in ours[0][1] if book.method(c) == book.method(clause)]))
    if got:
        bad.append("%s: %s wrote more than the book shows: %s" % (sid, want[0], got))
if sorted(delivered) != sorted(shown.keys() | {"1-1", "1-2"}):
    bad.append("delivered %s, want every scenario" % sorted(delivered))

# The client's commands, as send.sh types them.
client = [r for r in records if r["type"] == "smtp" and r["client"] == "10.255.1.10" and r.get("command")]
for sid, msg in delivered.items():
    hfrom = msg.get("From")
    env = msg.get("Return-Path", "").strip("<>")
    rcpt = msg.get("To", "").strip()
    for want in ("HELO " + hfrom.split("@")[1], "MAIL FROM: " + env, "RCPT TO:   " + rcpt):
        if want not in (r["command"] for r in client):
            bad.append("%s: the client never sent %r" % (sid, want))

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

# The servers' own lines: the capture against the merged log.
cp "$tmp/live.pcap" "$tmp/syslog.pcap"
cp "$tmp/live.log" "$tmp/syslog.log"
/usr/bin/python3 "$top/tests/lab/lab_syslog.py" "$sniff" "$top" "$tmp/syslog.pcap" || checks=1
exit $((checks | ci_bad))
