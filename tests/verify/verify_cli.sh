#!/bin/bash
# verify_cli.sh SMTPSNIFF SRCDIR - --verify, --zone, --save-expect and
# --expect as a user runs them.
#  1. A DKIM key answer taken out of a capture (a BPF filter drops the one
#     DNS response over 400 bytes, the key) gives "cannot tell", never
#     fail, and says why: the question's frame and that it was never
#     answered, on the hop checked when the next copy came (the question is
#     handed on as soon as it is seen) and on the last hop. --zone with
#     the key the lab generated (lab/keys, opendkim-genkey's file) gives the
#     pass the receiver wrote.
#  2. --save-expect (exit 0 once written, known disagreements and all),
#     then --expect on the same capture: exit 0, no diff (a disagreement the
#     file records is no change); a verdict altered in the file: exit 1 and
#     the diff names it; --junit read back by an XML reader.
#  3. A zone file that does not load is a usage error (exit 2).
set -uo pipefail
sniff=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

pcap=$src/pcaps/scenario3-1.pcap
"$sniff" -r "$pcap" -w "$tmp/nokey.pcap" 'not (udp src port 53 and greater 400)' >/dev/null 2>&1 ||
	bad "could not write the capture without the key"
"$sniff" -r "$tmp/nokey.pcap" --verify --json >"$tmp/nokey.json" 2>/dev/null
code=$?
# The DKIM verdict of the hop into a server (default dkim.mx.b.test,
# 10.255.2.32), and the words of its key's "dns" entry.
dkim() {
	/usr/bin/python3 -c '
import json, sys
for l in open(sys.argv[1]):
    v = json.loads(l)
    if v.get("type") == "verdict" and v["method"] == "dkim" and v["hop"]["server"] == sys.argv[2]:
        print(v["result"], v["agreement"], "|", v["reason"], "|",
              " ".join(d["answer"] for d in v["dns"]))' "$1" "${2:-10.255.2.32}"
}
key=smtpbook._domainkey.pass.dkim.a.test
got=$(dkim "$tmp/nokey.json")
case $got in
"unknown unknown | cannot tell: the key (TXT $key) was asked in frame "[0-9]*", never answered in the capture | asked in frame "[0-9]*", never answered in the capture") ;;
*) bad "without the key: want unknown, asked in frame N, never answered; got: $got" ;;
esac
# imap.b.test's hop, checked at the end, says the same.
got=$(dkim "$tmp/nokey.json" 10.255.2.40)
case $got in
"unknown unknown | cannot tell: the key (TXT $key) was asked in frame "[0-9]*", never answered in the capture | asked in frame "[0-9]*", never answered in the capture") ;;
*) bad "without the key, last hop: want asked in frame N, never answered; got: $got" ;;
esac
[ $code = 0 ] || bad "without the key: exit $code, want 0 (nothing disagrees)"

{
	echo '$ORIGIN pass.dkim.a.test.'
	echo '$TTL 60'
	cat "$src/lab/keys/pass.dkim.a.test.txt"
} >"$tmp/key.zone"
"$sniff" -r "$tmp/nokey.pcap" --verify --json --zone "$tmp/key.zone" >"$tmp/zone.json" 2>"$tmp/zone.err"
code=$?
got=$(dkim "$tmp/zone.json")
case $got in
"pass agree | "*) ;;
*) bad "with --zone: want pass, agree; got: $got ($(cat "$tmp/zone.err"))" ;;
esac
grep -q '"source":"zone file '"$tmp"'/key.zone"' "$tmp/zone.json" ||
	bad "with --zone: the evidence does not name the zone file"
[ $code = 0 ] || bad "with --zone: exit $code, want 0"

# 2. The regression mode of CI. In the second verifier set's 4-4,
# OpenDMARC wrote dmarc=pass where RFC 7489 gives fail (lab/verifier-notes).
pcap=$src/pcaps/opendkim/scenario4-4.pcap
"$sniff" -r "$pcap" --save-expect "$tmp/expect" >/dev/null 2>&1
code=$?
[ $code = 0 ] || bad "--save-expect on 4-4 (dmarc disagrees): exit $code, want 0 (the file is written)"
grep -qx 'scenario4-4 (mail from user1@x.test) | dkim.smtp.a.test > dmarc.mx.b.test checking | user1@a.test | user1@x.test | dmarc fail / pass disagree' "$tmp/expect" ||
	bad "--save-expect: no stable dmarc line: $(grep dmarc "$tmp/expect")"
# nothing of one recording: no times, frames, Message-IDs, queue IDs, ports
if grep -qE '[0-9]{2}:[0-9]{2}:[0-9]{2}|frame|<[^>]*@|queued|:25\b' "$tmp/expect"; then
	bad "--save-expect holds a time, frame number or Message-ID: $(grep -E '[0-9]{2}:[0-9]{2}|frame|<' "$tmp/expect")"
