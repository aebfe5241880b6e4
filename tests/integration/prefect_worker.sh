#!/bin/sh
# prefect_worker.sh: captionacc-runner as a Prefect worker (QUEUE_BACKEND=prefect) against
# tests/doubles/prefect_double and a throwaway PostgreSQL: prefect-setup creates the band queues; two
# runners polling one pool never run the same flow run (each run: one PENDING, one RUNNING, its first step
# once); queue priority decides the order; a failing flow reports FAILED with its message; a transient
# failure reschedules the run (AwaitingRetry) and the next attempt resumes after the completed step;
# invalid parameters fail the run; a cancellation seen between steps ends it CANCELLED; `enqueue` creates
# flow runs in Prefect. And what the real server does (reference/prefect.md, "Observed"): a run whose
# runner was SIGKILLed is handed back and resumes after its last completed step; a cancellation during
# the last step ends CANCELLED in Prefect and in the row; WAIT is waited out (or the run given back, never
# left PENDING); runs made without a work queue are run; a deployment of another work pool is refused;
# runs of other deployments at the head of a queue do not hide ours; --dry-run and status read Prefect;
# an empty poll (another worker's poll locking the due runs) is confirmed before the runner gives up; a
# run whose last attempt died with its runner ends FAILED and its video in error (the flow's failure
# handling, run by the runner that took the run over); a runner frozen (SIGSTOP) before its write of the
# video past its lease, its run handed back and completed by another: resumed, it changes no row and no
# state in Prefect (the lease fences Prefect's runs as it does local jobs).
# Every runner logs to its own file (LOG_FILE in its environment wins over the settings file), so each
# check reads what that runner did, and every runner must exit 0.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
. "$top_srcdir/tests/harness/prefect-double.sh"
prefect_double_start worker-key
EXTRA_CONFIG="$PREFECT_CONFIG
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
# runner_bg NAME ARGS...: starts captionacc-runner ARGS in the background, its log in $dir/runner-NAME.log
# and its output in runner-NAME.out and .err; its PID in $bg (and $pids, for the cleanup).
runner_bg() {
	n=$1; shift
	LOG_FILE="$dir/runner-$n.log" "$runner" "$@" >"$dir/runner-$n.out" 2>"$dir/runner-$n.err" &
	bg=$!
	pids="$pids $bg"
}
# exits_ok NAME PID: waits for a background runner and checks that it exited 0
exits_ok() {
	st=0
	wait "$2" || st=$?
	check_eq "$1: the runner exits 0" "$st" 0
}
# runner_ok NAME ARGS...: runs captionacc-runner ARGS as runner_bg does, in the foreground; checks it exits 0
runner_ok() {
	runner_bg "$@"
	exits_ok "$1" "$bg"
}
# completed NAME: the ids of the jobs runner NAME completed, one a line, from its per-job lines
# ("[<id>] job <id> flow <flow> attempt a/b: completed in N ms")
completed() {
	sed -n 's/^[^ ]* captionacc-runner\[[0-9]*\] info: \[[^]]*\] job \([^ ]*\) flow [^ ]* attempt [0-9/]*: completed in [0-9]* ms$/\1/p' \
		"$dir/runner-$1.log"
}
message() {
	curl -s "$P/_runs" | sed 's/},{"id"/}\n{"id"/g' | grep "\"id\":\"$1\"" | head -n 1 |
		sed 's/.*"state":{[^}]*"message":"\([^"]*\)".*/\1/'
}
# state ID: the run's state type now
state() {
	curl -s "$P/_runs" | sed 's/},{"id"/}\n{"id"/g' | grep "\"id\":\"$1\"" | head -n 1 |
		sed 's/.*"state_type":"\([A-Z]*\)".*/\1/'
}
# steps_done ID: how many of the job's steps completed
steps_done() { $PSQL -c "SELECT count(*) FROM job_steps WHERE job_id = '$1' AND status = 'completed'"; }
# iso SECONDS: the UTC time SECONDS from now, as Prefect writes it
iso() { date -u -d "@$(($(date +%s) + $1))" +%Y-%m-%dT%H:%M:%S.000000+00:00; }

# --- prefect-setup ---------------------------------------------------------------------------------
runner_ok setup prefect-setup
check_eq "prefect-setup creates the four band queues" "$(grep -c created "$dir/runner-setup.out")" 4
check_eq "prefect-setup finds the deployments" "$(grep -c found "$dir/runner-setup.out")" 3
runner_ok setup-again prefect-setup
check_eq "prefect-setup again: queues already there" "$(grep -c 'already there' "$dir/runner-setup-again.out")" 4

