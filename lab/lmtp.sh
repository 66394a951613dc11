# lab/lmtp.sh - LMTP (RFC 2033) in the lab: plain.mx.b.test's Postfix hands
# b.test's mail by its lmtp(8) client to a Dovecot LMTP server on
# imap.b.test, port 24, across the bridge.
#
# Sourced by lab/record-lmtp, after lib.sh, on a lab of its own: it changes
# plain.mx.b.test's Postfix for the rest of that lab's life. The LMTP
# server is a second Dovecot instance beside the lab's (its own base, state
# and user folders under $lmtp; started with `start`, so lab/down stops it
# with the rest), which tells three kinds of recipient apart:
#   user1  delivered to $lmtp/home/user1/Maildir
#   user2  accepted at RCPT, refused after the final dot: a quota of
#          100 bytes (Dovecot checks quota at RCPT only with
#          lmtp_rcpt_check_quota, off by default), so RFC 2033's
#          per-recipient replies differ: 250 for user1, 552 for user2
#   other  no such user: 550 5.1.1 at RCPT
# Users are looked up by local part (username_format=%n), as user1 logs in
# to the lab's own Dovecot.
lmtp=$state/imap.b.test/lmtp
lmtp_port=24

# lmtp_dovecot_start: the LMTP server, listening on imap.b.test:24.
lmtp_dovecot_start() {
	local h=imap.b.test u
	mkdir -p "$lmtp/run" "$lmtp/state" "$lmtp/home/user1" "$lmtp/home/user2"
	chown nobody:nogroup "$lmtp/home/user1" "$lmtp/home/user2"
	u="$(id -u nobody):$(id -g nobody)"
	# passwd-file: user:password:uid:gid:gecos:home:shell:extra fields
	cat >"$lmtp/passwd" <<-EOF2
	user1:{PLAIN}password:$u::$lmtp/home/user1::
	user2:{PLAIN}password:$u::$lmtp/home/user2::userdb_quota_rule=*:storage=100B
	EOF2
	cat >"$lmtp/dovecot.conf" <<-EOF2
	# Dovecot's LMTP server on $h (made by lab/record-lmtp).
	base_dir = $lmtp/run
	state_dir = $lmtp/state
	instance_name = dovecot-lmtp
	hostname = $h
	protocols = lmtp
	listen = $(addr_of $h)
	ssl = no
	passdb {
	  driver = passwd-file
	  args = scheme=PLAIN username_format=%n $lmtp/passwd
	}
	userdb {
	  driver = passwd-file
	  args = username_format=%n $lmtp/passwd
	}
	mail_location = maildir:~/Maildir
	mail_plugins = quota
	plugin {
	  quota = maildir:User quota
	}
	service lmtp {
	  inet_listener lmtp {
	    port = $lmtp_port
	  }
	}
	EOF2
	start "$h" dovecot-lmtp dovecot -F -c "$lmtp/dovecot.conf"
	wait_for 20 "Dovecot LMTP to listen on $h:$lmtp_port" listening "$h" "$lmtp_port"
}

# lmtp_postfix: plain.mx.b.test delivers b.test by LMTP to imap.b.test
# (instead of relaying it by SMTP), one connection per message, closed at
# once; its pickup service takes what sendmail(1) drops there.
lmtp_postfix() {
	local h=plain.mx.b.test c=$state/plain.mx.b.test/postfix
	postconf -c "$c" -M "lmtp/unix=lmtp unix - - n - - lmtp" \
		"pickup/unix=pickup unix n - n 60 1 pickup"
	postconf -c "$c" -e "transport_maps = inline:{ b.test=lmtp:inet:[$(addr_of imap.b.test)]:$lmtp_port }" \
		"lmtp_cache_connection = no" "lmtp_connection_cache_on_demand = no"
	(nofds; on_host "$h" postfix -c "$c" reload) </dev/null >>"$logs/postfix-$h.start" 2>&1 ||
		die "postfix on $h did not reload"
}

# lmtp_delivered: has user1 a message?
lmtp_delivered() { [ -n "$(ls -A "$lmtp/home/user1/Maildir/new" 2>/dev/null)" ]; }

# lmtp_settled FROM: true when plain.mx.b.test's queue is empty, every
# message it logged since byte FROM of the merged log is removed, and the
# log has not grown for half a second. (logs_settled would wait for ever:
# the bounce(8) notice for the refused recipients is opened - its cleanup
# logs a message-id - and then cancelled, as none of them wants one, so
# that queue ID is never "removed".)
lmtp_settled() {
	local from=$1 a b
	a=$(log_size)
	sleep 0.5
	b=$(log_size)
	[ "$a" = "$b" ] || return 1
	in_ns plain.mx.b.test postqueue -c "$state/plain.mx.b.test/postfix" -p 2>/dev/null |
		grep -q '^Mail queue is empty' || return 1
	tail -c +$((from + 1)) "$logs/syslog" |
		{ grep -oE 'postfix/(qmgr|lmtp)\[[0-9]+\]: +[0-9A-F]{6,}: (removed)?' || true; } |
		awk '{ gone[$2] += $3 == "removed" } END { for (q in gone) if (!gone[q]) exit 1 }'
}

# lmtp_send FILE FROM RCPT...: FILE submitted on plain.mx.b.test with
# sendmail(1): -i, as a line of a dot alone is the message's, not its end;
# -N never, DSN NOTIFY=NEVER for every recipient (RFC 3461), so that no
# bounce to FROM follows the refused ones and the capture holds the LMTP
# session alone. Returns once user1 has it, no lab connection is open and
# the servers have logged all they will about it.
lmtp_send() {
	local file=$1 from=$2 at
	shift 2
	at=$(log_size)
	(nofds; on_host plain.mx.b.test sendmail -C "$state/plain.mx.b.test/postfix" -i -N never -f "$from" -- "$@") \
		<"$file" || die "sendmail on plain.mx.b.test failed"
	wait_for 30 "user1 to have the message (see lab/logs)" lmtp_delivered
	wait_quiet 10
	wait_for 10 "the servers' logs about the message" lmtp_settled "$at"
}
