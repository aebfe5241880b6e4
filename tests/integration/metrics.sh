#!/bin/sh
# metrics.sh: GET /metrics against a stack (PostgreSQL, two captionacc-fcgi processes, nginx) after a
# scripted sequence of jobs run by real runners against the Modal double: completed, retried then
# completed, failed for good, cancelled, still waiting, refused a held layout lock then run; plus backfill
# months and webhooks answered 202, 401, 400, 415, 503 (PostgreSQL stopped). promtool (Debian
# `prometheus`) accepts the output; every figure matches the database (jobs by flow and status, jobs
# ended, retries, the durations' count and sum, the oldest waiting job, backfill months) or what happened
# (steps, GPU calls and failures, lock refusals and waits, HTTP answers by route and code, from both
# processes), whichever process answers; 401 without or with a wrong X-Cron-Secret, 200 for anyone with
# METRICS_ALLOW_ANONYMOUS; the oldest-waiting query reads its partial index among 100,000 finished jobs,
# not the table.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
command -v promtool >/dev/null || { echo "promtool missing: bash tests/harness/install-deps.sh" >&2; exit 1; }
EXTRA_CONFIG="CRON_SECRET = cron-m
RETRY_BASE_MS = 50
RETRY_MAX_MS = 100
MODAL_KEY = wk-test
MODAL_SECRET = ws-test-secret" FCGI_CHILDREN=2 "$stack" start "$dir" >/dev/null
MODAL_DOUBLE_KEY=wk-test MODAL_DOUBLE_SECRET=ws-test-secret "$stack" modal-start "$dir"
. "$dir/env"
export PGOPTIONS="-c client_min_messages=warning" LOG_FILE="$dir/runner.log"
. "$top_srcdir/tests/harness/flow-jobs.sh"
scrape() { # [SECRET]: prints the status; the body in $dir/metrics, the headers in $dir/headers
	curl -s -D "$dir/headers" -o "$dir/metrics" -w '%{http_code}' ${1:+-H "X-Cron-Secret: $1"} "$STACK_URL/metrics"
}
value() { awk -v k="$1" 'index($0, k " ") == 1 { print $NF }' "$dir/metrics"; }

# --- the sequence
ok1=$(initial m-ok1); ok2=$(initial m-ok2)
MODAL_EXTRACT_FRAMES_AND_OCR_URL="$MODAL_URL/extract/ok" "$runner" run --max-jobs 2 >/dev/null 2>&1
flaky=$(initial m-flaky 3)
MODAL_EXTRACT_FRAMES_AND_OCR_URL="$MODAL_URL/extract/flaky?fail=1" "$runner" run --max-jobs 2 --wait --max-seconds 20 >/dev/null 2>&1
bad=$(initial m-bad 1)
MODAL_EXTRACT_FRAMES_AND_OCR_URL="$MODAL_URL/extract/404" "$runner" run --max-jobs 1 >/dev/null 2>&1
gone=$(crop m-gone)
"$runner" cancel "$gone" >/dev/null
wait1=$(initial m-wait)
q "UPDATE jobs SET created_at = now() - interval '300 seconds' WHERE id = '$wait1'" >/dev/null
q "INSERT INTO backfill_log (year, month, status) VALUES (2020, 1, 'pending'), (2020, 2, 'pending'), (2020, 3, 'completed')" >/dev/null
check_eq "the sequence: completed, retried then completed, failed, cancelled, waiting" \
	"$(job_state "$ok1"), $(job_state "$ok2"), $(job_state "$flaky"), $(job_state "$bad"), $(job_state "$gone"), $(job_state "$wait1")" \
	"completed 1, completed 1, completed 2, failed 1, cancelled 0, pending 0"
# a layout lock held by someone else: the crop job is refused once, waits about a second, then runs
q "INSERT INTO video_database_state (video_id, database_name, lock_holder, lock_type, locked_at, lock_expires_at)
   VALUES ('m-ok1', 'layout', 'user:editor', 'client', now(), now() + interval '1 hour')" >/dev/null