# --- two runners, ten runs: each run executed once -------------------------------------------------
ids=
for n in 0 1 2 3 4 5 6 7 8 9; do
	ids="$ids $(new_run '{"tenant_id":"tenant-w","sleep_ms":100}' captionacc-low 50 "two-$n")"
done
runner_bg r1 run --max-jobs 20
r1=$bg
runner_bg r2 run --max-jobs 20
r2=$bg
exits_ok r1 "$r1"
exits_ok r2 "$r2"
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
n1=$(completed r1 | wc -l) n2=$(completed r2 | wc -l)
check_eq "two runners: their logs say they completed 10 runs in all (r1 $n1, r2 $n2)" "$((n1 + n2))" 10
check_eq "two runners: each of the ten runs completed by exactly one runner" \
	"$( (completed r1; completed r2) | sort | tr '\n' ' ')" "$(printf '%s\n' $ids | sort | tr '\n' ' ')"

# --- queue priority: the high queue first ----------------------------------------------------------
low=$(new_run '{"tenant_id":"tenant-w"}' captionacc-low 50 order-low)
high=$(new_run '{"tenant_id":"tenant-w"}' captionacc-high 90 order-high)
runner_ok high run --max-jobs 1
check_eq "the high-priority queue's run goes first" "$(history "$high")" "SCHEDULED,PENDING,RUNNING,COMPLETED"
check_eq "the runner completed the high run and nothing else" "$(completed high | tr '\n' ' ')" "$high "
check_eq "the low one waits" "$(history "$low")" "SCHEDULED"
runner_ok low run
check_eq "the next runner completed the low run" "$(completed low | tr '\n' ' ')" "$low "

# --- a failing flow reports FAILED with its message ------------------------------------------------
bad=$(new_run '{"tenant_id":"tenant-w","fail_step":"second"}' captionacc-low 50 fail-1)
runner_ok fail run
check_eq "failing flow: FAILED" "$(history "$bad")" "SCHEDULED,PENDING,RUNNING,FAILED"
check "failing flow: the state message says why" sh -c "echo '$(message "$bad")' | grep -q 'step second failed as asked'"

# --- a transient failure: AwaitingRetry, then the next attempt resumes after the completed step ------
retry=$(new_run '{"tenant_id":"tenant-w","retry_step":"second"}' captionacc-low 50 retry-1)
runner_ok retry run --max-seconds 3 --wait
check_eq "transient failure: rescheduled once, then failed out of attempts" "$(history "$retry")" \
	"SCHEDULED,PENDING,RUNNING,SCHEDULED,PENDING,RUNNING,FAILED"
check_eq "the second attempt did not run the completed first step again" \
	"$($PSQL -c "SELECT attempt FROM job_steps WHERE job_id = '$retry' AND step_index = 0")" 1

# --- invalid parameters fail the run ---------------------------------------------------------------
inv=$(new_run '{"tenant_id":"bad tenant!"}' captionacc-low 50 invalid-1)
runner_ok invalid run
check_eq "invalid parameters: FAILED" "$(history "$inv")" "SCHEDULED,PENDING,RUNNING,FAILED"
check "invalid parameters: the message names the field" sh -c "echo '$(message "$inv")' | grep -q tenant_id"

# --- cancellation between steps ----------------------------------------------------------------------
slow=$(new_run '{"tenant_id":"tenant-w","sleep_ms":700}' captionacc-low 50 cancel-1)
runner_bg cancel run
r3=$bg
check "cancelled run: RUNNING before it is cancelled" wait_for 10 sh -c \
	"curl -s '$P/_runs' | sed 's/},{\"id\"/}\n{\"id\"/g' | grep '\"id\":\"$slow\"' | grep -q '\"state_type\":\"RUNNING\"'"
curl -s -X POST "$P/_cancel?id=$slow" >/dev/null
exits_ok cancel "$r3"
check_eq "cancelled run: CANCELLING seen between steps, then CANCELLED" "$(history "$slow")" \
	"SCHEDULED,PENDING,RUNNING,CANCELLING,CANCELLED"
check_eq "cancelled run: its last step never started" \
	"$($PSQL -c "SELECT count(*) FROM job_steps WHERE job_id = '$slow' AND step_index = 2")" 0
check_eq "cancelled run: job row cancelled" "$($PSQL -c "SELECT status FROM jobs WHERE id = '$slow'")" cancelled

