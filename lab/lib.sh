# lab/lib.sh - what every lab command shares: the hosts, the state
# directory, and how daemons are started and stopped.
#
# Sourced by lab/up, lab/down, lab/send, lab/fetch, lab/record and lab/logs,
# never run. Each host is a network namespace named after it, joined to the
# bridge br-smtpbook (which lives in the root namespace, without an address)
# by a veth pair. Everything the running lab has lives under $state; every
# process it starts is listed in $state/pids as "PID STARTTIME NAME", so
# lab/down stops exactly those, by PID (STARTTIME guards against reuse).
# What the lab logged lives under $logs, which lab/down keeps.

lab=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$lab/.." && pwd)
state=/run/smtpbook
bridge=br-smtpbook
net=10.255
zones_src=${SMTPBOOK_ZONES:-$top/../shared/smtpbook/zones}
# The daemons' syslog, merged by the logserver (and their own output):
# kept by lab/down, replaced by the next lab/up.
logs=${LAB_LOGS:-/var/log/smtpbook}

# name               address          role (what up configures there)
hosts_table="
logserver            $net.0.253   logserver
dns.test             $net.0.254   dns
client.a.test        $net.1.10    client
plain.smtp.a.test    $net.1.20    relay
dkim.smtp.a.test     $net.1.21    signer
plain.mx.b.test      $net.2.30    mx
spf.mx.b.test        $net.2.31    mx-spf
dkim.mx.b.test       $net.2.32    mx-dkim
dmarc.mx.b.test      $net.2.33    mx-dmarc
imap.b.test          $net.2.40    mda
plain.smtp.x.test    $net.24.20   relay
dkim.smtp.x.test     $net.24.21   signer
"

die() { echo "lab: $*" >&2; exit 1; }

need_root() {
	[ "$(id -u)" = 0 ] || die "must run as root (it creates network namespaces, a bridge and daemons)"
}

# hosts [ROLE-GLOB]: the names of the hosts, all or those whose role matches.
hosts() {
	local n a r
	while read -r n a r; do
		[ -n "$n" ] || continue
		# shellcheck disable=SC2053
		[[ $r == ${1:-*} ]] && echo "$n"
	done <<<"$hosts_table"
	return 0
}
addr_of() { awk -v h="$1" '$1 == h { print $2 }' <<<"$hosts_table"; }
role_of() { awk -v h="$1" '$1 == h { print $3 }' <<<"$hosts_table"; }

