#!/bin/sh
# webhook.sh: benchmark of the webhook intake path (make bench). Drives POST /webhooks/supabase/videos
# through real nginx with wrk (distinct videos, BENCH_CONNECTIONS connections, BENCH_SECONDS seconds),
# then measures the ceiling on the same cluster with pgbench: captionacc-fcgi's own insert statement
# (tests/bench/ceiling-sql insert) at the same concurrency, synchronous_commit=on, fsync on, with the jobs
# table's NOTIFY trigger switched off (the bar: an insert with nothing else), and once more with the
# trigger as deployed (no runner waits, so it does not notify). Prints the figures with the machine and
# date, and the ratio. Not a test.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
export top_srcdir top_builddir
CONNS=${BENCH_CONNECTIONS:-32}
SECS=${BENCH_SECONDS:-10}
THREADS=2; [ "$CONNS" -ge 2 ] || THREADS=1
command -v wrk >/dev/null || { echo "webhook.sh: wrk not found: install the Debian package wrk" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/captionacc-bench.XXXXXX")
trap '"$top_srcdir/tests/harness/stack.sh" stop "$dir" || true' EXIT
trap 'exit 1' INT TERM
CHILDREN=${BENCH_FCGI_CHILDREN:-$CONNS}
# nginx keeps as many connections to captionacc-fcgi as nginx/captionacc.conf's rule allows for this many
# processes (2 nginx workers, half the processes held at most): a connection per request costs nginx and
# captionacc-fcgi 10-20 % more CPU, and with too few processes left free the p99 is 2-30 x longer.
KEEPALIVE=$(( CHILDREN / 4 )); [ "$KEEPALIVE" -ge 1 ] || KEEPALIVE=1
PG_FSYNC=on FCGI_CHILDREN=$CHILDREN NGINX_KEEPALIVE=$KEEPALIVE NGINX_RATE=1000000r/s NGINX_BURST=1000000 \
	"$top_srcdir/tests/harness/stack.sh" start "$dir"
. "$dir/env"
. "$top_srcdir/tests/bench/lib.sh"
machine

echo "== webhook through nginx -> captionacc-fcgi ($CONNS processes) -> PostgreSQL (fsync on)"
# warm-up: every process connects and prepares its statements
wrk -t"$THREADS" -c"$CONNS" -d2s -s "$top_srcdir/tests/bench/webhook.lua" "$STACK_URL" -- warm "$WEBHOOK_SECRET" >/dev/null
wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency -s "$top_srcdir/tests/bench/webhook.lua" "$STACK_URL" -- \
	"run$$" "$WEBHOOK_SECRET" >"$dir/wrk.out"
cat "$dir/wrk.out"
rps=$(awk '/^Requests\/sec:/ {print $2}' "$dir/wrk.out")
line=$(grep '^BENCH' "$dir/wrk.out")
p50=$(echo "$line" | sed 's/.*p50_us=\([0-9]*\).*/\1/')
p99=$(echo "$line" | sed 's/.*p99_us=\([0-9]*\).*/\1/')
bad=$(echo "$line" | sed 's/.*non2xx=\([0-9]*\) socket_errors=\([0-9]*\).*/\1 + \2/')
rows=$($PSQL -c "SELECT count(*) FROM jobs WHERE video_id LIKE 'bench-run$$-%'")
reqs=$(echo "$line" | sed 's/.*requests=\([0-9]*\).*/\1/')

"$top_builddir/tests/bench/ceiling-sql" insert >"$dir/insert.sql"
inserts() { # -> "tps p99_ms" (p99 from pgbench's per-transaction log)
	rm -f "$dir"/pgblog*
	$PGBENCH -n -M prepared -c "$CONNS" -j 2 -T "$SECS" -h "$STACK_DIR/pgsock" -U postgres -l \
		--log-prefix="$dir/pgblog" -f "$dir/insert.sql" captionacc >"$dir/pgbench.out" 2>&1 ||
		{ cat "$dir/pgbench.out" >&2; exit 1; }
	grep -E '^(latency average|tps)' "$dir/pgbench.out" >&2
	echo "$(awk '/^tps = / {print $3; exit}' "$dir/pgbench.out") $(cat "$dir"/pgblog* | awk '{ print $3 }' | sort -n |
		awk '{ a[NR] = $1 } END { printf "%.2f", a[int(NR * 0.99)] / 1000 }')"
}
echo "== ceiling: pgbench, captionacc-fcgi's insert statement, $CONNS clients, prepared, same cluster, no trigger"
$PSQL -c "ALTER TABLE jobs DISABLE TRIGGER jobs_notify"
ceiling=$(inserts)
$PSQL -c "ALTER TABLE jobs ENABLE TRIGGER jobs_notify"
echo "== the same with the jobs_notify trigger as deployed (no runner waits: no NOTIFY)"
with_trigger=$(inserts)

echo
echo "== result"
awk -v rps="$rps" -v c="${ceiling% *}" -v cp99="${ceiling#* }" -v p50="$p50" -v p99="$p99" -v bad="$bad" \
    -v rows="$rows" -v reqs="$reqs" -v t="${with_trigger% *}" -v conns="$CONNS" 'BEGIN {
	printf "webhook: %.0f requests/s, p50 %.2f ms, p99 %.2f ms, failed responses %s\n", rps, p50/1000, p99/1000, bad
	printf "ceiling (pgbench, the same insert statement, no trigger): %.0f tps, p99 %.2f ms\n", c, cp99
	printf "the insert with the trigger as deployed: %.0f tps (%.2f of the ceiling)\n", t, t / c
	printf "(%d connections each waiting for its answer: mean latency = %d / throughput = %.1f ms)\n", conns, conns,
	    conns / rps * 1000
	printf "ratio: %.2f (target >= 0.60), p99 target < 10 ms\n", rps / c
	printf "job rows written by the run: %d for %d completed requests\n", rows, reqs
}'
