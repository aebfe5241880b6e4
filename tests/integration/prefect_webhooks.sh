#!/bin/sh
# prefect_webhooks.sh: runs tests/integration/test_prefect_webhooks: the Prefect double first (it checks a
# bearer key), then a stack (PostgreSQL, spawn-fcgi'd captionacc-fcgi, nginx) with QUEUE_BACKEND=prefect
# pointing at it. Everything is stopped by PID whatever happens.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
PREFECT_DOUBLE_KEY=pd-test-key-$$
SUPABASE_JWT_SECRET=pw-jwt-secret-$$
MINT_TOKEN="$top_builddir/tests/harness/mint-token"
export PREFECT_DOUBLE_KEY SUPABASE_JWT_SECRET MINT_TOKEN
"$stack" prefect-start "$dir"
PREFECT_DOUBLE_PID=$(cat "$dir/prefect.pid")
PREFECT_URL="http://127.0.0.1:$(cat "$dir/prefect.port")"
export PREFECT_DOUBLE_PID PREFECT_URL
EXTRA_CONFIG="QUEUE_BACKEND = prefect
PREFECT_API_URL = $PREFECT_URL/api
PREFECT_API_KEY = $PREFECT_DOUBLE_KEY
PREFECT_RETRIES = 2
PREFECT_TIMEOUT_SECONDS = 5
TIER_CACHE_SECONDS = 0
SUPABASE_JWT_SECRET = $SUPABASE_JWT_SECRET" FCGI_CHILDREN=4 "$stack" start "$dir" >/dev/null
. "$dir/env"
LOG_PATH="$dir/captionacc.log"
export LOG_PATH
"$top_builddir/tests/integration/test_prefect_webhooks"
