#!/bin/sh
# cost.sh: what a job costs the database, counted (not timed) on a throwaway cluster with autovacuum off:
# the transactions (pg_stat_database xact_commit + xact_rollback of the runner's database, read from
# another database so the reads do not count) of a runner draining N jobs, less those of a runner that
# drains one. A short flow's one-step job costs 1: its claim (a new job has no step rows to read) commits with the
# job before's completion (its step fused with it); a three-step job costs 3 (the claim with the last
# one's completion, then a checkpoint per step but the last, fused with the completion that rides the
# next claim); no step row is written before the step has a result. Also
# the wake-ups: an enqueue notifies only while a runner waits, and a waiting runner still picks a job up
# at once.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
"$stack" start-db "$dir"
. "$dir/env"
export LOG_FILE="$dir/runner.log" PGOPTIONS="-c client_min_messages=warning"
q() { $PSQL -c "$1"; }
# Reads go through the database "postgres": the counted database sees only the runner.
other=$(echo "$PSQL" | sed 's/-d captionacc/-d postgres/')
$other -c "ALTER SYSTEM SET autovacuum = off" -c "SELECT pg_reload_conf()" >/dev/null
sessions() { $other -c "SELECT count(*) FROM pg_stat_activity WHERE datname = 'captionacc'"; }
count() { $other -c "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'captionacc'"; }
# The counter once nobody is connected to the counted database and it has stopped moving (a session's
# counts reach the statistics as it exits).
settled() {
	t=200
	while [ "$(sessions)" != 0 ]; do
		t=$((t - 1)); [ "$t" -gt 0 ] || { echo "cost.sh: sessions still open" >&2; exit 1; }
		sleep 0.1
	done
	a=$(count); sleep 0.3; b=$(count)
	while [ "$a" != "$b" ]; do a=$b; sleep 0.3; b=$(count); done
	echo "$b"
}
# fill FLOW N: N waiting jobs of FLOW (params {}), queued before counting starts
fill() {
	q "TRUNCATE jobs CASCADE; DELETE FROM runner_maintenance; DELETE FROM queue_waiters;
	   INSERT INTO jobs (flow, tenant_id, parameters, priority, base_priority)
	   SELECT '$1', 't', '{}', 50, 50 FROM generate_series(1, $2)"
}
# drained FLOW N: transactions of one runner draining N jobs of FLOW
drained() {
	fill "$1" "$2"
	before=$(settled)
	"$runner" run --worker-id cost >>"$dir/run.out" 2>&1
	after=$(settled)
	done_n=$(q "SELECT count(*) FROM jobs WHERE status = 'completed'")
	[ "$done_n" = "$2" ] || { echo "cost.sh: $done_n of $2 jobs completed" >&2; exit 1; }
	echo $((after - before))
}

# Per job: (N jobs - 1 job) / (N - 1), so what a runner pays once (connecting, preparing its statements,
# housekeeping, the last claim that finds nothing) cancels out.
per_job() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.2f", (a - b) / (n - 1) }'; }
one1=$(drained noop 1)
one=$(drained noop 101)
check_eq "a one-step job costs 1 transaction: its claim with the last job's completion (101 jobs: $one, 1 job: $one1)" \
	"$(per_job "$one" "$one1" 101)" 1.00
check_eq "a one-step job's step row: completed, started before it finished" \
	"$(q "SELECT count(*) FROM job_steps WHERE status = 'completed' AND started_at <= finished_at")" 101
three1=$(drained diagnostic 1)
three=$(drained diagnostic 51)
check_eq "a three-step job costs 3 transactions (51 jobs: $three, 1 job: $three1)" \
	"$(per_job "$three" "$three1" 51)" 3.00
check_eq "a three-step job: every step written once, in order, with its result" \
	"$(q "SELECT count(*) FROM job_steps WHERE status = 'completed' AND attempt = 1 AND result ? 'step'")" 153
q "TRUNCATE jobs CASCADE; INSERT INTO jobs (flow, tenant_id, parameters, priority, base_priority)
   VALUES ('diagnostic', 't', '{\"sleep_ms\": 300}', 50, 50)"
"$runner" run --worker-id slow >>"$dir/run.out" 2>&1
check_eq "a step's start is when it started, not when its row was written (300 ms steps)" \
	"$(q "SELECT count(*) FROM job_steps WHERE finished_at - started_at >= interval '250 ms'")" 3

