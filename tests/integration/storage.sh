#!/bin/sh
# storage.sh: runs tests/integration/test_storage against two fresh s3rver instances (one lenient about
# bucket-level signatures, one strict); both are stopped by PID whatever happens.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
"$stack" s3-start "$dir"
"$stack" s3-strict-start "$dir"
. "$dir/env"
STACK_DIR=$dir
export STACK_DIR
# TEST_WRAPPER: e.g. valgrind with its options (.ci/run).
${TEST_WRAPPER:-} "$top_builddir/tests/integration/test_storage"