held=$(crop m-ok1)
export MODAL_CROP_AND_INFER_URL="$MODAL_URL/crop/ok"
"$runner" run --max-jobs 1 >/dev/null 2>&1
check_eq "the held lock: the crop job waits" "$(job_state "$held")" "pending 0"
scrape cron-m >/dev/null
check_eq "lock refusals: one" "$(value 'captionacc_lock_refusals_total{database="layout"}')" 1
check_eq "jobs waiting for a lock: one" "$(value 'captionacc_lock_waiting_jobs{database="layout"}')" 1
sleep 1
q "UPDATE video_database_state SET lock_holder = NULL, lock_type = NULL, lock_expires_at = NULL WHERE video_id = 'm-ok1';
   UPDATE jobs SET run_after = now() WHERE id = '$held'" >/dev/null
"$runner" run --max-jobs 1 >/dev/null 2>&1
check_eq "the lock freed: the crop job ran" "$(job_state "$held")" "completed 1"

# --- access
check_eq "no X-Cron-Secret: 401" "$(scrape)" 401
check_eq "a wrong X-Cron-Secret: 401" "$(scrape wrong)" 401
check_eq "the cron secret: 200" "$(scrape cron-m)" 200
check "Prometheus text format 0.0.4" grep -qi '^Content-Type: text/plain; version=0.0.4' "$dir/headers"
check "promtool check metrics accepts it" sh -c "promtool check metrics <'$dir/metrics' >'$dir/promtool.out' 2>&1"

