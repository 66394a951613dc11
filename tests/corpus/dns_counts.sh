#!/bin/bash
# dns_counts.sh - runs dns_counts.py over ../shared/corpus (see there).
# Usage: dns_counts.sh PROGRAM SHAREDDIR SRCDIR
# PROGRAM is smtpsniff (its --json "dns" objects) or the dns_dump test tool.
set -uo pipefail
[ -d "$2/corpus" ] || { echo "skipped: $2/corpus is missing"; exit 77; }
exec /usr/bin/python3 "$3/tests/corpus/dns_counts.py" "$1" "$2/corpus"
