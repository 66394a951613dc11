# lab/dns.sh - dns.test: the upstream zones, adapted, served as upstream
# serves them: PowerDNS's authoritative server behind its recursor, which
# logs every answer it gives.
#
# Sourced by lab/up. The zones are made from the upstream smtpbook lab's
# files ($zones_src, default ../shared/smtpbook/zones; SMTPBOOK_ZONES=DIR
# names another copy): _NETWORK becomes 10.255 and each DKIM record
# publishes the lab's own key instead (keys/published says which). The
# authoritative server (bind backend, the zone files as they are) listens
# on dns.test's 127.0.0.1:5300 only; the recursor answers the lab on
# 10.255.0.254:53 and forwards every zone, the root included, to it, so
# nothing is ever asked outside the lab. Like upstream's, the recursor
# runs a Lua hook (lab/dns-querylog.lua) that syslogs one line per record
# of each answer, naming the asking host by the zones' PTR records.

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
	local d=$state/dns.test zone forward=".=127.0.0.1:5300"
	make_zones
	: >"$d/named.conf"
	for zone in "$d"/zones/*.zone; do
		zone=$(basename "$zone" .zone)
		printf 'zone "%s" { type master; file "%s"; };\n' "$zone" "$d/zones/$zone.zone" >>"$d/named.conf"
		forward="$forward, $zone=127.0.0.1:5300"
	done
	# Who asked, by address, from the zones' own PTR records (upstream's
	# entrypoint makes the same table for its hook).
	awk '
	FNR == 1 { np = split(FILENAME, p, "/"); z = p[np]; sub(/\.in-addr\.arpa\.zone$/, "", z); n = split(z, o, ".") }
	FILENAME ~ /in-addr\.arpa\.zone$/ && $2 == "IN" && $3 == "PTR" {
		ip = ""
		for (i = n; i >= 1; i--) ip = ip o[i] "."
		name = $4; sub(/\.$/, "", name)
		printf "  [\"%s%s\"] = \"%s\",\n", ip, $1, name
	}' "$d"/zones/*.zone | { echo "return {"; cat; echo "}"; } >"$d/ptr.lua"
	cat >"$d/pdns.conf" <<-EOF
	# PowerDNS authoritative server for the smtpbook lab (made by lab/up).
	launch=bind
	bind-config=$d/named.conf
	local-address=127.0.0.1
	local-port=5300
	daemon=no
	guardian=no
	disable-syslog=yes
	log-dns-queries=yes
	loglevel=4
	socket-dir=$d
	EOF
	cat >"$d/recursor.conf" <<-EOF
	# PowerDNS recursor for the smtpbook lab (made by lab/up): the only
	# server the hosts ask; every zone is forwarded to the local server.
	local-address=$(addr_of dns.test)
	local-port=53
	daemon=no
	# The lab's reverse zones are private (RFC 1918) ones, which the
	# recursor would answer itself, empty, unless forwarded by name.
	forward-zones=$forward
	serve-rfc1918=no
	dnssec=off
	hint-file=no
	root-nx-trust=no
	security-poll-suffix=
	# Every query reaches the Lua hook, as upstream's.
	disable-packetcache=yes
	lua-dns-script=$lab/dns-querylog.lua
	lua-config-file=
	socket-dir=$d
	quiet=yes
	# Only the hook's lines (logged as errors, as upstream's are) and
	# real errors reach syslog, as upstream keeps only the hook's.
	loglevel=3
	structured-logging=no
	EOF
	start dns.test pdns-auth env SMTPBOOK_PTR="$d/ptr.lua" pdns_server --config-dir="$d"
	wait_for 20 "the DNS server to listen" listening dns.test 5300 u
	start dns.test pdns-recursor env SMTPBOOK_PTR="$d/ptr.lua" pdns_recursor --config-dir="$d"
}
