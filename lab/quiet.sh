# lab/quiet.sh - quiet: true when no TCP connection between lab hosts is
# open (TIME-WAIT aside), seen from every namespace. Sourced by lab/up,
# lab/send and lab/fetch, so that a capture stopped after them holds whole
# conversations. open_connections lists those still open, host by host.
open_connections() {
	local h
	for h in $(hosts); do
		in_ns "$h" ss -Htn state connected exclude time-wait "( dst $net.0.0/16 )" 2>/dev/null | sed "s/^/$h: /"
	done
}
quiet() { [ -z "$(open_connections)" ]; }

# wait_quiet SECONDS: waits for quiet; on time-out says which are open.
wait_quiet() {
	local i
	for ((i = 0; i < $1 * 20; i++)); do
		quiet && return 0
		sleep 0.05
	done
	die "timed out waiting for the lab's connections to close: $(open_connections | tr '\n' ';')"
}
