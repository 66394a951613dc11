# lab/verifiers.sh - signing on dkim.smtp.*, and the checks of the MXs.
#
# Sourced by lab/up. Signers run OpenDKIM (keys/signing says what it signs).
# The checking MXs run one of two sets of verifiers:
#   default:   spf.mx  postfix-policyd-spf-python
#              dkim.mx OpenDKIM (verifying)
#              dmarc.mx both, then OpenDMARC
#   --rspamd:  rspamd on each, with only the modules that MX is for
#              (spf; dkim; spf+dkim+dmarc), as the upstream lab uses.
# The verifiers' DNS caches are off unless --dns-cache: a cached answer is
# missing from the next capture although its verdict used it.
# Milters listen on the namespace's own 127.0.0.1, invisible on the bridge.

# keys_install HOST: the private keys, mode 600 as OpenDKIM insists.
keys_install() {
	local d=$state/$1/dkim k
	mkdir -p "$d"
	for k in "$lab"/keys/*.private; do
		install -m 600 "$k" "$d/"
	done
}

opendkim_signer() {
	local h=$1 d=$state/$1/dkim pat key dom
	keys_install "$h"
	: >"$d/keytable"
	: >"$d/signingtable"
	while read -r pat key dom; do
		echo "$key $dom:smtpbook:$d/$key.private" >>"$d/keytable"
		echo "$pat $key" >>"$d/signingtable"
	done < <(grep -v '^#' "$lab/keys/signing")
	cat >"$d/opendkim.conf" <<-EOF
	# OpenDKIM signing on $h (made by lab/up).
	Syslog                  no
	Mode                    s
	Socket                  inet:8891@127.0.0.1
	KeyTable                $d/keytable
	SigningTable            refile:$d/signingtable
	# Mail from anywhere in the lab is ours to sign.
	InternalHosts           csl:127.0.0.1,$net.0.0/16
	Canonicalization        relaxed/simple
	SignatureAlgorithm      rsa-sha256
	EOF
	start "$h" "opendkim-$h" opendkim -f -x "$d/opendkim.conf"
}

opendkim_verifier() {
	local h=$1 d=$state/$1/dkim
	mkdir -p "$d"
	# libunbound answers test. and 10.in-addr.arpa. from built-in empty
	# zones (RFC 6761, RFC 6303) unless told not to; its cache is off
	# unless --dns-cache.
	{
		echo "server:"
		echo "    local-zone: \"test.\" nodefault"
		echo "    local-zone: \"10.in-addr.arpa.\" nodefault"
		echo "    do-ip6: no"
		echo "    qname-minimisation: no"
		opt --dns-cache || printf '    cache-max-ttl: 0\n    cache-max-negative-ttl: 0\n'
	} >"$d/unbound.conf"
	cat >"$d/opendkim.conf" <<-EOF
	# OpenDKIM verifying on $h (made by lab/up).
	Syslog                  no
	Mode                    v
	Socket                  inet:8891@127.0.0.1
	AuthservID              $h
	AlwaysAddARHeader       yes
	Nameservers             $(addr_of dns.test)
	ResolverConfiguration   $d/unbound.conf
	EOF
	start "$h" "opendkim-$h" opendkim -f -x "$d/opendkim.conf"
}

opendmarc_start() {
	local h=$1 d=$state/$1/dmarc
	mkdir -p "$d"
	cat >"$d/opendmarc.conf" <<-EOF
	# OpenDMARC on $h (made by lab/up): reads OpenDKIM's
	# Authentication-Results and policyd-spf's Received-SPF, adds its own
	# verdict and rejects nothing, so every scenario is delivered.
	Syslog                  false
	Socket                  inet:8893@127.0.0.1
	AuthservID              $h
	TrustedAuthservIDs      $h
	RejectFailures          false
	SPFIgnoreResults        false
	SPFSelfValidate         false
	FailureReports          false
	PublicSuffixList        /usr/share/publicsuffix/public_suffix_list.dat
	EOF
	start "$h" "opendmarc-$h" opendmarc -f -c "$d/opendmarc.conf"
}

# policyd_spf HOST: Postfix spawns the SPF policy service per connection;
# it only adds Received-SPF (the fail scenarios must reach DATA).
policyd_spf() {
	local h=$1 d=$state/$1
	cat >"$d/policyd-spf.conf" <<-EOF
	debugLevel = 1
	TestOnly = 1
	HELO_reject = False
	Mail_From_reject = False
	PermError_reject = False
	TempError_Defer = False
	skip_addresses = 127.0.0.0/8
	EOF
	cat >>"$d/postfix/master.cf" <<-EOF
	policyd-spf unix -      n       n       -       0       spawn
	  user=nobody argv=/usr/bin/policyd-spf $d/policyd-spf.conf
	EOF
	cat >>"$d/postfix/main.cf" <<-EOF
	policyd-spf_time_limit = 3600
	# Before any permit: mynetworks covers the whole lab.
	smtpd_recipient_restrictions = check_policy_service unix:private/policyd-spf
	EOF
}

# rspamd_start HOST MODULES: one rspamd, its proxy worker a milter that
# scans by itself; only MODULES (of spf, dkim, dmarc) are configured, and
# milter_headers writes their Authentication-Results.
rspamd_start() {
	local h=$1 mods=$2 d=$state/$1/rspamd m
	mkdir -p "$d/db" "$d/run"
	chown _rspamd:_rspamd "$d/db" "$d/run"
	{
		cat <<-EOF
		# rspamd on $h (made by lab/up): checks $mods, nothing else.
		options {
		    pidfile = "$d/run/rspamd.pid";
		    dns { nameserver = ["$(addr_of dns.test)"]; timeout = 2s; retransmits = 2; }
		    # The lab's 10/8 must not count as local: rspamd skips SPF
		    # and DMARC for local senders.
		    local_addrs = [127.0.0.0/8];
		    hs_cache_dir = "$d/db/";
		    cache_file = "$d/db/symbols.cache";
		    control_socket = "$d/run/rspamd.sock mode=0600";
		    filters = "$(grep -qw dkim <<<"$mods" && echo dkim)";
		    url_tld = "\${SHAREDIR}/effective_tld_names.dat";
		    task_timeout = 10s;
		}
		logging { type = "file"; filename = "$state/log/rspamd-$h.log"; level = "info"; }
		worker "rspamd_proxy" {
		    bind_socket = "127.0.0.1:11332";
		    milter = yes;
		    upstream "local" { default = yes; self_scan = yes; }
		    count = 1;
		    timeout = 120s;
		}
		modules { path = "\${PLUGINSDIR}"; }
		milter_headers {
		    use = ["authentication-results"];
		}
		EOF
		for m in $mods; do
			case $m in
			spf) if opt --dns-cache; then echo "spf { }"; else echo "spf { spf_cache_size = 0; }"; fi ;;
			dkim) if opt --dns-cache; then echo "dkim { }"; else echo "dkim { dkim_cache_size = 0; }"; fi ;;
			dmarc) echo "dmarc { }" ;;
			esac
		done
	} >"$d/rspamd.conf"
	start "$h" "rspamd-$h" rspamd -f -c "$d/rspamd.conf" -u _rspamd -g _rspamd
	cat >>"$state/$h/postfix/main.cf" <<-EOF
	smtpd_milters = inet:127.0.0.1:11332
	milter_protocol = 6
	milter_mail_macros = i {mail_addr} {client_addr} {client_name} {auth_authen}
	EOF
}

# verifiers HOST: what the host's role runs beside Postfix; prints the
# local ports to wait for.
verifiers() {
	local h=$1 role
	role=$(role_of "$h")
	case $role in
	signer)
		opendkim_signer "$h"
		echo "smtpd_milters = inet:127.0.0.1:8891" >>"$state/$h/postfix/main.cf"
		echo 8891
		;;
	mx-*)
		if opt --rspamd; then
			case $role in
			mx-spf) rspamd_start "$h" spf ;;
			mx-dkim) rspamd_start "$h" dkim ;;
			mx-dmarc) rspamd_start "$h" "spf dkim dmarc" ;;
			esac
			echo 11332
			return
		fi
		case $role in
		mx-spf) policyd_spf "$h" ;;
		mx-dkim)
			opendkim_verifier "$h"
			echo "smtpd_milters = inet:127.0.0.1:8891" >>"$state/$h/postfix/main.cf"
			echo 8891
			;;
		mx-dmarc)
			policyd_spf "$h"
			opendkim_verifier "$h"
			opendmarc_start "$h"
			# OpenDKIM first: OpenDMARC reads its Authentication-Results.
			echo "smtpd_milters = inet:127.0.0.1:8891, inet:127.0.0.1:8893" >>"$state/$h/postfix/main.cf"
			echo 8891 8893
			;;
		esac
		;;
	esac
}
