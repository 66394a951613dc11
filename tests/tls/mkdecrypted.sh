#!/bin/bash
# mkdecrypted.sh - tshark's decryption of the captures, the expected files
# of the decryption step's tests (decrypt_compare.py; README-decrypt.md).
#
# Usage: tests/tls/mkdecrypted.sh NAME...   (in tests/tls/; NAME.pcap and
#        NAME.keylog in, NAME.tshark-dec.txt out)
# tshark 4.0 (Debian 12's). Two parts: the records of every frame with TLS
# (their content types - for TLS 1.3 the inner ones tshark found - and
# ports), then every "Decrypted TLS" data source of `tshark -P -x` under
# its frame, its hex joined on one line (the frames' own hex left out).
set -euo pipefail
for name; do
	{
		echo "# fields"
		tshark -r "$name.pcap" -o "tls.keylog_file:$name.keylog" -Y tls -T fields \
			-E occurrence=a -E aggregator=, -e frame.number -e tcp.srcport -e tcp.dstport \
			-e tls.record.content_type -e tls.record.opaque_type 2>/dev/null
		echo "# decrypted"
		tshark -r "$name.pcap" -o "tls.keylog_file:$name.keylog" -P -x 2>/dev/null |
			awk '
			/^ *[0-9]+ +[0-9]+\.[0-9]+ / { if (h != "") print "dec " h; h = ""; keep = 0; print "frame " $1; next }
			/^Decrypted TLS \([0-9]+ bytes?\):$/ { if (h != "") print "dec " h; h = ""; keep = 1; next }
			/^[A-Z][A-Za-z ]* \([0-9]+ bytes?\):$/ { if (h != "") print "dec " h; h = ""; keep = 0; next }
			/^$/ { if (h != "") print "dec " h; h = ""; keep = 0; next }
			keep && /^[0-9a-f][0-9a-f][0-9a-f][0-9a-f]  / { x = substr($0, 7, 48); gsub(/ /, "", x); h = h x }
			END { if (h != "") print "dec " h }'
	} >"$name.tshark-dec.txt"
done