# The veth end left on the bridge is named for the address (sb-2-33), short
# enough for IFNAMSIZ; the end inside the namespace is eth0.
port_of() { local a; a=$(addr_of "$1"); a=${a#"$net".}; echo "sb-${a/./-}"; }

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# The options lab/up was given (--opendkim, --tls, --dns-cache,
# --tz=ZONE), kept so that lab/send and lab/record know which lab is running.
opt() { grep -qx -- "$1" "$state/options" 2>/dev/null; }
# verifier_set: which verifiers the running lab has: rspamd (upstream's,
# the default) or opendkim (OpenDKIM, OpenDMARC and policyd-spf).
verifier_set() { if opt --opendkim; then echo opendkim; else echo rspamd; fi; }
# lab_tz: the hosts' time zone, upstream's unless lab/up was given --tz.
lab_tz() {
	local z
	z=$(sed -n 's/^--tz=//p' "$state/options" 2>/dev/null)
	echo "${z:-Asia/Tokyo}"
}

# nofds: closes every descriptor above 2 of this (sub)shell. Daemons inherit
# the caller's descriptors: one that kept a pipe of the caller's open would
# keep that pipe from ever ending.
nofds() {
	local fd
	for fd in /proc/$BASHPID/fd/*; do
		fd=${fd##*/}
		[ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
	done
	return 0
}

# on_host HOST CMD...: CMD as a process of HOST: in its network namespace,
# in its time zone, with its own /dev/log (lab/on-host). It replaces the
# (sub)shell that calls it, so that CMD keeps that shell's PID: call it in
# one, as in $(on_host ...).
on_host() {
	local h=$1
	shift
	exec ip netns exec "$h" "$lab/on-host" "$h" "$(lab_tz)" "$@"
}

# start HOST NAME CMD...: runs CMD on HOST as a daemon of the lab, in a
# session of its own, its output in $logs/NAME.log.
start() {
	local h=$1 name=$2
	shift 2
	(nofds; on_host "$h" setsid "$@") </dev/null >>"$logs/$name.log" 2>&1 &
	track "$!" "$name"
}

# starttime PID: when the process started (field 22 of /proc/PID/stat,
# counted after the command name, which may hold spaces); no fork, as
# lab/down asks this often.
starttime() {
	local s f
	read -r s 2>/dev/null <"/proc/$1/stat" || return 1
	read -r -a f <<<"${s##*) }"
	echo "${f[19]}"
}

# track PID NAME: remember a process the lab started.
track() {
	local st
	st=$(starttime "$1") || return 0
	echo "$1 $st $2" >>"$state/pids"
}

# alive PID STARTTIME: is this still the process the lab started, and not
# a zombie (dead, holding nothing, waiting for its parent, often init, to
# reap it)?
alive() {
	local s f
	read -r s 2>/dev/null <"/proc/$1/stat" || return 1
	read -r -a f <<<"${s##*) }"
	[ "${f[19]}" = "$2" ] && [ "${f[0]}" != Z ]
}

# listening NS PORT [PROTO]: is something in NS listening on PORT?
listening() {
	local p=${3:-t}
	[ -n "$(in_ns "$1" ss -Hl"$p"n "sport = :$2" 2>/dev/null)" ]
}

# wait_for SECONDS WHAT CMD...: polls CMD every 0.05 s until it succeeds.
wait_for() {
	local limit=$1 what=$2 i
	shift 2
	for ((i = 0; i < limit * 20; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	die "timed out waiting for $what"
}

# The scenarios: id, first hop, envelope sender, recipient, header From.
scenario_table="
1-1  imap.b.test        user1@a.test            user1@b.test        user1@a.test
1-2  plain.smtp.a.test  user1@a.test            user1@b.test        user1@a.test
2-1  plain.smtp.a.test  user1@a.test            user1@spf.b.test    user1@a.test
2-2  plain.smtp.x.test  user1@a.test            user1@spf.b.test    user1@a.test
3-1  dkim.smtp.a.test   user1@pass.dkim.a.test  user1@dkim.b.test   user1@pass.dkim.a.test
3-2  dkim.smtp.a.test   user1@fail.dkim.a.test  user1@dkim.b.test   user1@fail.dkim.a.test
4-1  dkim.smtp.a.test   user1@pass.dkim.a.test  user1@dmarc.b.test  user1@pass.dkim.a.test
4-2  dkim.smtp.a.test   user1@fail.dkim.a.test  user1@dmarc.b.test  user1@fail.dkim.a.test
4-3  dkim.smtp.x.test   user1@pass.dkim.a.test  user1@dmarc.b.test  user1@pass.dkim.a.test
4-4  dkim.smtp.a.test   user1@a.test            user1@dmarc.b.test  user1@x.test
"
scenarios() { awk 'NF { print $1 }' <<<"$scenario_table"; }
scenario() { awk -v s="${1#scenario}" '$1 == s' <<<"$scenario_table"; }

# Where imap.b.test's Postfix delivers and Dovecot reads.
maildir=$state/imap.b.test/mail/user1/Maildir

# log_size: the bytes the logserver has merged so far.
log_size() { stat -c %s "$logs/syslog" 2>/dev/null || echo 0; }

# logs_settled FROM: true when every Postfix queue ID logged since byte FROM
# of the merged log has been removed from its queue, and the log has not
# grown for half a second: then the servers have said all they will about
# what happened since, and a capture stopped now holds their lines.
logs_settled() {
	local from=$1 a b
	a=$(log_size)
	sleep 0.5
	b=$(log_size)
	[ "$a" = "$b" ] || return 1
	# (no queue ID at all, as after a POP3 session, is settled too)
	tail -c +$((from + 1)) "$logs/syslog" |
		{ grep -oE 'postfix/[a-z]+\[[0-9]+\]: +[0-9A-F]{6,}: (removed)?' || true; } |
		awk '{ gone[$2] += $3 == "removed" } END { for (q in gone) if (!gone[q]) exit 1 }'
}
