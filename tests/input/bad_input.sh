#!/bin/bash
# bad_input.sh - captures that are not captures, are cut short, or lie in
# their headers: a clear message, exit status 2 where the input is unusable,
# and everything before the damage still processed. Never a crash.
#
# Usage: bad_input.sh SMTPSNIFF SRCDIR
set -uo pipefail
sniff=$1 src=$2
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
/usr/bin/python3 "$src/tests/input/mkbad.py" "$src/pcaps/smtp-sink.pcap" "$t" || exit 1
fail=0

# expect NAME STATUS STDERR-PATTERN [smtpsniff options]
expect() {
	local name=$1 want=$2 pat=$3
	shift 3
	"$sniff" -r "$t/$name" "$@" >"$t/out" 2>"$t/err"
	local got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL $name: exit status $got, want $want"; cat "$t/err"; fail=1
	elif ! grep -qiE "$pat" "$t/err"; then
		echo "FAIL $name: stderr lacks /$pat/:"; cat "$t/err"; fail=1
	else
		echo "ok   $name: status $got, $(head -n 1 "$t/err")"
	fi
}

expect text.pcap 2 'text.pcap: .*(unknown file format|bad dump file format)'
expect empty.pcap 2 'empty.pcap: .*(truncated|empty|format)'
expect header-only-half.pcap 2 'truncated'
expect user0.pcap 2 'link type .* is not one smtpsniff decodes'
expect cut-payload.pcap 2 'after frame 20: truncated dump file.*everything before it was processed' --flows
# What came before the damage is still reported: the flows of frames 1-20.
grep -q 'flow 1 tcp 192.0.2.1' "$t/out" || { echo "FAIL cut-payload.pcap: flows before the damage not reported"; fail=1; }
expect cut-header.pcap 2 'after frame 20: truncated dump file' --flows
grep -q 'flow 1 tcp' "$t/out" || { echo "FAIL cut-header.pcap: flows before the damage not reported"; fail=1; }
expect huge-caplen.pcap 2 'after frame 20: .*(larger than|invalid|bigger)' --flows

# Lying headers are anomalies on their frames, not the end of the run.
"$sniff" -r "$t/lying-headers.pcap" --json >"$t/out" 2>"$t/err"
st=$?
[ $st = 0 ] || { echo "FAIL lying-headers.pcap: exit status $st"; cat "$t/err"; fail=1; }
for want in '"what":"ip_truncated","frame":1' '"what":"ip_header_short","frame":2' \
	'"what":"tcp_header_bad","frame":3'; do
	grep -q "$want" "$t/out" || { echo "FAIL lying-headers.pcap: no $want"; cat "$t/out"; fail=1; }
done
# Frames 1 and 4 still carry their bytes into one flow: 8 + 6.
grep -q '"c2s":{"packets":2,"bytes":14' "$t/out" ||
	{ echo "FAIL lying-headers.pcap: frames 1 and 4 not reassembled"; cat "$t/out"; fail=1; }
[ $fail = 0 ] && echo "ok   lying-headers.pcap: three anomalies named by frame, the good bytes kept"
exit $fail
