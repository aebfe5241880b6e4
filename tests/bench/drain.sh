#!/bin/sh
# drain.sh: benchmark of the runner (make bench). Drains BENCH_JOBS no-op jobs (flow noop: one step that
# does nothing) with 1 and with 4 runner processes, and measures in the same run on the same cluster the
# ceiling: pgbench running the runner's exact statements for a one-step job (tests/bench/ceiling-sql
# drain: the claim and the step fused with the completion, in one transaction as the runner commits a
# job's completion with the next claim) on the same rows at the same concurrency. Then the same with
# run --prefetch BENCH_PREFETCH (10) beside pgbench claiming and completing that many jobs per statement,
# both in one transaction (the batched ceiling). Prints jobs/s beside the ceiling, their ratio, and what each
# job cost the database (transactions and WAL fsyncs per job, from pg_stat_database and pg_stat_wal).
# Then the pick-up latency (job inserted -> claimed) while a runner waits for work, the jobs inserted from
# a kept connection and from a new session each. Not a test: figures with the machine and date.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
export top_srcdir top_builddir
N=${BENCH_JOBS:-4000}
runner="$top_builddir/runner/captionacc-runner"
dir=$(mktemp -d "${TMPDIR:-/tmp}/captionacc-drain.XXXXXX")
trap '"$top_srcdir/tests/harness/stack.sh" stop "$dir" || true' EXIT
trap 'exit 1' INT TERM
PG_FSYNC=on EXTRA_CONFIG="LOG_LEVEL = warn" "$top_srcdir/tests/harness/stack.sh" start-db "$dir"
. "$dir/env"
. "$top_srcdir/tests/bench/lib.sh"
export PGOPTIONS="-c client_min_messages=warning"
q() { $PSQL -c "$1"; }
fill() {
	q "TRUNCATE jobs CASCADE; INSERT INTO jobs (flow, tenant_id, parameters, priority, base_priority)
	   SELECT 'noop', 'bench', '{}', 50, 50 FROM generate_series(1, $N)"
	q "VACUUM ANALYZE jobs, job_steps"
}
now_ns() { date +%s%N; }

drain() { # runners [run options] -> "jobs/s transactions/job fsyncs/job"
	fill
	n=$1; shift
	before=$(counters captionacc)
	t0=$(now_ns)
	pids=
	for i in $(seq 1 "$n"); do "$runner" run --worker-id "bench$i" "$@" >/dev/null 2>&1 & pids="$pids $!"; done
	for p in $pids; do wait "$p"; done
	t1=$(now_ns)
	after=$(counters captionacc)
	done_n=$(q "SELECT count(*) FROM jobs WHERE status = 'completed'")
	[ "$done_n" = "$N" ] || { echo "drain.sh: only $done_n of $N jobs completed" >&2; exit 1; }
	echo "$(awk -v n="$N" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f", n / (ns / 1e9) }') $(per_job "$before" "$after" "$N")"
}

ceiling() { # clients -> "tps transactions/job fsyncs/job"
	fill
	per=$((N / $1))
	before=$(counters captionacc)
	$PGBENCH -n -M prepared -c "$1" -j "$1" -t "$per" -h "$STACK_DIR/pgsock" -U postgres \
		-f "$dir/claim.sql" captionacc >"$dir/pgbench.out" 2>&1 ||
		{ cat "$dir/pgbench.out" >&2; exit 1; }
	after=$(counters captionacc)
	echo "$(awk '/^tps = / {printf "%.0f", $3; exit}' "$dir/pgbench.out") $(per_job "$before" "$after" "$N")"
}

"$top_builddir/tests/bench/ceiling-sql" drain >"$dir/claim.sql"
machine
echo "== drain: $N no-op jobs (one step each), fsync on"
r1=$(drain 1); c1=$(ceiling 1)
r4=$(drain 4); c4=$(ceiling 4)
for line in "1 runner |$r1|$c1|1 client" "4 runners|$r4|$c4|4 clients"; do
	echo "$line" | awk -F'|' '{
		split($2, r, " "); split($3, c, " ")
		printf "%s: %6d jobs/s (%.2f transactions, %.2f WAL fsyncs per job)   ceiling (pgbench, the runner'"'"'s claim + fused completion in one transaction, %s): %6d tps (%.2f, %.2f)   ratio %.2f (target >= 0.80)\n",
			$1, r[1], r[2], r[3], $4, c[1], c[2], c[3], r[1] / c[1]
	}'
