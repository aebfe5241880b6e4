#!/bin/sh
# flows.sh: the three flows (SPEC §8) run by real runner processes against a real PostgreSQL and the
# Modal test double (reference/modal.md): success with statuses in order and metadata written; Modal
# failures (permanent 404, malformed answer, 500 until out of attempts, flaky then fine, 303 result
# redirect); partial OCR failure; the database stopped during a GPU call; spawn + poll with the runner
# killed mid-call (the same GPU call is polled, not started again); crop_and_infer's layout lock (held ->
# the job waits without using attempts, stale -> taken over, released on success, failure and SIGTERM,
# ten runners -> one winner); caption_ocr; and 200 jobs over 15 runners with exactly 200 GPU calls.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
. "$top_srcdir/tests/harness/flow-jobs.sh"
flow_stack_start
stats() { curl -fsS "$MODAL_URL/_stats"; }
calls() { stats | sed -n "s|.*\"\\\\/$1\\\\/$2\":\([0-9]*\).*|\1|p"; }
modal_reset() { curl -fsS -X POST "$MODAL_URL/_reset" >/dev/null; }
use() { # FUNCTION MODE: point the runner's endpoint for FUNCTION at the double's MODE
	case $1 in
	extract) MODAL_EXTRACT_FRAMES_AND_OCR_URL="$MODAL_URL/extract/$2"; export MODAL_EXTRACT_FRAMES_AND_OCR_URL ;;
	crop) MODAL_CROP_AND_INFER_URL="$MODAL_URL/crop/$2"; export MODAL_CROP_AND_INFER_URL ;;
	caption) MODAL_CAPTION_OCR_URL="$MODAL_URL/caption/$2"; export MODAL_CAPTION_OCR_URL ;;
	esac
}
run() { "$runner" run "$@" >/dev/null 2>&1; }

status_log_start

# --- success: processing -> active, metadata written
use extract ok
job=$(initial v-ok)
run
check_eq "success: job completed" "$(job_state "$job")" "completed 1"
check_eq "success: statuses in order" "$(q "SELECT string_agg(status, ',' ORDER BY n) FROM status_log WHERE video_id = 'v-ok'")" \
	"processing,active"
check_eq "success: metadata written" \
	"$(video v-ok "frame_count || ' ' || duration_seconds || ' ' || frame_width || 'x' || frame_height || ' ' || video_codec
	   || ' ' || bitrate || ' ' || ocr_box_count || ' ' || failed_ocr_count || ' ' || processing_duration_seconds")" \
	"100 10 1920x1080 h264 5000000 50 0 45"
check_eq "success: keys under the tenant" "$(video v-ok "full_frames_key || ' ' || raw_ocr_db_key || ' ' || layout_db_key")" \
	"tn/v-ok/full_frames/ tn/v-ok/raw-ocr.db.gz tn/v-ok/layout.db.gz"
check_eq "success: every step's result stored" "$(q "SELECT string_agg(name, ',' ORDER BY step_index) FROM job_steps
	WHERE job_id = '$job' AND status = 'completed'")" "mark_processing,extract_frames_and_ocr,record_metadata"

# --- permanent Modal failure: error at once, visible on video and job
use extract 404
job=$(initial v-404)
run
check_eq "Modal 404: failed on the first attempt" "$(job_state "$job")" "failed 1"
check "Modal 404: video in error with the message" sh -c "test \"\$($PSQL -c \"SELECT status FROM videos WHERE id = 'v-404'\")\" = error &&
	$PSQL -c \"SELECT error_message FROM videos WHERE id = 'v-404'\" | grep -q 'extract_frames_and_ocr: HTTP 404: invalid function call'"
check "Modal 404: job error names the step and the call" sh -c \
	"$PSQL -c \"SELECT error_message FROM jobs WHERE id = '$job'\" | grep -q '^extract_frames_and_ocr: HTTP 404'"
