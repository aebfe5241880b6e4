#!/bin/sh
# queue.sh: the local queue under real runner processes and a real PostgreSQL (the seed's
# worker-integration-tests.md): atomic claims (2 runners for 1 job, 20 for 10), FIFO within a priority,
# priority order across tiers with ageing, 200 jobs drained by 15 runners with every job done exactly
# once, a runner killed with SIGKILL mid-step (the job is reclaimed after its lease expires and resumes at
# the right step, no step written twice), a lost lease that can no longer write, SIGTERM handing the job
# back, transient failures retried with backoff until max_attempts, and --dry-run changing nothing.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
EXTRA_CONFIG="RETRY_BASE_MS = 50
RETRY_MAX_MS = 200" "$stack" start-db "$dir"
. "$dir/env"
export LOG_FILE="$dir/runner.log" PGOPTIONS="-c client_min_messages=warning"
q() { $PSQL -c "$1"; }
reset() { q "TRUNCATE jobs CASCADE; DELETE FROM runner_maintenance"; }
# add FLOW PRIORITY PARAMS [AGE_MINUTES]: queues a job directly (as captionacc-fcgi would)
add() {
	q "INSERT INTO jobs (flow, tenant_id, parameters, priority, base_priority, age_anchor)
	   VALUES ('$1', 't', '${3:-{\}}', $2, $2, now() - interval '${4:-0} minutes') RETURNING id"
}

# --- 2 runners, 1 job: one wins
reset
add diagnostic 50 '{"sleep_ms": 300}' >/dev/null
"$runner" run --worker-id A >"$dir/a.out" 2>&1 & a=$!
"$runner" run --worker-id B >"$dir/b.out" 2>&1 & b=$!
wait $a; wait $b
check_eq "2 runners, 1 job: completed once" "$(q "SELECT status || attempt FROM jobs")" "completed1"
check_eq "2 runners, 1 job: one runner claimed it" \
	"$(grep -c 'done: 1 job ' "$LOG_FILE")" 1

# --- 20 runners, 10 jobs: exactly 10 claims, all distinct
reset
: >"$LOG_FILE"
for i in 1 2 3 4 5 6 7 8 9 10; do add diagnostic 50 '{"sleep_ms": 200}' >/dev/null; done
rp=
for i in $(seq 1 20); do "$runner" run --max-jobs 1 --worker-id "w$i" >/dev/null 2>&1 & rp="$rp $!"; done
for p in $rp; do wait "$p"; done
check_eq "20 runners, 10 jobs: 10 completed, each on its first attempt" \
	"$(q "SELECT count(*) FROM jobs WHERE status = 'completed' AND attempt = 1")" 10
check_eq "20 runners, 10 jobs: 10 runners got one job, 10 got none" \
	"$(grep -c 'done: 1 job ' "$LOG_FILE") $(grep -c 'done: 0 jobs' "$LOG_FILE")" "10 10"
check_eq "20 runners, 10 jobs: every step ran once" "$(q "SELECT count(*) FROM job_steps")" 30

# --- FIFO within a priority; priority order across tiers, with ageing
reset
add noop 70 '{"n": 1}' 30 >/dev/null
add noop 70 '{"n": 2}' 20 >/dev/null
add noop 70 '{"n": 3}' 10 >/dev/null
"$runner" run >/dev/null 2>&1
check_eq "FIFO within a priority" \
	"$(q "SELECT string_agg(parameters->>'n', ',' ORDER BY finished_at) FROM jobs")" "1,2,3"
reset
add noop 50 '{"n": "free"}' >/dev/null
add noop 90 '{"n": "enterprise"}' >/dev/null
add noop 70 '{"n": "premium"}' >/dev/null
add noop 50 '{"n": "free-aged-30h"}' 1800 >/dev/null
add noop 50 '{"n": "free-aged-5h"}' 300 >/dev/null
dry=$("$runner" run --dry-run)
check "dry run lists all 5" sh -c 'echo "$1" | grep -q "^5 jobs would be claimed"' _ "$dry"
check_eq "dry run changes nothing" "$(q "SELECT count(*) FROM jobs WHERE status = 'pending' AND attempt = 0")" 5
"$runner" run >/dev/null 2>&1
check_eq "priority order across tiers, aged free work ahead of younger premium" \
	"$(q "SELECT string_agg(parameters->>'n', ',' ORDER BY finished_at) FROM jobs")" \
	"enterprise,free-aged-30h,premium,free-aged-5h,free"
check_eq "ageing raised the stored priorities" \
	"$(q "SELECT string_agg(priority::text, ',' ORDER BY finished_at) FROM jobs")" "90,70,70,55,50"

# --- 200 jobs, 15 runners: each exactly once
reset
q "INSERT INTO jobs (flow, tenant_id, parameters, priority, base_priority)
   SELECT 'diagnostic', 't', jsonb_build_object('i', i), 50, 50 FROM generate_series(1, 200) i"