fi
"$sniff" -r "$pcap" --verify >/dev/null 2>&1
code=$?
[ $code = 1 ] || bad "--verify alone on 4-4: exit $code, want 1 (dmarc disagrees)"
"$sniff" -r "$pcap" --expect "$tmp/expect" >/dev/null 2>"$tmp/same.err"
code=$?
# the disagreement is in the file: nothing changed
[ $code = 0 ] || bad "--expect, unchanged: exit $code, want 0 (the known disagreement is expected)"
grep -q '^[-+] ' "$tmp/same.err" && bad "--expect, unchanged: a diff was printed"
# A capture whose verdicts all agree: exit 0 with its own expect file.
"$sniff" -r "$src/pcaps/scenario3-1.pcap" --save-expect "$tmp/expect31" >/dev/null 2>&1
"$sniff" -r "$src/pcaps/scenario3-1.pcap" --expect "$tmp/expect31" >/dev/null 2>&1
code=$?
[ $code = 0 ] || bad "--expect on an unchanged capture that agrees: exit $code, want 0"
sed 's/ d=pass.dkim.a.test s=smtpbook pass \/ pass agree$/ d=pass.dkim.a.test s=smtpbook fail \/ pass disagree/' \
	"$tmp/expect31" >"$tmp/altered"
cmp -s "$tmp/expect31" "$tmp/altered" && bad "could not alter a verdict in the expect file"
"$sniff" -r "$src/pcaps/scenario3-1.pcap" --expect "$tmp/altered" >/dev/null 2>"$tmp/diff"
code=$?
[ $code = 1 ] || bad "--expect with an altered verdict: exit $code, want 1"
grep -q '^- .* dkim d=pass.dkim.a.test s=smtpbook fail / pass disagree$' "$tmp/diff" &&
	grep -q '^+ .* dkim d=pass.dkim.a.test s=smtpbook pass / pass agree$' "$tmp/diff" ||
	bad "--expect: the diff does not show the altered verdict: $(cat "$tmp/diff")"
grep -q 'verdicts differ from' "$tmp/diff" || bad "--expect: no word on stderr of what differs"
# --junit: one test case per expected verdict, the altered one failing,
# as an independent XML reader (Python's ElementTree) reads it
"$sniff" -r "$src/pcaps/scenario3-1.pcap" --expect "$tmp/altered" --junit "$tmp/junit.xml" >/dev/null 2>&1
/usr/bin/python3 - "$tmp/junit.xml" "$tmp/altered" <<'PY' || bad "--junit: see above"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suite = root.find("testsuite")
cases = suite.findall("testcase")
want = [l.rstrip("\n") for l in open(sys.argv[2]) if l.strip() and not l.startswith("#")]
failed = [c.get("name") for c in cases if c.find("failure") is not None]
ok = (int(suite.get("tests")) == len(cases) and int(suite.get("failures")) == len(failed) == 2
      and all(w in [c.get("name") for c in cases] for w in want)
      and any(f.endswith("fail / pass disagree") for f in failed)
      and any(f.endswith("pass / pass agree") for f in failed))
if not ok:
    print("FAIL: junit: %d cases, failed %r" % (len(cases), failed))
sys.exit(0 if ok else 1)
PY
# A file that is not an expect file is not overwritten (a usage error, 2).
cp "$src/pcaps/scenario3-1.notes" "$tmp/notes.copy"
"$sniff" -r "$src/pcaps/scenario3-1.pcap" --save-expect "$tmp/notes.copy" >/dev/null 2>"$tmp/ow.err"
code=$?
[ $code = 2 ] || bad "--save-expect over a file it did not write: exit $code, want 2"
cmp -s "$src/pcaps/scenario3-1.notes" "$tmp/notes.copy" || bad "--save-expect overwrote a file it did not write"
# Files that cannot be written are exit 4, found before the capture is read.
"$sniff" -r "$src/pcaps/scenario3-1.pcap" --save-expect "$tmp/no/such/dir/x" >/dev/null 2>"$tmp/w.err"
code=$?
[ $code = 4 ] || bad "--save-expect into a missing directory: exit $code, want 4"

# Only what --save-expect wrote is an expect file: the lab's notes for
# people beside each capture are refused, not diffed.
"$sniff" -r "$src/pcaps/scenario3-1.pcap" --expect "$src/pcaps/scenario3-1.notes" >/dev/null 2>"$tmp/notes.err"
code=$?
[ $code = 2 ] || bad "--expect with a NAME.notes file: exit $code, want 2"
grep -q 'scenario3-1.notes: not a file smtpsniff --save-expect wrote' "$tmp/notes.err" ||
	bad "--expect with a NAME.notes file: the message does not say why: $(cat "$tmp/notes.err")"
grep -q '^[-+] ' "$tmp/notes.err" && bad "--expect with a NAME.notes file: a diff was printed"

# 3. A zone file that is not one.
echo 'not a zone' >"$tmp/bad.zone"
"$sniff" -r "$pcap" --verify --zone "$tmp/bad.zone" >/dev/null 2>"$tmp/bad.err"
code=$?
[ $code = 2 ] || bad "a bad zone file: exit $code, want 2"
grep -q "bad.zone" "$tmp/bad.err" || bad "a bad zone file: the message does not name it"

[ $fail = 0 ] && echo "verify_cli: all checks passed"
exit $fail
