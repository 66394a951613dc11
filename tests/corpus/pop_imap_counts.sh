#!/bin/bash
# pop_imap_counts.sh - runs pop_imap_counts.py over ../shared/corpus (see there).
# Usage: pop_imap_counts.sh SMTPSNIFF SHAREDDIR SRCDIR
[ -d "$2/corpus" ] || { echo "skipped: $2/corpus is missing"; exit 77; }
exec /usr/bin/python3 "$3/tests/corpus/pop_imap_counts.py" "$1" "$2/corpus"
