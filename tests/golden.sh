#!/bin/bash
# golden.sh - pcaps/TESTLIST: each shipped capture's output compared with a
# reviewed expected file (tcpdump's tests/TESTLIST, nDPI's result files).
#
# Usage: golden.sh SMTPSNIFF SRCDIR
#        UPDATE=1 golden.sh ...   rewrites the expected files; review the
#                                 diff and commit it with the change.
# TESTLIST lines: NAME PCAP EXPECTED [OPTIONS...], paths relative to SRCDIR.
set -uo pipefail
sniff=$1 src=$2
fail=0 n=0
while read -r name pcap expected opts; do
	case "$name" in '' | '#'*) continue ;; esac
	n=$((n + 1))
	# shellcheck disable=SC2086
	out=$(cd "$src" && TZ=UTC "$sniff" -r "$pcap" $opts 2>&1)
	if [ -n "${UPDATE:-}" ]; then
		printf '%s\n' "$out" >"$src/$expected"
		echo "updated $expected"
	elif diff -u "$src/$expected" <(printf '%s\n' "$out") >/tmp/golden.$$; then
		echo "ok   $name"
	else
		echo "FAIL $name: output differs from $expected"
		head -n 30 /tmp/golden.$$
		fail=1
	fi
	rm -f /tmp/golden.$$
done <"$src/pcaps/TESTLIST"
[ $n -gt 0 ] || { echo "FAIL: pcaps/TESTLIST lists nothing"; exit 1; }
exit $fail
