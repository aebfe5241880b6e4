#!/bin/sh
# jobctl.sh: the operator's job commands against a throwaway PostgreSQL and the Modal double, with real
# runner processes: `jobs` lists and filters (bad filters refused); `retry` and `cancel` refuse unknown
# ids (exit 2) and jobs in the wrong state; a pending job is cancelled at once through the flow's failure
# handling (its video in error); a running crop job is stopped at its next step boundary and marked
# cancelled, its layout lock released and its later step not run; `retry` runs a cancelled job again
# from its last completed step (no second GPU call) and a failed one with its attempts reset.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
. "$top_srcdir/tests/harness/flow-jobs.sh"
flow_stack_start
export MODAL_EXTRACT_FRAMES_AND_OCR_URL="$MODAL_URL/extract/ok" MODAL_CROP_AND_INFER_URL="$MODAL_URL/crop/ok"
ctl() { "$runner" "$@" >"$dir/out" 2>"$dir/err"; }
exit_of() { st=0; ctl "$@" || st=$?; echo "$st"; }
calls() { curl -fsS "$MODAL_URL/_stats" | sed -n "s|.*\"\\\\/$1\\\\/$2\":\([0-9]*\).*|\1|p"; }
q "INSERT INTO videos (id, tenant_id, storage_key, status) VALUES ('v-pend', 'tn', 'tn/videos/v-pend.mp4', 'uploading'),
   ('v-crop', 'tn', 'tn/videos/v-crop.mp4', 'active'), ('v-fail', 'tn', 'tn/videos/v-fail.mp4', 'uploading')"

# --- unknown ids
nobody=00000000-0000-4000-8000-000000000000
check_eq "retry of an unknown id: exit 2" "$(exit_of retry "$nobody")" 2
check "with a clear message" grep -q "retry: no job $nobody" "$dir/err"
check_eq "cancel of an unknown id: exit 2" "$(exit_of cancel "$nobody")" 2
check "with a clear message" grep -q "cancel: no job $nobody" "$dir/err"
check_eq "cancel of an id that is not one: exit 2" "$(exit_of cancel 'x; DROP TABLE jobs')" 2
check_eq "cancel without an id: exit 2" "$(exit_of cancel)" 2

# --- a pending job: cancelled at once, through the flow's failure handling
pend=$(initial v-pend)
check_eq "retry of a pending job is refused (exit 1)" "$(exit_of retry "$pend")" 1
check "saying why" grep -q "is pending; only a failed or cancelled job is run again" "$dir/err"
check "cancel a pending job" ctl cancel "$pend"
check_eq "it is cancelled, no attempt used" "$(job_state "$pend")" "cancelled 0"
check_eq "its video in error, saying why" "$(video v-pend "status || ': ' || error_message")" "error: cancelled by an operator"
check_eq "cancel it again: nothing to cancel (exit 1)" "$(exit_of cancel "$pend")" 1

# --- a running job: stopped at its next step boundary, its lock released
job=$(crop v-crop)
MODAL_CROP_AND_INFER_URL="$MODAL_URL/crop/slow?ms=3000" "$runner" run --max-jobs 1 --worker-id busy >/dev/null 2>&1 &
r=$!; pids="$pids $r"
wait_for 10 sh -c "test \"\$($PSQL -c \"SELECT coalesce(lock_holder, '') FROM video_database_state WHERE video_id = 'v-crop'\")\" = 'job:$job'"
check "cancel a running job" ctl cancel "$job"
check "it says the job stops at its next step boundary, on its runner" grep -q "is running on busy: it will be stopped at its next step boundary" "$dir/out"
check_eq "still running meanwhile" "$(job_state "$job")" "running 1"
wait "$r" || true
check_eq "the running job ended cancelled" "$(job_state "$job")" "cancelled 1"
check_eq "after its GPU step, before record_layout" \
	"$(q "SELECT string_agg(name || ':' || status, ',' ORDER BY step_index) FROM job_steps WHERE job_id = '$job'")" \
	"crop_and_infer:completed"
check_eq "its layout lock released" "$(lock_of v-crop)" free
check_eq "the layout not recorded" "$(video v-crop "coalesce(layout_version::text, 'none')")" none
check "the runner logged why" grep -q "job $job: cancelled by an operator; stopping before step record_layout" "$dir/runner.log"

# --- retry a cancelled job: from its last completed step
check "retry the cancelled job" ctl retry "$job"
check_eq "it waits again with its attempts reset" "$(job_state "$job")" "pending 0"
"$runner" run --max-jobs 1 >/dev/null 2>&1
check_eq "it completes" "$(job_state "$job")" "completed 1"
check_eq "from record_layout: the GPU was called once in all" "$(calls crop slow)" 1
check_eq "the layout recorded" "$(video v-crop layout_version)" 1

# --- retry a failed job: attempts reset
fjob=$(initial v-fail 2)
MODAL_EXTRACT_FRAMES_AND_OCR_URL="$MODAL_URL/extract/404" "$runner" run --max-jobs 1 >/dev/null 2>&1
check_eq "a job fails for good" "$(job_state "$fjob")" "failed 1"
check_eq "retry of a failed job" "$(exit_of retry "$fjob")" 0
"$runner" run --max-jobs 1 >/dev/null 2>&1
check_eq "it runs again and completes, as its first attempt" "$(job_state "$fjob")" "completed 1"
check_eq "retry of a completed job is refused" "$(exit_of retry "$fjob")" 1

# --- jobs: the table and its filters
check "jobs" ctl jobs
check_eq "lists every job and a count" "$(tail -1 "$dir/out")" "3 jobs, newest first"
check "with the header" grep -q '^JOB  *FLOW  *STATUS  *ATTEMPTS' "$dir/out"
check "jobs --status cancelled" ctl jobs --status cancelled
check_eq "one cancelled job: the pending one" "$(sed -n 2p "$dir/out" | awk '{print $1, $3}')" "$pend cancelled"
check "jobs --flow crop_and_infer --video v-crop" ctl jobs --flow crop_and_infer --video v-crop
check_eq "the crop job" "$(sed -n 2p "$dir/out" | awk '{print $1, $2, $6}')" "$job crop_and_infer v-crop"
check "jobs --limit 1" ctl jobs --limit 1
check_eq "one row and the limit said" "$(tail -1 "$dir/out")" "1 job, newest first (--limit reached)"
check_eq "jobs --status nonsense: exit 2" "$(exit_of jobs --status nonsense)" 2
check_eq "jobs --flow nonsense: exit 2" "$(exit_of jobs --flow nonsense)" 2
check_eq "jobs --limit 0: exit 2" "$(exit_of jobs --limit 0)" 2
finish
