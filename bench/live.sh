#!/bin/bash
# bench/live.sh [CAPTURE] - live capture that loses nothing: the highest
# replay rate at which a live reader sees every frame.
#
# Two network namespaces joined by a veth pair; tcpreplay sends CAPTURE out
# of one end at each rate of RATES (frames/s, or "top" for --topspeed) while
# a reader captures the other end, in the other namespace. For each reader
# and rate it prints the rate tcpreplay reached, the frames the kernel
# handed over and dropped (the reader's own count: smtpsniff's summary,
# tcpdump's "dropped by kernel"), the frames the veth itself dropped, and
# whether the reader saw what was sent:
#   smtpsniff -i ... --flows --json against smtpsniff -r CAPTURE --flows
#   --json: every flow's ends, packets, bytes and gaps each way and how it
#   closed (their numbers and times aside), and the frame and byte counts;
#   tcpdump -i ... -w /dev/null: the frames it captured against the file's.
# A run is "clean" when nothing was dropped and the reader saw everything.
#
# READERS is a list separated by "|", each a reader and its extra options,
# e.g. READERS='smtpsniff|smtpsniff -B 2048|tcpdump|tcpdump --immediate-mode'.
# Once tcpreplay is done, the reader is given 1.5 s and then until its CPU
# time stops growing (it may be behind) before SIGINT, so that what it had
# not read yet is not counted as lost.
#
# CAPTURE defaults to ${BENCH_DIR:-/var/tmp/smtpsniff-bench}/live.pcap, made
# by bench/mkcapture (about 100 MB, 270,000 frames) when missing. The frames
# are replayed as recorded: the receiving end has no address and the
# readers capture in promiscuous mode; IPv6 is off in both namespaces so
# that the link carries nothing but the replay. Nothing leaves the two
# namespaces, which are deleted on exit; only the PIDs this script started
# are stopped.
#
# Needs root, iproute2, tcpreplay and tcpdump (tools/deps bench).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
sniff=${SMTPSNIFF:-$top/build/smtpsniff}
cap=${1:-${BENCH_DIR:-/var/tmp/smtpsniff-bench}/live.pcap}
rates=${RATES:-20000 50000 100000 200000 300000 500000 top}
readers=${READERS:-smtpsniff|tcpdump}

[ "$(id -u)" = 0 ] || { echo "live.sh: needs root (network namespaces)" >&2; exit 1; }
[ -x "$sniff" ] || { echo "live.sh: no $sniff; run make build first" >&2; exit 1; }
for t in tcpreplay tcpdump ip; do
	command -v "$t" >/dev/null || { echo "live.sh: no $t; run tools/deps bench" >&2; exit 1; }
done
if [ ! -f "$cap" ]; then
	BENCH_BYTES=${LIVE_BYTES:-100000000} SMTPSNIFF=$sniff "$top/bench/mkcapture" "$cap" || exit 1
fi

tag=sslv$$
tx=$tag-t rx=$tag-r
t=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	# Deleting a namespace deletes the veth end inside it, and with it the pair.
	ip netns del "$tx" 2>/dev/null
	ip netns del "$rx" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
ip netns add "$tx" || exit 1
ip netns add "$rx" || exit 1
for n in "$tx" "$rx"; do
	ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
# Both ends are born inside their namespaces: the root namespace never sees them.
ip link add "$tag"t netns "$tx" type veth peer name "$tag"r netns "$rx" || exit 1
ip -n "$tx" link set "$tag"t up
ip -n "$rx" link set "$tag"r up

# The truth: the file read by the same smtpsniff.
"$sniff" -r "$cap" --flows --json >"$t/file.json" 2>/dev/null ||
	{ echo "live.sh: $sniff cannot read $cap" >&2; exit 1; }
nframes=$(grep '"type":"summary"' "$t/file.json" | sed -E 's/.*"frames":([0-9]+),.*/\1/')
echo "live.sh: $cap, $nframes frames, $(grep -c '"type":"flow"' "$t/file.json") flows"
echo "live.sh: $(nproc) cores, $(uname -r), $(tcpreplay -V 2>&1 | head -1), $(tcpdump --version 2>&1 | sed -n 2p)"