rp=
for i in $(seq 1 15); do "$runner" run --worker-id "d$i" >/dev/null 2>&1 & rp="$rp $!"; done
for p in $rp; do wait "$p"; done
check_eq "200 jobs, 15 runners: all completed on their first attempt" \
	"$(q "SELECT count(*) FROM jobs WHERE status = 'completed' AND attempt = 1")" 200
check_eq "200 jobs, 15 runners: 600 step rows, each completed once" \
	"$(q "SELECT count(*) || '/' || count(DISTINCT (job_id, step_index)) FROM job_steps WHERE status = 'completed'
	      AND attempt = 1")" "600/600"

# --- SIGKILL mid-step: reclaimed after the lease expires, resumes at the right step
reset
job=$(add diagnostic 50 '{"sleep_ms": 1500}')
LEASE_SECONDS=2 "$runner" run --worker-id victim >/dev/null 2>&1 & v=$!; pids="$pids $v"
wait_for 10 sh -c "test \"\$($PSQL -c \"SELECT count(*) FROM job_steps WHERE job_id = '$job' AND status = 'completed'\")\" = 1"
first_done=$(q "SELECT finished_at FROM job_steps WHERE job_id = '$job' AND step_index = 0")
kill -KILL "$v"; wait "$v" 2>/dev/null || true
check_eq "killed runner left the job running" "$(q "SELECT status FROM jobs WHERE id = '$job'")" running
LEASE_SECONDS=2 "$runner" run --worker-id rescuer --max-seconds 15 --wait --max-jobs 1 >/dev/null 2>&1
check_eq "reclaimed job completed on attempt 2" "$(q "SELECT status || attempt FROM jobs WHERE id = '$job'")" completed2
check_eq "step 1 kept from attempt 1, not run again" \
	"$(q "SELECT attempt || ' ' || (finished_at = '$first_done') FROM job_steps WHERE job_id = '$job' AND step_index = 0")" \
	"1 true"
check_eq "steps 2 and 3 ran on attempt 2" \
	"$(q "SELECT string_agg(attempt::text, ',' ORDER BY step_index) FROM job_steps WHERE job_id = '$job' AND step_index > 0")" \
	"2,2"
check_eq "results chained across the crash" \
	"$(q "SELECT result->>'after' FROM job_steps WHERE job_id = '$job' AND step_index = 1")" 1

# --- a lost lease cannot write: another runner took the job over
reset
job=$(add diagnostic 50 '{"sleep_ms": 3000}')
"$runner" run --worker-id loser >/dev/null 2>&1 & l=$!; pids="$pids $l"
wait_for 10 sh -c "test \"\$($PSQL -c \"SELECT status FROM jobs WHERE id = '$job'\")\" = running"
q "UPDATE jobs SET lease_token = gen_random_uuid(), lease_owner = 'usurper' WHERE id = '$job'" >/dev/null
wait "$l" || true
check_eq "fenced: the job is untouched by the old holder" \
	"$(q "SELECT status || ' ' || lease_owner FROM jobs WHERE id = '$job'")" "running usurper"
check_eq "fenced: no step written after the lease was lost" "$(q "SELECT count(*) FROM job_steps WHERE job_id = '$job'")" 0
check "the old holder logged that it abandoned the job" grep -q "abandoned (lease lost)" "$LOG_FILE"

# --- SIGTERM: the current job is handed back, lease released, exit 0
reset
job=$(add diagnostic 50 '{"sleep_ms": 3000}')
"$runner" run --worker-id stopping >/dev/null 2>&1 & s=$!; pids="$pids $s"
wait_for 10 sh -c "test \"\$($PSQL -c \"SELECT status FROM jobs WHERE id = '$job'\")\" = running"
kill -TERM "$s"
rc=0; wait "$s" || rc=$?
check_eq "SIGTERM: runner exits 0" "$rc" 0
check_eq "SIGTERM: job handed back, attempt given back, lease released" \
	"$(q "SELECT status || ' ' || attempt || ' ' || (lease_token IS NULL) FROM jobs WHERE id = '$job'")" "pending 0 true"

# --- transient failures: retried with backoff until max_attempts, then failed with the error
reset
job=$(q "INSERT INTO jobs (flow, tenant_id, parameters, priority, base_priority, max_attempts)
         VALUES ('diagnostic', 't', '{\"retry_step\": \"second\"}', 50, 50, 3) RETURNING id")
"$runner" run --max-seconds 10 --wait --max-jobs 3 >/dev/null 2>&1
check_eq "retried to max_attempts then failed" \
	"$(q "SELECT status || ' ' || attempt FROM jobs WHERE id = '$job'")" "failed 3"
check "the failure says which step and why" sh -c \
	"$PSQL -c \"SELECT error_message FROM jobs WHERE id = '$job'\" | grep -q 'second: step second failed transiently as asked (out of attempts)'"
check_eq "a failing step stops the flow: third never ran" \
	"$(q "SELECT count(*) FROM job_steps WHERE job_id = '$job' AND step_index = 2")" 0

finish
