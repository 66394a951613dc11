# lab/postfix.sh - one Postfix instance per mail host, each with its own
# configuration, queue and data directories under $state/HOST.
#
# Sourced by lab/up. No daemon is chrooted: a chrooted one would not see the
# namespace's /etc/resolv.conf, which `ip netns exec` bind-mounts from
# /etc/netns/HOST/. Postfix logs to syslog, which reaches the logserver
# (lab/syslog.sh). Every instance has what upstream's image sets for all:
# no X-Original-To (enable_original_recipient = no), no Delivered-To
# (prepend_delivered_header empty).
#
# Roles: relay and signer (plain/dkim.smtp.*) send to the recipient
# domain's MX; mx* (the four *.mx.b.test) relay everything to imap.b.test;
# mda (imap.b.test) delivers b.test and its subdomains locally, as
# upstream's does (local(8), "delivered to maildir"), to user1's Maildir,
# by an alias instead of a Unix account. The checks each MX runs are set by
# lab/verifiers.sh.

postfix_master_cf() {
	cat <<-'EOF'
	# Postfix services of a lab host (made by lab/up): none chrooted.
	smtp      inet  n       -       n       -       -       smtpd
	cleanup   unix  n       -       n       -       0       cleanup
	qmgr      unix  n       -       n       300     1       qmgr
	tlsmgr    unix  -       -       n       1000?   1       tlsmgr
	rewrite   unix  -       -       n       -       -       trivial-rewrite
	bounce    unix  -       -       n       -       0       bounce
	defer     unix  -       -       n       -       0       bounce
	trace     unix  -       -       n       -       0       bounce
	verify    unix  -       -       n       -       1       verify
	flush     unix  n       -       n       1000?   0       flush
	proxymap  unix  -       -       n       -       -       proxymap
	proxywrite unix -       -       n       -       1       proxymap
	smtp      unix  -       -       n       -       -       smtp
	relay     unix  -       -       n       -       -       smtp
	showq     unix  n       -       n       -       -       showq
	error     unix  -       -       n       -       -       error
	retry     unix  -       -       n       -       -       error
	discard   unix  -       -       n       -       -       discard
	virtual   unix  -       n       n       -       -       virtual
	anvil     unix  -       -       n       -       1       anvil
	scache    unix  -       -       n       -       1       scache
	local     unix  -       n       n       -       -       local
	EOF
}

# postfix_config HOST: writes $state/HOST/postfix/{main,master}.cf.
postfix_config() {
	local h=$1 role d=$state/$1
	role=$(role_of "$h")
	mkdir -p "$d/postfix" "$d/spool" "$d/data"
	chown postfix "$d/data"
	postfix_master_cf >"$d/postfix/master.cf"
	cat >"$d/postfix/main.cf" <<-EOF
	# Postfix on $h, role $role (made by lab/up).
	compatibility_level = 3.6
	myhostname = $h
	myorigin = \$myhostname
	inet_interfaces = all
	inet_protocols = ipv4
	mynetworks = 127.0.0.0/8 $net.0.0/16
	smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
	queue_directory = $d/spool
	data_directory = $d/data
	alias_database =
	enable_original_recipient = no
	prepend_delivered_header =
	biff = no
	append_dot_mydomain = no
	readme_directory = no
	smtputf8_enable = no
	# One message, one connection, closed at once: no cached connection
	# lingers past the message, so a capture ends with every flow closed.
	smtp_connection_cache_on_demand = no
	EOF
	# Only imap.b.test delivers anything itself.
	[ "$role" = mda ] || printf 'mydestination =\nalias_maps =\nlocal_recipient_maps =\n' >>"$d/postfix/main.cf"
	case $role in
	mx*) echo "relayhost = imap.b.test" >>"$d/postfix/main.cf" ;;
	mda)
		mkdir -p "$state/$h/mail"
		chown nobody:nogroup "$state/$h/mail"
		# Upstream's mydestination. user1 is an alias for its Maildir
		# (the trailing / makes it one), written with default_privs'
		# rights (nobody), which Dovecot reads with.
		cat >>"$d/postfix/main.cf" <<-EOF
		mydestination = \$myhostname, b.test, plain.b.test, spf.b.test, dkim.b.test, dmarc.b.test
		alias_maps = inline:{ user1=$maildir/ }
		local_recipient_maps = \$alias_maps
		EOF
		;;
	esac
	opt --tls && postfix_tls "$h"
	return 0
}

# postfix_tls HOST: Debian's TLS for the instance. Debian's postfix package
# makes every server offer STARTTLS and every client use it when offered
# (security level "may" both ways, its snakeoil certificate: here one
# self-signed for the lab), and master.cf's submission service: port 587,
# TLS first, then AUTH (Cyrus SASL from a sasldb of the instance's own,
# user1 with the password "password", as Dovecot's; Debian's Postfix reads
# the SASL settings from sasl/smtpd.conf in its configuration directory).
# Postfix hands its daemons only the environment named in
# import_environment: the key log library and the file it writes go there
# (lab/keylog.c).
postfix_tls() {
	local h=$1 s=$state/$1/postfix/sasl
	mkdir -p "$s"
	printf 'pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\nsasldb_path: %s\n' \
		"$s/sasldb2" >"$s/smtpd.conf"
	echo password | saslpasswd2 -p -c -f "$s/sasldb2" -u "$h" user1
	chown root:postfix "$s/sasldb2"
	chmod 640 "$s/sasldb2"
	cat >>"$d/postfix/main.cf" <<-EOF
	smtpd_tls_security_level = may
	smtpd_tls_cert_file = $state/tls/cert.pem
	smtpd_tls_key_file = $state/tls/key.pem
	smtp_tls_security_level = may
	smtpd_sasl_local_domain = \$myhostname
	import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C POSTLOG_SERVICE POSTLOG_HOSTNAME
	  LD_PRELOAD=$state/tls/keylog.so SSLKEYLOGFILE=$state/tls/keylog/$h-postfix.keylog
	EOF
	cat >>"$d/postfix/master.cf" <<-'EOF'
	submission inet n       -       n       -       -       smtpd
	  -o syslog_name=postfix/submission
	  -o smtpd_tls_security_level=encrypt
	  -o smtpd_sasl_auth_enable=yes
	  -o smtpd_tls_auth_only=yes
	  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
	EOF
}

# postfix_start HOST: starts the instance (`postfix start` checks it and
# makes its queue directories first); its master writes the PID we track.
postfix_start() {
	local h=$1 d=$state/$1 pid
	(nofds; on_host "$h" setsid postfix -c "$d/postfix" start) </dev/null >>"$logs/postfix-$h.start" 2>&1 ||
		die "postfix did not start on $h (see $logs/)"
	pid=$(tr -d ' ' <"$d/spool/pid/master.pid")
	track "$pid" "postfix-$h"
}
