#!/bin/bash
# bench/flows.sh - the flow table at 10 k, 100 k and 1 M concurrent flows
# (issue 18 point 5): peak RSS under 1 GiB at 1 M flows, and a cost per packet
# that stays flat as the number of flows grows.
#
# Usage: bench/flows.sh [N...]        (default: 10000 100000 1000000)
#
# For each N, bench/mkflows writes (or reuses: its output depends on N only)
# two captures under ${BENCH_DIR:-/var/tmp/smtpsniff-bench}: flows-N.pcap, N
# SMTP connections that open (handshake, greeting, EHLO), all say NOOP once
# more while all N are open, and all close by FIN; and flows-N-nonoop.pcap,
# the same without the NOOP round. Then, once each, from a warm page cache:
# the bare libpcap loop (bench/bare_loop), and smtpsniff with --max-flows=N
# over both files in three modes: flows (--flows: protocols named, not
# dissected), flows-v (--flows -v: dissected, and the summary), timeline
# (the default output). Each run must show all N flows, none ended early:
# --flows N flow lines closed by FIN (one ended by --max-flows says "cap"),
# -v's summary "N flows (at most N at once, 0 ended early by --max-flows)",
# the timeline N EHLOs and N NOOPs with their replies; otherwise the
# benchmark stops. The dissecting modes get --max-held-mem=$HELD (default
# 8G): the default 64M fills at about 17,500 open SMTP sessions.
#
# It prints, for each mode: packets/s by wall time, the bare loop's, their
# ratio and the same ratio by CPU time (user and system, both threads),
# peak RSS (GNU time) and RSS per flow (less a run over one flow), and what
# a packet of the NOOP round costs in CPU time: the full file's less that
# of the file without the round, over the 2N packets the round adds, every
# one a lookup among N open flows.
#
# BUILD names the build directory (default build), which must hold
# smtpsniff, bench/mkflows and bench/bare_loop. The machine is shared: these
# are single runs; the CPU-time figures and the ratios say more than the
# wall-clock ones.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
dir=${BENCH_DIR:-/var/tmp/smtpsniff-bench}
sniff=$build/smtpsniff
[ -x "$sniff" ] && [ -x "$build/bench/mkflows" ] && [ -x "$build/bench/bare_loop" ] || {
	echo "flows: build smtpsniff, mkflows and bare_loop in $build first" >&2
	exit 1
}
[ -x /usr/bin/time ] || { echo "flows: no /usr/bin/time (GNU time)" >&2; exit 1; }
# What the dissectors may hold between packets: the default (64M) fills at
# about 17,500 open SMTP sessions, after which lines are cut (event
# held_mem) and the timeline loses their commands.
held=${HELD:-8G}
ns=("$@")
[ ${#ns[@]} -gt 0 ] || ns=(10000 100000 1000000)
mkdir -p "$dir"
tmp=$(mktemp -d "$dir/flows.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP

# timed NAME FILE CMD...: one run of CMD (output to $tmp/out, stderr to
# $tmp/err) after reading FILE into the page cache; sets wall and cpu
# (seconds: bash's clock and rusage, to the millisecond; GNU time's are to
# the centisecond) and rss (KiB, GNU time).
timed() {
	local name=$1 file=$2 rc
	shift 2
	cat "$file" >/dev/null
	local TIMEFORMAT='%3R %3U %3S'
	rc=0
	{ time /usr/bin/time -f '%M' -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?; } 2>"$tmp/bt"
	[ $rc = 0 ] || {
		echo "flows: $name failed (exit $rc):" >&2
		tail -n 20 "$tmp/err" >&2
		exit 1
	}
	read -r wall cpu < <(awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' "$tmp/bt")
	rss=$(tail -n 1 "$tmp/time")
	echo "flows: $name: wall ${wall}s cpu ${cpu}s rss ${rss}KiB" >&2
}

# count PATTERN: lines of the run's output that match.
count() {
	grep -c -- "$1" "$tmp/out" || true
}

# verify MODE N NOOP: what the run in $tmp showed is N flows, all open at
# once, none ended early: with --flows, N flow lines, each closed by FIN
# (one ended by --max-flows would say "cap"); with -v, the summary says N
# flows, at most N at once, none ended early; the timeline shows N EHLOs
# and, when NOOP is 1, N NOOPs, each with its reply.
verify() {
	local mode=$1 n=$2 noop=$3 got want
	fail() {
		echo "flows: $mode over $n flows: $*" >&2
		exit 1
	}
	case $mode in
	flows*)
		got=$(count ' flow [0-9]* tcp .* fin$')
		[ "$got" = "$n" ] && [ "$(count ' flow [0-9]* tcp ')" = "$n" ] ||
			fail "$got flow lines closed by FIN, $(count ' flow [0-9]* tcp ') in all"
		;;
	timeline)
		got=$(count ' SMTP EHLO c -> 250 mx$')
		[ "$got" = "$n" ] || fail "$got EHLOs answered"
		got=$(count ' SMTP NOOP -> 250 OK$')
		[ "$got" = $((noop * n)) ] || fail "$got NOOPs answered"
		;;
	esac
	if [ "$mode" = flows-v ]; then
		want="$n flows (at most $n at once, 0 ended early by --max-flows)"
		grep -qF "$want" "$tmp/err" "$tmp/out" || fail "no \"$want\" in the summary"
	fi
}

results=$tmp/results
# What a run costs with one flow: the RSS a run has whatever the flows (the
# allocator, the queue between the threads, buffers), taken off the peak
# before dividing by the flows.
one=$dir/flows-1.pcap
[ -s "$one" ] || "$build/bench/mkflows" 1 "$one" >&2
declare -A base
for mode in flows flows-v timeline; do
	args=()
	case $mode in
	flows) args+=(--flows) ;;
	flows-v) args+=(--flows -v) ;;
	esac
	timed "$mode 1" "$one" "$sniff" -r "$one" "${args[@]}"
	base[$mode]=$rss