# --- a runner SIGKILLed mid-run: its run is handed back and resumes after the completed step ----------
killed=$(new_run '{"tenant_id":"tenant-w","sleep_ms":1500}' captionacc-low 50 kill-1)
LEASE_SECONDS=2 runner_bg killed run
rk=$bg
check "killed runner: its first step completed" wait_for 15 sh -c "test \"\$($PSQL -c \"SELECT count(*) FROM job_steps
	WHERE job_id = '$killed' AND status = 'completed'\")\" -ge 1"
kill -KILL "$rk"
wait "$rk" 2>/dev/null || true
check_eq "killed runner: Prefect still says RUNNING" "$(state "$killed")" RUNNING
sleep 2.5
LEASE_SECONDS=2 runner_ok reaper run --max-jobs 1 --max-seconds 20 --wait
check_eq "killed runner: the run was handed back, then completed by another runner" "$(history "$killed")" \
	"SCHEDULED,PENDING,RUNNING,SCHEDULED,PENDING,RUNNING,COMPLETED"
check "killed runner: the state message named the runner that stopped" grep -q "flow run $killed: lease expired: runner" \
	"$dir/runner-reaper.log"
check_eq "killed runner: the first step was not run again" \
	"$($PSQL -c "SELECT attempt FROM job_steps WHERE job_id = '$killed' AND step_index = 0")" 1
check_eq "killed runner: the row completed on attempt 2" \
	"$($PSQL -c "SELECT status || ' ' || attempt FROM jobs WHERE id = '$killed'")" "completed 2"

# --- the last attempt killed: the reaper fails the run and runs the flow's failure handling ----------
MODAL_DOUBLE_KEY=wk-test MODAL_DOUBLE_SECRET=ws-test-secret "$stack" modal-start "$dir" >/dev/null
. "$dir/env"
vdep=$(api GET /deployments/name/video_initial_processing/captionacc | sed 's/.*"id":"\([^"]*\)".*/\1/')
vrun=$(api POST "/deployments/$vdep/create_flow_run" '{"parameters":{"video_id":"v-pf","tenant_id":"tenant-w",
	"storage_key":"tenant-w/videos/v-pf.mp4"},"tags":["priority:50"],"work_queue_name":"captionacc-low",
	"idempotency_key":"last-1"}' | sed 's/^{"id":"\([^"]*\)".*/\1/')
MAX_ATTEMPTS=1 LEASE_SECONDS=2 MODAL_KEY=wk-test MODAL_SECRET=ws-test-secret \
	MODAL_EXTRACT_FRAMES_AND_OCR_URL="$MODAL_URL/extract/slow?ms=30000" runner_bg last-killed run
rk=$bg
check "last attempt killed: the video is processing" wait_for 15 sh -c \
	"test \"\$($PSQL -c \"SELECT status FROM videos WHERE id = 'v-pf'\")\" = processing"
kill -KILL "$rk"
wait "$rk" 2>/dev/null || true
sleep 2.5
MAX_ATTEMPTS=1 LEASE_SECONDS=2 runner_ok last-reaper run --max-jobs 1 --max-seconds 3 --wait
check_eq "last attempt killed: FAILED in Prefect, failed in the row" \
	"$(state "$vrun") $($PSQL -c "SELECT status FROM jobs WHERE id = '$vrun'")" "FAILED failed"
check_eq "last attempt killed: the video ends in error, saying why" \
	"$($PSQL -c "SELECT status || ': ' || error_message FROM videos WHERE id = 'v-pf'")" \
	"error: lease expired: runner $(sed -n 's/.*runner \([^ ]*\) started.*/\1/p' "$dir/runner-last-killed.log" | head -n 1) stopped during attempt 1 (out of attempts)"

# --- frozen (SIGSTOP) just before mark_processing's write, past its lease: the run is handed back and
# completed by another runner; resumed, the frozen runner changes no row and tells Prefect nothing
frun=$(api POST "/deployments/$vdep/create_flow_run" '{"parameters":{"video_id":"v-pfz","tenant_id":"tenant-w",
	"storage_key":"tenant-w/videos/v-pfz.mp4"},"tags":["priority:50"],"work_queue_name":"captionacc-low",
	"idempotency_key":"frozen-1"}' | sed 's/^{"id":"\([^"]*\)".*/\1/')
