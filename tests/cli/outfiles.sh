#!/bin/bash
# outfiles.sh - the files of --streams DIR and --export DIR cannot be turned
# against the user by whoever else can write to DIR (issue 16, finding 3):
# a hard link or a symbolic link planted at a name smtpsniff will use is
# never written through or followed, with or without --overwrite; a name
# that cannot be made is left out with an event (layer "output") and the
# run goes on, exit 0; a stream file swapped for a hard link while the
# --max-open-files LRU has it closed gets no more bytes; files are mode
# 0600 and the directories made 0700 whatever the umask.
#
# The truth each run is held to: a run of the same capture into an empty
# DIR (the files byte for byte), and the planted files' own bytes.
#
# Usage: outfiles.sh SMTPSNIFF SRCDIR
set -uo pipefail
sniff=$1 src=$2
. "$(dirname "$0")/lib.sh"
pcap=$src/pcaps/scenario3-1.pcap
mode() { stat -c %a "$1" 2>/dev/null; }
run() { "$sniff" -r "$pcap" --json --streams "$1/s" --export "$1/e" "${@:2}"; }

# The reference: an empty DIR.
status 0 "a run into empty directories" -- run "$t/ref"
S=$(cd "$t/ref/s" && ls | grep -v index | head -1) # a stream file
E=000002-smtp.eml                                   # a message file
[ -n "$S" ] && [ -f "$t/ref/e/$E" ] || { bad "the reference run wrote no $S or $E"; exit 1; }
echo "the victim's own bytes" >"$t/victim"
cp "$t/victim" "$t/victim.orig"