check_eq "Modal 404: the later step never ran" "$(q "SELECT count(*) FROM job_steps WHERE job_id = '$job' AND step_index = 2")" 0
use extract malformed
job=$(initial v-bad)
run
check_eq "malformed answer: permanent failure" "$(job_state "$job") $(video v-bad status)" "failed 1 error"

# --- transient failures
modal_reset
use extract 500
job=$(initial v-500 3)
run --max-seconds 20 --wait --max-jobs 3
check_eq "Modal 500: retried until max_attempts, then failed" "$(job_state "$job") $(video v-500 status)" "failed 3 error"
check_eq "Modal 500: three calls made" "$(calls extract 500)" 3
modal_reset
use extract 'flaky?fail=2'
job=$(initial v-flaky)
run --max-seconds 20 --wait --max-jobs 3
check_eq "two 500s then success: completed on attempt 3" "$(job_state "$job") $(video v-flaky status)" "completed 3 active"
use extract 429
job=$(initial v-429 2)
run --max-seconds 20 --wait --max-jobs 2
check_eq "429 is retried" "$(job_state "$job")" "failed 2"
modal_reset
use extract redirect
job=$(initial v-303)
run
check_eq "303 to the result URL: followed as GET" "$(job_state "$job") $(calls extract redirect) $(calls extract result)" \
	"completed 1 1 1"
use extract partial
job=$(initial v-partial)
run
check_eq "partial OCR failure: completes, failed_ocr_count kept" "$(job_state "$job") $(video v-partial "status || ' ' || failed_ocr_count")" \
	"completed 1 active 7"

# --- the database goes away during a GPU call
use extract 'slow?ms=2500'
job=$(initial v-dbdown)
LEASE_SECONDS=2 "$runner" run --worker-id doomed >/dev/null 2>&1 & r=$!; pids="$pids $r"
wait_for 10 sh -c "test \"\$($PSQL -c \"SELECT count(*) FROM job_steps WHERE job_id = '$job' AND status = 'completed'\")\" = 1"
"$stack" pg-stop "$dir"
rc=0; wait "$r" || rc=$?
check_eq "database down mid-step: the runner stops with status 1" "$rc" 1
"$stack" pg-start "$dir"
use extract ok
LEASE_SECONDS=2 "$runner" run --max-seconds 15 --wait --max-jobs 1 >/dev/null 2>&1
check_eq "database back: the job resumes and completes" "$(job_state "$job") $(video v-dbdown status)" "completed 2 active"
check_eq "database back: mark_processing was not run again" \
	"$(q "SELECT attempt FROM job_steps WHERE job_id = '$job' AND step_index = 0")" 1

# --- spawn + poll: a runner killed mid-call; the next one polls the same call
modal_reset
MODAL_EXTRACT_FRAMES_AND_OCR_URL="$MODAL_URL/extract/spawn?ms=2500" \
MODAL_EXTRACT_FRAMES_AND_OCR_POLL_URL="$MODAL_URL/extract/poll"
export MODAL_EXTRACT_FRAMES_AND_OCR_URL MODAL_EXTRACT_FRAMES_AND_OCR_POLL_URL
job=$(initial v-spawn)
LEASE_SECONDS=2 "$runner" run --worker-id spawner >/dev/null 2>&1 & r=$!; pids="$pids $r"
wait_for 10 sh -c "$PSQL -c \"SELECT result->>'call_id' FROM job_steps WHERE job_id = '$job' AND step_index = 1\" | grep -q fc-"
kill -KILL "$r"; wait "$r" 2>/dev/null || true
LEASE_SECONDS=2 "$runner" run --max-seconds 15 --wait --max-jobs 1 >/dev/null 2>&1
check_eq "spawn + poll: completed after the crash" "$(job_state "$job") $(video v-spawn status)" "completed 2 active"
check_eq "spawn + poll: the GPU call was started once" "$(stats | sed -n 's/.*"spawns":\([0-9]*\).*/\1/p')" 1
check "spawn + poll: the new runner resumed the checkpointed call" grep -q "resuming GPU call fc-" "$LOG_FILE"
# A transient failure while polling keeps the checkpointed call: the retry polls it, no second spawn.
modal_reset
MODAL_EXTRACT_FRAMES_AND_OCR_URL="$MODAL_URL/extract/spawn?ms=200" MODAL_EXTRACT_FRAMES_AND_OCR_POLL_URL="$MODAL_URL/extract/500"
job=$(initial v-pollfail)
run --max-jobs 1
check_eq "poll failed transiently: job waits for its retry" "$(job_state "$job")" "retry 1"
check "poll failed transiently: the call id is still checkpointed" sh -c \
	"$PSQL -c \"SELECT result->>'call_id' FROM job_steps WHERE job_id = '$job' AND step_index = 1\" | grep -q fc-"