CAPTIONACC_TEST_STOP_BEFORE=videos_processing LEASE_SECONDS=2 MODAL_KEY=wk-test MODAL_SECRET=ws-test-secret \
	MODAL_EXTRACT_FRAMES_AND_OCR_URL="$MODAL_URL/extract/ok" runner_bg pf-frozen run --max-jobs 1
rz=$bg
check "frozen (Prefect): stopped before the video's write" wait_for 15 sh -c "test \"\$(awk '{print \$3}' /proc/$rz/stat)\" = T"
sleep 2.5
LEASE_SECONDS=2 MODAL_KEY=wk-test MODAL_SECRET=ws-test-secret MODAL_EXTRACT_FRAMES_AND_OCR_URL="$MODAL_URL/extract/ok" \
	runner_ok pf-second run --max-jobs 1 --max-seconds 20 --wait
check_eq "frozen (Prefect): handed back and completed by another runner" "$(history "$frun") $($PSQL -c "SELECT
	status || ' ' || attempt FROM jobs WHERE id = '$frun'") $($PSQL -c "SELECT status FROM videos WHERE id = 'v-pfz'")" \
	"SCHEDULED,PENDING,RUNNING,SCHEDULED,PENDING,RUNNING,COMPLETED completed 2 active"
# every row a job can touch, as one digest, and the run's history in Prefect
touched() {
	echo "$($PSQL -c "SELECT md5(string_agg(t, '|' ORDER BY t)) FROM (SELECT v::text t FROM videos v
		UNION ALL SELECT j::text FROM jobs j UNION ALL SELECT s::text FROM job_steps s) x") $(history "$1")"
}
before=$(touched "$frun")
kill -CONT "$rz"
exits_ok pf-frozen "$rz"
check_eq "frozen (Prefect): resumed, it changes no row and no state in Prefect" "$(touched "$frun")" "$before"
check "frozen (Prefect): it says the lease was lost" grep -q "abandoned (lease lost)" "$dir/runner-pf-frozen.log"

# --- cancelled while the last step runs: CANCELLED in Prefect and in the row -------------------------
last=$(new_run '{"tenant_id":"tenant-w","sleep_ms":1000}' captionacc-low 50 cancel-last)
runner_bg cancel-last run
rc=$bg
check "cancel in the last step: two steps completed" wait_for 15 sh -c "test \"\$($PSQL -c \"SELECT count(*) FROM job_steps
	WHERE job_id = '$last' AND status = 'completed'\")\" -ge 2"
sleep 0.4
curl -s -X POST "$P/_cancel?id=$last" >/dev/null
exits_ok cancel-last "$rc"
check_eq "cancel in the last step: the last step finished" "$(steps_done "$last")" 3
check_eq "cancel in the last step: CANCELLING, then CANCELLED (not left CANCELLING)" "$(history "$last")" \
	"SCHEDULED,PENDING,RUNNING,CANCELLING,CANCELLED"
check_eq "cancel in the last step: the row says cancelled too" \
	"$($PSQL -c "SELECT status FROM jobs WHERE id = '$last'")" cancelled
check "cancel in the last step: the runner says so" grep -q "cancelled in Prefect while its last step ran" \
	"$dir/runner-cancel-last.log"

# --- WAIT: Prefect's clock behind ours; the runner waits it out, or gives a long one back ------------------
curl -s -X POST "$P/_clock?offset_ms=-2000" >/dev/null
waited=$(api POST "/deployments/$dep/create_flow_run" "{\"parameters\":{\"tenant_id\":\"tenant-w\"},
	\"work_queue_name\":\"captionacc-low\",\"state\":{\"type\":\"SCHEDULED\",\"state_details\":{\"scheduled_time\":\"$(iso 0)\"}}}" |
	sed 's/^{"id":"\([^"]*\)".*/\1/')
runner_ok wait run --max-jobs 1
check_eq "WAIT: the run started after the wait and completed" "$(history "$waited")" "SCHEDULED,PENDING,RUNNING,COMPLETED"
check "WAIT: the runner waited as Prefect asked" grep -q "flow run $waited: Prefect says wait" "$dir/runner-wait.log"
curl -s -X POST "$P/_clock?offset_ms=-60000" >/dev/null
later=$(api POST "/deployments/$dep/create_flow_run" "{\"parameters\":{\"tenant_id\":\"tenant-w\"},
	\"work_queue_name\":\"captionacc-low\",\"state\":{\"type\":\"SCHEDULED\",\"state_details\":{\"scheduled_time\":\"$(iso 0)\"}}}" |
	sed 's/^{"id":"\([^"]*\)".*/\1/')
