#!/bin/bash
# outdir.sh - the directories of --export DIR and --streams DIR: a DIR that
# is missing is made, with its missing parents, mode 0700 (messages carry
# logins and mail); one that exists keeps its mode; DIR that is a symbolic
# link, or not a directory, or that cannot be made is refused with exit 4,
# and both options say so in the same words.
#
# Usage: outdir.sh SMTPSNIFF SRCDIR
set -uo pipefail
sniff=$1 src=$2
. "$(dirname "$0")/lib.sh"
mode() { stat -c %a "$1" 2>/dev/null; }
pcap=$src/pcaps/scenario3-1.pcap

for opt in --export --streams; do
	index=index.json
	[ $opt = --streams ] && index=index.jsonl
	d=$t/${opt#--}
	mkdir "$d"

	# Missing, with missing parents: made, each 0700, and written.
	status 0 "$opt into a missing DIR with missing parents" -- "$sniff" -r "$pcap" $opt "$d/new/run/1"
	[ -f "$d/new/run/1/$index" ] && pass "$opt made DIR and wrote $index" || bad "$opt: no $d/new/run/1/$index"
	for p in "$d/new" "$d/new/run" "$d/new/run/1"; do
		[ "$(mode "$p")" = 700 ] || bad "$opt: $p has mode $(mode "$p"), want 700"
	done
	# A trailing slash names the same directory.
	status 0 "$opt into a missing DIR/" -- "$sniff" -r "$pcap" $opt "$d/slash/"
	[ -f "$d/slash/$index" ] || bad "$opt DIR/: no $index"

	# An existing directory keeps its mode.
	mkdir -m 755 "$d/there"
	status 0 "$opt into an existing DIR" -- "$sniff" -r "$pcap" $opt "$d/there"
	[ "$(mode "$d/there")" = 755 ] || bad "$opt: an existing DIR became mode $(mode "$d/there")"

	# A symbolic link as DIR (with or without a trailing slash) is refused,
	# and nothing is written where it points.
	mkdir "$d/real"
	ln -s real "$d/link"
	status 4 "$opt into a DIR that is a symbolic link" -- "$sniff" -r "$pcap" $opt "$d/link"
	sed "s|$d/link||" "$t/err" >"$t/$opt.link"
	status 4 "$opt into a DIR/ that is a symbolic link" -- "$sniff" -r "$pcap" $opt "$d/link/"
	[ -z "$(ls -A "$d/real")" ] && pass "$opt wrote nothing through the link" || bad "$opt wrote through the link"

	# A file as DIR, a DIR under a file: refused.
	: >"$d/file"
	status 4 "$opt into a file" -- "$sniff" -r "$pcap" $opt "$d/file"
	sed "s|$d/file||" "$t/err" >"$t/$opt.file"
	status 4 "$opt into a DIR that cannot be made" -- "$sniff" -r "$pcap" $opt "$d/file/sub"
	sed "s|$d/file/sub||; s|$d/file||" "$t/err" >"$t/$opt.sub"
done

# The same failure is told in the same words by both options: what each
# says after DIR (the paths taken out).
for why in link file sub; do
	a=$(sed 's|^smtpsniff: --export:* ||' "$t/--export.$why")
	b=$(sed 's|^smtpsniff: --streams:* ||' "$t/--streams.$why")
	[ -n "$a" ] && [ "$a" = "$b" ] && pass "--export and --streams say alike: DIR$a" ||
		bad "--export and --streams differ: '$a' vs '$b'"
done
grep -q 'symbolic link' "$t/--export.link" || bad "a link as DIR: the message does not say so: $(cat "$t/--export.link")"
grep -q 'not a directory' "$t/--export.file" || bad "a file as DIR: the message does not say so: $(cat "$t/--export.file")"
exit $fail