# event WHAT NAME: the run said it left NAME out.
event() {
	grep -F "\"layer\":\"output\",\"what\":\"$1\"" "$t/out" | grep -qF -- "$2" &&
		pass "an event $1 names $2" || bad "no event $1 for $2: $(grep -F '"layer":"output"' "$t/out")"
}
# same DIR [EXCEPT...]: every file of the reference is in DIR with the same
# bytes, but those named.
same() {
	local d=$1 f n=0
	shift
	for f in $(cd "$t/ref" && find s e -type f ! -name 'index.*'); do
		case " $* " in *" ${f#*/} "*) continue ;; esac
		cmp -s "$t/ref/$f" "$d/$f" || { bad "$d/$f differs from the reference"; return; }
		n=$((n + 1))
	done
	pass "the $n other files are the reference's, byte for byte"
}
victim_kept() {
	cmp -s "$t/victim" "$t/victim.orig" && pass "$1: the link's target is unchanged" ||
		{ bad "$1: the link's target was written: $(head -c 200 "$t/victim")"; cp "$t/victim.orig" "$t/victim"; }
}
# skipped_in_index DIR: index.jsonl lists a side of $S's flow as skipped,
# with no file; index.json leaves $E out and lists the others.
skipped_in_index() {
	local flow=$((10#${S%%-*}))
	/usr/bin/python3 - "$1" "$flow" "$E" <<'PY' && pass "the indexes tell the skipped files" || bad "the indexes do not tell the skipped files"
import json, sys, os
d, flow, eml = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = [json.loads(l) for l in open(os.path.join(d, "s/index.jsonl"))]
sk = [o for o in lines if o.get("skipped")]
assert len(sk) == 1 and sk[0]["flow"] == flow and sk[0]["file"] == "", sk
assert all(os.path.isfile(os.path.join(d, "s", o["file"])) for o in lines if o["file"]), lines
files = [o["file"] for o in json.load(open(os.path.join(d, "e/index.json")))]
# what DIR holds: the files listed, index.json, and what was in the way
assert eml not in files and len(files) == len(os.listdir(os.path.join(d, "e"))) - 2, files
PY
}

# A hard link planted at a name, without --overwrite: that file is left out
# (it names the user's file: O_EXCL), the rest written, exit 0.
d=$t/hardlink
mkdir -p "$d/s" "$d/e"
ln "$t/victim" "$d/s/$S"
ln "$t/victim" "$d/e/$E"
status 0 "a hard link planted at a stream and a message name" -- run "$d"
victim_kept "a planted hard link"
event file_skipped "$S"
event file_skipped "$E"
same "$d" "$S" "$E"
skipped_in_index "$d"

# The same with --overwrite over an earlier run: the names are replaced by
# new files, never truncated and written through.
d=$t/hardlink-overwrite
cp -a "$t/ref" "$d"
ln -f "$t/victim" "$d/s/$S"
ln -f "$t/victim" "$d/e/$E"
status 0 "--overwrite with a hard link planted at a stream and a message name" -- run "$d" --overwrite
victim_kept "--overwrite and a planted hard link"
same "$d"
for f in "$d/s/$S" "$d/e/$E"; do
	[ "$(stat -c %h "$f")" = 1 ] && [ "$(mode "$f")" = 600 ] && pass "${f#$t/}: a new file of its own, 0600" ||
		bad "${f#$t/}: links $(stat -c %h "$f"), mode $(mode "$f")"
done

# A symbolic link planted at a name (to a file, and to a name that does
# not exist yet): never followed; that file left out, the rest written.
d=$t/symlink
mkdir -p "$d/s" "$d/e"
ln -s "$t/victim" "$d/s/$S"
ln -s "$t/made-through-a-link" "$d/e/$E"
status 0 "a symbolic link planted at a stream and a message name" -- run "$d"
victim_kept "a planted symbolic link"
[ ! -e "$t/made-through-a-link" ] && pass "nothing made through a dangling link" || bad "a file was made through a dangling link"
[ -L "$d/s/$S" ] && [ -L "$d/e/$E" ] && pass "the links are left as they were" || bad "the planted links were touched"
event file_skipped "$S"
event file_skipped "$E"
same "$d" "$S" "$E"
skipped_in_index "$d"

# With --overwrite: the links are replaced, not followed.
d=$t/symlink-overwrite
cp -a "$t/ref" "$d"
ln -sf "$t/victim" "$d/s/$S"
ln -sf "$t/made-through-a-link" "$d/e/$E"
status 0 "--overwrite with a symbolic link planted at a stream and a message name" -- run "$d" --overwrite
victim_kept "--overwrite and a planted symbolic link"
[ ! -e "$t/made-through-a-link" ] && pass "nothing made through a dangling link" || bad "a file was made through a dangling link"
[ ! -L "$d/s/$S" ] && [ ! -L "$d/e/$E" ] && pass "--overwrite replaced the links with files" || bad "--overwrite left the links"
same "$d"

# A name that cannot be made otherwise (a directory in its place, which
# --overwrite does not take away either): left out, the run goes on.
for ow in "" --overwrite; do
	d=$t/dir$ow
	mkdir -p "$d/s/$S" "$d/e/$E"
	status 0 "a directory at a stream and a message name ${ow:-without --overwrite}" -- run "$d" $ow
	event file_skipped "$S"
	event file_skipped "$E"
	same "$d" "$S" "$E"
	skipped_in_index "$d"
done

# A stream file swapped for a hard link while the LRU has it closed: the
# rest of that direction is not written, the rest of the run is.
d=$t/swap
echo "the victim's own bytes" >"$t/victim"
if r=$(/usr/bin/python3 "$src/tests/cli/outfiles_swap.py" "$sniff" "$pcap" "$d" "$t/victim"); then
	name=$(echo "$r" | head -1) rc=$(echo "$r" | tail -1)
	[ "$rc" = 0 ] && pass "a stream file swapped while closed (status 0)" || { bad "a stream file swapped while closed: status $rc"; cat "$d.out"; }
	victim_kept "a stream file swapped while closed"
	cp "$d.out" "$t/out"
	event file_refused "$name"
	refs=$(cd "$t/ref/s" && ls | grep -v index | grep -vxF "$name" | wc -l)
	n=0
	for f in $(cd "$t/ref/s" && ls | grep -v index | grep -vxF "$name"); do
		cmp -s "$t/ref/s/$f" "$d/$f" && n=$((n + 1))
	done
	[ "$n" = "$refs" ] && pass "the $n other stream files are the reference's, with --max-open-files=1" ||
		bad "only $n of $refs other stream files are the reference's"
	grep -F '"skipped":true' "$d/index.jsonl" | grep -qF '"file":""' && pass "index.jsonl lists the refused side as skipped" ||
		bad "index.jsonl does not list the refused side: $(cat "$d/index.jsonl")"
else
	bad "the swap could not be staged"
fi

# Modes: files 0600, directories made 0700, with umask 0 and 022.
for u in 000 022; do
	d=$t/umask$u
	status 0 "a run with umask $u" -- bash -c 'umask $0; "$@"' $u "$sniff" -r "$pcap" --streams "$d/a/s" --export "$d/a/e"
	modes=$(cd "$d" && find . -mindepth 1 -printf '%y %m\n' | sort | uniq -c | tr -s ' ' | tr '\n' ';')
	[ -z "$(cd "$d" && find . -mindepth 1 -type f ! -perm 600)" ] &&
		[ -z "$(cd "$d" && find . -mindepth 1 -type d ! -perm 700)" ] &&
		pass "umask $u: files 0600, directories 0700 ($modes)" || bad "umask $u: modes are $modes"
done
exit $fail
