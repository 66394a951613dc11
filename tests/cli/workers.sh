#!/bin/bash
# workers.sh - --workers N says exactly what one thread says: every shipped
# capture, every capture of the tests and of ../shared/corpus, in each
# output mode (the timeline with -v, JSON with -v, --flows -v, --verify with
# the timeline and as JSON), and the files --export, --streams and --mbox
# write. Two workers, and three for the shipped captures. That the flows
# really are spread over the workers is test_handoff's to show.
#
# Usage: workers.sh SMTPSNIFF SRCDIR SHARED
set -uo pipefail
sniff=$1 src=$2 shared=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0
# shellcheck source=same.sh
. "$src/tests/cli/same.sh"

# run N PCAP OPTS...: one thread and N workers; stdout, stderr and the
# exit status compared.
run() {
	local w=$1 pcap=$2
	shift 2
	TZ=UTC "$sniff" -r "$pcap" "$@" >"$tmp/a.out" 2>"$tmp/a.err"
	echo "exit $?" >>"$tmp/a.out"
	TZ=UTC "$sniff" -r "$pcap" --workers "$w" "$@" >"$tmp/b.out" 2>"$tmp/b.err"
	echo "exit $?" >>"$tmp/b.out"
	same "$pcap --workers $w $*: differs from one thread"
}

# files N PCAP OPTION: what --export, --streams or --mbox writes, both ways.
files() {
	local w=$1 pcap=$2 opt=$3
	rm -rf "$tmp/da" "$tmp/db"
	mkdir "$tmp/da" "$tmp/db"
	if [ "$opt" = --mbox ]; then
		"$sniff" -r "$pcap" --mbox "$tmp/da/mbox" >/dev/null 2>&1
		"$sniff" -r "$pcap" --workers "$w" --mbox "$tmp/db/mbox" >/dev/null 2>&1
	else
		"$sniff" -r "$pcap" "$opt" "$tmp/da" >/dev/null 2>&1
		"$sniff" -r "$pcap" --workers "$w" "$opt" "$tmp/db" >/dev/null 2>&1
	fi
	n=$((n + 1))
	if ! diff -r "$tmp/da" "$tmp/db" >"$tmp/d.diff"; then
		echo "FAIL $pcap --workers $w $opt: other files"
		head -n 10 "$tmp/d.diff"
		fail=1
	fi
}

for pcap in "$src"/pcaps/*.pcap "$src"/pcaps/opendkim/*.pcap; do
	for w in 2 3; do
		run $w "$pcap" -v
		run $w "$pcap" --json -v
		run $w "$pcap" --verify -v
	done
	run 2 "$pcap" --flows -v
	run 2 "$pcap" --verify --json
	files 2 "$pcap" --export
	files 2 "$pcap" --streams
	files 2 "$pcap" --mbox
done
while IFS= read -r pcap; do
	run 2 "$pcap" -v
	run 2 "$pcap" --json -v --verify
done < <(find "$src/tests" -name '*.pcap' -o -name '*.pcapng' | sort)
if [ -d "$shared/corpus" ]; then
	while IFS= read -r pcap; do
		run 2 "$pcap" -v
		run 2 "$pcap" --json -v --verify
	done < <(find "$shared/corpus" -name '*.pcap' -o -name '*.pcapng' | sort)
fi
[ $n -gt 300 ] || { echo "FAIL: only $n comparisons"; exit 1; }
[ $fail = 0 ] && echo "workers: $n comparisons, all the same"
exit $fail
