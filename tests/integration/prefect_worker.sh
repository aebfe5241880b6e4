#!/bin/sh
# prefect_worker.sh: captionacc-runner as a Prefect worker (QUEUE_BACKEND=prefect) against
# tests/doubles/prefect_double and a throwaway PostgreSQL: prefect-setup creates the band queues; two
# runners polling one pool never run the same flow run (each run: one PENDING, one RUNNING, its first step
# once); queue priority decides the order; a failing flow reports FAILED with its message; a transient
# failure reschedules the run (AwaitingRetry) and the next attempt resumes after the completed step;
# invalid parameters fail the run; a cancellation seen between steps ends it CANCELLED; `enqueue` creates
# flow runs in Prefect.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
PREFECT_DOUBLE_KEY=pd-worker-key-$$
export PREFECT_DOUBLE_KEY
"$stack" prefect-start "$dir"
P="http://127.0.0.1:$(cat "$dir/prefect.port")"
EXTRA_CONFIG="QUEUE_BACKEND = prefect
PREFECT_API_URL = $P/api
PREFECT_API_KEY = $PREFECT_DOUBLE_KEY
PREFECT_POLL_INTERVAL_MS = 50
MAX_ATTEMPTS = 2
RETRY_BASE_MS = 100
RETRY_MAX_MS = 200" "$stack" start-db "$dir" >/dev/null
. "$dir/env"

api() { # METHOD PATH [BODY]
	curl -s -X "$1" -H "Authorization: Bearer $PREFECT_DOUBLE_KEY" -H 'Content-Type: application/json' \
		${3:+--data "$3"} "$P/api$2"
}
dep=$(api GET /deployments/name/diagnostic/captionacc | sed 's/.*"id":"\([^"]*\)".*/\1/')
# new_run PARAMS QUEUE PRIORITY KEY: prints the new run's id
new_run() {
	api POST "/deployments/$dep/create_flow_run" \
		"{\"parameters\":$1,\"tags\":[\"priority:$3\"],\"work_queue_name\":\"$2\",\"idempotency_key\":\"$4\"}" |
		sed 's/^{"id":"\([^"]*\)".*/\1/'
}
# history ID: the run's accepted states, e.g. SCHEDULED,PENDING,RUNNING,COMPLETED
history() {
	curl -s "$P/_runs" | sed 's/},{"id"/}\n{"id"/g' | grep "\"id\":\"$1\"" | head -n 1 |
		sed 's/.*"history":\[\([^]]*\)\].*/\1/; s/"//g'
}
message() {
	curl -s "$P/_runs" | sed 's/},{"id"/}\n{"id"/g' | grep "\"id\":\"$1\"" | head -n 1 |
		sed 's/.*"state":{[^}]*"message":"\([^"]*\)".*/\1/'
}

# --- prefect-setup ---------------------------------------------------------------------------------
out=$("$runner" prefect-setup)
check "prefect-setup creates the three band queues" sh -c "echo '$out' | grep -c created | grep -qx 3"
check "prefect-setup finds the deployments" sh -c "echo '$out' | grep -c 'found' | grep -qx 3"
out=$("$runner" prefect-setup)
check "prefect-setup again: queues already there" sh -c "echo '$out' | grep -c 'already there' | grep -qx 3"

# --- two runners, ten runs: each run executed once -------------------------------------------------
ids=
for n in 0 1 2 3 4 5 6 7 8 9; do
	ids="$ids $(new_run '{"tenant_id":"tenant-w","sleep_ms":100}' captionacc-low 50 "two-$n")"
done
"$runner" run --max-jobs 20 >"$dir/r1.log" 2>&1 &
r1=$!
"$runner" run --max-jobs 20 >"$dir/r2.log" 2>&1 &
r2=$!
pids="$pids $r1 $r2"
wait "$r1" "$r2" || true
all=ok
for id in $ids; do
	h=$(history "$id")
	[ "$h" = "SCHEDULED,PENDING,RUNNING,COMPLETED" ] || { all="$id: $h"; break; }
done
check_eq "two runners: every run SCHEDULED, PENDING, RUNNING, COMPLETED once" "$all" ok
check_eq "two runners: each run's first step ran once" \
	"$($PSQL -c "SELECT count(*) FROM job_steps WHERE step_index = 0 AND status = 'completed'")" 10
check_eq "two runners: one job row per run, one attempt each" \
	"$($PSQL -c "SELECT count(*) FROM jobs WHERE backend = 'prefect' AND attempt = 1 AND status = 'completed'")" 10
check "both runners found work or one drained it all" sh -c "grep -q 'completed' '$dir/captionacc.log'"

