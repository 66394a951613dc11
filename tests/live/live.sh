#!/bin/bash
# live.sh - live capture (-i) between two network namespaces: the flows
# seen live are complete and match a re-read of -w; SIGUSR1 prints the
# statistics, SIGINT and SIGTERM end cleanly and flush open flows; -Z drops
# root; -s cuts frames and the cut bytes become gaps.
#
# Usage: live.sh SMTPSNIFF SRCDIR
# Needs root and network namespaces; exits 77 (skipped) without them.
# Addresses are 192.0.2.0/24, inside the test's own namespaces only.
set -uo pipefail
sniff=$1 src=$2
peer="/usr/bin/python3 $src/tests/live/peer.py"
if [ "$(id -u)" != 0 ]; then echo "skipped: live capture needs root"; exit 77; fi
tag=sslive$$
a=$tag-a b=$tag-b
if ! ip netns add "$a" 2>/dev/null; then echo "skipped: cannot create network namespaces"; exit 77; fi
t=$(mktemp -d)
chmod 1777 "$t"  # -Z nobody writes its -w file here
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del "$a" 2>/dev/null
	ip netns del "$b" 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "kept $t" || rm -rf "$t"
}
trap cleanup EXIT
ip netns add "$b"
ip link add "$tag"a type veth peer name "$tag"b
ip link set "$tag"a netns "$a"
ip link set "$tag"b netns "$b"
ip -n "$a" addr add 192.0.2.1/24 dev "$tag"a
ip -n "$b" addr add 192.0.2.2/24 dev "$tag"b
for n in "$a" "$b"; do ip -n "$n" link set lo up; done
ip -n "$a" link set "$tag"a up
ip -n "$b" link set "$tag"b up
ip netns exec "$b" $peer serve 192.0.2.2 2525 </dev/null >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do  # until the server listens
	ip netns exec "$b" ss -ltn 2>/dev/null | grep -q '192.0.2.2:2525' && break
	sleep 0.1
done
fail=0
bad() { echo "FAIL $*"; fail=1; }

# start NAME ARGS...: smtpsniff in namespace a, output in $t/NAME.out and
# .err, frames in $t/NAME.pcap unless ARGS has its own -w. Returns once the
# -w file holds a probe datagram, i.e. once it really captures (-w is
# flushed whenever the capture idles).
start() {
	local name=$1 w=$t/$1.pcap
	shift
	case " $* " in *" -w "*) w=$(sed -E 's/.* -w ([^ ]+).*/\1/' <<<" $* ") ;; *) set -- "$@" -w "$w" ;; esac
	ip netns exec "$a" "$sniff" -i "$tag"a "$@" >"$t/$name.out" 2>"$t/$name.err" </dev/null &
	cap=$!
	pids+=($cap)
	for _ in $(seq 100); do
		ip netns exec "$a" bash -c 'echo probe >/dev/udp/192.0.2.2/9' 2>/dev/null
		sleep 0.1
		[ "$(stat -c %s "$w" 2>/dev/null || echo 0)" -gt 24 ] && return 0
	done
	echo "FAIL $name: the capture never started"; cat "$t/$name.err"; return 1
}

# 1. Three complete connections, SIGUSR1 while running, SIGINT at the end.
start run1 -w "$t/live.pcap" -B 4096 || exit 1
for n in 100000 20000 7; do ip netns exec "$a" $peer send 192.0.2.2 2525 $n; done
kill -USR1 "$cap"
for _ in $(seq 50); do
	grep -q 'packets received by filter' "$t/run1.err" && break
	sleep 0.1
done
grep -q 'packets received by filter' "$t/run1.err" && echo "ok   SIGUSR1 printed the statistics" ||
	bad "SIGUSR1: no statistics"
kill -INT "$cap"
wait "$cap"
st=$?
[ $st = 0 ] && echo "ok   SIGINT ended the capture with status 0" || bad "SIGINT: status $st"
grep -q '^0 packets dropped by kernel' "$t/run1.err" && echo "ok   no kernel drops" ||
	bad "drops: $(grep dropped "$t/run1.err")"