# --- wake-ups: no runner waits, so enqueues do not notify; a waiting runner is notified at once
q "TRUNCATE jobs CASCADE; DELETE FROM queue_waiters"
# a session that listens (psql prints what it received after each command)
$PSQL -c "LISTEN captionacc_jobs" -c "SELECT pg_sleep(2)" >"$dir/listen.out" 2>&1 & lp=$!; pids="$pids $lp"
sleep 0.5
q "INSERT INTO jobs (flow, tenant_id, parameters, priority, base_priority) VALUES ('noop', 't', '{}', 50, 50)"
wait "$lp" || true
check_eq "no runner waits: an enqueue sends no notification" "$(grep -c 'Asynchronous notification' "$dir/listen.out" || true)" 0
q "TRUNCATE jobs CASCADE"
"$runner" run --wait --max-seconds 20 --worker-id waiter >>"$dir/run.out" 2>&1 & w=$!; pids="$pids $w"
check "a waiting runner registers as waiting" wait_for 10 sh -c "test \"\$($PSQL -c \"SELECT count(*) FROM queue_waiters
	WHERE worker = 'waiter'\")\" = 1"
sleep 0.3
job=$(q "INSERT INTO jobs (flow, tenant_id, parameters, priority, base_priority) VALUES ('noop', 't', '{}', 50, 50)
	RETURNING id")
check "the waiting runner is woken and completes the job at once" wait_for 3 sh -c "test \"\$($PSQL -c \"SELECT status
	FROM jobs WHERE id = '$job'\")\" = completed"
check_eq "picked up within 500 ms of the insert (a missed notification waits 1 s)" \
	"$(q "SELECT started_at - created_at < interval '500 ms' FROM jobs WHERE id = '$job'")" t
slow=$(q "INSERT INTO jobs (flow, tenant_id, parameters, priority, base_priority)
	VALUES ('diagnostic', 't', '{\"sleep_ms\": 1000}', 50, 50) RETURNING id")
check "the waiting runner takes a 3 s job" wait_for 3 sh -c "test \"\$($PSQL -c \"SELECT status FROM jobs
	WHERE id = '$slow'\")\" = running"
check_eq "a runner that found work no longer counts as waiting (enqueues stop notifying)" \
	"$(q "SELECT count(*) FROM queue_waiters")" 0
check "once its job is done it waits again" wait_for 10 sh -c "test \"\$($PSQL -c \"SELECT count(*)
	FROM queue_waiters WHERE worker = 'waiter'\")\" = 1"
again=$(q "INSERT INTO jobs (flow, tenant_id, parameters, priority, base_priority) VALUES ('noop', 't', '{}', 50, 50)
	RETURNING id")
check "waiting again on the same session (LISTEN once per session), it is woken at once" wait_for 3 sh -c "test \"\$($PSQL -c \"
	SELECT started_at - created_at < interval '500 ms' FROM jobs WHERE id = '$again' AND status = 'completed'\")\" = t"
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'captionacc-runner%'" >/dev/null
check "after its session was killed it waits again on a new one" wait_for 10 sh -c "test \"\$($PSQL -c \"SELECT count(*)
	FROM queue_waiters w JOIN pg_stat_activity a ON a.pid = w.pid WHERE w.worker = 'waiter'\")\" = 1"
sleep 0.3
fresh=$(q "INSERT INTO jobs (flow, tenant_id, parameters, priority, base_priority) VALUES ('noop', 't', '{}', 50, 50)
	RETURNING id")
check "and listens on the new session: woken at once" wait_for 3 sh -c "test \"\$($PSQL -c \"
	SELECT started_at - created_at < interval '500 ms' FROM jobs WHERE id = '$fresh' AND status = 'completed'\")\" = t"
kill -TERM "$w"; wait "$w" || true
check_eq "a runner that stops no longer counts as waiting" "$(q "SELECT count(*) FROM queue_waiters")" 0
q "INSERT INTO queue_waiters (worker, pid) VALUES ('gone', 999999)"
"$runner" run --worker-id pruner >>"$dir/run.out" 2>&1
check_eq "a waiting runner whose session is gone is forgotten" "$(q "SELECT count(*) FROM queue_waiters")" 0
finish