due_at() { curl -s "$P/_runs" | sed 's/},{"id"/}\n{"id"/g' | grep "\"id\":\"$1\"" | head -n 1 |
	sed 's/.*"next_scheduled_start_time":"\([^"]*\)".*/\1/'; }
was=$(due_at "$later")
runner_ok wait-long run --max-jobs 1
check_eq "long WAIT: the run is given back, not left PENDING" "$(history "$later")" "SCHEDULED,PENDING,SCHEDULED"
check_eq "long WAIT: given back at Prefect's own time for it, not pushed by our clock" "$(due_at "$later")" "$was"
curl -s -X POST "$P/_clock?offset_ms=0" >/dev/null
curl -s -X POST "$P/_cancel?id=$later" >/dev/null

# --- a run made without a work queue (Prefect's UI, `prefect deployment run`, schedules) ---------------
plain=$(api POST "/deployments/$dep/create_flow_run" '{"parameters":{"tenant_id":"tenant-w"}}' |
	sed 's/^{"id":"\([^"]*\)".*/\1/')
runner_ok plain run --max-jobs 1
check_eq "no work queue: the run (in the deployment's queue) is run" "$(history "$plain")" \
	"SCHEDULED,PENDING,RUNNING,COMPLETED"

# --- a deployment in another work pool is refused loudly ---------------------------------------------
curl -s -X POST "$P/_deployment?flow=crop_and_infer&pool=elsewhere" >/dev/null
runner_bg setup-pool prefect-setup
st=0; wait "$bg" || st=$?
check_eq "wrong pool: prefect-setup exits 1" "$st" 1
check "wrong pool: prefect-setup names both pools" sh -c "grep 'crop_and_infer' '$dir/runner-setup-pool.out' |
	grep 'WRONG WORK POOL' | grep 'elsewhere' | grep -q 'captionacc'"
runner_bg enqueue-pool enqueue crop_and_infer '{"tenant_id":"tenant-w","video_id":"v1","crop_region":{"crop_left":0,
	"crop_top":0.7,"crop_right":1,"crop_bottom":1}}'
st=0; wait "$bg" || st=$?
check_eq "wrong pool: enqueue refuses (exit 1)" "$st" 1
check "wrong pool: enqueue says why" grep -q 'work pool "elsewhere"' "$dir/runner-enqueue-pool.err"
check_eq "wrong pool: no run was made in the other pool" \
	"$(curl -s "$P/_runs" | grep -c '"work_pool_name":"elsewhere"')" 0
curl -s -X POST "$P/_deployment?flow=crop_and_infer&pool=captionacc" >/dev/null

# --- runs of other deployments at the head of a queue do not hide ours -------------------------------
fdep=$(curl -s -X POST "$P/_deployment?flow=someone-else&queue=captionacc-high" | sed 's/.*"id":"\([^"]*\)".*/\1/')
for n in $(seq 1 205); do
	api POST "/deployments/$fdep/create_flow_run" '{"parameters":{}}' >/dev/null
done
ours=$(new_run '{"tenant_id":"tenant-w"}' captionacc-low 50 behind-foreign)
runner_ok foreign run --max-jobs 1
check_eq "foreign runs: ours, behind 205 of another deployment (more than Prefect's largest page), is run" \
	"$(history "$ours")" "SCHEDULED,PENDING,RUNNING,COMPLETED"
check "foreign runs: the runner says what it left alone" grep -q "deployment $fdep is not one of PREFECT_DEPLOYMENTS" \
	"$dir/runner-foreign.log"
check_eq "foreign runs: left SCHEDULED for their own workers" \
	"$(curl -s "$P/_runs" | sed 's/},{"id"/}\n{"id"/g' | grep "\"deployment_id\":\"$fdep\"" | grep -c '"state_type":"SCHEDULED"')" 205
check "foreign runs: no poll asked Prefect for more than it gives (200)" sh -c "! grep -q 'Invalid limit' \
	'$dir/runner-foreign.log'"
curl -s -X DELETE -H "Authorization: Bearer $PREFECT_DOUBLE_KEY" "$P/api/deployments/$fdep" >/dev/null

