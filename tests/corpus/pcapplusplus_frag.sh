#!/bin/bash
# pcapplusplus_frag.sh - IPv4 and IPv6 fragment reassembly against the
# packets PcapPlusPlus's IPReassemblyTests.cpp expects.
#
# Usage: pcapplusplus_frag.sh FRAG_DUMP SHAREDDIR
set -uo pipefail
dump=$1
C=$2/corpus/pcapplusplus/tcp-reassembly
[ -d "$C" ] || { echo "skipped: $C is missing"; exit 77; }
fail=0
# check PCAP "COUNTS" EXPECTED...: the counts line, then each expected packet
check() {
	local pcap=$1 counts=$2
	shift 2
	local exp=()
	for e in "$@"; do exp+=("$C/$e"); done
	out=$("$dump" "$C/$pcap" "${exp[@]}")
	st=$?
	echo "$out" | sed "s|$C/||; s/^/     /"
	if [ $st != 0 ] || ! grep -qx "$counts" <<<"$out"; then
		echo "FAIL $pcap (want: $counts)"
		fail=1
	else
		echo "ok   $pcap"
	fi
}
# ip4_fragments: 6 datagrams of 8 fragments + ..., three of them compared.
check ip4_fragments.pcap "frames 53 fragments 50 reassembled 6 malformed 0" \
	ip4_fragments_packet1.txt ip4_fragments_packet4.txt ip4_fragments_packet6.txt
check ip6_fragments.pcap "frames 36 fragments 36 reassembled 4 malformed 0" \
	ip6_fragments_packet1.txt ip6_fragments_packet2.txt
check frag_http_req.pcap "frames 11 fragments 11 reassembled 1 malformed 0" frag_http_req_reassembled.txt
# Ethernet padding after each fragment must not become datagram bytes.
check frag_with_padding.pcap "frames 8 fragments 8 reassembled 1 malformed 0" frag_with_padding_defragmented.dat
# A fragment whose 60-byte IP header is longer than the frame: an error
# counted and named, never a read past the end.
check ip4_bad_fragment.pcap "frames 1 fragments 0 reassembled 0 malformed 1"
exit $fail
