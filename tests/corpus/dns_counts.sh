#!/bin/bash
# dns_counts.sh - runs dns_counts.py over ../shared/corpus (see there).
# Usage: dns_counts.sh SMTPSNIFF SHAREDDIR SRCDIR
set -uo pipefail
[ -d "$2/corpus" ] || { echo "skipped: $2/corpus is missing"; exit 77; }
exec /usr/bin/python3 "$3/tests/corpus/dns_counts.py" "$1" "$2/corpus"
