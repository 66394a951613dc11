# tests/cli/same.sh - sourced by the tests that run smtpsniff two ways and
# want the same from both (threads.sh, workers.sh): same WHAT compares
# $tmp/a.out with $tmp/b.out and $tmp/a.err with $tmp/b.err, counts the
# comparison in n, and on a difference says "FAIL WHAT", shows the first
# lines of each diff and sets fail=1.
same() {
	n=$((n + 1))
	if ! cmp -s "$tmp/a.out" "$tmp/b.out" || ! cmp -s "$tmp/a.err" "$tmp/b.err"; then
		echo "FAIL $*"
		diff "$tmp/a.out" "$tmp/b.out" | head -n 10
		diff "$tmp/a.err" "$tmp/b.err" | head -n 10
		fail=1
	fi
}
