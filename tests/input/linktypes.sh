#!/bin/bash
# linktypes.sh - the same packets under every link layer smtpsniff decodes
# give the same flows, byte for byte.
#
# Usage: linktypes.sh SMTPSNIFF SRCDIR SHAREDDIR
set -uo pipefail
sniff=$1 src=$2 shared=$3
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail=0
flows() {  # the flow objects without the fields that name the file
	"$sniff" -r "$1" --flows --json 2>/dev/null | grep '"type":"flow"'
}
check() {  # check IN KIND...
	local in=$1
	shift
	flows "$in" >"$t/want"
	[ -s "$t/want" ] || { echo "FAIL $in: no flows at all"; fail=1; return; }
	for kind in "$@"; do
		/usr/bin/python3 "$src/tests/input/relink.py" "$in" "$t/x" "$kind" || { fail=1; continue; }
		flows "$t/x" >"$t/got"
		if cmp -s "$t/want" "$t/got"; then
			echo "ok   $(basename "$in") as $kind: $(wc -l <"$t/got") flows, identical"
		else
			echo "FAIL $(basename "$in") as $kind:"
			diff "$t/want" "$t/got" | head -5
			fail=1
		fi
	done
}
check "$src/pcaps/smtp-sink.pcap" sll sll2 null-le null-be loop raw ipv4 vlan qinq pppoe mpls snap pcapng
ipv6="$shared/corpus/pcapplusplus/tcp-reassembly/four_ipv6_http_streams.pcap"
if [ -f "$ipv6" ]; then
	check "$ipv6" sll sll2 null-le null-be loop ipv6 vlan qinq pppoe mpls snap pcapng
else
	echo "skip IPv6 half: $ipv6 missing"
fi
exit $fail