# --- queue priority: the high queue first ----------------------------------------------------------
low=$(new_run '{"tenant_id":"tenant-w"}' captionacc-low 50 order-low)
high=$(new_run '{"tenant_id":"tenant-w"}' captionacc-high 90 order-high)
"$runner" run --max-jobs 1 >/dev/null 2>&1
check_eq "the high-priority queue's run goes first" "$(history "$high")" "SCHEDULED,PENDING,RUNNING,COMPLETED"
check_eq "the low one waits" "$(history "$low")" "SCHEDULED"
"$runner" run >/dev/null 2>&1

# --- a failing flow reports FAILED with its message ------------------------------------------------
bad=$(new_run '{"tenant_id":"tenant-w","fail_step":"second"}' captionacc-low 50 fail-1)
"$runner" run >/dev/null 2>&1 || true
check_eq "failing flow: FAILED" "$(history "$bad")" "SCHEDULED,PENDING,RUNNING,FAILED"
check "failing flow: the state message says why" sh -c "echo '$(message "$bad")' | grep -q 'step second failed as asked'"

# --- a transient failure: AwaitingRetry, then the next attempt resumes after the completed step ------
retry=$(new_run '{"tenant_id":"tenant-w","retry_step":"second"}' captionacc-low 50 retry-1)
"$runner" run --max-seconds 3 --wait >/dev/null 2>&1 || true
check_eq "transient failure: rescheduled once, then failed out of attempts" "$(history "$retry")" \
	"SCHEDULED,PENDING,RUNNING,SCHEDULED,PENDING,RUNNING,FAILED"
check_eq "the second attempt did not run the completed first step again" \
	"$($PSQL -c "SELECT attempt FROM job_steps WHERE job_id = '$retry' AND step_index = 0")" 1

# --- invalid parameters fail the run ---------------------------------------------------------------
inv=$(new_run '{"tenant_id":"bad tenant!"}' captionacc-low 50 invalid-1)
"$runner" run >/dev/null 2>&1 || true
check_eq "invalid parameters: FAILED" "$(history "$inv")" "SCHEDULED,PENDING,RUNNING,FAILED"
check "invalid parameters: the message names the field" sh -c "echo '$(message "$inv")' | grep -q tenant_id"

# --- cancellation between steps ----------------------------------------------------------------------
slow=$(new_run '{"tenant_id":"tenant-w","sleep_ms":700}' captionacc-low 50 cancel-1)
"$runner" run >"$dir/r3.log" 2>&1 &
r3=$!
pids="$pids $r3"
wait_for 10 sh -c "curl -s '$P/_runs' | sed 's/},{\"id\"/}\n{\"id\"/g' | grep '\"id\":\"$slow\"' | grep -q '\"state_type\":\"RUNNING\"'" || true
curl -s -X POST "$P/_cancel?id=$slow" >/dev/null
wait "$r3" || true
check_eq "cancelled run: CANCELLING seen between steps, then CANCELLED" "$(history "$slow")" \
	"SCHEDULED,PENDING,RUNNING,CANCELLING,CANCELLED"
check_eq "cancelled run: its last step never started" \
	"$($PSQL -c "SELECT count(*) FROM job_steps WHERE job_id = '$slow' AND step_index = 2")" 0
check_eq "cancelled run: job row cancelled" "$($PSQL -c "SELECT status FROM jobs WHERE id = '$slow'")" cancelled

# --- enqueue with QUEUE_BACKEND=prefect creates a flow run, which a runner then completes -------------
out=$("$runner" enqueue --priority 95 diagnostic '{"tenant_id":"tenant-w"}')
op=$(echo "$out" | sed -n 's/^queued diagnostic Prefect flow run \([^ ]*\) .*/\1/p')
check "enqueue (prefect): a flow run in the high queue" sh -c "echo '$out' | grep -q 'work queue captionacc-high'"
"$runner" run >/dev/null 2>&1 || true
check_eq "enqueue (prefect): the runner completed it" "$(history "$op")" "SCHEDULED,PENDING,RUNNING,COMPLETED"
check_eq "enqueue (prefect): no local job was queued" \
	"$($PSQL -c "SELECT count(*) FROM jobs WHERE backend = 'local'")" 0

# --- the local queue never sees Prefect's rows ------------------------------------------------------
check_eq "no Prefect row is claimable locally" \
	"$($PSQL -c "SELECT count(*) FROM jobs WHERE backend = 'prefect' AND status IN ('pending', 'retry')")" 0
check "no secret in the log" sh -c "! grep -q '$PREFECT_DOUBLE_KEY' '$dir/captionacc.log'"
finish
