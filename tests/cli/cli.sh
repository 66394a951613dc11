#!/bin/bash
# cli.sh - the command line: options, exit statuses, filters, -c, -w, stdin,
# pcapng, --json, --streams, as the man page and --help promise them.
#
# Usage: cli.sh SMTPSNIFF SRCDIR SHAREDDIR
set -uo pipefail
sniff=$1 src=$2 shared=$3
. "$(dirname "$0")/lib.sh"
sink=$src/pcaps/smtp-sink.pcap
dnsvlan=$shared/corpus/ndpi/pcap/dns.pcap

status 0 "--help" -- "$sniff" --help
grep -q -- '--max-flows=N' "$t/out" && grep -q 'Exit status' "$t/out" || bad "--help lacks the caps or the exit statuses"
status 0 "--version" -- "$sniff" --version
grep -qx 'smtpsniff [0-9.]*' "$t/out" || bad "--version prints $(cat "$t/out")"
status 2 "no input" -- "$sniff"
grep -q 'exactly one of -r FILE and -i IFACE' "$t/err" || bad "no input: $(cat "$t/err")"
status 2 "-r and -i together" -- "$sniff" -r "$sink" -i lo
status 2 "an unknown option" -- "$sniff" --no-such-option -r "$sink"
status 2 "-c without a number" -- "$sniff" -r "$sink" -c many
status 2 "a cap with a bad value" -- "$sniff" -r "$sink" --max-flows=lots
status 2 "a filter that does not compile" -- "$sniff" -r "$sink" tcp port
grep -q '^smtpsniff: filter: ' "$t/err" || bad "bad filter: $(cat "$t/err")"
status 2 "a file that does not exist" -- "$sniff" -r "$t/nothing.pcap"
grep -q 'No such file' "$t/err" || bad "missing file: $(cat "$t/err")"

# -c stops after N frames; the summary counts them.
status 0 "-c 10" -- "$sniff" -r "$sink" -c 10 --json
grep -q '"type":"summary".*"frames":10,' "$t/out" || bad "-c 10: $(grep summary "$t/out")"

# A BPF filter as trailing words, as tcpdump takes it. dns.pcap holds one
# DNS exchange untagged and one inside QinQ and PPPoE: a plain "udp port 53"
# only sees the first (BPF offsets), the tag-aware filter only the second.
if [ -f "$dnsvlan" ]; then
	status 0 "filter 'udp port 53'" -- "$sniff" -r "$dnsvlan" --flows --json udp port 53
	grep '"type":"flow"' "$t/out" | grep -c '"proto":"udp","app":"dns","client":{"ip":"192.168.170.8"' |
		grep -qx 1 && [ "$(grep -c '"type":"flow"' "$t/out")" = 1 ] &&
		pass "the untagged DNS flow, alone" || bad "filter udp port 53: $(grep -c flow "$t/out") flows"
	status 0 "filter 'vlan and vlan and pppoes and udp port 53'" -- "$sniff" -r "$dnsvlan" --flows --json \
		vlan and vlan and pppoes and udp port 53
	grep '"type":"flow"' "$t/out" | grep -c '"client":{"ip":"82.178.113.245","port":47255}' | grep -qx 1 &&
		[ "$(grep -c '"type":"flow"' "$t/out")" = 1 ] && pass "the tagged DNS flow, alone" ||
		bad "tagged filter: $(grep '"type":"flow"' "$t/out")"
	status 0 "filter that matches nothing" -- "$sniff" -r "$dnsvlan" --flows --json tcp
	grep -q '"type":"flow"' "$t/out" && bad "filter tcp: flows appeared"
fi

# -w writes what was read (after the filter); reading it back gives the same flows.
status 0 "-w copy" -- "$sniff" -r "$sink" -w "$t/copy.pcap" --flows --json
grep '"type":"flow"' "$t/out" >"$t/flows1"
status 0 "reading the copy" -- "$sniff" -r "$t/copy.pcap" --flows --json
grep '"type":"flow"' "$t/out" >"$t/flows2"
cmp -s "$t/flows1" "$t/flows2" && pass "-w copy gives the same flows" || bad "-w copy differs"
cmp -s <(tail -c +25 "$sink") <(tail -c +25 "$t/copy.pcap") && pass "-w copy holds the same records" ||
	bad "-w copy: records differ"

# stdin, as -r -.
status 0 "-r - from stdin" -- sh -c "'$sniff' -r - --flows --json < '$sink'"
grep '"type":"flow"' "$t/out" | cmp -s - "$t/flows1" && pass "stdin gives the same flows" || bad "stdin differs"

# pcapng straight from another project's capture.
png=$shared/corpus/ndpi/pcap/dns-google-nsid.pcapng
if [ -f "$png" ]; then
	status 0 "pcapng input" -- "$sniff" -r "$png" --flows --json
	grep -q '"linktype":"EN10MB"' "$t/out" && grep -q '"type":"flow"' "$t/out" || bad "pcapng: no flows"
fi

# Every --json line is a JSON object with a type.
status 0 "--json timeline" -- "$sniff" -r "$sink" --json
/usr/bin/python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert isinstance(o, dict) and "type" in o, line
    n += 1
print(f"ok   {n} JSON lines parse")' "$t/out" || bad "--json output is not JSON lines"

# --streams writes inside DIR, refuses to overwrite, and says why.
mkdir "$t/streams"
status 0 "--streams" -- "$sniff" -r "$sink" --streams "$t/streams" --flows
[ "$(find "$t/streams" -type f | wc -l)" = 5 ] && pass "--streams wrote 4 direction files and index.jsonl" ||
	bad "--streams wrote: $(ls "$t/streams")"
status 4 "--streams into a used DIR" -- "$sniff" -r "$sink" --streams "$t/streams"
grep -q -- '--overwrite' "$t/err" || bad "--streams refusal does not mention --overwrite: $(cat "$t/err")"
status 0 "--streams --overwrite" -- "$sniff" -r "$sink" --streams "$t/streams" --overwrite --flows
status 0 "--streams into a missing DIR makes it" -- "$sniff" -r "$sink" --streams "$t/none" --flows
[ -f "$t/none/index.jsonl" ] || bad "--streams into a missing DIR: no index.jsonl"
status 4 "--streams into a DIR that cannot be made" -- "$sniff" -r "$sink" --streams "$t/copy.pcap/sub"

# -D lists interfaces (the loopback is always there).
status 0 "-D" -- "$sniff" -D
grep -q '\blo\b' "$t/out" || bad "-D does not list lo: $(cat "$t/out")"
exit $fail
