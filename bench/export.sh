#!/bin/bash
# bench/export.sh [CAPTURE] - times --export against a plain program writing the same files,
# and --mbox against the bare libpcap loop (issue 18).
#
# The capture is one of many small messages, where the cost of each file
# shows: by default ${BENCH_DIR:-/var/tmp/smtpsniff-bench}/relay.pcap, the
# one bench/run reads, made the first time (as root) by bench/mkcapture's
# relay shape (short sessions of 1 KiB messages), with at least
# ${EXPORT_MESSAGES:-50000} messages when it makes it.
#
# The floor for --export is bench/exportfloor.c: given the directory that
# --export wrote, it makes the same files with the same bytes in a new
# directory (open O_CREAT|O_EXCL, write, close, for each), and writes
# index.json too: what any program that makes those files must do. The
# target is --export within 1.5 times the floor's wall time; its CPU time is
# shown beside it. The floor does not read the capture, so the comparison
# with reading and dissecting included is the one the target is about.
# --mbox (one file) is set against the bare loop (bare_loop.c), as the
# timeline is in bench/run: the target is 0.3 or more of its packet rate.
#
# Each reader runs ${EXPORT_RUNS:-3} times from a warm page cache, into an
# empty directory on the same filesystem as the capture; the best run of each
# is compared (the machine is noisy; the best is the least disturbed).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
case ${BUILD:-build} in
/*) build=$BUILD ;; # a build directory elsewhere
*) build=$top/${BUILD:-build} ;;
esac
dir=${BENCH_DIR:-/var/tmp/smtpsniff-bench}
cap=${1:-$dir/relay.pcap}
nmsg=${EXPORT_MESSAGES:-50000}
runs=${EXPORT_RUNS:-3}
sniff=$build/smtpsniff
bare=$build/bench/bare_loop
for t in "$sniff" "$bare"; do
	[ -x "$t" ] || { echo "export.sh: no $t; build first (make build)" >&2; exit 1; }
done
command -v /usr/bin/time >/dev/null || { echo "export.sh: no /usr/bin/time" >&2; exit 1; }
mkdir -p "$dir"
# The floor: built with CMake when bench/CMakeLists.txt names it, else here.
floor=$build/bench/exportfloor
if [ ! -x "$floor" ]; then
	floor=$dir/exportfloor
	cc -O2 -Wall -Wextra -o "$floor" "$top/bench/exportfloor.c"
fi

# The capture: bench/mkcapture's relay shape, made the first time (as root).
[ -f "$cap" ] || BENCH_MESSAGES=$nmsg SMTPSNIFF=$sniff "$top/bench/mkcapture" --shape relay "$cap"
[ "${EXPORT_RECORD_ONLY:-}" = "" ] || exit 0

tmp=$(mktemp -d "$dir/export.XXXXXX")
trap 'exit 130' INT TERM HUP

# The files go to a file system of their own, made afresh before each run
# that writes (EXPORT_FS: ext4, the default, on a loop device over a sparse
# file in $dir; tmpfs, memory only: what is left is the CPU's part; here:
# $tmp, on whatever holds $dir). Made afresh because ext4 looks at every
# inode freed in the last seconds (5, or 300 while its block is dirty) when
# it allocates (recently_deleted() in fs/ext4/ialloc.c; on a file system
# without a journal, as the root one here): an rm -rf of the last run's
# 50,000 files made the next run's files cost 3 to 5 times as much.
fs=${EXPORT_FS:-ext4}
mnt=$tmp/mnt
mkdir -p "$mnt"
fresh() {
	case $fs in
	here) out=$tmp/out.$RANDOM$RANDOM; mkdir "$out"; return ;;
	ext4)
		mountpoint -q "$mnt" && umount "$mnt"
		rm -f "$dir/fs.img"
		truncate -s 2G "$dir/fs.img"
		mkfs.ext4 -q -F -N 262144 "$dir/fs.img"
		mount -o loop "$dir/fs.img" "$mnt" ;;
	tmpfs)
		mountpoint -q "$mnt" && umount "$mnt"
		mount -t tmpfs -o size=1G,mode=0700 tmpfs "$mnt" ;;
	*) echo "export.sh: EXPORT_FS is ext4, tmpfs or here" >&2; exit 2 ;;
	esac
	out=$mnt
}
cleanup() {
	mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"
	rm -rf "$tmp" "$dir/fs.img"
}
trap cleanup EXIT
[ "$fs" = here ] || [ "$(id -u)" = 0 ] || { echo "export.sh: EXPORT_FS=$fs needs root; EXPORT_FS=here does not" >&2; exit 1; }

# once NAME CMD...: one run of CMD from a warm page cache, after sync (so
# that the last run's files are on disk and not written back during this
# one); appends "NAME|wall|cpu|rss KiB" to $tmp/results. For the floor
# (NAME exportfloor), the times are those it prints of making the files,
# without its reading them first.
once() {
	local name=$1
	shift
	cat "$cap" >/dev/null
	sync
	local t0=$EPOCHREALTIME
	/usr/bin/time -f '%M %U %S' -o "$tmp/time" "$@" >"$tmp/stdout" 2>"$tmp/stderr" || {
		echo "export.sh: $name failed:" >&2
		tail -n 20 "$tmp/stderr" >&2
		exit 1
	}
	local t1=$EPOCHREALTIME
	local w c r
	w=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	read -r r c < <(awk '{ print $1, $2 + $3 }' "$tmp/time")
	[ "$name" != exportfloor ] || read -r _ _ w c <"$tmp/stdout"
	echo "$name|$w|$c|$r" >>"$tmp/results"
	echo "export.sh: $name: ${w}s wall, ${c}s CPU" >&2
}

size=$(stat -c %s "$cap")
packets=$("$bare" "$cap" | awk '{ print $1 }')
# The reference export: the floor copies its files.
"$sniff" -r "$cap" --export "$tmp/ref" >/dev/null
nfiles=$(find "$tmp/ref" -name '*.eml' | wc -l)
bytes=$(find "$tmp/ref" -name '*.eml' -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }')
echo "export.sh: $cap: $size bytes, $packets packets, $nfiles messages ($bytes bytes)"

# The readers take turns, so that a busy moment of the machine does not
# fall on one of them only.
: >"$tmp/results"
echo "export.sh: the files go to $fs"
for i in $(seq "$runs"); do
	once "bare_loop" "$bare" "$cap"
	fresh
	once "exportfloor" "$floor" "$tmp/ref" "$out/floor"
	fresh
	once "smtpsniff --export DIR" "$sniff" -r "$cap" --export "$out/x"
	fresh
	once "smtpsniff --mbox FILE" "$sniff" -r "$cap" --mbox "$out/m.mbox"
	once "smtpsniff -r F" "$sniff" -r "$cap"
done

# The best run of each.
awk -F'|' -v packets="$packets" -v size="$size" '
	!($1 in wall) { name[++n] = $1 }
	!($1 in wall) || $2 < wall[$1] { wall[$1] = $2; cpu[$1] = $3; rss[$1] = $4 }
	END {
		printf "%-26s %8s %8s %12s %9s %12s\n", "reader (best run)", "wall s", "CPU s", "packets/s", "MB/s", "peak RSS MB"
		for (i = 1; i <= n; i++) {
			k = name[i]
			printf "%-26s %8.3f %8.2f %12.0f %9.1f %12.1f\n", k, wall[k], cpu[k],
			       packets / wall[k], size / wall[k] / 1e6, rss[k] / 1024
		}
		print ""
		x = "smtpsniff --export DIR"; m = "smtpsniff --mbox FILE"
		e = wall[x] / wall["exportfloor"]
		printf "--export / floor, wall       %6.2f  (target <= 1.5: %s)\n", e, (e <= 1.5) ? "met" : "NOT met"
		printf "--export / floor, CPU        %6.2f\n", cpu[x] / cpu["exportfloor"]
		r = wall["bare_loop"] / wall[m]
		printf "--mbox / bare loop (rate)    %6.2f  (target >= 0.3: %s)\n", r, (r >= 0.3) ? "met" : "NOT met"
		printf "timeline / bare loop (rate)  %6.2f\n", wall["bare_loop"] / wall["smtpsniff -r F"]
	}' "$tmp/results"
