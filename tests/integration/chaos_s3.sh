#!/bin/sh
# chaos_s3.sh: S3 (s3rver) away while the local backend runs video_initial_processing (FUNCTIONS_BACKEND=
# local: the video is read from S3 and the frame and OCR databases written back). S3 down before the job:
# the attempts fail with a storage error and are retried; once S3 is back the job completes. S3 stopped and
# started again while the job runs: the job completes, the video goes processing -> active once. S3 down
# for good: the job ends failed after its attempts with the storage error on its row and its video.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
. "$top_srcdir/tests/harness/flow-jobs.sh"
EXTRA_CONFIG="FUNCTIONS_BACKEND = local
LOCAL_WORK_DIR = $dir
RETRY_BASE_MS = 300
RETRY_MAX_MS = 600
S3_RETRIES = 0
S3_TIMEOUT_SECONDS = 5" "$stack" start-db "$dir" >/dev/null
"$stack" s3-start "$dir"
. "$dir/env"
export LOG_FILE="$dir/runner.log" PGOPTIONS="-c client_min_messages=warning"
status_log_start
"$top_srcdir/tests/harness/make-video.sh" "$dir/video.mp4" 6 1 4 "Storage comes and goes"
for v in s3-before s3-during s3-gone; do
	code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: video/mp4' --data-binary "@$dir/video.mp4" \
		"$S3_URL/captionacc/tn/videos/$v.mp4")
	check_eq "$v: video uploaded" "$code" 200
done
ended() { test "$($PSQL -c "SELECT status FROM jobs WHERE id = '$1'")" = "$2"; }

# --- S3 down before the job, back after two attempts
"$stack" s3-pause "$dir"
job=$(initial s3-before 20)
"$runner" run --wait --max-seconds 60 >/dev/null 2>&1 & r=$!; pids="$pids $r"
check "S3 down: the job is retried" wait_for 30 sh -c "test \"\$($PSQL -c \"SELECT attempt FROM jobs WHERE id = '$job'\")\" -ge 2"
check "S3 down: the retry says it was storage" sh -c "$PSQL -c \"SELECT error_message FROM jobs WHERE id = '$job'\" |
	grep -Eiq 's3|storage|connect'"
"$stack" s3-resume "$dir"
check "S3 back: the job completes" wait_for 30 ended "$job" completed
check_eq "S3 back: the video active with its metadata" "$(video s3-before status) $(video s3-before frame_count)" \
	"active $(q "SELECT frame_count FROM videos WHERE id = 's3-before' AND frame_count > 0")"
kill -TERM "$r" 2>/dev/null || true; wait "$r" 2>/dev/null || true

# --- S3 stopped and started again while the job runs
job=$(initial s3-during 20)
"$runner" run --wait --max-seconds 90 >/dev/null 2>&1 & r=$!; pids="$pids $r"
wait_for 20 sh -c "test \"\$($PSQL -c \"SELECT status FROM videos WHERE id = 's3-during'\")\" = processing" || true
"$stack" s3-pause "$dir"
sleep 2
"$stack" s3-resume "$dir"
check "S3 restarted mid-job: the job completes" wait_for 60 ended "$job" completed
check_eq "S3 restarted mid-job: processing -> active once" \
	"$(q "SELECT string_agg(status, ',' ORDER BY n) FROM status_log WHERE video_id = 's3-during'")" processing,active
kill -TERM "$r" 2>/dev/null || true; wait "$r" 2>/dev/null || true

# --- S3 gone for good
"$stack" s3-pause "$dir"
job=$(initial s3-gone 2)
"$runner" run --wait --max-seconds 30 >/dev/null 2>&1 & r=$!; pids="$pids $r"
check "S3 gone: the job ends failed" wait_for 30 ended "$job" failed
kill -TERM "$r" 2>/dev/null || true; wait "$r" 2>/dev/null || true
check_eq "S3 gone: after its two attempts" "$(job_state "$job")" "failed 2"
check "S3 gone: the video's error names the step and storage" sh -c "$PSQL -c \"SELECT error_message FROM videos
	WHERE id = 's3-gone'\" | grep -Eiq '^extract_frames_and_ocr: .*(s3|storage|connect)'"
check_eq "nothing left running" "$(q "SELECT count(*) FROM jobs WHERE status = 'running'")" 0
check "no S3 secret in the log" sh -c "! grep -q 'S3_SECRET_KEY\|secret_key' '$dir/runner.log'"
finish
