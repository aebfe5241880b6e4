#!/bin/sh
# signed_webhooks.sh: runs tests/integration/test_signed_webhooks against a fresh local stack (throwaway
# PostgreSQL, captionacc-fcgi under spawn-fcgi, real nginx) whose webhooks must be signed
# (WEBHOOK_SIGNING_SECRET, a short WEBHOOK_TOLERANCE_SECONDS) and whose WEBHOOK_SECRET lists two secrets
# (rotation). The stack is stopped and removed whatever happens.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
on_exit() {
	rc=$?
	if [ "$rc" != 0 ]; then
		echo "--- captionacc.log (last 30 lines)"; tail -n 30 "$dir/captionacc.log" 2>/dev/null || true
		echo "--- PostgreSQL log (last 20 lines)"; tail -n 20 "$dir/pg.log" 2>/dev/null || true
	fi
	cleanup
	exit "$rc"
}
trap on_exit EXIT
WEBHOOK_SIGNING_SECRET="whsec_$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
WEBHOOK_TOLERANCE_SECONDS=5
WEBHOOK_SECRET="current-secret-$$,previous-secret-$$"
export WEBHOOK_SIGNING_SECRET WEBHOOK_TOLERANCE_SECONDS WEBHOOK_SECRET
EXTRA_CONFIG="WEBHOOK_SIGNING_SECRET = $WEBHOOK_SIGNING_SECRET
WEBHOOK_TOLERANCE_SECONDS = $WEBHOOK_TOLERANCE_SECONDS" FCGI_CHILDREN=4 "$stack" start "$dir" >/dev/null
. "$dir/env"
"$top_builddir/tests/integration/test_signed_webhooks"
# Stop the FastCGI processes now so that sanitizer reports (ASan/LSan/UBSan builds) written at exit are
# in the log before it is read; any such report fails the test.
"$stack" fcgi-stop "$dir"
if grep -E 'Sanitizer|runtime error' "$dir/spawn-fcgi.log" "$dir/captionacc.log"; then
	echo "sanitizer report from captionacc-fcgi (above)" >&2
	exit 1
fi