# --- every figure matches the database
for row in $(q "SELECT flow || ',' || status || ',' || count(*) FROM jobs GROUP BY flow, status"); do
	f=${row%%,*}; rest=${row#*,}; s=${rest%%,*}; n=${rest#*,}
	check_eq "captionacc_jobs $f $s" "$(value "captionacc_jobs{flow=\"$f\",status=\"$s\"}")" "$n"
done
check_eq "jobs ended: completed" "$(value 'captionacc_jobs_ended_total{flow="video_initial_processing",status="completed"}')" \
	"$(q "SELECT count(*) FROM jobs WHERE status = 'completed' AND flow = 'video_initial_processing'")"
check_eq "jobs ended: failed" "$(value 'captionacc_jobs_ended_total{flow="video_initial_processing",status="failed"}')" 1
check_eq "jobs ended: cancelled" "$(value 'captionacc_jobs_ended_total{flow="crop_and_infer",status="cancelled"}')" 1
check_eq "retries: every attempt after a job's first (the flaky job's one)" \
	"$(value 'captionacc_job_retries_total{flow="video_initial_processing"}')" \
	"$(q "SELECT sum(greatest(attempt - 1, 0)) FROM jobs WHERE flow = 'video_initial_processing'")"
check_eq "durations: count = completed jobs" \
	"$(value 'captionacc_job_duration_seconds_count{flow="video_initial_processing",status="completed"}')" 3
check_eq "durations: +Inf bucket = count" \
	"$(value 'captionacc_job_duration_seconds_bucket{flow="video_initial_processing",status="completed",le="+Inf"}')" 3
check_eq "durations: sum = the jobs' own (started -> finished)" \
	"$(value 'captionacc_job_duration_seconds_sum{flow="video_initial_processing",status="completed"}' | awk '{printf "%.3f", $1}')" \
	"$(q "SELECT round(sum(extract(epoch FROM finished_at - started_at))::numeric, 3) FROM jobs WHERE status = 'completed' AND flow = 'video_initial_processing'")"
age=$(value captionacc_oldest_waiting_job_age_seconds)
check "oldest waiting job: about 300 s ($age)" awk -v a="$age" 'BEGIN { exit !(a >= 300 && a < 400) }'
check_eq "backfill months pending" "$(value 'captionacc_backfill_months{status="pending"}')" 2
check_eq "backfill months completed" "$(value 'captionacc_backfill_months{status="completed"}')" 1
check_eq "backfill months failed" "$(value 'captionacc_backfill_months{status="failed"}')" 0

# --- the runners' figures: steps, GPU calls, lock waits (counts as the sequence made them)
step() { value "captionacc_step_duration_seconds_count{flow=\"$1\",step=\"$2\",outcome=\"$3\"}"; }
check_eq "steps: mark_processing (ok1, ok2, flaky, bad)" "$(step video_initial_processing mark_processing completed)" 4
check_eq "steps: extract completed (ok1, ok2, flaky's 2nd)" "$(step video_initial_processing extract_frames_and_ocr completed)" 3
check_eq "steps: extract failed (flaky's 1st, bad)" "$(step video_initial_processing extract_frames_and_ocr failed)" 2
check_eq "steps: record_metadata (the last step, written with the completion)" \
	"$(step video_initial_processing record_metadata completed)" 3
check_eq "steps: crop_and_infer (not while its lock was held), record_layout" \
	"$(step crop_and_infer crop_and_infer completed) $(step crop_and_infer record_layout completed)" "1 1"
check_eq "steps: no other series" "$(grep -c '^captionacc_step_duration_seconds_count' "$dir/metrics")" 6
check_eq "steps: the +Inf bucket is the count" \
	"$(value 'captionacc_step_duration_seconds_bucket{flow="video_initial_processing",step="mark_processing",outcome="completed",le="+Inf"}')" 4
check "steps: 19 buckets a series" test "$(grep -c '^captionacc_step_duration_seconds_bucket{flow="crop_and_infer",step="record_layout"' "$dir/metrics")" -eq 19
s=$(value 'captionacc_step_duration_seconds_sum{flow="video_initial_processing",step="extract_frames_and_ocr",outcome="completed"}')
check "steps: durations plausible ($s s for 3 GPU steps)" awk -v s="$s" 'BEGIN { exit !(s > 0 && s < 30) }'
gpu() { value "captionacc_gpu_call_duration_seconds_count{function=\"$1\",backend=\"modal\",outcome=\"$2\"}"; }
check_eq "GPU calls: extract ok, transient, permanent" \
	"$(gpu extract_frames_and_ocr ok) $(gpu extract_frames_and_ocr transient) $(gpu extract_frames_and_ocr permanent)" "3 1 1"
check_eq "GPU calls: crop ok" "$(gpu crop_and_infer ok)" 1
check_eq "GPU failures: transient, permanent" \
	"$(value 'captionacc_gpu_call_failures_total{function="extract_frames_and_ocr",backend="modal",kind="transient"}') $(value 'captionacc_gpu_call_failures_total{function="extract_frames_and_ocr",backend="modal",kind="permanent"}')" "1 1"
s=$(value 'captionacc_gpu_call_duration_seconds_sum{function="extract_frames_and_ocr",backend="modal",outcome="ok"}')
check "GPU calls: durations plausible ($s s)" awk -v s="$s" 'BEGIN { exit !(s > 0 && s < 30) }'
check_eq "lock refusals: still one" "$(value 'captionacc_lock_refusals_total{database="layout"}')" 1
check_eq "lock waits: one, ended" "$(value 'captionacc_lock_wait_seconds_count{database="layout"}') $(value 'captionacc_lock_waiting_jobs{database="layout"}')" "1 "
s=$(value 'captionacc_lock_wait_seconds_sum{database="layout"}')
check "lock waits: the second it waited ($s s)" awk -v s="$s" 'BEGIN { exit !(s >= 1 && s < 30) }'
check_eq "lock waits: in the 2.5 s bucket, not the 1 s one" \
	"$(value 'captionacc_lock_wait_seconds_bucket{database="layout",le="1"}') $(value 'captionacc_lock_wait_seconds_bucket{database="layout",le="2.5"}')" "0 1"

# --- the same figures from either process, and jobs written by anyone are counted
cp "$dir/metrics" "$dir/first"
same=0
for i in 1 2 3 4 5 6; do scrape cron-m >/dev/null; grep -Ev '^captionacc_(oldest|http)' "$dir/metrics" >"$dir/a"
	grep -Ev '^captionacc_(oldest|http)' "$dir/first" >"$dir/b"; cmp -s "$dir/a" "$dir/b" && same=$((same + 1)); done
check_eq "six scrapes over two processes: the same figures" "$same" 6
q "UPDATE jobs SET status = 'completed', finished_at = now() WHERE id = '$wait1'" >/dev/null
scrape cron-m >/dev/null
check_eq "a job ended outside the runner is counted" \
	"$(value 'captionacc_jobs_ended_total{flow="video_initial_processing",status="completed"}')" 4
check_eq "and no longer waits" "$(value 'captionacc_jobs{flow="video_initial_processing",status="pending"}')" 0

# --- HTTP answers by route and code, from both processes (each writes its counts within a second)
hook() { # BEARER CONTENT-TYPE BODY: prints the status
	curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $1" -H "Content-Type: $2" --data "$3" \
		"$STACK_URL/webhooks/supabase/videos"
}
good='{"type":"INSERT","table":"videos","schema":"public","record":{"id":"m-hook","tenant_id":"tn","storage_key":"tn/m-hook.mp4"},"old_record":null}'
answers=$(hook "$WEBHOOK_SECRET" application/json "$good")
for i in 1 2 3; do answers="$answers $(hook wrong application/json "$good")"; done
answers="$answers $(hook "$WEBHOOK_SECRET" application/json '{not json') $(hook "$WEBHOOK_SECRET" application/json '[]')"
answers="$answers $(hook "$WEBHOOK_SECRET" text/plain "$good")"
answers="$answers $(curl -s -o /dev/null -w '%{http_code}' "$STACK_URL/no/such/route")"
check_eq "webhooks answered" "$answers" "202 401 401 401 400 400 415 404"
sleep 1.5
scrape cron-m >/dev/null
http() { value "captionacc_http_responses_total{route=\"$1\",code=\"$2\"}"; }
check_eq "HTTP answers: the webhook's 202, 401, 400, 415" \
	"$(http /webhooks/supabase/videos 202) $(http /webhooks/supabase/videos 401) $(http /webhooks/supabase/videos 400) $(http /webhooks/supabase/videos 415)" \
	"1 3 2 1"
check_eq "HTTP answers: a path no route has" "$(http other 404)" 1
check_eq "HTTP answers: the two refused scrapes" "$(http /metrics 401)" 2
check_eq "HTTP answers: the nine scrapes answered 200 before this one" "$(http /metrics 200)" 9
check "promtool check metrics accepts the new figures" sh -c "promtool check metrics <'$dir/metrics' >'$dir/promtool.out' 2>&1"
# the database away: webhooks answered 503; the counts wait in the processes and arrive once it is back
"$stack" pg-stop "$dir"
check_eq "the database away: webhooks answered 503" \
	"$(hook "$WEBHOOK_SECRET" application/json "$good") $(hook "$WEBHOOK_SECRET" application/json "$good")" "503 503"
sleep 1.5
"$stack" pg-start "$dir"
check "the 503s counted once the database is back" wait_for 15 sh -c \
	"curl -s -H 'X-Cron-Secret: cron-m' '$STACK_URL/metrics' | grep -qx 'captionacc_http_responses_total{route=\"/webhooks/supabase/videos\",code=\"503\"} 2'"

# --- cheap at any size: the scrape reads job_stats (a row per flow and status) and one index entry
q "INSERT INTO jobs (flow, tenant_id, video_id, parameters, priority, base_priority, status, finished_at)
   SELECT 'noop', 'tb', NULL, '{\"tenant_id\": \"tb\"}', 50, 50, 'completed', now() FROM generate_series(1, 100000); ANALYZE jobs" >/dev/null
check_eq "100,000 more jobs: scraped" "$(scrape cron-m)" 200
check_eq "and counted" "$(value 'captionacc_jobs_ended_total{flow="noop",status="completed"}')" 100000
check_eq "job_stats stays at most a row per flow and status" \
	"$(q "SELECT count(*) <= 6 * count(DISTINCT flow) FROM job_stats")" t
check "the oldest waiting job comes from its partial index, not a scan of jobs" sh -c \
	"$PSQL -c \"EXPLAIN SELECT min(created_at) FROM jobs WHERE status IN ('pending', 'retry')\" | grep -q jobs_waiting_created_idx"
check_eq "the events were folded away" "$(q "SELECT count(*) FROM job_events") $(q "SELECT count(*) FROM metric_events")" "0 0"
check_eq "metric_stats: a row per series and bucket, whatever the jobs" "$(q "SELECT count(*) < 200 FROM metric_stats")" t

# --- METRICS_ALLOW_ANONYMOUS
"$stack" fcgi-stop "$dir"
echo "METRICS_ALLOW_ANONYMOUS = true" >>"$dir/captionacc.conf"
"$stack" fcgi-start "$dir"
check_eq "METRICS_ALLOW_ANONYMOUS: 200 without the secret" "$(scrape)" 200
check_eq "the other internal endpoints still want it" \
	"$(curl -s -o /dev/null -w '%{http_code}' "$STACK_URL/api/internal/backfill-stats")" 401
"$stack" fcgi-stop "$dir"
check "no sanitizer report from captionacc-fcgi" sh -c "! grep -E 'Sanitizer|runtime error' '$dir/spawn-fcgi.log' '$dir/captionacc.log'"
finish