MODAL_EXTRACT_FRAMES_AND_OCR_POLL_URL="$MODAL_URL/extract/poll"
run --max-seconds 15 --wait --max-jobs 1
check_eq "poll failed transiently: completed on the retry, one spawn" \
	"$(job_state "$job") $(stats | sed -n 's/.*"spawns":\([0-9]*\).*/\1/p')" "completed 2 1"
unset MODAL_EXTRACT_FRAMES_AND_OCR_POLL_URL

# --- crop_and_infer and its layout lock
use crop ok
job=$(crop v-ok)
run
check_eq "crop: completed, version 1 recorded" "$(job_state "$job") $(video v-ok "layout_version || ' ' || crop_top || ' ' || cropped_frames_key")" \
	"completed 1 1 0.8 tn/v-ok/cropped_frames_v1/"
check_eq "crop: lock released" "$(q "SELECT coalesce(lock_holder, 'free') FROM video_database_state WHERE video_id = 'v-ok'")" free
q "UPDATE video_database_state SET lock_holder = 'user:editor', lock_type = 'client', locked_at = now(),
   lock_expires_at = now() + interval '1 hour' WHERE video_id = 'v-ok' AND database_name = 'layout'" >/dev/null
job=$(crop v-ok)
run
check_eq "held lock: the job waits, no attempt used" \
	"$(q "SELECT status || ' ' || attempt || ' ' || (run_after > now() + interval '30 seconds') FROM jobs WHERE id = '$job'")" "pending 0 true"
check "held lock: the reason is recorded" sh -c "$PSQL -c \"SELECT error_message FROM jobs WHERE id = '$job'\" | grep -q 'held by user:editor'"
q "UPDATE video_database_state SET lock_holder = NULL, lock_type = NULL, lock_expires_at = NULL WHERE video_id = 'v-ok';
   UPDATE jobs SET run_after = now() WHERE id = '$job'" >/dev/null
run
check_eq "lock freed: the job runs, version 2" "$(job_state "$job") $(video v-ok layout_version)" "completed 1 2"
q "UPDATE video_database_state SET lock_holder = 'job:ghost', lock_type = 'server', locked_at = now() - interval '2 hours',
   lock_expires_at = now() - interval '1 hour' WHERE video_id = 'v-ok'" >/dev/null
job=$(crop v-ok)
run
check_eq "stale lock: taken over, job completed" "$(job_state "$job")" "completed 1"
check "stale lock: the takeover is logged" grep -q "took over the stale layout lock of job:ghost" "$LOG_FILE"
modal_reset
use crop 'slow?ms=1500'
q "TRUNCATE jobs CASCADE" >/dev/null
for i in 1 2 3 4 5 6 7 8 9 10; do crop v-ok >/dev/null; done
rp=
for i in 1 2 3 4 5 6 7 8 9 10; do "$runner" run --max-jobs 1 --worker-id "l$i" >/dev/null 2>&1 & rp="$rp $!"; done
for p in $rp; do wait "$p"; done
check_eq "10 runners, one lock: exactly one ran" "$(q "SELECT count(*) FILTER (WHERE status = 'completed') || ' ' ||
	count(*) FILTER (WHERE status = 'pending' AND attempt = 0) FROM jobs")" "1 9"
