# check.sh: sourced by the shell integration tests (after they set top_srcdir): a private directory for
# the test's stack, cleanup that kills the test's own processes by PID ($pids) and stops the stack
# whatever happens, result counting, and the plain closing line.
top_builddir=${top_builddir:-$top_srcdir}
export top_srcdir top_builddir
stack="$top_srcdir/tests/harness/stack.sh"
runner="$top_builddir/runner/captionacc-runner"
dir=$(mktemp -d "${TMPDIR:-/tmp}/captionacc-$(basename "$0" .sh).XXXXXX")
pids=
cleanup() {
	for p in $pids; do kill -KILL "$p" 2>/dev/null || true; done
	"$stack" stop "$dir" || true
}
trap cleanup EXIT
trap 'exit 1' INT TERM
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }
# check DESCRIPTION COMMAND...: the command must succeed
check() {
	d=$1; shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
# check_eq DESCRIPTION GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got '$2', want '$3')"; fi
}
# wait_for SECONDS COMMAND...: polls every 0.1 s until the command succeeds; 1 on time-out
wait_for() {
	t=$(($1 * 10)); shift
	while ! "$@"; do
		t=$((t - 1))
		[ "$t" -gt 0 ] || return 1
		sleep 0.1
	done
}
finish() {
	echo "$passed passed, $failed failed"
	test "$failed" = 0
}
