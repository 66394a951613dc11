#!/bin/bash
# idle.sh - a live capture (-i) keeps time on an idle link: after a few
# frames and then silence, the -w file holds those frames within a second
# (the flush), SIGUSR1 prints the statistics at once, an idle UDP flow is
# ended by its timeout while no frame comes (the idle tick), and SIGINT
# ends the capture at once, yet without losing the frames that came just
# before it; and SIGINT amid a stream of datagrams leaves the kernel's
# count of frames received equal to the frames read and written. Before the capture waited in poll() itself, all
# four waited for the next frame (libpcap 1.10's blocking read does not
# return on its timeout).
#
# The truth for the frames is tcpdump's reading of the -w file; the times
# are measured here, against deadlines of a second or two (smtpsniff wakes
# every 100 ms).
#
# Usage: idle.sh SMTPSNIFF [OPTION...]
# The OPTIONs go to every capture (--workers 2: the reading thread hands
# over what it queued whenever it waits for frames).
# Needs root, network namespaces and tcpdump; exits 77 (skipped) without
# them. Addresses are 192.0.2.0/24, inside the test's own namespaces only.
set -uo pipefail
sniff=$1
shift
extra=("$@")
if [ "$(id -u)" != 0 ]; then echo "skipped: live capture needs root"; exit 77; fi
command -v tcpdump >/dev/null || { echo "skipped: no tcpdump"; exit 77; }
tag=ssidle$$
a=$tag-a b=$tag-b
if ! ip netns add "$a" 2>/dev/null; then echo "skipped: cannot create network namespaces"; exit 77; fi
t=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del "$a" 2>/dev/null
	ip netns del "$b" 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "kept $t" || rm -rf "$t"
}
trap cleanup EXIT
ip netns add "$b"
# No IPv6: its router solicitations and neighbour discovery would be frames
# on a link that must stay idle.
for n in "$a" "$b"; do
	ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add "$tag"a netns "$a" type veth peer name "$tag"b netns "$b"
ip -n "$a" addr add 192.0.2.1/24 dev "$tag"a
ip -n "$b" addr add 192.0.2.2/24 dev "$tag"b
for n in "$a" "$b"; do ip -n "$n" link set lo up; done
ip -n "$a" link set "$tag"a up
ip -n "$b" link set "$tag"b up
# Each side knows the other's MAC address: no ARP on the link, so that
# the datagrams below are the only frames, and then nothing comes.
maca=$(ip netns exec "$a" cat /sys/class/net/"$tag"a/address)
macb=$(ip netns exec "$b" cat /sys/class/net/"$tag"b/address)
ip -n "$a" neigh replace 192.0.2.2 lladdr "$macb" dev "$tag"a nud permanent
ip -n "$b" neigh replace 192.0.2.1 lladdr "$maca" dev "$tag"b nud permanent
fail=0
bad() { echo "FAIL $*"; fail=1; }
now() { date +%s%N; }
ms() { echo $((($(now) - $1) / 1000000)); }
# within MS CMD...: true once CMD succeeds, polled every 20 ms for MS ms.
within() {
	local until=$(($(now) + $1 * 1000000))
	shift
	while :; do
		"$@" && return 0
		[ "$(now)" -gt "$until" ] && return 1
		sleep 0.02
	done
}
udp_frames() { tcpdump -r "$t/idle.pcap" -n 'udp port 9999' 2>/dev/null | wc -l; }
has() { [ "$(udp_frames)" = "$1" ]; }
said() { grep -q "$1" "$2"; }

# A socket that takes the datagrams, so that no ICMP port unreachable answers them.
ip netns exec "$a" /usr/bin/python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.1", 9999))
time.sleep(600)' &
pids+=($!)
# capture NAME OPTION...: a capture of the link into $t/NAME.pcap, its
# output in $t/NAME.out and .err, its pid in cap, once it listens.
capture() {
	local name=$1
	shift
	ip netns exec "$a" "$sniff" "${extra[@]}" -i "$tag"a -w "$t/$name.pcap" --flows --json "$@" \
		>"$t/$name.out" 2>"$t/$name.err" </dev/null &
	cap=$!
	pids+=($cap)
	within 5000 said 'listening on' "$t/$name.err" ||
		{ echo "FAIL the capture never started"; cat "$t/$name.err"; exit 1; }
	sleep 0.3 # the ring is bound once libpcap says it listens; some slack for slow machines
}
capture idle --udp-timeout=1

# 1. Five datagrams, then silence: the -w file holds them within a second.
# one socket, so one flow of 5 datagrams
ip netns exec "$b" bash -c 'exec 3>/dev/udp/192.0.2.1/9999; for i in 1 2 3 4 5; do echo datagram$i >&3; done'