check_eq "10 runners, one lock: one GPU call" "$(calls crop slow)" 1
q "TRUNCATE jobs CASCADE" >/dev/null
use crop 404
job=$(crop v-ok)
run
check_eq "crop failure: failed, lock released" "$(job_state "$job") $(q "SELECT coalesce(lock_holder, 'free') FROM video_database_state WHERE video_id = 'v-ok'")" \
	"failed 1 free"
use crop 'slow?ms=5000'
job=$(crop v-ok)
"$runner" run --worker-id sigterm >/dev/null 2>&1 & r=$!; pids="$pids $r"
wait_for 10 sh -c "test \"\$($PSQL -c \"SELECT coalesce(lock_holder, '') FROM video_database_state WHERE video_id = 'v-ok'\")\" = 'job:$job'"
kill -TERM "$r"; rc=0; wait "$r" || rc=$?
check_eq "SIGTERM during the GPU call: exit 0, handed back, lock released" \
	"$rc $(job_state "$job") $(q "SELECT coalesce(lock_holder, 'free') FROM video_database_state WHERE video_id = 'v-ok'")" "0 pending 0 free"
q "TRUNCATE jobs CASCADE" >/dev/null
use crop ok
job=$(crop v-missing)
run
check "crop of an unknown video: fails with a clear message" sh -c \
	"test \"\$($PSQL -c \"SELECT status FROM jobs WHERE id = '$job'\")\" = failed && $PSQL -c \"SELECT error_message FROM jobs WHERE id = '$job'\" | grep -q 'does not exist'"

# --- caption_ocr
use caption ok
job=$(q "INSERT INTO jobs (flow, tenant_id, video_id, parameters, priority, base_priority) VALUES ('caption_ocr', 'tn', 'v-ok',
	'{\"video_id\": \"v-ok\", \"tenant_id\": \"tn\", \"caption_ids\": [1, 2, 3]}', 70, 70) RETURNING id")
run
check_eq "caption_ocr: completed, captions.db recorded" "$(job_state "$job") $(video v-ok captions_db_key)" "completed 1 tn/v-ok/captions.db"
check_eq "caption_ocr: the ids reached the function" "$(q "SELECT result->>'caption_count' FROM jobs WHERE id = '$job'")" 3
job=$(q "INSERT INTO jobs (flow, tenant_id, video_id, parameters, priority, base_priority) VALUES ('caption_ocr', 'tn', 'v-ok',
	'{\"caption_ids\": []}', 70, 70) RETURNING id")
run
check_eq "caption_ocr with no ids: permanent failure" "$(job_state "$job")" "failed 1"

# --- 200 videos, 15 runners: every job once, exactly 200 GPU calls
modal_reset
use extract ok
q "TRUNCATE jobs CASCADE" >/dev/null
q "INSERT INTO jobs (flow, tenant_id, video_id, parameters, priority, base_priority)
   SELECT 'video_initial_processing', 'tn', 'load-' || i, jsonb_build_object('video_id', 'load-' || i, 'tenant_id', 'tn',
          'storage_key', 'tn/videos/load-' || i || '.mp4'), 50, 50 FROM generate_series(1, 200) i"
rp=
for i in $(seq 1 15); do "$runner" run --worker-id "p$i" >/dev/null 2>&1 & rp="$rp $!"; done
for p in $rp; do wait "$p"; done
check_eq "200 jobs, 15 runners: all completed once" "$(q "SELECT count(*) FROM jobs WHERE status = 'completed' AND attempt = 1")" 200
check_eq "200 jobs, 15 runners: 200 GPU calls at the double" "$(calls extract ok)" 200
check_eq "200 jobs, 15 runners: 200 videos active" "$(q "SELECT count(*) FROM videos WHERE id LIKE 'load-%' AND status = 'active'")" 200
check "no secret in the runner log" sh -c "! grep -q ws-test-secret '$LOG_FILE'"

finish
