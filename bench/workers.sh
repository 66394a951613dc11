#!/bin/bash
# bench/workers.sh [CAPTURE...] - the scaling of --workers (issue 18): each
# reader with one thread dissecting and with --workers 2, and whether the
# two say the same.
#
# The captures are bench/run's (${BENCH_DIR:-/var/tmp/smtpsniff-bench}/
# big.pcap and relay.pcap, made by bench/mkcapture), or those named. For
# each, the timeline, --json, --verify and --export DIR run once with each
# setting from a warm page cache; printed: wall and CPU seconds, peak RSS,
# and the scaling (wall time with one thread over wall time with two
# workers). --export writes to a tmpfs made for it (as root; else to
# $BENCH_DIR, where a file system's own costs can swamp the comparison:
# see export.sh). Then, untimed, both settings' output (stdout, the exported
# files) is compared byte for byte: a difference fails the bench.
#
# On 2 cores the engine thread (reading, decoding, reassembly) already has
# one core and the main thread the other; workers take the dissecting off
# the main thread, which keeps the ordering, the verifying and the output.
# WORKERS (default 2) sets the number compared with one.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
case ${BUILD:-build} in
/*) build=$BUILD ;;
*) build=$top/${BUILD:-build} ;;
esac
dir=${BENCH_DIR:-/var/tmp/smtpsniff-bench}
sniff=$build/smtpsniff
workers=${WORKERS:-2}
[ -x "$sniff" ] || { echo "workers.sh: no $sniff; build first (make build)" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "workers.sh: no /usr/bin/time" >&2; exit 1; }
caps=("$@")
[ ${#caps[@]} -gt 0 ] || caps=("$dir/big.pcap" "$dir/relay.pcap")
tmp=$(mktemp -d "$dir/workers.XXXXXX")
out=$tmp
if [ "$(id -u)" = 0 ]; then
	out=$tmp/mnt
	mkdir "$out"
	mount -t tmpfs -o size=2G,mode=0700 tmpfs "$out"
fi
trap 'if [ "$out" != "$tmp" ]; then umount "$out"; fi; rm -rf "$tmp"' EXIT

# timed CAP NAME OPTS...: prints "wall cpu rssMB" for one warm run.
timed() {
	local cap=$1
	shift
	cat "$cap" >/dev/null
	rm -rf "$out/x"
	local t0=$EPOCHREALTIME
	/usr/bin/time -f '%M %U %S' -o "$tmp/time" "$sniff" -r "$cap" "$@" >/dev/null 2>"$tmp/err" || {
		echo "workers.sh: smtpsniff $* failed:" >&2
		tail -n 5 "$tmp/err" >&2
		exit 1
	}
	local t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" '{ printf "%.3f %.2f %.1f\n", b - a, $2 + $3, $1 / 1024 }' "$tmp/time"
}

fail=0
for cap in "${caps[@]}"; do
	[ -f "$cap" ] || { echo "workers.sh: no $cap (bench/run makes it)" >&2; exit 1; }
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores: $cap"
	printf '%-18s %9s %9s %9s %9s %9s %9s %8s\n' reader "1: wall s" "CPU s" "RSS MB" \
		"$workers: wall s" "CPU s" "RSS MB" scaling
	for mode in timeline --json --verify --export; do
		opts=()
		case $mode in
		timeline) ;;
		--export) opts=(--export "$out/x") ;;
		*) opts=("$mode") ;;
		esac
		read -r w1 c1 r1 < <(timed "$cap" "${opts[@]}")
		read -r w2 c2 r2 < <(timed "$cap" --workers "$workers" "${opts[@]}")
		awk -v m="$mode" -v w1="$w1" -v c1="$c1" -v r1="$r1" -v w2="$w2" -v c2="$c2" -v r2="$r2" \
			'BEGIN { printf "%-18s %9.3f %9.2f %9.1f %9.3f %9.2f %9.1f %8.2f\n", m, w1, c1, r1, w2, c2, r2, w1 / w2 }'
	done
	# the same output either way
	for mode in timeline --json --verify; do
		opts=()
		[ $mode = timeline ] || opts=("$mode")
		"$sniff" -r "$cap" "${opts[@]}" >"$tmp/a" 2>&1 || true
		"$sniff" -r "$cap" --workers "$workers" "${opts[@]}" >"$tmp/b" 2>&1 || true
		if cmp -s "$tmp/a" "$tmp/b"; then
			echo "$mode: the same with one thread and $workers workers ($(wc -l <"$tmp/a") lines)"
		else
			echo "$mode: DIFFERS with $workers workers"
			fail=1
		fi
	done
	rm -rf "$tmp/da" "$tmp/db"
	"$sniff" -r "$cap" --export "$tmp/da" >/dev/null 2>&1 || true
	"$sniff" -r "$cap" --workers "$workers" --export "$tmp/db" >/dev/null 2>&1 || true
	if diff -rq "$tmp/da" "$tmp/db" >/dev/null; then
		echo "--export: the same files ($(ls "$tmp/da" | wc -l) of them)"
	else
		echo "--export: DIFFERS with $workers workers"
		fail=1
	fi
	rm -rf "$tmp/da" "$tmp/db"
	echo
done
exit $fail
