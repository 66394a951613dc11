#!/bin/bash
# threads.sh - the engine on a thread of its own (-r FILE: reassembly/
# handoff.c) says exactly what the one-thread run says (-r - from a pipe),
# for every shipped capture and every capture of ../shared/corpus, in each
# output mode: the timeline with -v, JSON with -v, --flows -v, --verify, and
# the files --export and --streams write. Only the input's name may differ.
#
# Usage: threads.sh SMTPSNIFF SRCDIR SHARED
set -uo pipefail
sniff=$1 src=$2 shared=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0
# shellcheck source=same.sh
. "$src/tests/cli/same.sh"

# run NAME PCAP OPTS...: both ways; stdout and stderr compared, with the
# input's name taken out of both.
run() {
	local pcap=$1
	shift
	TZ=UTC "$sniff" -r "$pcap" --one-pass "$@" >"$tmp/a.out" 2>"$tmp/a.err"
	echo "exit $?" >>"$tmp/a.out"
	TZ=UTC "$sniff" -r - "$@" <"$pcap" >"$tmp/b.out" 2>"$tmp/b.err"
	echo "exit $?" >>"$tmp/b.out"
	for f in out err; do
		sed -i "s|$pcap|INPUT|g; s|\"input\":\"-\"|\"input\":\"INPUT\"|g; s| from -,| from INPUT,|g; s|^smtpsniff: -: |smtpsniff: INPUT: |" \
			"$tmp/a.$f" "$tmp/b.$f"
	done
	same "$pcap $*: the threaded run differs"
}

# dirs PCAP OPTION: the files --export or --streams writes, both ways.
dirs() {
	local pcap=$1 opt=$2
	rm -rf "$tmp/da" "$tmp/db"
	mkdir "$tmp/da" "$tmp/db"
	"$sniff" -r "$pcap" --one-pass "$opt" "$tmp/da" >/dev/null 2>&1
	"$sniff" -r - "$opt" "$tmp/db" <"$pcap" >/dev/null 2>&1
	sed -i "s|$pcap|INPUT|g" "$tmp/da"/*.json 2>/dev/null
	sed -i 's|"input":"-"|"input":"INPUT"|g' "$tmp/db"/*.json 2>/dev/null
	n=$((n + 1))
	if ! diff -r "$tmp/da" "$tmp/db" >"$tmp/d.diff"; then
		echo "FAIL $pcap $opt: the threaded run wrote other files"
		head -n 10 "$tmp/d.diff"
		fail=1
	fi
}

for pcap in "$src"/pcaps/*.pcap "$src"/pcaps/opendkim/*.pcap; do
	run "$pcap" -v
	run "$pcap" --json -v
	run "$pcap" --flows -v
	run "$pcap" --verify
	dirs "$pcap" --export
	dirs "$pcap" --streams
done
if [ -d "$shared/corpus" ]; then
	while IFS= read -r pcap; do
		run "$pcap" -v
		run "$pcap" --json -v
	done < <(find "$shared/corpus" -name '*.pcap' -o -name '*.pcapng' | sort)
fi
[ $n -gt 100 ] || { echo "FAIL: only $n comparisons"; exit 1; }
[ $fail = 0 ] && echo "threads: $n comparisons, all the same"
exit $fail
