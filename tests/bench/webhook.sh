#!/bin/sh
# webhook.sh: benchmark of the webhook intake path (make bench). Drives POST /webhooks/supabase/videos
# through real nginx with wrk (distinct videos, BENCH_CONNECTIONS connections, BENCH_SECONDS seconds),
# then measures the ceiling on the same cluster with pgbench: a single-row insert of the same job shape
# at the same concurrency, synchronous_commit=on, fsync on. Prints both and their ratio. Not a test.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
export top_srcdir top_builddir
CONNS=${BENCH_CONNECTIONS:-32}
SECS=${BENCH_SECONDS:-10}
command -v wrk >/dev/null || { echo "webhook.sh: wrk not found: install the Debian package wrk" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/captionacc-bench.XXXXXX")
trap '"$top_srcdir/tests/harness/stack.sh" stop "$dir" || true' EXIT
trap 'exit 1' INT TERM
PG_FSYNC=on FCGI_CHILDREN=${BENCH_FCGI_CHILDREN:-$CONNS} NGINX_RATE=1000000r/s NGINX_BURST=1000000 \
	"$top_srcdir/tests/harness/stack.sh" start "$dir"
. "$dir/env"

echo "== webhook through nginx -> captionacc-fcgi ($CONNS processes) -> PostgreSQL (fsync on)"
# warm-up: every process connects and prepares its statements
wrk -t2 -c"$CONNS" -d2s -s "$top_srcdir/tests/bench/webhook.lua" "$STACK_URL" -- warm "$WEBHOOK_SECRET" >/dev/null
wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s "$top_srcdir/tests/bench/webhook.lua" "$STACK_URL" -- \
	"run$$" "$WEBHOOK_SECRET" >"$dir/wrk.out"
cat "$dir/wrk.out"
rps=$(awk '/^Requests\/sec:/ {print $2}' "$dir/wrk.out")
line=$(grep '^BENCH' "$dir/wrk.out")
p50=$(echo "$line" | sed 's/.*p50_us=\([0-9]*\).*/\1/')
p99=$(echo "$line" | sed 's/.*p99_us=\([0-9]*\).*/\1/')
bad=$(echo "$line" | sed 's/.*non2xx=\([0-9]*\) socket_errors=\([0-9]*\).*/\1 + \2/')
rows=$($PSQL -c "SELECT count(*) FROM jobs WHERE video_id LIKE 'bench-run$$-%'")
reqs=$(echo "$line" | sed 's/.*requests=\([0-9]*\).*/\1/')

echo "== ceiling: pgbench, same job row, $CONNS clients, prepared, same cluster"
$PGBENCH -n -M prepared -c "$CONNS" -j 2 -T "$SECS" -h "$STACK_DIR/pgsock" -U postgres \
	-f "$top_srcdir/tests/bench/pgbench-insert.sql" captionacc >"$dir/pgbench.out" 2>&1 ||
	{ cat "$dir/pgbench.out"; exit 1; }
grep -E '^(latency average|tps)' "$dir/pgbench.out"
ceiling=$(awk '/^tps = / {print $3; exit}' "$dir/pgbench.out")

echo
echo "== result"
awk -v rps="$rps" -v c="$ceiling" -v p50="$p50" -v p99="$p99" -v bad="$bad" -v rows="$rows" -v reqs="$reqs" 'BEGIN {
	printf "webhook: %.0f requests/s, p50 %.2f ms, p99 %.2f ms, failed responses %s\n", rps, p50/1000, p99/1000, bad
	printf "ceiling (pgbench single-row insert): %.0f tps\n", c
	printf "ratio: %.2f (target >= 0.60), p99 target < 10 ms\n", rps / c
	printf "job rows written by the run: %d for %d completed requests\n", rows, reqs
}'
