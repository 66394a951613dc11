#!/bin/bash
# names.sh - the names hosts are shown with (report/names.h): one per
# address for the whole run, known from the first line when a file is read
# in two passes (cli/prescan.h), from a --hosts file, --zone files, the
# capture's DNS answers (PTR or A as --names says) and syslog senders.
#
# The truth: what the capture itself says, read with tshark (which frame
# answers which name, which host names its syslog lines give), the lab's
# zone files (shared/smtpbook/zones), the log server's own file
# (pcaps/journey.log), and a capture built here by hand whose DNS answers
# and syslog lines are known (checked with tcpdump).
#
# Usage: names.sh SMTPSNIFF SRCDIR [SHAREDDIR]
set -uo pipefail
sniff=$1 src=$2 shared=${3:-$src/../shared}
. "$(dirname "$0")/lib.sh"
journey=$src/pcaps/journey.pcap
J=--no-journey # the timeline alone: the journeys after it name hosts the same way

# The hosts of each line: "[FLOW] CLIENT > SERVER  " or "[FLOW] SENDER  ".
# hosts.py TEXT JSON MODE: every address shown under one name (MODE two) or
# under its address and at most one name (MODE one), by the flows of the
# --json run of the same capture; prints "ADDRESS SHOWN" pairs.
cat >"$t/hosts.py" <<'EOF'
import json, re, sys
text, js, mode = sys.argv[1:4]
flows = {}
for l in open(js):
    o = json.loads(l)
    if o.get("type") == "flow":
        flows[o["flow"]] = (o["client"]["ip"], o["server"]["ip"])
LINE = re.compile(r"^\S+ \[(\d+)\] (\S+)(?: > (\S+))?  ")
shown = {}
n = 0
for l in open(text):
    m = LINE.match(l)
    if not m or int(m.group(1)) not in flows:
        continue
    n += 1
    c, s = flows[int(m.group(1))]
    shown.setdefault(c, set()).add(m.group(2))
    if m.group(3):
        shown.setdefault(s, set()).add(m.group(3))
fail = 0
for a, names in sorted(shown.items()):
    other = names - {a}
    if (mode == "two" and len(names) != 1) or len(other) > 1:
        print(f"FAIL {a} is shown as {sorted(names)}")
        fail = 1
    print("PAIR", a, " ".join(sorted(names)))
print(f"LINES {n}")
sys.exit(fail)
EOF

# The first line naming ADDRESS's flow side, as shown.
status 0 "journey, two passes" -- "$sniff" -r "$journey" $J
cp "$t/out" "$t/two"
status 0 "journey, --one-pass" -- "$sniff" -r "$journey" $J --one-pass
cp "$t/out" "$t/one"
status 0 "journey, --json" -- "$sniff" -r "$journey" --json
cp "$t/out" "$t/json"

# tshark: the first DNS line is frame 3's query, whose answer (frame 7)
# comes after the first syslog line of 10.255.0.254 (frame 6, from
# dns.test); the PTR answer naming 10.255.1.10 client.a.test comes only
# later, and nothing in the DNS names 10.255.0.254.
first_q=$(tshark -r "$journey" -Y 'dns.flags.response == 0' -T fields -e frame.number 2>/dev/null | head -1)
ptr_at=$(tshark -r "$journey" -Y 'dns.ptr.domain_name == "client.a.test"' -T fields -e frame.number 2>/dev/null | head -1)
log254=$(tshark -r "$journey" -Y 'ip.src == 10.255.0.254 and udp.dstport == 514' -T fields -e frame.number 2>/dev/null | head -1)
a_at=$(tshark -r "$journey" -Y 'dns.flags.response == 1 and dns.a' -T fields -e frame.number 2>/dev/null | head -1)
dns254=$(tshark -r "$journey" -Y 'dns.ptr.domain_name and dns.qry.name == "254.0.255.10.in-addr.arpa"' 2>/dev/null | wc -l)
if [ -n "$first_q" ] && [ -n "$ptr_at" ] && [ "$first_q" -lt "$ptr_at" ] && [ "$dns254" = 0 ] &&
	[ -n "$log254" ] && [ -n "$a_at" ] && [ "$log254" -lt "$a_at" ]; then
	pass "tshark: the first query is frame $first_q, its answer $a_at after 10.255.0.254's syslog line $log254; client.a.test is answered in frame $ptr_at; no DNS names 10.255.0.254"
