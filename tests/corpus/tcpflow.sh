#!/bin/bash
# tcpflow.sh - runs tcpflow_compare.py over ../shared/corpus (see there).
# Usage: tcpflow.sh SMTPSNIFF SHAREDDIR SRCDIR
set -uo pipefail
[ -d "$2/corpus" ] || { echo "skipped: $2/corpus is missing"; exit 77; }
exec /usr/bin/python3 "$3/tests/corpus/tcpflow_compare.py" "$1" "$2/corpus" "$3/tests/corpus/tcpflow_known.txt"
