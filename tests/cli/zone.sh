#!/bin/bash
# zone.sh - --zone FILE implies --verify, as the man page says: given alone
# it verifies with the zone's answers (it used to crash, exit 139, on any
# zone file), and a zone file that does not load is a usage error (exit 2).
# The capture is scenario3-1 with the DKIM key's DNS answer taken out (the
# one response over 400 bytes); the zone holds the key the lab generated.
#
# Usage: zone.sh SMTPSNIFF SRCDIR
set -uo pipefail
sniff=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL $*"; fail=1; }

"$sniff" -r "$src/pcaps/scenario3-1.pcap" -w "$tmp/nokey.pcap" 'not (udp src port 53 and greater 400)' \
	>/dev/null 2>&1 || bad "could not write the capture without the key"
{
	echo '$ORIGIN pass.dkim.a.test.'
	echo '$TTL 60'
	cat "$src/lab/keys/pass.dkim.a.test.txt"
} >"$tmp/key.zone"

# --zone without --verify: the verdicts, with the key from the zone file.
"$sniff" -r "$tmp/nokey.pcap" --json --zone "$tmp/key.zone" >"$tmp/out" 2>"$tmp/err"
code=$?
[ $code = 0 ] && echo "ok   --zone alone: exit 0" || { bad "--zone alone: exit $code, want 0"; cat "$tmp/err"; }
got=$(/usr/bin/python3 -c '
import json, sys
for l in open(sys.argv[1]):
    v = json.loads(l)
    if v.get("type") == "verdict" and v["method"] == "dkim" and v["hop"]["server"] == "10.255.2.32":
        print(v["result"], v["agreement"])' "$tmp/out" 2>&1)
[ "$got" = "pass agree" ] && echo "ok   --zone alone verifies: the DKIM verdict is pass, agree" ||
	bad "--zone alone: the DKIM verdict into 10.255.2.32 is '$got', want 'pass agree'"
grep -q '"source":"zone file '"$tmp"'/key.zone"' "$tmp/out" && echo "ok   --zone alone: the evidence names the zone" ||
	bad "--zone alone: the evidence does not name the zone file"

# The timeline too, and several --zone options.
"$sniff" -r "$tmp/nokey.pcap" --zone "$tmp/key.zone" --zone "$tmp/key.zone" >"$tmp/out" 2>"$tmp/err"
code=$?
[ $code = 0 ] && grep -q ' VERIFY message ' "$tmp/out" && echo "ok   two --zone, timeline: verified, exit 0" ||
	{ bad "two --zone, timeline: exit $code, VERIFY lines: $(grep -c ' VERIFY ' "$tmp/out")"; cat "$tmp/err"; }

# A zone file that does not load, without --verify: a usage error naming it.
echo 'not a zone' >"$tmp/bad.zone"
"$sniff" -r "$tmp/nokey.pcap" --zone "$tmp/bad.zone" >/dev/null 2>"$tmp/err"
code=$?
[ $code = 2 ] && grep -q 'bad.zone' "$tmp/err" && echo "ok   a bad --zone alone: exit 2, named" ||
	bad "a bad --zone alone: exit $code, want 2 naming the file: $(cat "$tmp/err")"
exit $fail
