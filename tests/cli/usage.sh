#!/bin/bash
# usage.sh - how options take their values and what a wrong one is told:
#  - --color WHEN and --color=WHEN alike; a bare --color before a filter;
#  - a cap's bad value named as given, with what the cap takes (a size with
#    its suffixes, a count, seconds, milliseconds), in either spelling;
#  - an input that cannot be opened exits as EXIT STATUS in the man page
#    says (2 a name that leads nowhere, 3 the system refused), and an input
#    or -w error says its text once.
#
# Usage: usage.sh SMTPSNIFF SRCDIR
set -uo pipefail
sniff=$1 src=$2
. "$(dirname "$0")/lib.sh"
coloured() { grep -q $'\033\\[' "$t/out"; }
pcap=$src/pcaps/smtp-sink.pcap

# --color: WHEN as the next word or after =; output to a file is not a
# terminal, so colour shows only when asked for.
for form in "--color always" "--color=always" "--colour always" "--color"; do
	# shellcheck disable=SC2086
	status 0 "$form" -- "$sniff" -r "$pcap" $form
	coloured && pass "$form colours" || bad "$form: no colour"
done
for form in "--color never" "--color=never" "--color auto" "--color=auto"; do
	# shellcheck disable=SC2086
	status 0 "$form" -- "$sniff" -r "$pcap" $form
	coloured && bad "$form: coloured" || pass "$form: no colour"
done
# A bare --color then a filter: the filter is the filter.
status 0 "--color, then a filter" -- "$sniff" -r "$pcap" --color --flows --json udp
grep -q '"type":"flow"' "$t/out" && bad "--color udp: a TCP flow got through the filter" ||
	pass "--color udp: the filter applied"
status 2 "--color=sometimes" -- "$sniff" -r "$pcap" --color=sometimes
grep -q -- '--color=sometimes: not one of always, never, auto' "$t/err" || bad "--color=sometimes: $(cat "$t/err")"

# Caps: "--NAME=VALUE: not <what the cap takes>", whichever way it was given.
cap() { # cap ARG WANT-ON-STDERR
	status 2 "$1" -- "$sniff" -r "$pcap" "${@:1:$#-1}"
	grep -qxF -- "smtpsniff: ${*: -1}" "$t/err" && pass "$1: says '${*: -1}'" ||
		bad "$1: says '$(head -n 1 "$t/err")', want 'smtpsniff: ${*: -1}'"
}
cap --max-mem=12Q '--max-mem=12Q: not a size (a number of bytes, with K, M or G) from 0 to 1024G'
cap --max-mem 12Q '--max-mem=12Q: not a size (a number of bytes, with K, M or G) from 0 to 1024G'
cap --max-mem= '--max-mem=: not a size (a number of bytes, with K, M or G) from 0 to 1024G'
cap --max-line=99999999999G '--max-line=99999999999G: not a size (a number of bytes, with K, M or G) from 1 to 1024G'
cap --max-flows=lots '--max-flows=lots: not a count (a whole number) from 1 to 4294967295'
cap --max-flows=10K '--max-flows=10K: not a count (a whole number) from 1 to 4294967295'
# Out of range (issue 16): each cap's range, said; 0 where it would leave a
# layer nothing (--max-line=0 once passed NULL to memchr), past 1 TiB, past
# 2^32 things, past int64 nanoseconds (--tcp-timeout near 2^64 once
# overflowed reassembly/table.c).
cap --max-line=0 '--max-line=0: not a size (a number of bytes, with K, M or G) from 1 to 1024G'
cap --max-line=1025G '--max-line=1025G: not a size (a number of bytes, with K, M or G) from 1 to 1024G'
cap --max-flows=0 '--max-flows=0: not a count (a whole number) from 1 to 4294967295'
cap --max-flows=4294967296 '--max-flows=4294967296: not a count (a whole number) from 1 to 4294967295'
cap --max-open-files=0 '--max-open-files=0: not a count (a whole number) from 1 to 4294967295'
cap --max-pipeline=0 '--max-pipeline=0: not a count (a whole number) from 1 to 4294967295'
cap --max-frag-dgrams=0 '--max-frag-dgrams=0: not a count (a whole number) from 1 to 4294967295'
cap --rexmit-window=2G '--rexmit-window=2G: not a size (a number of bytes, with K, M or G) from 0 to 1G'
cap --tcp-timeout=18446744073709551615 '--tcp-timeout=18446744073709551615: not a number of seconds (at most 9223372036)'
cap --udp-timeout=18446744073709551615 '--udp-timeout=18446744073709551615: not a number of seconds (at most 9223372036)'
cap --tcp-linger=9223372037 '--tcp-linger=9223372037: not a number of seconds (at most 9223372036)'
# The ends of each range are taken, and run.
status 0 "--max-line=1 --max-flows=1 --tcp-timeout=9223372036 run" -- "$sniff" -r "$pcap" \
	--max-line=1 --max-flows=1 --tcp-timeout=9223372036 --udp-timeout=9223372036 \
	--tcp-linger=9223372036 --max-mem=1024G --rexmit-window=1G