t0=$(now)
if within 1000 has 5; then
	echo "ok   -w holds the 5 datagrams $(ms "$t0") ms after the last, on an idle link"
else
	bad "-w: $(udp_frames) of 5 datagrams in the file after $(ms "$t0") ms of silence"
fi

# 2. The idle UDP flow ends by its timeout (1 s) while nothing comes.
if within 2500 said '"type":"flow".*"close":"idle"' "$t/idle.out"; then
	echo "ok   the idle UDP flow ended by --udp-timeout=1 $(ms "$t0") ms after the last datagram"
else
	bad "idle tick: no flow ended as idle $(ms "$t0") ms after the last datagram: $(cat "$t/idle.out")"
fi
grep -q '"type":"flow".*"proto":"udp".*"packets":5,.*"close":"idle"' "$t/idle.out" ||
	bad "the idle flow does not count the 5 datagrams: $(grep '"flow"' "$t/idle.out")"

# 3. SIGUSR1 while idle: the statistics come at once (--json: a progress record).
t1=$(now)
kill -USR1 "$cap"
if within 1000 said '"type":"progress"' "$t/idle.out"; then
	echo "ok   SIGUSR1 printed the statistics after $(ms "$t1") ms, on an idle link"
else
	bad "SIGUSR1: no statistics $(ms "$t1") ms later"
fi
grep -q '"type":"progress".*"frames":5,.*"udp_datagrams":5,.*"received":5,"dropped":0,' "$t/idle.out" ||
	bad "SIGUSR1: $(grep '"progress"' "$t/idle.out") (5 datagrams were sent, nothing else)"

# 4. SIGINT while idle: the capture ends at once, with status 0.
t2=$(now)
kill -INT "$cap"
if within 1000 eval '! kill -0 '"$cap"' 2>/dev/null'; then
	wait "$cap"
	st=$?
	[ $st = 0 ] && echo "ok   SIGINT ended the idle capture after $(ms "$t2") ms, status 0" ||
		bad "SIGINT: status $st"
else
	bad "SIGINT: still running $(ms "$t2") ms later"
fi
has 5 && echo "ok   the closed -w file holds the 5 datagrams (tcpdump -r)" ||
	bad "the closed -w file holds $(udp_frames) datagrams"
grep -q '"type":"summary".*"frames":5,.*"received":5,"dropped":0,' "$t/idle.out" ||
	bad "summary: $(grep '"summary"' "$t/idle.out")"

# 5. SIGINT right after frames: those the kernel had received are still
# read (it holds a block that is not full for up to 100 ms), not lost.
capture last
ip netns exec "$b" bash -c 'exec 3>/dev/udp/192.0.2.1/9999; for i in 1 2 3; do echo last$i >&3; done'
kill -INT "$cap"
wait "$cap"
n=$(tcpdump -r "$t/last.pcap" -n 'udp port 9999' 2>/dev/null | wc -l)
grep -q '"type":"summary".*"frames":3,.*"received":3,"dropped":0,' "$t/last.out" && [ "$n" = 3 ] &&
	echo "ok   SIGINT right after 3 datagrams: all 3 read and in the -w file" ||
	bad "SIGINT right after 3 datagrams: $n in the -w file; $(grep '"summary"' "$t/last.out")"

# 6. SIGINT while datagrams keep coming: what the kernel counts as
# received is what was read and written, no more (the socket is sealed at
# the signal; before, frames after it were counted and never read).
capture busy
ip netns exec "$b" /usr/bin/python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3000):
    s.sendto(b"busy%d" % i, ("192.0.2.1", 9999))
    time.sleep(0.001)' &
sender=$!
pids+=($sender)
sleep 1
kill -INT "$cap"
wait "$cap"
wait "$sender"
n=$(tcpdump -r "$t/busy.pcap" -n 'udp port 9999' 2>/dev/null | wc -l)
sum=$(grep '"summary"' "$t/busy.out")
frames=$(sed -n 's/.*"frames":\([0-9]*\),.*/\1/p' <<<"$sum")
received=$(sed -n 's/.*"received":\([0-9]*\),.*/\1/p' <<<"$sum")
if [ -n "$frames" ] && [ "$frames" = "$received" ] && [ "$n" = "$frames" ] && [ "$n" -gt 100 ] &&
	[ "$n" -lt 3000 ] && grep -q '"dropped":0,' <<<"$sum"; then
	echo "ok   SIGINT amid a stream of datagrams: $received received, $frames read, $n in the -w file"
else
	bad "SIGINT amid a stream: $n in the -w file; $sum"
fi
exit $fail
