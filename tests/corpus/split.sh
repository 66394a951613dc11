#!/bin/bash
# split.sh - split_check over every shipped capture and the mail captures of
# ../shared/corpus: the same records whatever the segmentation.
# Usage: split.sh SPLIT_CHECK SRCDIR SHAREDDIR
set -uo pipefail
tool=$1 src=$2 shared=$3
fail=0 n=0
while IFS= read -r f; do
	n=$((n + 1))
	out=$("$tool" "$f" 2>&1)
	st=$?
	echo "$(basename "$f"): $out" | head -n 40
	[ $st = 0 ] || fail=1
done < <(find "$src/pcaps" -name '*.pcap' | sort
	[ -d "$shared/corpus" ] && find "$shared/corpus" \( -name 'smtp*.pcap*' -o -name 'emotet.pcap' \
		-o -name 'pop3*.pcap' -o -name 'imap*.pcap' -o -name 'Smtp.pcap' \) ! -name '*.txt' ! -name '*.out' | sort)
[ $n -gt 0 ] || { echo "FAIL: no captures found"; exit 1; }
exit $fail
