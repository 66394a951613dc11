#!/bin/bash
# mkdecpcaps.sh - how the captures for the decryption step (dissect/tlsdec.c,
# issue 17 step 2) were made: OpenSSL 3.0 s_server -rev (it sends each line
# back reversed, so both sides carry application data) and s_client over
# 127.0.0.1 while tcpdump records the loopback; each scenario gets NAME.pcap
# and NAME.keylog (the client's -keylogfile). The certificates are made
# afresh, as in mkpcaps.sh: a new run gives new captures, and the expected
# files must be made again (mkdecrypted.sh; README-decrypt.md).
#
# Usage (as root, in the root network namespace; loopback only):
#   tests/tls/mkdecpcaps.sh OUTDIR
# Every process it starts is stopped by its own PID.
#
# A client's input is a script of lines; a line "K" or "k" alone is
# s_client's command for a KeyUpdate (K: the peer is asked to update too)
# and is not sent. Each line waits a little, so that the reversed answer
# comes back before the next.
set -euo pipefail
out=$(cd "${1:?usage: mkdecpcaps.sh OUTDIR}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
port=44400

openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 \
	-subj "/C=DE/O=smtpsniff test/CN=smtpsniff test CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr \
	-subj "/C=DE/O=smtpsniff test/CN=mx.example.test" 2>/dev/null
printf 'subjectAltName=DNS:mx.example.test,IP:127.0.0.1\n' >srv.ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 825 \
	-extfile srv.ext 2>/dev/null

# The lines a client sends: an SMTP-like dialogue, a long line (two records
# of up to 16384 bytes from the client), key updates where asked.
script() {
	local ku=$1
	printf 'EHLO client.example.test\r\n'
	sleep 0.3
	if [ "$ku" = yes ]; then
		printf 'K\n'
		sleep 0.3
	fi
	printf 'MAIL FROM:<alice@a.example>\r\n'
	sleep 0.3
	if [ "$ku" = yes ]; then
		printf 'k\n'
		sleep 0.3
	fi
	head -c 20000 /dev/zero | tr '\0' 'x'
	printf '\r\n'
	sleep 0.5
	printf 'QUIT\r\n'
	sleep 0.5
}

# run NAME KEYUPDATE SERVER_OPTS -- CLIENT_OPTS [-- CLIENT_OPTS ...]
run() {
	local name=$1 ku=$2
	shift 2
	local sopts=() copts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		sopts+=("$1")
		shift
	done
	port=$((port + 1))
	rm -f "$out/$name.keylog"
	tcpdump -i lo -U -s 0 -w "$out/$name.pcap" "tcp port $port" 2>/dev/null &
	local dump=$!
	sleep 1
	openssl s_server -accept "127.0.0.1:$port" -cert srv.pem -key srv.key -cert_chain ca.pem \
		-rev "${sopts[@]}" </dev/null >/dev/null 2>&1 &
	local srv=$!
	sleep 1
	while [ $# -gt 0 ]; do
		shift # the --
		copts=()
		while [ $# -gt 0 ] && [ "$1" != -- ]; do
			copts+=("$1")
			shift
		done
		script "$ku" |
			timeout 20 openssl s_client -connect "127.0.0.1:$port" \
				-keylogfile "$out/$name.keylog" "${copts[@]}" >/dev/null 2>&1 || true
		sleep 0.5
	done
	sleep 0.5
	kill "$srv" 2>/dev/null || true
	wait "$srv" 2>/dev/null || true
	sleep 0.5
	kill "$dump"
	wait "$dump" 2>/dev/null || true
}

# TLS 1.3, each AEAD suite; key updates both ways (K, then k) on two of them.
run tls13-aes128-keyupdate yes -tls1_3 \
	-- -tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256 -servername mx.example.test
run tls13-aes256 no -tls1_3 \
	-- -tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384 -servername mx.example.test
run tls13-chacha-keyupdate yes -tls1_3 \
	-- -tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256 -servername mx.example.test

# TLS 1.2: ChaCha20-Poly1305 (RFC 7905), AES-256-GCM (SHA-384 PRF), AES-CBC
# with HMAC-SHA1 MAC-then-encrypt (-no_etm), AES-256-CBC with HMAC-SHA384
# and encrypt-then-MAC, RSA key exchange (the master secret is all a key log
# gives, whatever the exchange), and resumption by ticket.
run tls12-chacha no -tls1_2 \
	-- -tls1_2 -cipher ECDHE-RSA-CHACHA20-POLY1305 -servername mx.example.test
run tls12-gcm256 no -tls1_2 \
	-- -tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384 -servername mx.example.test
run tls12-cbc-noetm no -tls1_2 \
	-- -tls1_2 -cipher ECDHE-RSA-AES128-SHA -no_etm -servername mx.example.test
run tls12-cbc384 no -tls1_2 \
	-- -tls1_2 -cipher ECDHE-RSA-AES256-SHA384 -servername mx.example.test
run tls12-rsa no -tls1_2 \
	-- -tls1_2 -cipher AES128-GCM-SHA256 -servername mx.example.test
run tls12-ticket no -tls1_2 \
	-- -tls1_2 -sess_out sess-tk.pem -cipher ECDHE-RSA-AES128-GCM-SHA256 \
	-servername mx.example.test \
	-- -tls1_2 -sess_in sess-tk.pem -cipher ECDHE-RSA-AES128-GCM-SHA256 \
	-servername mx.example.test

ls -l "$out"/*.pcap "$out"/*.keylog