# compare LIVE FILE: "same" or what differs (flows compared without their
# numbers, times and frame numbers).
compare() {
	/usr/bin/python3 - "$1" "$2" <<'EOF'
import collections, json, sys
def load(path):
    flows, summary = collections.Counter(), {}
    for line in open(path):
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if r.get("type") == "flow":
            key = (r["proto"], json.dumps(r["client"], sort_keys=True),
                   json.dumps(r["server"], sort_keys=True), json.dumps(r["c2s"], sort_keys=True),
                   json.dumps(r["s2c"], sort_keys=True), r["close"])
            flows[key] += 1
        elif r.get("type") == "summary":
            summary = r
    return flows, summary
lf, ls = load(sys.argv[1])
ff, fs = load(sys.argv[2])
out = []
if ls.get("frames") != fs.get("frames") or ls.get("bytes") != fs.get("bytes"):
    out.append("frames %s of %s" % (ls.get("frames"), fs.get("frames")))
miss, extra = ff - lf, lf - ff
if miss or extra:
    out.append("%d flows differ" % (sum(miss.values()) + sum(extra.values())))
print("same" if not out else ", ".join(out))
EOF
}

# cpu PID: its user and system ticks so far.
cpu() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo gone; }
# settle PID: returns once PID's CPU time has stopped growing for 0.3 s,
# and not before 1.5 s: tcpdump's kernel blocks are handed over after its
# 1 s timeout when they are not full (TPACKET_V3), smtpsniff's after 100 ms.
settle() {
	local last=x now
	sleep 1.5
	for _ in $(seq 100); do
		now=$(cpu "$1")
		[ "$now" = "$last" ] && return
		last=$now
		sleep 0.3
	done
}
# veth_drops: frames either end of the pair dropped (tx of one, rx of the other).
veth_drops() {
	local a b
	a=$(ip -n "$tx" -s -j link show "$tag"t | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["tx"]["dropped"])')
	b=$(ip -n "$rx" -s -j link show "$tag"r | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["dropped"])')
	echo $((a + b))
}

printf '\n%-34s %9s %10s %9s %8s %6s  %s\n' reader "asked/s" "sent/s" received "k.drops" veth result
IFS='|' read -r -a rlist <<<"$readers"
declare -A best bestrate
for r in "${rlist[@]}"; do
	read -r -a words <<<"$r"
	tool=${words[0]}
	extra=("${words[@]:1}")
	best[$r]=none
	bestrate[$r]=0
	for rate in $rates; do
		[ "$rate" = top ] && how=(--topspeed) || how=(--pps="$rate")
		d0=$(veth_drops)
		case $tool in
		smtpsniff)
			ip netns exec "$rx" "$sniff" -i "$tag"r --flows --json "${extra[@]}" \
				>"$t/live.json" 2>"$t/live.err" </dev/null &
			;;
		tcpdump)
			ip netns exec "$rx" tcpdump -i "$tag"r -w /dev/null "${extra[@]}" \
				>/dev/null 2>"$t/live.err" </dev/null &
			;;
		*) echo "live.sh: unknown reader $tool" >&2; exit 1 ;;
		esac
		p=$!
		pids+=("$p")
		for _ in $(seq 100); do grep -q listening "$t/live.err" && break; sleep 0.05; done
		sleep 0.2
		ip netns exec "$tx" tcpreplay -i "$tag"t "${how[@]}" "$cap" >"$t/replay.out" 2>&1
		settle "$p"
		kill -INT "$p"
		wait "$p"
		pids=("${pids[@]/$p/}")
		vd=$(($(veth_drops) - d0))
		sent=$(sed -nE 's/^Rated: .* ([0-9.]+) pps$/\1/p' "$t/replay.out" | cut -d. -f1)
		if [ "$tool" = smtpsniff ]; then
			s=$(grep '"type":"summary"' "$t/live.json")
			recv=$(sed -E 's/.*"received":([0-9]+),.*/\1/' <<<"$s")
			drop=$(sed -E 's/.*"dropped":([0-9]+),.*/\1/' <<<"$s")
			res=$(compare "$t/live.json" "$t/file.json")
		else
			recv=$(sed -nE 's/^([0-9]+) packets received by filter/\1/p' "$t/live.err")
			drop=$(sed -nE 's/^([0-9]+) packets dropped by kernel/\1/p' "$t/live.err")
			got=$(sed -nE 's/^([0-9]+) packets captured/\1/p' "$t/live.err")
			[ "$got" = "$nframes" ] && res=same || res="frames $got of $nframes"
		fi
		if [ "$drop" = 0 ] && [ "$vd" = 0 ] && [ "$res" = same ] && [ "${sent:-0}" -gt "${bestrate[$r]}" ]; then
			best[$r]="$sent/s (asked: $rate)"
			bestrate[$r]=$sent
		fi
		printf '%-34s %9s %10s %9s %8s %6s  %s\n' "$r" "$rate" "$sent" "$recv" "$drop" "$vd" "$res"
	done
done
echo
for r in "${rlist[@]}"; do
	printf 'highest clean rate, %-26s %s\n' "$r:" "${best[$r]}"
done