done

# What taking PREFETCH jobs per claim and completing them together could reach at most: pgbench claiming
# PREFETCH rows in one statement, then writing their steps and completing them in one, one transaction for
# both (the runner commits a batch's completions with its next claim); beside it, the runner doing it
# (run --prefetch PREFETCH), against the ceiling and the one-job drain.
P=${BENCH_PREFETCH:-10}
cat >"$dir/batch.sql" <<EOS
BEGIN;
UPDATE jobs j SET status = 'running', attempt = j.attempt + 1, lease_owner = 'pgbench' || :client_id,
  lease_token = gen_random_uuid(), lease_expires_at = now() + interval '300 s', started_at = now(), updated_at = now()
  FROM (SELECT id FROM jobs WHERE status IN ('pending', 'retry') AND backend = 'local' AND run_after <= now()
        ORDER BY priority DESC, age_anchor, id LIMIT $P FOR UPDATE SKIP LOCKED) c WHERE j.id = c.id;
WITH mine AS (SELECT id, attempt FROM jobs WHERE lease_owner = 'pgbench' || :client_id AND status = 'running' FOR UPDATE),
  s AS (INSERT INTO job_steps (job_id, step_index, name, status, result, attempt, started_at, finished_at)
        SELECT id, 0, 'noop', 'completed', '{}', attempt, now(), now() FROM mine)
UPDATE jobs SET status = 'completed', result = '{}', finished_at = now(), updated_at = now(), lease_owner = NULL,
  lease_token = NULL, lease_expires_at = NULL FROM mine WHERE jobs.id = mine.id;
COMMIT;
EOS
for c in 1 4; do
	fill
	$PGBENCH -n -M prepared -c "$c" -j "$c" -t $((N / c / P)) -h "$STACK_DIR/pgsock" -U postgres \
		-f "$dir/batch.sql" captionacc >"$dir/pgbench.out" 2>&1 || { cat "$dir/pgbench.out" >&2; exit 1; }
	bc=$(awk -v p="$P" '/^tps = / { printf "%.0f", $3 * p; exit }' "$dir/pgbench.out")
	rp=$(drain "$c" --prefetch "$P")
	awk -v c="$c" -v p="$P" -v bc="$bc" -v one="$( [ "$c" = 1 ] && echo "$c1" || echo "$c4")" \
		-v single="$( [ "$c" = 1 ] && echo "$r1" || echo "$r4")" -v rp="$rp" 'BEGIN {
		split(one, o, " "); split(single, s, " "); split(rp, r, " ")
		printf "batched ceiling (%d jobs per claim and per completion, %d client%s): %6d jobs/s = %.1f x the one-job ceiling\n",
			p, c, c == 1 ? "" : "s", bc, bc / o[1]
		printf "drain, run --prefetch %d, %d runner%s: %6d jobs/s (%.2f transactions, %.2f WAL fsyncs per job)   ratio %.2f to the batched ceiling, %.2f x the one-job drain (%d jobs/s)\n",
			p, c, c == 1 ? "" : "s", r[1], r[2], r[3], r[1] / bc, r[1] / s[1], s[1] }'
done

echo "== pick-up latency: 200 jobs queued 20 ms apart while one runner waits for work (inserted -> claimed)"
# The drains above leave a checkpoint's worth of dirty pages: flushed first, so their writes do not land
# in the inserts' commits measured here.
q "TRUNCATE jobs CASCADE"
q "CHECKPOINT"
for how in kept new; do
	q "TRUNCATE jobs CASCADE"
	"$runner" run --wait --max-seconds 60 --worker-id waiter >/dev/null 2>&1 & w=$!
	sleep 1
	if [ "$how" = kept ]; then
		pickup_jobs 200 bench
	else
		for i in $(seq 1 200); do
			q "INSERT INTO jobs (flow, tenant_id, parameters, priority, base_priority) VALUES ('noop', 'bench', '{}', 50, 50)"
			sleep 0.02
		done
	fi
	sleep 1
	kill -TERM "$w"; wait "$w" || true
	from="a new psql session each"; target=""
	[ "$how" = new ] || { from="one kept connection (as captionacc-fcgi)"; target=" (target p50 < 5 ms)"; }
	pickup_figures | awk -v from="$from" -v target="$target" '{
		printf "pick-up, inserts from %s: p50 %.2f ms, p99 %.2f ms over %d jobs%s\n", from, $1, $2, $3, target }'
done
