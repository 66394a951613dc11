#!/bin/bash
# tests/lab/lab_tls.sh [SMTPSNIFF] - the smtpbook lab with TLS (lab/up --tls),
# live: its encrypted hops decrypted with the key logs its own daemons wrote.
#
# Brings the lab up with --tls, captures on its bridge with
# `smtpsniff -i br-smtpbook -w` while scenarios 2-1 and 4-4 are submitted
# (587, STARTTLS, AUTH) and user1 reads the mailbox over IMAP with STARTTLS,
# imaps and pop3s (TLS 1.2), then tears the lab down (also on failure). The
# key logs of the client, of every Postfix and of Dovecot (lab/keylog.c,
# preloaded through import_environment) are put together. Then checks, from
# `smtpsniff -r live.pcap --keylog KEYS --verify --json`:
#   - every TLS session decrypts (no tls_no_key, no bad record MAC), and
#     every SMTP hop and mailbox session was TLS: the key logs cover them
#     all, so each daemon wrote its part;
#   - each hop's message is the end of the file Postfix wrote into user1's
#     Maildir, byte for byte but CRLF (every hop prepends its lines), and
#     each message read over IMAP and POP3 is the Maildir file whole;
#   - on each checking hop, smtpsniff's verdicts agree with those the MX
#     wrote (Authentication-Results);
#   - the capture with the secrets inside (editcap --inject-secrets) gives
#     the same without --keylog;
#   - lab/down left no process of the lab's.
# Exits 77 (skipped) where tests/lab/lab_test.sh skips, or without editcap.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
sniff=${1:-${SMTPSNIFF:-$top/build/smtpsniff}}
skip() { echo "SKIPPED: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "not root: the lab needs network namespaces and a bridge"
probe=sbprobe$$
ip netns add "$probe" 2>/dev/null || skip "network namespaces are not available here"
ip netns del "$probe"
. "$top/lab/lib.sh"
[ -d "$zones_src" ] || skip "no upstream zones in $zones_src"
for c in pdns_server pdns_recursor rsyslogd postfix rspamd dovecot saslpasswd2 cc editcap /usr/bin/python3; do
	command -v "$c" >/dev/null || skip "$c is missing: run tools/deps lab and tools/deps test"
done
[ ! -e "$state" ] && ! ip link show "$bridge" >/dev/null 2>&1 || skip "a lab is already up (lab/down first)"
[ -x "$sniff" ] || { echo "FAIL: no $sniff" >&2; exit 1; }

tmp=$(mktemp -d)
export LAB_LOGS=$tmp/logs
cap=""
cleanup() {
	[ -n "$cap" ] && kill -INT "$cap" 2>/dev/null && wait "$cap" 2>/dev/null
	"$top/lab/down" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
promiscuity() { ip -d link show "$bridge" | grep -o 'promiscuity [0-9]*' | awk '{ print $2 }'; }

"$top/lab/up" --tls
before=$(promiscuity)
"$sniff" -i "$bridge" -w "$tmp/live.pcap" >/dev/null 2>"$tmp/live.err" &
cap=$!
wait_for 10 "smtpsniff to open $bridge" eval '[ "$(promiscuity)" -gt "$before" ]'
sleep 0.2
"$top/lab/send" 2-1 4-4
"$top/lab/fetch" imap
"$top/lab/fetch" imaps
"$top/lab/fetch" --tls12 pop3s
kill -INT "$cap"
wait "$cap" || { echo "FAIL: smtpsniff -i failed: $(cat "$tmp/live.err")" >&2; exit 1; }
cap=""
cat "$state"/tls/keylog/* >"$tmp/keys"
ls -l "$state"/tls/keylog/ >"$tmp/keyfiles"
mkdir "$tmp/mail"
cp "$maildir"/new/* "$maildir"/cur/* "$tmp/mail/" 2>/dev/null || true
cp "$state/pids" "$tmp/pids"
"$top/lab/down"
left=()
while read -r pid st name; do
	alive "$pid" "$st" && left+=("process $pid ($name)")
done <"$tmp/pids"
[ ${#left[@]} -eq 0 ] || { printf 'FAIL: lab/down left behind: %s\n' "${left[@]}" >&2; exit 1; }

editcap --inject-secrets "tls,$tmp/keys" "$tmp/live.pcap" "$tmp/live-dsb.pcapng"
"$sniff" -r "$tmp/live.pcap" --keylog "$tmp/keys" --verify --json >"$tmp/out.json" 2>/dev/null
"$sniff" -r "$tmp/live-dsb.pcapng" --verify --json >"$tmp/dsb.json" 2>/dev/null
mkdir "$tmp/export"
"$sniff" -r "$tmp/live.pcap" --keylog "$tmp/keys" --export "$tmp/export/x" >/dev/null 2>&1

/usr/bin/python3 - "$tmp" <<'EOF'
import glob
import json
import os
import re
import sys

tmp = sys.argv[1]
bad = []
recs = [json.loads(l) for l in open(os.path.join(tmp, "out.json"))]
dsb = [json.loads(l) for l in open(os.path.join(tmp, "dsb.json"))]
strip = lambda rs: [json.dumps({k: v for k, v in r.items() if k != "input"}, sort_keys=True) for r in rs]  # noqa: E731
failed = [r["what"] for r in recs if r.get("type") == "anomaly" and r["what"].startswith("tls_")]
if failed:
    bad.append("TLS failures: %s" % sorted(set(failed)))
hs = [r for r in recs if r.get("type") == "tls" and r.get("what") == "handshake"]
smtp_flows = {r["flow"] for r in recs if r.get("type") == "smtp"}
mbox_flows = {r["flow"] for r in recs if r.get("type") in ("pop3", "imap")}
tls_flows = {r["flow"] for r in hs}
# 2-1: client > plain.smtp.a.test > spf.mx.b.test > imap.b.test; 4-4 the same length
if len(smtp_flows) != 6 or not smtp_flows <= tls_flows:
    bad.append("SMTP flows %s, TLS flows %s: every hop should be TLS" % (sorted(smtp_flows), sorted(tls_flows)))
if len(mbox_flows) != 3 or not mbox_flows <= tls_flows:
    bad.append("mailbox flows %s, TLS flows %s" % (sorted(mbox_flows), sorted(tls_flows)))
versions = sorted(r.get("version") for r in hs if r["flow"] in mbox_flows)
if versions != ["TLS 1.2", "TLS 1.3", "TLS 1.3"]:
    bad.append("mailbox TLS versions %s, wanted one TLS 1.2 (pop3s) and two TLS 1.3" % versions)
mail = [open(f, "rb").read() for f in glob.glob(os.path.join(tmp, "mail", "*"))]
if len(mail) != 2:
    bad.append("%d messages in the Maildir, wanted 2" % len(mail))
got = {"smtp": 0, "imap": 0, "pop3": 0}
for f in sorted(glob.glob(os.path.join(tmp, "export", "x", "*.eml"))):
    proto = os.path.basename(f).split("-", 1)[1][:-4]
    m = open(f, "rb").read().replace(b"\r\n", b"\n")
    got[proto] = got.get(proto, 0) + 1
    ok = any(d.endswith(m) for d in mail) if proto == "smtp" else m in mail
    if not ok:
        bad.append("%s: an exported %s message is not %s a Maildir file" %
                   (os.path.basename(f), proto, "the end of" if proto == "smtp" else ""))
if got != {"smtp": 6, "imap": 4, "pop3": 2}:
    bad.append("messages decrypted: %s, wanted 6 SMTP hops and the 2 messages read thrice" % got)
checked = [r for r in recs if r.get("type") == "verdict" and r.get("role") == "checking"
           and r.get("agreement") != "unchecked"]
if len(checked) < 4 or any(r["agreement"] != "agree" for r in checked):
    bad.append("checking-hop verdicts: %s" % [(r["method"], r["result"], r["agreement"]) for r in checked])
if strip(recs) != strip(dsb):
    bad.append("the pcapng with the secrets inside gives other records than --keylog")
print("lab with TLS: %d TLS sessions decrypted, messages %s, %d verdicts agree with the MXs'"
      % (len(hs), got, len(checked)))
for b in bad:
    print("FAIL: " + b)
sys.exit(1 if bad else 0)
EOF
