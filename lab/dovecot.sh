# lab/dovecot.sh - imap.b.test: Dovecot serves user1's Maildir over IMAP
# and POP3 (password "password", in the clear: it is a lab to be watched;
# with lab/up --tls, also over STARTTLS/STLS and on 993 and 995).
#
# Sourced by lab/up. Its own base and state directories under $state, so
# it shares nothing with a Dovecot of the machine; it logs to syslog, which
# reaches the logserver (lab/syslog.sh).

dovecot_start() {
	local h=imap.b.test d=$state/imap.b.test/dovecot
	mkdir -p "$d/run" "$d/state"
	echo "user1:{PLAIN}password" >"$d/passwd"
	{
		cat <<-EOF
		# Dovecot on $h (made by lab/up).
		base_dir = $d/run
		state_dir = $d/state
		protocols = imap pop3
		listen = $(addr_of $h)
		disable_plaintext_auth = no
		auth_mechanisms = plain
		passdb {
		  driver = passwd-file
		  args = scheme=PLAIN $d/passwd
		}
		# Postfix's local(8) delivers as nobody; Dovecot reads as nobody.
		userdb {
		  driver = static
		  args = uid=nobody gid=nogroup home=$state/$h/mail/user1
		}
		mail_location = maildir:~/Maildir
		EOF
		if opt --tls; then
			# STARTTLS and STLS on 143 and 110, and Dovecot's own
			# listeners for implicit TLS, imaps (993) and pop3s (995).
			# Its daemons get the key log library the way Postfix's do
			# (lab/keylog.c): through import_environment.
			printf 'ssl = yes\nssl_cert = <%s\nssl_key = <%s\n' "$state/tls/cert.pem" "$state/tls/key.pem"
			printf 'import_environment = TZ LD_PRELOAD=%s SSLKEYLOGFILE=%s\n' \
				"$state/tls/keylog.so" "$state/tls/keylog/$h-dovecot.keylog"
		else
			echo "ssl = no"
		fi
	} >"$d/dovecot.conf"
	start "$h" dovecot dovecot -F -c "$d/dovecot.conf"
}
