#!/bin/sh
# metrics.sh: GET /metrics against a stack (PostgreSQL, two captionacc-fcgi processes, nginx) after a
# scripted sequence of jobs run by real runners against the Modal double: completed, retried then
# completed, failed for good, cancelled, still waiting; plus backfill months. promtool (Debian
# `prometheus`) accepts the output; every figure matches the database (jobs by flow and status, jobs ended,
# retries, the durations' count and sum, the oldest waiting job, backfill months), whichever process
# answers; 401 without or with a wrong X-Cron-Secret, 200 for anyone with METRICS_ALLOW_ANONYMOUS; the
# oldest-waiting query reads its partial index among 100,000 finished jobs, not the table.
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
	"$(q "SELECT count(*) FROM jobs WHERE status = 'completed'")"
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
	"$(q "SELECT round(sum(extract(epoch FROM finished_at - started_at))::numeric, 3) FROM jobs WHERE status = 'completed'")"
age=$(value captionacc_oldest_waiting_job_age_seconds)
check "oldest waiting job: about 300 s ($age)" awk -v a="$age" 'BEGIN { exit !(a >= 300 && a < 400) }'
check_eq "backfill months pending" "$(value 'captionacc_backfill_months{status="pending"}')" 2
check_eq "backfill months completed" "$(value 'captionacc_backfill_months{status="completed"}')" 1
check_eq "backfill months failed" "$(value 'captionacc_backfill_months{status="failed"}')" 0

# --- the same figures from either process, and jobs written by anyone are counted
cp "$dir/metrics" "$dir/first"
same=0
for i in 1 2 3 4 5 6; do scrape cron-m >/dev/null; grep -v '^captionacc_oldest' "$dir/metrics" >"$dir/a"
	grep -v '^captionacc_oldest' "$dir/first" >"$dir/b"; cmp -s "$dir/a" "$dir/b" && same=$((same + 1)); done
check_eq "six scrapes over two processes: the same figures" "$same" 6
q "UPDATE jobs SET status = 'completed', finished_at = now() WHERE id = '$wait1'" >/dev/null
scrape cron-m >/dev/null
check_eq "a job ended outside the runner is counted" \
	"$(value 'captionacc_jobs_ended_total{flow="video_initial_processing",status="completed"}')" 4
check_eq "and no longer waits" "$(value 'captionacc_jobs{flow="video_initial_processing",status="pending"}')" 0

# --- cheap at any size: the scrape reads job_stats (a row per flow and status) and one index entry
q "INSERT INTO jobs (flow, tenant_id, video_id, parameters, priority, base_priority, status, finished_at)
   SELECT 'noop', 'tb', NULL, '{\"tenant_id\": \"tb\"}', 50, 50, 'completed', now() FROM generate_series(1, 100000); ANALYZE jobs" >/dev/null
check_eq "100,000 more jobs: scraped" "$(scrape cron-m)" 200
check_eq "and counted" "$(value 'captionacc_jobs_ended_total{flow="noop",status="completed"}')" 100000
check_eq "job_stats stays at most a row per flow and status" \
	"$(q "SELECT count(*) <= 6 * count(DISTINCT flow) FROM job_stats")" t
check "the oldest waiting job comes from its partial index, not a scan of jobs" sh -c \
	"$PSQL -c \"EXPLAIN SELECT min(created_at) FROM jobs WHERE status IN ('pending', 'retry')\" | grep -q jobs_waiting_created_idx"
check_eq "the events were folded away" "$(q "SELECT count(*) FROM job_events")" 0

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
