# lab/quiet.sh - quiet: true when no TCP connection between lab hosts is
# open (TIME-WAIT aside), seen from every namespace. Sourced by lab/send and
# lab/fetch, so that a capture stopped after them holds whole conversations.
quiet() {
	local h
	for h in $(hosts); do
		[ -z "$(in_ns "$h" ss -Htn state connected exclude time-wait "( dst $net.0.0/16 )")" ] || return 1
	done
}
