#!/bin/bash
# bench/dkim.sh [--perf] - --verify on many DKIM-signed messages against the
# crypto floor: what OpenSSL itself takes to check the same signatures
# (issue 18 point 4).
#
# The capture is bench/mkdkim's: ${DKIM_MESSAGES:-100000} messages of about
# 1 KiB, each signed with RSA-SHA256 (2048 bits) and Ed25519-SHA256, with
# the keys, SPF and DMARC records answered in the capture; made the first
# time into ${BENCH_DIR:-/var/tmp/smtpsniff-bench}/dkim.pcap (any user:
# it is written, not recorded).
#
# First, --verify --json must pass every signature, both per message: the
# signatures were made by bench/mkdkim, and this is where they are shown
# to be right. Then, from a warm page cache, the best of ${DKIM_RUNS:-3}
# runs each of the timeline (smtpsniff -r F: everything but the checks)
# and of --verify, in CPU time (user and system, both threads); the
# difference is what checking costs, DNS look-ups, SPF and DMARC included.
# The floor is `openssl speed` on one core: an RSA-2048 verification plus
# an Ed25519 verification, per message. The target is the checking's cost
# per message within 1.5 times that floor. --perf runs --verify under perf
# as well and says where its time goes: libopendkim per signature, and in
# it the RSA key decoding and verification, and the rest (Ed25519, hashes);
# SPF and DMARC.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
case ${BUILD:-build} in
/*) build=$BUILD ;;
*) build=$top/${BUILD:-build} ;;
esac
dir=${BENCH_DIR:-/var/tmp/smtpsniff-bench}
n=${DKIM_MESSAGES:-100000}
runs=${DKIM_RUNS:-3}
perf=0
[ "${1:-}" = --perf ] && perf=1
sniff=$build/smtpsniff
mk=$build/bench/mkdkim
for t in "$sniff" "$mk"; do
	[ -x "$t" ] || { echo "dkim.sh: no $t; build first (make build)" >&2; exit 1; }
done
command -v /usr/bin/time >/dev/null || { echo "dkim.sh: no /usr/bin/time" >&2; exit 1; }
command -v openssl >/dev/null || { echo "dkim.sh: no openssl" >&2; exit 1; }
mkdir -p "$dir"
cap=$dir/dkim.pcap
if [ ! -f "$cap" ] || [ "$(cat "$cap.messages" 2>/dev/null)" != "$n" ]; then
	echo "dkim.sh: writing $cap ($n messages, each signed twice)"
	"$mk" "$n" "$cap.part"
	mv "$cap.part" "$cap"
	echo "$n" >"$cap.messages"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Every signature must pass: 2 per message, nothing else.
"$sniff" -r "$cap" --verify --json >"$tmp/v.jsonl" || true
pass=$(grep -c '"type":"verdict","method":"dkim","result":"pass"' "$tmp/v.jsonl" || true)
all=$(grep -c '"type":"verdict","method":"dkim"' "$tmp/v.jsonl" || true)
if [ "$pass" != $((2 * n)) ] || [ "$all" != "$pass" ]; then
	echo "dkim.sh: $pass of $all DKIM verdicts pass, not $((2 * n)) of $((2 * n)): no timing" >&2
	exit 1
fi
echo "dkim.sh: $pass signatures checked, all pass"

# The best (least CPU) of $runs runs: prints "cpu wall rss".
best() {
	local i out=
	for ((i = 0; i < runs; i++)); do
		cat "$cap" >/dev/null
		/usr/bin/time -f '%U %S %e %M' -o "$tmp/t" "$@" >/dev/null 2>&1 || true
		local r
		r=$(awk '{ printf "%.3f %.3f %.1f\n", $1 + $2, $3, $4 / 1024 }' "$tmp/t")
		if [ -z "$out" ] || awk -v a="${r%% *}" -v b="${out%% *}" 'BEGIN { exit !(a < b) }'; then
			out=$r
		fi
	done
	echo "$out"
}
read -r t_cpu t_wall t_rss < <(best "$sniff" -r "$cap")
read -r v_cpu v_wall v_rss < <(best "$sniff" -r "$cap" --verify)

# openssl speed -mr: "+F2:i:2048:sign/s:verify/s", "+F6:i:253:Ed25519:sign/s:verify/s".
openssl speed -seconds 3 -mr rsa2048 ed25519 >"$tmp/speed" 2>/dev/null
rsa=$(awk -F: '/^\+F2:.*:2048:/ { print $5 }' "$tmp/speed")
ed=$(awk -F: '/^\+F6:.*:Ed25519:/ { print $6 }' "$tmp/speed")
[ -n "$rsa" ] && [ -n "$ed" ] || { echo "dkim.sh: no figures from openssl speed" >&2; exit 1; }

printf '%-28s %8s %8s %9s\n' run 'CPU s' 'wall s' 'RSS MB'
printf '%-28s %8s %8s %9s\n' "smtpsniff -r F" "$t_cpu" "$t_wall" "$t_rss"
printf '%-28s %8s %8s %9s\n' "smtpsniff -r F --verify" "$v_cpu" "$v_wall" "$v_rss"
awk -v n="$n" -v t="$t_cpu" -v v="$v_cpu" -v rsa="$rsa" -v ed="$ed" 'BEGIN {
	floor = 1e6 / rsa + 1e6 / ed
	per = (v - t) * 1e6 / n
	printf "openssl speed (one core): RSA-2048 %.0f verifications/s (%.1f us), Ed25519 %.0f/s (%.1f us)\n",
	       rsa, 1e6 / rsa, ed, 1e6 / ed
	printf "checking, per message (2 signatures, SPF, DMARC): %.1f us; floor %.1f us; ratio %.2f (target <= 1.5: %s)\n",
	       per, floor, per / floor, per / floor <= 1.5 ? "met" : "not met"
}'

[ $perf = 1 ] || exit 0
command -v perf >/dev/null || { echo "dkim.sh: no perf" >&2; exit 1; }
# DWARF call chains: Debian's libcrypto has no frame pointers. Shares are
# of all samples, each function with what it calls (perf's "children").
perf record -q -F 250 --call-graph dwarf,8192 -o "$tmp/perf.data" "$sniff" -r "$cap" --verify \
	>/dev/null 2>&1 || true
perf report -i "$tmp/perf.data" --children --sort sym --stdio --no-demangle 2>/dev/null >"$tmp/perf.txt"
share() { awk -v f="$1" '$1 ~ /%$/ && $NF == f { sub(/%/, "", $1); print $1; exit }' "$tmp/perf.txt"; }
sig=$(share dkim_sig_process) d2i=$(share ASN1_d2i_bio) rsav=$(share RSA_verify)
own=$(share dkimcheck_verify_parsed) spf=$(share spf_check) dmarc=$(share dmarc_check)
awk -v sig="${sig:-0}" -v d2i="${d2i:-0}" -v rsav="${rsav:-0}" -v own="${own:-0}" -v spf="${spf:-0}" \
	-v dmarc="${dmarc:-0}" 'BEGIN {
	printf "perf, share of --verify samples (with callees):\n"
	printf "  DKIM checks (dkimcheck_verify_parsed)      %5.1f%%\n", own
	printf "    libopendkim per signature (dkim_sig_process) %5.1f%%\n", sig
	printf "      decoding the RSA key (d2i_PUBKEY_bio)  %5.1f%%\n", d2i
	printf "      RSA verification (RSA_verify)          %5.1f%%\n", rsav
	printf "      the rest: Ed25519 verification, hashes %5.1f%%\n", sig - d2i - rsav
	printf "  SPF (spf_check)                            %5.1f%%\n", spf
	printf "  DMARC (dmarc_check)                        %5.1f%%\n", dmarc
}'
