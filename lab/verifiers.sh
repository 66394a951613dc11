# lab/verifiers.sh - signing on dkim.smtp.*, and the checks of the MXs.
#
# Sourced by lab/up. Two sets, each signing and checking:
#   rspamd (the default, as upstream): rspamd's dkim_signing on the signing
#       relays, with upstream's selection (keys/signing); rspamd on each
#       checking MX with only the modules that MX is for (spf; dkim; spf,
#       dkim and dmarc), its Authentication-Results written by
#       milter_headers as upstream configures it.
#   opendkim (lab/up --opendkim): OpenDKIM signs (keys/signing); spf.mx runs
#       postfix-policyd-spf-python, dkim.mx OpenDKIM, dmarc.mx both, then
#       OpenDMARC.
# Both read upstream's public suffix list, which holds the one line "test"
# ("for only .test domain and faster boot"): so a.test, x.test and y.test
# are Organizational Domains, as RFC 7489 makes them with the real list's
# default rule. Debian's full lists lack "test", and with them neither set
# ever asks _dmarc.a.test.
# The verifiers' DNS caches are off unless --dns-cache: a cached answer is
# missing from the next capture although its verdict used it. Milters
# listen on the namespace's own 127.0.0.1, invisible on the bridge; every
# one logs to syslog, which reaches the logserver (lab/syslog.sh).

# The suffix list both sets read.
psl=$state/public_suffix_list.dat

