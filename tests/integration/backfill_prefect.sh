#!/bin/sh
# backfill_prefect.sh: backfill with QUEUE_BACKEND=prefect, against tests/doubles/prefect_double, the Modal
# double and a stack (PostgreSQL, captionacc-fcgi, nginx): a month is handed over as one flow run per video
# in the lowest band's work queue (captionacc-backfill, below the free tier's captionacc-low), tagged with
# its month and priority, with idempotency keys naming the pipeline version, the month and the video (a
# month handed over again makes no second run); a Prefect that cannot be reached makes the month a retry
# with the reason; a runner polling the pool runs the videos and completes the month with its counts.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
. "$top_srcdir/tests/harness/prefect-double.sh"
prefect_double_start backfill
EXTRA_CONFIG="$PREFECT_CONFIG
PREFECT_POLL_INTERVAL_MS = 50
PREFECT_RETRIES = 0
PREFECT_TIMEOUT_SECONDS = 2
CRON_SECRET = cron-p
TIER_CACHE_SECONDS = 0
MODAL_KEY = wk-test
MODAL_SECRET = ws-test-secret" FCGI_CHILDREN=2 "$stack" start "$dir" >/dev/null
MODAL_DOUBLE_KEY=wk-test MODAL_DOUBLE_SECRET=ws-test-secret "$stack" modal-start "$dir"
. "$dir/env"
MODAL_EXTRACT_FRAMES_AND_OCR_URL="$MODAL_URL/extract/ok"
export MODAL_EXTRACT_FRAMES_AND_OCR_URL
q() { $PSQL -c "$1"; }
post() { # PATH BODY: prints the status, the answer in $dir/answer
	curl -s -o "$dir/answer" -w '%{http_code}' -X POST -H 'X-Cron-Secret: cron-p' -H 'Content-Type: application/json' \
		--data "$2" "$STACK_URL$1"
}
runs() { curl -s "$P/_runs" | sed 's/},{"id"/}\n{"id"/g'; }
"$runner" prefect-setup >"$dir/setup.out" 2>&1
check "prefect-setup creates the backfill band's queue" grep -q 'captionacc-backfill' "$dir/setup.out"

q "INSERT INTO backfill_log (year, month) VALUES (2019, 5), (2019, 4);
   INSERT INTO videos (id, tenant_id, storage_key, status, created_at) VALUES
   ('p1', 'tp', 'tp/p1.mp4', 'active', '2019-05-01'), ('p2', 'tp', 'tp/p2.mp4', 'active', '2019-05-02'),
   ('p3', 'tp', 'tp/p3.mp4', 'active', '2019-05-03'), ('p4', 'tp', 'tp/p4.mp4', 'active', '2019-04-03')"
check_eq "schedule: 200" "$(post /api/internal/schedule-backfill '{"batch_size":1}')" 200
check_eq "the month is processing, three videos queued" \
	"$(q "SELECT status || ' ' || videos_found || ' ' || videos_queued FROM backfill_log WHERE month = 5")" "processing 3 3"
check_eq "three flow runs" "$(runs | grep -c '"idempotency_key":"backfill:v1:2019-05:p[123]"')" 3
check_eq "in the lowest band's queue" "$(runs | grep '"idempotency_key":"backfill:v1:2019-05' |
	grep -c '"work_queue_name":"captionacc-backfill"')" 3
check_eq "tagged with the month and the priority" "$(runs | grep '"idempotency_key":"backfill:v1:2019-05' |
	grep '"backfill:2019-05"' | grep -c '"priority:10"')" 3
check_eq "remembered as the month's jobs (their ids are the runs')" \
	"$(q "SELECT count(*) FROM backfill_jobs WHERE year = 2019 AND month = 5")" 3
q "UPDATE backfill_log SET status = 'retry' WHERE month = 5"
check_eq "handed over again: 200" "$(post /api/internal/schedule-backfill '{"batch_size":1}')" 200
check_eq "handed over again: still three runs" "$(runs | grep -c '"idempotency_key":"backfill:v1:2019-05')" 3

# A live free upload goes to captionacc-low, above the backfill queue.
curl -s -o /dev/null -X POST -H "Authorization: Bearer $WEBHOOK_SECRET" -H 'Content-Type: application/json' \
	--data '{"type":"INSERT","table":"videos","schema":"public","record":{"id":"live-p","tenant_id":"tp","storage_key":"tp/live-p.mp4"},"old_record":null}' \
	"$STACK_URL/webhooks/supabase/videos"
check_eq "a live upload's run is in captionacc-low" "$(runs | grep '"video_id":"live-p"' | grep -c '"work_queue_name":"captionacc-low"')" 1

check "the runner drains the pool" "$runner" run --max-seconds 20 >"$dir/runner.out" 2>&1
check_eq "the month is completed by the runner with its counts" \
	"$(q "SELECT status || ' ' || videos_completed || ' ' || videos_failed || ' ' || success_rate FROM backfill_log WHERE month = 5")" \
	"completed 3 0 100.00"
check "the runner says so" grep -q 'backfill month 2019-05 completed: 3 of 3' "$dir/captionacc.log"

# Prefect away (last: the double keeps its runs in memory): the next month's hand-over fails and counts
# a retry.
"$stack" prefect-stop "$dir"
check_eq "Prefect away: schedule still answers 200" "$(post /api/internal/schedule-backfill '{"batch_size":1}')" 200
check_eq "Prefect away: the month is a retry with the reason" \
	"$(q "SELECT status || ' ' || retry_count || ' ' || (error_message <> '')::text || ' ' || (last_retry_at IS NOT NULL)::text
	      FROM backfill_log WHERE month = 4")" "retry 1 true true"
check_eq "Prefect away: nothing of it remembered" "$(q "SELECT count(*) FROM backfill_jobs WHERE month = 4")" 0
check "Prefect away: the answer says failed 1" grep -q '"failed":1' "$dir/answer"
"$stack" fcgi-stop "$dir"
check "no sanitizer report from captionacc-fcgi" sh -c "! grep -E 'Sanitizer|runtime error' '$dir/spawn-fcgi.log' \
	'$dir/captionacc.log'"
finish