else
	bad "tshark says: first query $first_q, answer $a_at, syslog $log254, PTR client.a.test in $ptr_at, PTR for .254: $dns254"
fi
grep -q '^[^ ]* dns\.test  *pdns_recursor' "$src/pcaps/journey.log" &&
	pass "journey.log: the log server wrote the DNS server's lines as from dns.test" ||
	bad "journey.log has no lines from dns.test"

line1_two=$(head -2 "$t/two" | grep -v '^times are ' | head -1)
line1_one=$(head -2 "$t/one" | grep -v '^times are ' | head -1)
case "$line1_two" in
*" [1] client.a.test > dns.test  DNS A? "*) pass "two passes: the first line names client.a.test and dns.test" ;;
*) bad "two passes, first line: $line1_two" ;;
esac
case "$line1_one" in
*" [1] 10.255.1.10 > dns.test  DNS A? "*) pass "--one-pass: the first line shows 10.255.1.10, answered later (dns.test's syslog line came first)" ;;
*) bad "--one-pass, first line: $line1_one" ;;
esac
grep -q ' \[2\] dns\.test  LOG pdns_recursor' "$t/two" && ! grep -q ' 10\.255\.0\.254 ' "$t/two" &&
	pass "two passes: 10.255.0.254 is dns.test, named by its syslog lines, on every line" ||
	bad "two passes: 10.255.0.254 is not always dns.test"
/usr/bin/python3 "$t/hosts.py" "$t/two" "$t/json" two >"$t/pairs" && pass "two passes: one name per address over the whole output ($(grep LINES "$t/pairs"))" ||
	{ bad "two passes: an address under two names"; grep FAIL "$t/pairs"; }
grep -qx 'PAIR 10.255.1.10 client.a.test' "$t/pairs" && grep -qx 'PAIR 10.255.0.254 dns.test' "$t/pairs" ||
	bad "two passes: $(grep PAIR "$t/pairs" | tr '\n' ';')"
/usr/bin/python3 "$t/hosts.py" "$t/one" "$t/json" one >"$t/pairs1" && pass "--one-pass: an address shows as itself or one name" ||
	{ bad "--one-pass: an address under two names"; grep FAIL "$t/pairs1"; }
grep -qx 'PAIR 10.255.1.10 10.255.1.10 client.a.test' "$t/pairs1" ||
	bad "--one-pass: 10.255.1.10 shown as $(grep 'PAIR 10.255.1.10 ' "$t/pairs1")"
# -n: no names at all; stdin: one pass, as --one-pass.
status 0 "journey, -n" -- "$sniff" -r "$journey" $J -n
grep -q 'client\.a\.test >\|dns\.test  LOG' "$t/out" && bad "-n shows names" || pass "-n shows addresses only"
status 0 "journey from stdin" -- sh -c "'$sniff' -r - $J < '$journey'"
cmp -s "$t/out" "$t/one" && pass "stdin reads once, as --one-pass" || bad "stdin differs from --one-pass"

# --hosts: the first name of an address's first line wins over everything;
# a bad line is said with FILE:LINE and the rest still read.
cat >"$t/hosts" <<'EOF'
# the lab, renamed
10.255.1.10	workstation.example ws	# the client
not-an-address bogus.example
10.255.2.40
10.255.0.254 resolver.example.
10.255.1.10 second.example
EOF
status 0 "--hosts" -- "$sniff" -r "$journey" $J --hosts "$t/hosts"
cp "$t/out" "$t/hosted"
grep -q ' \[1\] workstation\.example > resolver\.example  DNS A? ' "$t/hosted" &&
	! grep -q '\] client\.a\.test \|> client\.a\.test \|second\.example\| dns\.test  ' "$t/hosted" &&
	pass "--hosts: 10.255.1.10 is workstation.example, 10.255.0.254 resolver.example, everywhere" ||
	bad "--hosts: $(grep -m1 '\[1\]' "$t/hosted")"