for n in 100000 20000 7; do
	h=$((n / 2))
	grep -qE "flow [0-9]+ tcp 192.0.2.1.[0-9]+ > 192.0.2.2.2525 - [0-9.]+s c>s $n B/[0-9]+ pkts s>c $h B/[0-9]+ pkts fin$" \
		"$t/run1.out" && echo "ok   live: $n bytes one way, $h the other, closed by FIN, no gaps" ||
		bad "live: no complete flow of $n/$h bytes"
done
grep 'tcp 192.0.2.1' "$t/run1.out" | grep -v begins | sed 's/^[^ ]* flow [0-9]* //' | sort >"$t/live.flows"
"$sniff" -r "$t/live.pcap" --flows 2>/dev/null | grep 'tcp 192.0.2.1' | sed 's/^[^ ]* flow [0-9]* //' | sort >"$t/file.flows"
[ -s "$t/live.flows" ] && cmp -s "$t/live.flows" "$t/file.flows" &&
	echo "ok   the -w file gives the same $(wc -l <"$t/file.flows") TCP flows as the live run" ||
	{ bad "-w file and live run differ"; diff "$t/live.flows" "$t/file.flows"; }

# 2. SIGTERM with a connection still open: it is flushed as ended by "eof".
start run2 --json || exit 1
ip netns exec "$a" $peer hold 192.0.2.2 2525 3000 &
holder=$!
pids+=($holder)
for _ in $(seq 50); do
	ip netns exec "$a" ss -tn 2>/dev/null | grep -q '192.0.2.2:2525' && break
	sleep 0.1
done
sleep 0.5
kill -TERM "$cap"
wait "$cap"
st=$?
[ $st = 0 ] && echo "ok   SIGTERM ended the capture with status 0" || bad "SIGTERM: status $st"
grep -q '"type":"flow".*"c2s":{"packets":[0-9]*,"bytes":3000,.*"close":"eof"' "$t/run2.out" &&
	echo "ok   the open connection was flushed at the end (3000 bytes, close eof)" ||
	bad "SIGTERM: open flow not flushed: $(grep '"type":"flow"' "$t/run2.out")"
grep -q '"type":"summary".*"dropped":0,' "$t/run2.out" && echo "ok   the JSON summary reports 0 drops" ||
	bad "JSON summary: $(grep summary "$t/run2.out")"
kill "$holder"

# 3. -Z: root is dropped once the device is open; -w is written as the user.
start run3 -Z nobody -w "$t/nobody.pcap" || exit 1
uid=$(awk '/^Uid:/ {print $2}' "/proc/$cap/status")
[ "$uid" = "$(id -u nobody)" ] && echo "ok   -Z nobody: running as uid $uid" || bad "-Z: uid $uid"
kill -INT "$cap"
wait "$cap"
[ "$(stat -c %U "$t/nobody.pcap")" = nobody ] && echo "ok   -Z nobody: the -w file belongs to nobody" ||
	bad "-Z: the -w file belongs to $(stat -c %U "$t/nobody.pcap")"

# 4. -s 200: frames are cut; the cut bytes become gaps, counted and said.
start run4 -s 200 --json || exit 1
ip netns exec "$a" $peer send 192.0.2.2 2525 50000
sleep 0.3
kill -INT "$cap"
wait "$cap"
grep -q '"type":"anomaly","layer":"pcap","what":"snaplen_cut"' "$t/run4.out" &&
	grep -q '"type":"summary".*"cut":[1-9]' "$t/run4.out" &&
	grep -q '"type":"flow".*"c2s":{"packets":[0-9]*,"bytes":[0-9]*,"gaps":[1-9][0-9]*,"gap_bytes":[1-9]' "$t/run4.out" &&
	echo "ok   -s 200: cut frames counted, the missing bytes reported as gaps" ||
	bad "-s 200: $(grep -E 'summary|"flow"' "$t/run4.out")"
exit $fail
