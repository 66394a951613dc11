# lab/syslog.sh - every host's syslog, forwarded to the logserver over UDP
# 514 and merged there into one file, as in upstream's lab.
#
# Sourced by lab/up. Upstream's base image gives each container an rsyslogd
# that forwards everything to logserver (10.255.0.253) in rsyslog's
# traditional forward format ("*.* @10.255.0.253:514"), with $PreserveFQDN
# on, the host's name as $LocalHostName, control characters passed through
# and repeated lines reduced (Ubuntu's rsyslog.conf); the logserver writes
# every line it receives with upstream's RemoteLog template into one file.
# Here each host's rsyslogd reads the socket lab/on-host makes its daemons'
# /dev/log, and runs in the host's namespace, so its datagrams cross the
# bridge from the host's own address: every capture on br-smtpbook holds
# them, as a capture on upstream's Docker bridge does. The merged file is
# $logs/syslog.

# rsyslog_host HOST: HOST's rsyslogd, forwarding to the logserver.
rsyslog_host() {
	local h=$1 d=$state/$1/rsyslog
	mkdir -p "$d"
	cat >"$d/rsyslog.conf" <<-EOF
	# rsyslog on $h (made by lab/up): forwards every line to the logserver.
	global(workDirectory="$d" localHostName="$h" preserveFQDN="on"
	       parser.escapeControlCharactersOnReceive="off")
	module(load="imuxsock" SysSock.Name="$state/$h/syslog.sock")
	\$RepeatedMsgReduction on
	*.* @$(addr_of logserver):514
	EOF
	start "$h" "rsyslog-$h" rsyslogd -n -i NONE -f "$d/rsyslog.conf"
}

# rsyslog_logserver: the logserver's rsyslogd, writing what it receives
# (UDP and TCP 514) as upstream's does. It looks no sender up in DNS: the
# lines name their hosts, and a lookup would add queries to the captures.
rsyslog_logserver() {
	local h=logserver d=$state/logserver/rsyslog a
	a=$(addr_of logserver)
	mkdir -p "$d"
	cat >"$d/rsyslog.conf" <<-EOF
	# rsyslog on the logserver (made by lab/up): one merged file.
	global(workDirectory="$d" localHostName="$h" preserveFQDN="on" net.enableDNS="off"
	       parser.escapeControlCharactersOnReceive="off")
	module(load="imudp")
	input(type="imudp" address="$a" port="514")
	module(load="imtcp")
	input(type="imtcp" address="$a" port="514")
	template(name="RemoteLog" type="string"
	         string="%timegenerated:::date-rfc3339% %HOSTNAME:1:24:fixed-width% %syslogtag:1:24:fixed-width%%msg%\\n")
	*.* action(type="omfile" file="$logs/syslog" template="RemoteLog")
	EOF
	start "$h" rsyslog-logserver rsyslogd -n -i NONE -f "$d/rsyslog.conf"
}

# start_syslog: the logserver, then every other host's forwarder; returns
# once they all listen, so that no daemon's first lines are lost.
start_syslog() {
	local h
	: >"$logs/syslog"
	rsyslog_logserver
	for h in $(hosts); do
		[ "$h" = logserver ] || rsyslog_host "$h"
	done
	wait_for 20 "the logserver to listen" listening logserver 514 u
	for h in $(hosts); do
		[ "$h" = logserver ] && continue
		wait_for 20 "rsyslogd on $h" test -S "$state/$h/syslog.sock"
	done
}
