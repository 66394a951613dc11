#!/bin/bash
# privs.sh - once the capture is open, smtpsniff keeps no privilege
# (capture/privs.h), read from the kernel's own account of the running
# process (/proc/PID/status, proc(5)) while it parses:
#  - as root with -Z nobody: uid 65534, every capability set empty, the
#    bounding set included, NoNewPrivs 1;
#  - as root without -Z: uid 0 still, but every set empty and NoNewPrivs 1;
#  - as nobody running a copy with file capabilities cap_net_raw and
#    cap_net_admin (setcap, libcap2-bin): CapPrm and CapEff 0 (the bounding
#    set stays: only CAP_SETPCAP may change it), NoNewPrivs 1;
#  - -Z naming another user when not root: exit 3 and why, not ignored;
#    -Z naming the user it runs as: fine.
# The input is a FIFO fed a pcap header and then held open, so the process
# is alive, past source_open, waiting for its first frame.
#
# Usage: privs.sh SMTPSNIFF SRCDIR   (skips, 77, unless root with setpriv)
set -uo pipefail
sniff=$1 src=$2
. "$(dirname "$0")/lib.sh"
pcap=$src/pcaps/smtp-sink.pcap
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	echo "skip: needs root and setpriv (util-linux)"
	exit 77
fi
asnobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
chmod 755 "$t"
mkfifo "$t/in"
chmod 666 "$t/in"
cp "$sniff" "$t/sniff"
chmod 755 "$t/sniff"

# watch WHAT WANT-UID WANT-BND CMD...: runs CMD reading the FIFO, and
# checks its status lines while it waits for a frame.
watch() {
	local what=$1 uid=$2 bnd=$3
	shift 3
	(
		head -c 24 "$pcap"
		sleep 4
	) >"$t/in" &
	local feeder=$!
	"$@" -r "$t/in" >"$t/out" 2>"$t/err" &
	local pid=$! st="" now i
	for i in $(seq 30); do # until it is past the drop, or 3 s
		sleep 0.1
		now=$(cat "/proc/$pid/status" 2>/dev/null) || break
		st=$now
		grep -q '^NoNewPrivs:.1' <<<"$st" && break
	done
	wait "$pid"
	local rc=$?
	wait "$feeder"
	[ "$rc" = 0 ] && pass "$what: exit 0" || bad "$what: exit $rc: $(cat "$t/err")"
	field() { awk -v k="$1:" '$1 == k {print $2; exit}' <<<"$st"; }
	[ "$(field Uid)" = "$uid" ] && pass "$what: uid $uid" || bad "$what: uid $(field Uid), want $uid"
	local k
	for k in CapInh CapPrm CapEff CapAmb; do
		[ "$(field $k)" = 0000000000000000 ] && pass "$what: $k empty" ||
			bad "$what: $k $(field $k)"
	done
	if [ "$bnd" = empty ]; then
		[ "$(field CapBnd)" = 0000000000000000 ] && pass "$what: CapBnd empty" ||
			bad "$what: CapBnd $(field CapBnd)"
	fi
	[ "$(field NoNewPrivs)" = 1 ] && pass "$what: NoNewPrivs 1" ||
		bad "$what: NoNewPrivs $(field NoNewPrivs)"
}

watch "root, -Z nobody" 65534 empty "$sniff" -Z nobody
watch "root, no -Z" 0 empty "$sniff"

# The file-capability copy: these are what a live capture needs, and what
# the parser must not keep.
if setcap cap_net_raw,cap_net_admin+ep "$t/sniff" 2>/dev/null &&
	getcap "$t/sniff" | grep -q cap_net_raw; then
	watch "nobody with file capabilities" 65534 kept \
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$t/sniff"
else
	echo "skip file capabilities: setcap failed here (no libcap2-bin, or no xattrs on $t)"
fi

# -Z as someone else without root: refused (3) and said.
status 3 "-Z root as nobody" -- asnobody "$t/sniff" -r "$pcap" -Z root
grep -q -- '-Z: cannot become root: only root can' "$t/err" && pass "-Z root as nobody says why" ||
	bad "-Z root as nobody: $(cat "$t/err")"
status 3 "-Z a user that does not exist" -- "$sniff" -r "$pcap" -Z no-such-user-here
status 0 "-Z nobody as nobody" -- asnobody "$t/sniff" -r "$pcap" -Z nobody
exit $fail
