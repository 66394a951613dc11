#!/bin/bash
# mkpcaps.sh - how the crafted TLS captures in tests/tls/ were made: real
# OpenSSL 3.0 s_server and s_client talking over 127.0.0.1 while tcpdump
# records the loopback. Each scenario gets NAME.pcap and NAME.keylog (the
# client's -keylogfile, for the decryption step), and the certificates
# (a CA, a server and a client certificate signed by it) end up in the
# captures themselves.
#
# Usage (as root, in the root network namespace; loopback only):
#   tests/tls/mkpcaps.sh OUTDIR
# Every process it starts is stopped by its own PID. The certificates are
# made afresh, so a new run gives new captures: the expected files
# (NAME.tshark.txt, NAME.openssl.txt) must then be made again (README.md).
set -euo pipefail
out=$(cd "${1:?usage: mkpcaps.sh OUTDIR}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
port=44330

# --- certificates: a CA, the server's (SANs: two names, an IP) and a client's
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 \
	-subj "/C=DE/O=smtpsniff test/CN=smtpsniff test CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr \
	-subj "/C=DE/O=smtpsniff test/OU=mail, relays/CN=mx.example.test" 2>/dev/null
printf 'subjectAltName=DNS:mx.example.test,DNS:smtp.example.test,IP:127.0.0.1,IP:::1\n' >srv.ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 825 \
	-extfile srv.ext 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout cli.key -out cli.csr \
	-subj "/CN=client.example.test" 2>/dev/null
printf 'subjectAltName=DNS:client.example.test\n' >cli.ext
openssl x509 -req -in cli.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cli.pem -days 825 \
	-extfile cli.ext 2>/dev/null

# run NAME SERVER_OPTS -- CLIENT_OPTS [-- CLIENT_OPTS ...]: one capture, one
# server, one client connection per option set (in order, each waiting for
# the one before), each client sending a line and closing.
run() {
	local name=$1
	shift
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
		-quiet "${sopts[@]}" </dev/null >/dev/null 2>&1 &
	local srv=$!
	sleep 1
	while [ $# -gt 0 ]; do
		shift # the --
		copts=()
		while [ $# -gt 0 ] && [ "$1" != -- ]; do
			copts+=("$1")
			shift
		done
		printf 'EHLO client.example.test\r\n' |
			timeout 10 openssl s_client -connect "127.0.0.1:$port" -keylogfile "$out/$name.keylog" \
				"${copts[@]}" >/dev/null 2>&1 || true
		sleep 0.5
	done
	sleep 0.5
	kill "$srv" 2>/dev/null || true
	wait "$srv" 2>/dev/null || true
	sleep 0.5
	kill "$dump"
	wait "$dump" 2>/dev/null || true
}

# TLS 1.2, ECDHE-RSA with AES-128-GCM, extended master secret (OpenSSL's
# default), SNI and ALPN.
run tls12-gcm-ems -tls1_2 -alpn smtp,imap \
	-- -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256 -servername mx.example.test -alpn smtp

# TLS 1.2, a CBC suite: encrypt-then-mac (RFC 7366) negotiated.
run tls12-cbc-etm -tls1_2 \
	-- -tls1_2 -cipher ECDHE-RSA-AES128-SHA256 -servername mx.example.test

# TLS 1.2 resumption: by session ID (no tickets), then by ticket.
run tls12-resume -tls1_2 \
	-- -tls1_2 -no_ticket -sess_out sess-id.pem -servername mx.example.test \
	-- -tls1_2 -no_ticket -sess_in sess-id.pem -servername mx.example.test \
	-- -tls1_2 -sess_out sess-tk.pem -servername mx.example.test \
	-- -tls1_2 -sess_in sess-tk.pem -servername mx.example.test

# TLS 1.2 alerts in the clear: the client does not trust the server's CA
# (unknown_ca), then offers only a suite the server refuses
# (handshake_failure from the server).
openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem -days 30 \
	-subj "/CN=another CA" 2>/dev/null
run tls12-alert -tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384 \
	-- -tls1_2 -verify_return_error -CAfile other.pem -servername mx.example.test \
	-- -tls1_2 -cipher ECDHE-RSA-AES128-SHA -servername mx.example.test

# TLS 1.2 with a client certificate (mutual authentication): the client's
# chain travels in the clear too.
run tls12-clientcert -tls1_2 -Verify 2 -CAfile ca.pem \
	-- -tls1_2 -cert cli.pem -key cli.key -servername mx.example.test

# TLS 1.3: a HelloRetryRequest (the client's first key share, P-256, is not
# one the server takes), then a resumption with a ticket (PSK with DHE).
run tls13-hrr-resume -groups X25519 -num_tickets 1 \
	-- -tls1_3 -groups P-256:X25519 -sess_out sess13.pem -servername mx.example.test \
	-- -tls1_3 -sess_in sess13.pem -servername mx.example.test

ls -l "$out"/*.pcap "$out"/*.keylog
