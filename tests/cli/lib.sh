# tests/cli/lib.sh - what the command-line tests share, sourced: a scratch
# directory $t (removed at exit), pass/bad to say how each check went (bad
# sets fail=1), and status WANT DESCRIPTION -- COMMAND..., which runs the
# command with its output in $t/out and $t/err and checks its exit status.
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail=0
pass() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }
status() {
	local want=$1 what=$2
	shift 3
	"$@" >"$t/out" 2>"$t/err"
	local got=$?
	[ "$got" = "$want" ] && pass "$what (status $got)" || { bad "$what: status $got, want $want"; cat "$t/err"; }
}
