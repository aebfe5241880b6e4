# check.sh: sourced by the shell integration tests: counts results and prints the plain closing line.
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
