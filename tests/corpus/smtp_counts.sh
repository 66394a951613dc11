#!/bin/bash
# smtp_counts.sh - runs smtp_counts.py over ../shared/corpus (see there).
# Usage: smtp_counts.sh SMTPSNIFF SHAREDDIR SRCDIR
[ -d "$2/corpus" ] || { echo "skipped: $2/corpus is missing"; exit 77; }
exec /usr/bin/python3 "$3/tests/corpus/smtp_counts.py" "$1" "$2/corpus"