grep -q "$t/hosts:3: not an IPv4 or IPv6 address" "$t/err" && grep -q "$t/hosts:4: an address without a name" "$t/err" &&
	pass "--hosts: the bad lines are said by FILE:LINE" || bad "--hosts: stderr is $(cat "$t/err")"
status 2 "--hosts FILE that does not exist" -- "$sniff" -r "$journey" --hosts "$t/nothing"
grep -q "$t/nothing" "$t/err" || bad "--hosts missing: $(cat "$t/err")"

# --zone: the lab's zone files (its network 10.255) name hosts from the
# first line even in one pass, and come before the capture's answers.
zones=$shared/smtpbook/zones
if [ -d "$zones" ]; then
	for z in "$zones"/*.zone; do
		sed 's/_NETWORK/10.255/g' "$z" >"$t/$(basename "$z")"
	done
	status 0 "--one-pass --zone (the lab's zones)" -- "$sniff" -r "$journey" $J --one-pass \
		--zone "$t/0.255.10.in-addr.arpa.zone" --zone "$t/1.255.10.in-addr.arpa.zone"
	head -2 "$t/out" | grep -q ' \[1\] client\.a\.test > dns\.test  DNS A? ' &&
		pass "--zone: the first line is named in one pass (PTR 10 client.a.test, 254 dns.test)" ||
		bad "--zone, one pass: $(head -2 "$t/out")"
	# A zone of our own for 10.255.1.10: the zone wins over the capture's PTR.
	printf '%s\n' '$ORIGIN 1.255.10.in-addr.arpa.' '$TTL 60' \
		'@ IN SOA dns.test. admin.test. 1 3600 1800 604800 60' '10 IN PTR zoned.example.' >"$t/own.zone"
	status 0 "--zone over the capture's PTR" -- "$sniff" -r "$journey" $J --zone "$t/own.zone"
	grep -q ' \[1\] zoned\.example > dns\.test ' "$t/out" && ! grep -q '\] client\.a\.test ' "$t/out" &&
		pass "--zone: zoned.example wins over the captured client.a.test" || bad "--zone precedence: $(grep -m1 '\[1\]' "$t/out")"
	# --names on the zones: b.test.zone gives 10.255.2.30 the A owners
	# b.test (first) and mx.b.test, 2.255.10.in-addr.arpa.zone the PTR
	# plain.mx.b.test; lmtp.pcap's 10.255.2.30 is shown by the chosen one.
	grep -q '^@ .*IN *A *_NETWORK.2.30' "$zones/b.test.zone" && grep -q '^30 .*PTR *plain.mx.b.test.' "$zones/2.255.10.in-addr.arpa.zone" ||
		bad "the lab's zones no longer say what this test expects"
	for pref in ptr:plain.mx.b.test a:b.test; do
		status 0 "lmtp --names=${pref%%:*} --zone" -- "$sniff" -r "$src/pcaps/lmtp.pcap" --names="${pref%%:*}" \
			--zone "$t/b.test.zone" --zone "$t/2.255.10.in-addr.arpa.zone"
		grep -q " \[2\] ${pref#*:} > imap\.b\.test  LMTP " "$t/out" &&
			pass "--names=${pref%%:*}: 10.255.2.30 is ${pref#*:} by the zones" ||
			bad "--names=${pref%%:*} with zones: $(grep -m1 ' \[2\] ' "$t/out")"
	done
else
	echo "skip --zone checks: no $zones"
fi

# A capture made here: 192.0.9.7 asks for its own PTR (ptr-name.example)
# and for a-name.example (A 192.0.9.7); syslog lines come from 192.0.9.8
# as relay-a.example and relay-b.example (a relay), from 192.0.9.9 twice as
# host9.example, from 192.0.9.10 as localhost and from 192.0.9.11 as an
# address: only 192.0.9.9's name looks like its own.
/usr/bin/python3 - "$t/made.pcap" <<'EOF'
import struct, sys

def name(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.rstrip(".").split(".")) + b"\0"

def dns(id_, q, qtype, resp=None):
    flags = 0x8180 if resp else 0x0100
    m = struct.pack(">HHHHHH", id_, flags, 1, 1 if resp else 0, 0, 0) + name(q) + struct.pack(">HH", qtype, 1)
    if resp:
        m += b"\xc0\x0c" + struct.pack(">HHIH", qtype, 1, 60, len(resp)) + resp
    return m

def udp(src, dst, sp, dp, payload):
    u = struct.pack(">HHHH", sp, dp, 8 + len(payload), 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(u), 0, 0, 64, 17, 0, bytes(src), bytes(dst))
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + ip + u

C, S, LOG = [192, 0, 9, 7], [192, 0, 9, 53], [192, 0, 9, 254]
frames = [
    udp(C, S, 40000, 53, dns(1, "7.9.0.192.in-addr.arpa", 12)),
    udp(S, C, 53, 40000, dns(1, "7.9.0.192.in-addr.arpa", 12, name("ptr-name.example"))),
    udp(C, S, 40001, 53, dns(2, "a-name.example", 1)),
    udp(S, C, 53, 40001, dns(2, "a-name.example", 1, bytes(C))),
]
for last, host in ((8, "relay-a.example"), (8, "relay-b.example"), (9, "host9.example"),
                   (9, "host9.example"), (10, "localhost"), (11, "10.1.2.3")):
    line = f"<30>Dec  6 18:28:00 {host} app[1]: a line from {host}".encode()
    frames.append(udp([192, 0, 9, last], LOG, 40100 + last, 514, line))
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, fr in enumerate(frames):
        f.write(struct.pack("<IIII", 1796549280 + i, 0, len(fr), len(fr)) + fr)
EOF
tcpdump -n -v -r "$t/made.pcap" 2>/dev/null >"$t/made.txt"
grep -q 'PTR ptr-name.example' "$t/made.txt" && grep -q 'a-name.example. A 192.0.9.7' "$t/made.txt" &&
	pass "tcpdump reads the made capture's PTR and A answers" || bad "tcpdump on the made capture: $(cat "$t/made.txt")"
# OPTIONS... -- WANT...: each WANT is a line prefix "[FLOW] HOSTS  " expected.
made() {
	local opts=() want
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	"$sniff" -r "$t/made.pcap" "${opts[@]}" >"$t/m" 2>&1 || bad "made ${opts[*]}: exit $?"
	for want in "$@"; do
		grep -qF "$want" "$t/m" || { bad "made ${opts[*]}: no '$want' in:"; cat "$t/m"; return; }
	done
	pass "made ${opts[*]:-(no options)}: ${*}"
}
made -- "] ptr-name.example > 192.0.9.53  DNS PTR?" "] ptr-name.example > 192.0.9.53  DNS A?"
made --names=a -- "] a-name.example > 192.0.9.53  DNS PTR?" "] a-name.example > 192.0.9.53  DNS A?"
made --names=ptr -- "] ptr-name.example > 192.0.9.53  DNS A?"
# One pass: a name once shown stays, though --names=a would prefer the
# A owner that comes after it; the relay's first name stays likewise.
made --one-pass --names=a -- "] ptr-name.example > 192.0.9.53  DNS PTR?" "] ptr-name.example > 192.0.9.53  DNS A?"
made -- "] 192.0.9.8  LOG app[1]: a line from relay-a" "] 192.0.9.8  LOG app[1]: a line from relay-b" \
	"] host9.example  LOG" "] 192.0.9.10  LOG" "] 192.0.9.11  LOG"
made --one-pass -- "] relay-a.example  LOG app[1]: a line from relay-b" "] host9.example  LOG"
printf '192.0.9.7 hosted.example\n' >"$t/h2"
made --hosts "$t/h2" --names=a -- "] hosted.example > 192.0.9.53  DNS PTR?"
exit $fail
