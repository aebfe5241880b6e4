#!/bin/sh
# db.sh: runs tests/integration/test_db (shared/db.c: reconnects and bounded retries) against a fresh
# PostgreSQL cluster that the test stops and restarts; the cluster is stopped and removed whatever happens.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
"$stack" start-db "$dir"
. "$dir/env"
export PGOPTIONS="-c client_min_messages=warning"
# TEST_WRAPPER: e.g. valgrind with its options (.ci/run).
${TEST_WRAPPER:-} "$top_builddir/tests/integration/test_db"