# --help says every range.
"$sniff" --help >"$t/help" 2>&1
grep -qF -- '--max-line=N' "$t/help" && grep -q -- '--max-line=N .*(default 64K; 1 to 1024G)' "$t/help" &&
	pass "--help gives --max-line's range" || bad "--help: no range for --max-line"
[ "$(grep -c -- '^  --[a-z-]*=N .*(default [^;]*; [0-9]*[KMG]\{0,1\} to [0-9]*[KMG]\{0,1\})$' "$t/help")" -ge 23 ] &&
	pass "--help gives every cap's range" || bad "--help: a cap without its range"
cap --tcp-timeout=5m '--tcp-timeout=5m: not a number of seconds (at most 9223372036)'
cap --tcp-timeout=9223372037 '--tcp-timeout=9223372037: not a number of seconds (at most 9223372036)'
cap --ack-wait=1s '--ack-wait=1s: not a number of milliseconds (at most 9223372036854)'
grep -q "Try 'smtpsniff --help'" "$t/err" || bad "a bad cap: no pointer to --help"

# -r: no such file, or a path through a file: 2, a usage error.
status 2 "-r a file that does not exist" -- "$sniff" -r "$t/none.pcap"
status 2 "-r a path through a file" -- "$sniff" -r "$pcap/x.pcap"
# -r a file the system will not let us read: 3. Root reads anything, so as
# root the run drops to nobody (setpriv, util-linux), for a file of its own.
cp "$pcap" "$t/locked.pcap"
chmod 000 "$t/locked.pcap"
if [ "$(id -u)" != 0 ]; then
	status 3 "-r an unreadable file" -- "$sniff" -r "$t/locked.pcap"
elif command -v setpriv >/dev/null && setpriv --reuid=nobody --regid=nogroup --clear-groups true 2>/dev/null &&
	setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$sniff"; then
	chmod 711 "$t"
	chown nobody "$t/locked.pcap"
	status 3 "-r an unreadable file (as nobody)" -- setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$sniff" -r "$t/locked.pcap"
else
	echo "skip -r an unreadable file: root without setpriv, or nobody cannot run $sniff"
fi
grep -q 'Permission denied' "$t/err" || bad "-r an unreadable file: $(cat "$t/err")"

# Said once: "smtpsniff: A: A..." repeats libpcap's text.
once() { # once DESCRIPTION: the first stderr line says nothing twice
	local line
	line=$(head -n 1 "$t/err")
	if grep -qE ': (.+): \1' <<<"$line" || grep -qE '^smtpsniff: ([^:]+): \1' <<<"$line"; then
		bad "$1 says it twice: $line"
	else
		pass "$1 says it once: $line"
	fi
}
status 4 "-w into a missing directory" -- "$sniff" -r "$pcap" -w "$t/none/copy.pcap"
once "-w into a missing directory"
grep -qF "$t/none/copy.pcap" "$t/err" || bad "-w: the file is not named: $(cat "$t/err")"
status 3 "-i a device that does not exist" -- "$sniff" -i ss-no-such0
once "-i a device that does not exist"
grep -q 'ss-no-such0' "$t/err" || bad "-i: the device is not named: $(cat "$t/err")"
exit $fail
