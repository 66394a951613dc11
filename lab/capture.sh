# lab/capture.sh - capture: one recording of the running lab, by smtpsniff
# itself on br-smtpbook, with the logserver's lines of the same time.
#
# Sourced by lab/record and lab/record-lmtp, after lib.sh. The caller sets
# $sniff (the smtpsniff binary) and $out (the folder), and its EXIT trap
# stops a capture still running ($cap, its PID, empty when none runs).
cap=""

promiscuity() { ip -d link show "$bridge" | grep -o 'promiscuity [0-9]*' | awk '{ print $2 }'; }

# capture NAME CMD...: runs CMD while smtpsniff writes $out/NAME.pcap; the
# lines the logserver merged meanwhile go to $out/NAME.log. CMD (lab/send,
# lab/fetch) returns once the servers have logged all they will about it.
capture() {
	local name=$1 before at err=$logs/record-$1.err
	shift
	before=$(promiscuity)
	"$sniff" -i "$bridge" -w "$out/$name.pcap" >/dev/null 2>"$err" &
	cap=$!
	# libpcap has the device once it has made the bridge promiscuous.
	wait_for 10 "smtpsniff to open $bridge" eval '[ "$(promiscuity)" -gt "$before" ]'
	sleep 0.2
	at=$(log_size)
	"$@"
	kill -INT "$cap"
	wait "$cap" || die "smtpsniff failed recording $name (see $err)"
	cap=""
	grep -q '^0 packets dropped by kernel' "$err" ||
		die "the kernel dropped packets recording $name: $(cat "$err")"
	tail -c +$((at + 1)) "$logs/syslog" >"$out/$name.log"
}
