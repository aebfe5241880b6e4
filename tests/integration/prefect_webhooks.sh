#!/bin/sh
# prefect_webhooks.sh: runs tests/integration/test_prefect_webhooks: the Prefect double first (it checks a
# bearer key), then a stack (PostgreSQL, spawn-fcgi'd captionacc-fcgi, nginx) with QUEUE_BACKEND=prefect
# pointing at it. Everything is stopped by PID whatever happens.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
PREFECT_DOUBLE_KEY=pd-test-key-$$
export PREFECT_DOUBLE_KEY
mkdir -p "$dir"
"$top_builddir/tests/doubles/prefect_double" "$dir/prefect.port" video_initial_processing crop_and_infer \
	caption_ocr diagnostic noop >"$dir/prefect.log" 2>&1 &
PREFECT_DOUBLE_PID=$!
pids="$PREFECT_DOUBLE_PID"
export PREFECT_DOUBLE_PID
i=0
until [ -s "$dir/prefect.port" ]; do
	i=$((i + 1)); [ "$i" -lt 100 ] || { echo "the Prefect double did not start" >&2; exit 1; }
	sleep 0.05
done
PREFECT_URL="http://127.0.0.1:$(cat "$dir/prefect.port")"
export PREFECT_URL
EXTRA_CONFIG="QUEUE_BACKEND = prefect
PREFECT_API_URL = $PREFECT_URL/api
PREFECT_API_KEY = $PREFECT_DOUBLE_KEY
PREFECT_RETRIES = 2
PREFECT_TIMEOUT_SECONDS = 5
TIER_CACHE_SECONDS = 0" FCGI_CHILDREN=4 "$stack" start "$dir" >/dev/null
. "$dir/env"
LOG_PATH="$dir/captionacc.log"
export LOG_PATH
"$top_builddir/tests/integration/test_prefect_webhooks"
