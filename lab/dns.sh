# lab/dns.sh - dns.test: the upstream zones, adapted, served by NSD.
#
# Sourced by lab/up. The zones are made from the upstream smtpbook lab's
# files ($zones_src, default ../shared/smtpbook/zones; SMTPBOOK_ZONES=DIR
# names another copy): _NETWORK becomes 10.255 and each DKIM record
# publishes the lab's own key instead (keys/published says which). NSD is
# authoritative only: it forwards nothing and answers nothing else.

# dkim_p KEY: the p= value of keys/KEY.txt (opendkim-genkey's output).
dkim_p() {
	tr -d '\n\t"() ' <"$lab/keys/$1.txt" | sed -E 's/.*p=([A-Za-z0-9+\/=]+).*/\1/'
}

# make_zone ZONE IN OUT: one upstream zone file, adapted.
make_zone() {
	local zone=$1 in=$2 out=$3 owner key p
	# owner -> p=value of the key published there, for this zone.
	local map=()
	while read -r z owner key; do
		[[ $z == "$zone" ]] || continue
		p=$(dkim_p "$key")
		map+=("$owner=$p")
	done < <(grep -v '^#' "$lab/keys/published")
	awk -v net="$net" -v map="${map[*]}" '
	BEGIN {
		n = split(map, m, " ")
		for (i = 1; i <= n; i++) { split(m[i], kv, "="); key[kv[1]] = substr(m[i], length(kv[1]) + 2) }
	}
	skip { if ($0 ~ /\)/) skip = 0; next }
	{ gsub(/_NETWORK/, net) }
	$1 ~ /_domainkey/ && $0 ~ /TXT/ {
		if (!($1 in key)) { print "no lab key for DKIM record " $1 > "/dev/stderr"; exit 1 }
		if ($0 !~ /\)/) skip = 1
		p = key[$1]
		printf "%s\tIN\tTXT\t( \"v=DKIM1; k=rsa; \"\n", $1
		while (length(p) > 200) { printf "\t\"%s\"\n", (q ? "" : "p=") substr(p, 1, 200); p = substr(p, 201); q = 1 }
		printf "\t\"%s\" )\n", (q ? "" : "p=") p
		q = 0
		next
	}
	{ print }
	' "$in" >"$out"
}

make_zones() {
	local f zone
	[ -d "$zones_src" ] || die "no upstream zones in $zones_src (set SMTPBOOK_ZONES to the smtpbook lab's zones/ folder)"
	mkdir -p "$state/dns.test/zones"
	for f in "$zones_src"/*.zone; do
		zone=$(basename "$f" .zone)
		make_zone "$zone" "$f" "$state/dns.test/zones/$zone.zone"
	done
}

start_dns() {
	local d=$state/dns.test f zone
	make_zones
	{
		cat <<-EOF
		# NSD for the smtpbook lab (made by lab/up): authoritative only.
		server:
		    ip-address: $(addr_of dns.test)
		    port: 53
		    do-ip6: no
		    chroot: ""
		    username: ""
		    database: ""
		    zonesdir: "$d/zones"
		    zonelistfile: "$d/zone.list"
		    xfrdfile: "$d/xfrd.state"
		    xfrdir: "$d"
		    pidfile: ""
		    logfile: "$state/log/nsd.log"
		    server-count: 1
		    hide-version: yes
		    verbosity: 1
		    # rspamd opens a TCP connection to its resolver at start and
		    # keeps it: NSD ends idle ones soon, before any capture starts
		    # (lab/up waits for that), not two minutes into one.
		    tcp-timeout: 2
		remote-control:
		    control-enable: no
		EOF
		for f in "$d"/zones/*.zone; do
			zone=$(basename "$f" .zone)
			printf 'zone:\n    name: %s\n    zonefile: %s.zone\n' "$zone" "$zone"
		done
	} >"$d/nsd.conf"
	nsd-checkconf "$d/nsd.conf" || die "nsd.conf does not check"
	start dns.test nsd nsd -d -c "$d/nsd.conf"
}