# keys_install HOST DIR OWNER EXT: the private keys in DIR as KEY.EXT, mode
# 600 (as OpenDKIM insists), owned by OWNER.
keys_install() {
	local d=$2 k
	mkdir -p "$d"
	for k in "$lab"/keys/*.private; do
		install -m 600 -o "$3" "$k" "$d/$(basename "$k" .private).$4"
	done
}

# signing_rules: keys/signing without its comments: FROM-PATTERN KEY D.
signing_rules() { grep -v '^#' "$lab/keys/signing" | awk 'NF == 3'; }

opendkim_signer() {
	local h=$1 d=$state/$1/dkim pat key dom
	keys_install "$h" "$d" root private
	: >"$d/keytable"
	: >"$d/signingtable"
	while read -r pat key dom; do
		echo "$key $dom:smtpbook:$d/$key.private" >>"$d/keytable"
		echo "$pat $key" >>"$d/signingtable"
	done < <(signing_rules)
	cat >"$d/opendkim.conf" <<-EOF
	# OpenDKIM signing on $h (made by lab/up).
	Syslog                  yes
	SyslogSuccess           yes
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
	Syslog                  yes
	SyslogSuccess           yes
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
	Syslog                  true
	Socket                  inet:8893@127.0.0.1
	AuthservID              $h
	TrustedAuthservIDs      $h
	RejectFailures          false
	SPFIgnoreResults        false
	SPFSelfValidate         false
	FailureReports          false
	PublicSuffixList        $psl
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

# rspamd_signing HOST: upstream's dkim_signing (its smtp-rspamd image),
# word for word but for the key paths: selector smtpbook, the From domain
# itself (no eSLD), a From other than the envelope's allowed, and for a
# domain its tables lack (a.test) the key at the default path. rspamd reads
# the tables as unanchored patterns, so "a.test" would match every domain
# under it: upstream lists only the three, and keys/signing's a.test line
# is the fallback here.
rspamd_signing() {
	local h=$1 d=$state/$1/rspamd/dkim
	keys_install "$h" "$d" _rspamd smtpbook.key
	cat <<-EOF
	dkim_signing {
	    selector = "smtpbook";
	    path = "$d/\$domain.\$selector.key";
	    allow_hdrfrom_mismatch = true;
	    use_esld = false;
	    try_fallback = true;
	    signing_table = [
	        "*@x.test y.test",
	        "pass.dkim.a.test pass.dkim.a.test",
	        "fail.dkim.a.test fail.dkim.a.test",
	    ];
	    key_table = [
	        "pass.dkim.a.test pass.dkim.a.test:smtpbook:$d/pass.dkim.a.test.smtpbook.key",
	        "fail.dkim.a.test fail.dkim.a.test:smtpbook:$d/fail.dkim.a.test.smtpbook.key",
	        "y.test                     y.test:smtpbook:$d/y.test.smtpbook.key",
	    ];
	}
	EOF
}

# rspamd_start HOST MODULES: one rspamd, its proxy worker a milter that
# scans by itself; only MODULES (of spf, dkim, dmarc, dkim_signing) are
# configured. On the checking MXs milter_headers writes their
# Authentication-Results as upstream's does; on the signing relays the
# lab's addresses are local, which is what lets them sign.
rspamd_start() {
	local h=$1 mods=$2 d=$state/$1/rspamd m locals="" filters=""
	mkdir -p "$d/db" "$d/run"
	chown _rspamd:_rspamd "$d/db" "$d/run"
	grep -qw dkim_signing <<<"$mods" && locals="$net.0.0/16"
	grep -qw dkim <<<"$mods" && filters=dkim
	{
		cat <<-EOF
		# rspamd on $h (made by lab/up): $mods, nothing else.
		options {
		    pidfile = "$d/run/rspamd.pid";
		    dns { nameserver = ["$(addr_of dns.test)"]; timeout = 2s; retransmits = 2; }
		    local_addrs = [$locals];
		    hs_cache_dir = "$d/db/";
		    cache_file = "$d/db/symbols.cache";
		    control_socket = "$d/run/rspamd.sock mode=0600";
		    filters = "$filters";
		    url_tld = "$psl";
		    task_timeout = 10s;
		}
		logging {
		    type = "syslog";
		    level = "info";
		    debug_modules = ["spf", "dkim", "dmarc", "dkim_signing"];
		}
		worker "rspamd_proxy" {
		    bind_socket = "127.0.0.1:11332";
		    milter = yes;
		    upstream "local" { default = yes; self_scan = yes; }
		    count = 1;
		    timeout = 120s;
		}
		modules { path = "\${PLUGINSDIR}"; }
		EOF
		if [ -z "$locals" ]; then
			cat <<-EOF
			milter_headers {
			    authenticated_headers = ["authentication-results"];
			    use = ["authentication-results"];
			    routines {
			        authentication-results {
			            header = "Authentication-Results";
			            remove = 1;
			            add_smtp_user = true;
			        }
			    }
			}
			EOF
		fi
		for m in $mods; do
			case $m in
			spf) if opt --dns-cache; then echo "spf { }"; else echo "spf { spf_cache_size = 0; }"; fi ;;
			dkim) if opt --dns-cache; then echo "dkim { }"; else echo "dkim { dkim_cache_size = 0; }"; fi ;;
			dmarc) echo "dmarc { }" ;;
			dkim_signing) rspamd_signing "$h" ;;
			esac
		done
	} >"$d/rspamd.conf"
	start "$h" "rspamd-$h" rspamd -f -c "$d/rspamd.conf" -u _rspamd -g _rspamd
	cat >>"$state/$h/postfix/main.cf" <<-EOF
	smtpd_milters = inet:127.0.0.1:11332
	non_smtpd_milters = inet:127.0.0.1:11332
	milter_protocol = 6
	milter_mail_macros = i {mail_addr} {client_addr} {client_name} {auth_authen}
	EOF
}

# verifiers HOST: what the host's role runs beside Postfix; prints the
# local ports to wait for.
verifiers() {
	local h=$1 role
	role=$(role_of "$h")
	[ -s "$psl" ] || echo test >"$psl"
	if [ "$(verifier_set)" = rspamd ]; then
		case $role in
		signer) rspamd_start "$h" "dkim dkim_signing" ;;
		mx-spf) rspamd_start "$h" spf ;;
		mx-dkim) rspamd_start "$h" dkim ;;
		mx-dmarc) rspamd_start "$h" "spf dkim dmarc" ;;
		*) return 0 ;;
		esac
		echo 11332
		return
	fi
	case $role in
	signer)
		opendkim_signer "$h"
		echo "smtpd_milters = inet:127.0.0.1:8891" >>"$state/$h/postfix/main.cf"
		echo 8891
		;;
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
}
