#!/bin/bash
# mkexpected.sh - tshark's view of each capture the TLS tests read, as
# tests/tls/compare.py wants it (its FIELDS, in order): one line per frame
# with TLS, every occurrence of a field, values joined by commas.
#
# Usage: tests/tls/mkexpected.sh [SHARED]   (from anywhere; SHARED defaults
# to the ../shared beside the project). Made with TShark 4.0.17 (Debian 12),
# no key log: what the wire shows without keys.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
shared=${1:-$top/../shared}
fields=$(/usr/bin/python3 -c "import sys; sys.path.insert(0, '$here'); import compare; print(' '.join('-e ' + f for f in compare.FIELDS))")
view() { # CAPTURE OUT
	# shellcheck disable=SC2086
	tshark -r "$1" -Y tls -T fields -E occurrence=a -E aggregator=, $fields >"$2" 2>/dev/null
	# each certificate tshark shows, as OpenSSL's command line reads it
	local certs=${2%.tshark.txt}.openssl.txt
	: >"$certs"
	tshark -r "$1" -Y tls.handshake.certificate -T fields -E occurrence=a -E aggregator=, \
		-e tls.handshake.certificate 2>/dev/null | tr ',' '\n' | { grep . || true; } | sort -u |
		while read -r der; do
			echo "$der" | xxd -r -p |
				openssl x509 -inform DER -noout -fingerprint -sha256 -subject -issuer \
					-nameopt RFC2253 -dates -ext subjectAltName >>"$certs" 2>/dev/null || true
			echo "--" >>"$certs"
		done
}
for p in "$here"/*.pcap; do
	view "$p" "${p%.pcap}.tshark.txt"
done
view "$top/pcaps/starttls/scenario4-4.pcap" "$here/scenario4-4.tshark.txt"
mkdir -p "$here/shared"
for n in smtp-starttls.pcap smtps.pcapng imap-starttls.pcap imaps.pcap pop3_stls.pcap pops.pcapng emotet.pcap; do
	view "$shared/corpus/ndpi/pcap/$n" "$here/shared/${n%.*}.tshark.txt"
done
# The lab's recordings with TLS (lab/record --tls).
mkdir -p "$here/lab"
for p in "$top"/pcaps/tls/*.pcap; do
	n=${p##*/}
	view "$p" "$here/lab/${n%.pcap}.tshark.txt"
done
