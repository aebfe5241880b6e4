#!/bin/sh
# webhooks.sh: runs tests/integration/test_webhooks against a fresh local stack (throwaway PostgreSQL,
# captionacc-fcgi under spawn-fcgi, real nginx); the stack is stopped and removed whatever happens.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
export top_srcdir top_builddir
dir=$(mktemp -d "${TMPDIR:-/tmp}/captionacc-webhooks.XXXXXX")
cleanup() {
	rc=$?
	if [ "$rc" != 0 ]; then
		echo "--- captionacc.log: warnings and errors (last 30)"
		grep -E ' (warn|error): ' "$dir/captionacc.log" 2>/dev/null | tail -n 30 || true
		echo "--- captionacc.log (last 30 lines)"; tail -n 30 "$dir/captionacc.log" 2>/dev/null || true
		echo "--- PostgreSQL log (last 20 lines)"; tail -n 20 "$dir/pg.log" 2>/dev/null || true
		echo "--- nginx error.log (last 10 lines)"; tail -n 10 "$dir/nginx/error.log" 2>/dev/null || true
	fi
	"$top_srcdir/tests/harness/stack.sh" stop "$dir" || true
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
EXTRA_CONFIG="MAX_BODY_BYTES = 65536" FCGI_CHILDREN=10 NGINX_RATE=50r/s NGINX_BURST=200 \
	"$top_srcdir/tests/harness/stack.sh" start "$dir"
. "$dir/env"
"$top_builddir/tests/integration/test_webhooks"
# Stop the FastCGI processes now so that sanitizer reports (ASan/LSan/UBSan builds) written at exit are
# in the log before it is read; any such report fails the test.
"$top_srcdir/tests/harness/stack.sh" fcgi-stop "$dir"
if grep -E 'Sanitizer|runtime error' "$dir/spawn-fcgi.log" "$dir/captionacc.log"; then
	echo "sanitizer report from captionacc-fcgi (above)" >&2
	exit 1
fi
# Under FCGI_WRAPPER="valgrind --log-file=@DIR@/valgrind.%p.log ...", any report fails the test too.
for f in "$dir"/valgrind.*.log; do
	[ -s "$f" ] || continue
	cat "$f" >&2
	echo "valgrind report from captionacc-fcgi (above)" >&2
	exit 1
done