done
for n in "${ns[@]}"; do
	full=$dir/flows-$n.pcap
	bare=$dir/flows-$n-nonoop.pcap
	[ -s "$full" ] || "$build/bench/mkflows" "$n" "$full" >&2
	[ -s "$bare" ] || "$build/bench/mkflows" -n "$n" "$bare" >&2
	packets=$("$build/bench/bare_loop" "$full" | awk '{ print $1 }')
	packets_n=$("$build/bench/bare_loop" "$bare" | awk '{ print $1 }')

	timed "bare_loop $n" "$full" "$build/bench/bare_loop" "$full"
	bwall=$wall bcpu=$cpu
	for mode in flows flows-v timeline; do
		args=(--max-flows="$n")
		case $mode in
		flows) args+=(--flows) ;;
		flows-v) args+=(--flows -v "--max-held-mem=$held") ;;
		timeline) args+=("--max-held-mem=$held") ;;
		esac
		timed "$mode $n (no NOOP round)" "$bare" "$sniff" -r "$bare" "${args[@]}"
		verify "$mode" "$n" 0
		ncpu=$cpu
		timed "$mode $n" "$full" "$sniff" -r "$full" "${args[@]}"
		verify "$mode" "$n" 1
		echo "$n $packets $packets_n $mode $wall $cpu $rss $bwall $bcpu $ncpu ${base[$mode]}" \
			>>"$results"
	done
done

awk '
BEGIN {
	printf "%-9s %9s %-8s %10s %10s %10s %10s %6s %6s %8s %8s %9s\n", "flows", "packets",
	    "mode", "wall s", "CPU s", "pkts/s", "bare p/s", "ratio", "cpu-r", "RSS MB",
	    "B/flow", "NOOP ns"
}
{
	n = $1; p = $2; pn = $3; wall = $5; cpu = $6; rss = $7; bw = $8; bc = $9; nc = $10; b = $11
	rate = p / wall; brate = p / bw
	# CPU-time ratio: the bare loop is one thread, smtpsniff two
	cr = (cpu > 0 && bc > 0) ? (p / cpu) / (p / bc) : 0
	noop = (p > pn) ? (cpu - nc) * 1e9 / (p - pn) : 0
	printf "%-9d %9d %-8s %10.3f %10.3f %10.0f %10.0f %6.2f %6.2f %8.1f %8.0f %9.0f\n", n, p,
	    $4, wall, cpu, rate, brate, rate / brate, cr, rss / 1024, (rss - b) * 1024 / n, noop
}' "$results"
cat <<'EOF'

pkts/s and bare p/s: packets over wall time; ratio: smtpsniff's rate over the bare
loop's; cpu-r: the same by CPU time (user + system); B/flow: peak RSS, less that of a run
over one flow, over the number of flows; NOOP ns: CPU time of a packet of the NOOP round, when every flow is open
(flows-N.pcap less flows-N-nonoop.pcap, over the 2N packets the round adds).
EOF