# --- a deployment re-created (a new id) while a runner runs: its runs are still ours -----------------------
ndep=$(api GET /deployments/name/noop/captionacc | sed 's/.*"id":"\([^"]*\)".*/\1/')
first=$(api POST "/deployments/$ndep/create_flow_run" '{"parameters":{"tenant_id":"tenant-w"}}' | sed 's/^{"id":"\([^"]*\)".*/\1/')
runner_bg recreated run --wait --max-seconds 10 --max-jobs 2
rr=$bg
check "re-created deployment: the runner ran a run of the old one" wait_for 10 sh -c \
	"curl -s '$P/_runs' | sed 's/},{\"id\"/}\n{\"id\"/g' | grep '\"id\":\"$first\"' | grep -q '\"state_type\":\"COMPLETED\"'"
curl -s -X DELETE -H "Authorization: Bearer $PREFECT_DOUBLE_KEY" "$P/api/deployments/$ndep" >/dev/null
ndep=$(curl -s -X POST "$P/_deployment?flow=noop" | sed 's/.*"id":"\([^"]*\)".*/\1/')
second=$(api POST "/deployments/$ndep/create_flow_run" '{"parameters":{"tenant_id":"tenant-w"}}' | sed 's/^{"id":"\([^"]*\)".*/\1/')
exits_ok recreated "$rr"
check_eq "re-created deployment: the same runner ran a run of the new one" "$(history "$second")" \
	"SCHEDULED,PENDING,RUNNING,COMPLETED"

# --- --dry-run and status read Prefect -----------------------------------------------------------------
d1=$(new_run '{"tenant_id":"tenant-w"}' captionacc-high 90 dry-1)
d2=$(new_run '{"tenant_id":"tenant-w"}' captionacc-low 50 dry-2)
runner_ok dry run --dry-run
check "dry run: lists the two due runs, the high one first" sh -c "grep -q '^2 flow runs due' '$dir/runner-dry.out' &&
	grep '^1 ' '$dir/runner-dry.out' | grep -q '$d1' && grep '^2 ' '$dir/runner-dry.out' | grep -q '$d2'"
check_eq "dry run: changes nothing" "$(history "$d1") $(history "$d2")" "SCHEDULED SCHEDULED"
runner_ok status status
check "status: counts the runs due in Prefect" grep -q "2 flow runs due for our deployments; next: $d1" \
	"$dir/runner-status.out"
runner_ok drain-dry run

# --- an empty poll is asked again before the runner gives up ---------------------------------------------
held=$(new_run '{"tenant_id":"tenant-w"}' captionacc-low 50 held-1)
curl -s -X POST "$P/_poll_hold?ms=300" >/dev/null
api POST /work_pools/captionacc/get_scheduled_flow_runs '{"limit":10}' >/dev/null &
holder=$!
sleep 0.1
runner_ok held run --max-jobs 1
wait "$holder" || true
curl -s -X POST "$P/_poll_hold?ms=0" >/dev/null
check_eq "held poll: the runner polled again and ran the run" "$(history "$held")" "SCHEDULED,PENDING,RUNNING,COMPLETED"

# --- enqueue with QUEUE_BACKEND=prefect creates a flow run, which a runner then completes -------------
runner_ok enqueue enqueue --priority 95 diagnostic '{"tenant_id":"tenant-w"}'
op=$(sed -n 's/^queued diagnostic Prefect flow run \([^ ]*\) .*/\1/p' "$dir/runner-enqueue.out")
check "enqueue (prefect): a flow run in the high queue" grep -q 'work queue captionacc-high' "$dir/runner-enqueue.out"
runner_ok enqueued run
check_eq "enqueue (prefect): the runner completed it" "$(history "$op")" "SCHEDULED,PENDING,RUNNING,COMPLETED"
check_eq "enqueue (prefect): the runner's log says so" "$(completed enqueued | tr '\n' ' ')" "$op "
check_eq "enqueue (prefect): no local job was queued" \
	"$($PSQL -c "SELECT count(*) FROM jobs WHERE backend = 'local'")" 0

# --- the local queue never sees Prefect's rows ------------------------------------------------------
QUEUE_BACKEND=local runner_ok local-dry run --dry-run
check "no Prefect row is claimable locally" grep -q '^0 jobs would be claimed' "$dir/runner-local-dry.out"
check "every run command wrote its own log" sh -c "for n in r1 r2 high low fail retry invalid cancel enqueued \
	reaper last-reaper cancel-last wait wait-long plain foreign held; do test -s '$dir'/runner-\$n.log || exit 1; done"
check "no secret in any runner's log or output" sh -c "! cat '$dir/captionacc.log' '$dir'/runner-*.log \
	'$dir'/runner-*.out '$dir'/runner-*.err | grep -q '$PREFECT_DOUBLE_KEY'"
finish
