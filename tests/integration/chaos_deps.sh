#!/bin/sh
# chaos_deps.sh: broken dependencies and a database session that sits on locks. The Modal double hangs
# (past MODAL_TIMEOUT_SECONDS), resets the connection without an answer, or answers garbage: each job
# ends retried and then failed with a clear error on its video and its row, none left running. Then a
# session holds row locks on a quarter of the queue, idle in transaction for CHAOS_HOLD seconds: two runners
# drain the rest while it holds them, and the locked jobs once it lets go.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
. "$top_srcdir/tests/harness/flow-jobs.sh"
HOLD=${CHAOS_HOLD:-10}
flow_stack_start
export MODAL_TIMEOUT_SECONDS=1 MODAL_CONNECT_TIMEOUT_SECONDS=1 MODAL_SECRET_CHECK=ws-test-secret

# --- Modal hangs, resets, answers garbage
for mode in 'slow?ms=30000' reset malformed; do
	name=${mode%%\?*}
	job=$(initial "v-$name" 2)
	MODAL_EXTRACT_FRAMES_AND_OCR_URL="$MODAL_URL/extract/$mode" "$runner" run --wait --max-seconds 8 \
		>/dev/null 2>&1 &
	r=$!; pids="$pids $r"
	wait_for 8 sh -c "test \"\$($PSQL -c \"SELECT status FROM jobs WHERE id = '$job'\")\" = failed" || true
	kill -TERM "$r" 2>/dev/null || true; wait "$r" 2>/dev/null || true
	case $name in
	slow) want='failed 2' why='timed out|Timeout|timeout' ;;     # transient: retried, then out of attempts
	reset) want='failed 2' why='Server returned nothing' ;;
	malformed) want='failed 1' why='HTTP 200 with an answer that is not a JSON object' ;; # permanent: at once
	esac
	check_eq "Modal $name: the job ends failed (attempts)" "$(job_state "$job")" "$want"
	check "Modal $name: the job's error says what happened" sh -c "$PSQL -c \"SELECT error_message FROM jobs
		WHERE id = '$job'\" | grep -Eq '$why'"
	check_eq "Modal $name: the video shows the error" "$(video "v-$name" status)" error
	check "Modal $name: its error names the step" sh -c "$PSQL -c \"SELECT error_message FROM videos
		WHERE id = 'v-$name'\" | grep -q '^extract_frames_and_ocr: '"
done
check_eq "nothing left running" "$(q "SELECT count(*) FROM jobs WHERE status = 'running'")" 0
check "no Modal secret in a log line or an error" sh -c "! grep -rq 'ws-test-secret' '$dir/runner.log' &&
	test \"\$($PSQL -c \"SELECT count(*) FROM jobs WHERE error_message LIKE '%ws-test-secret%'\")\" = 0"

# --- a session idle in transaction on a quarter of the queue
q "TRUNCATE jobs CASCADE" >/dev/null
q "INSERT INTO jobs (flow, tenant_id, video_id, parameters, priority, base_priority)
   SELECT 'video_initial_processing', 'tn', 'it-' || i, jsonb_build_object('video_id', 'it-' || i, 'tenant_id', 'tn',
          'storage_key', 'tn/videos/it-' || i || '.mp4'), CASE WHEN i <= 10 THEN 90 ELSE 50 END,
          CASE WHEN i <= 10 THEN 90 ELSE 50 END FROM generate_series(1, 40) i" >/dev/null
# the first ten are the queue's most urgent: a runner that waited on them would stall at once
{ echo "BEGIN; SELECT count(*) FROM (SELECT id FROM jobs WHERE video_id <= 'it-9' AND priority = 90 FOR UPDATE) x;"
  sleep "$HOLD"; echo "COMMIT;"; } | $PSQL >/dev/null & holder=$!; pids="$pids $holder"
wait_for 5 sh -c "test \"\$($PSQL -c \"SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'\")\" = 1"
t0=$(date +%s%3N)
MODAL_EXTRACT_FRAMES_AND_OCR_URL="$MODAL_URL/extract/ok" "$runner" run --wait --max-seconds $((HOLD + 20)) \
	>/dev/null 2>&1 & r1=$!
MODAL_EXTRACT_FRAMES_AND_OCR_URL="$MODAL_URL/extract/ok" "$runner" run --wait --max-seconds $((HOLD + 20)) \
	>/dev/null 2>&1 & r2=$!
pids="$pids $r1 $r2"
check "the 30 unlocked jobs completed while the locks were held" wait_for "$HOLD" sh -c \
	"test \"\$($PSQL -c \"SELECT count(*) FROM jobs WHERE status = 'completed'\")\" = 30"
t1=$(date +%s%3N)
check_eq "the holder was still idle in transaction then" \
	"$(q "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'")" 1
echo "# 30 jobs drained in $((t1 - t0)) ms beside a session holding 10 rows' locks for $HOLD s"
wait "$holder" 2>/dev/null || true
check "the 10 locked jobs completed once the session let go" wait_for 20 sh -c \
	"test \"\$($PSQL -c \"SELECT count(*) FROM jobs WHERE status = 'completed'\")\" = 40"
kill -TERM "$r1" "$r2" 2>/dev/null || true
wait "$r1" 2>/dev/null || true; wait "$r2" 2>/dev/null || true
check_eq "every video active once" "$(q "SELECT count(*) FROM videos WHERE id LIKE 'it-%' AND status = 'active'")" 40
finish
