#!/bin/sh
# reconcile_prefect.sh: lost webhooks with QUEUE_BACKEND=prefect (tests/doubles/prefect_double and a stack:
# PostgreSQL, captionacc-fcgi, nginx): the lost video becomes one flow run with the webhook's idempotency
# key in its tier's work queue; a second reconcile (the run still waits in Prefect, not yet in the jobs
# table) and a late webhook find that run and make no second one.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
. "$top_srcdir/tests/harness/prefect-double.sh"
prefect_double_start reconcile
EXTRA_CONFIG="$PREFECT_CONFIG
PREFECT_RETRIES = 0
PREFECT_TIMEOUT_SECONDS = 2
TIER_CACHE_SECONDS = 0" FCGI_CHILDREN=2 "$stack" start "$dir" >/dev/null
. "$dir/env"
export PGOPTIONS="-c client_min_messages=warning"
q() { $PSQL -c "$1"; }
runs() { curl -s "$P/_runs" | sed 's/},{"id"/}\n{"id"/g'; }
"$runner" prefect-setup >"$dir/setup.out" 2>&1
q "INSERT INTO videos (id, tenant_id, storage_key, status, created_at) VALUES
   ('lost-p', 'tq', 'tq/lost-p.mp4', 'uploading', now() - interval '20 minutes'),
   ('young-p', 'tq', 'tq/young-p.mp4', 'uploading', now() - interval '1 minute')"
check "reconcile" sh -c "'$runner' reconcile >'$dir/out' 2>&1"
check "prints the flow run it made" grep -q '^queued video lost-p (tenant tq, uploaded 20 min ago): Prefect flow run ' "$dir/out"
check_eq "one flow run with the webhook's key" "$(runs | grep -c '"idempotency_key":"video_initial_processing:lost-p"')" 1
check_eq "in the free tier's work queue" "$(runs | grep '"video_id":"lost-p"' | grep -c '"work_queue_name":"captionacc-low"')" 1
check_eq "none for the younger video" "$(runs | grep -c '"video_id":"young-p"')" 0
check "a second reconcile" sh -c "'$runner' reconcile >'$dir/out' 2>&1"
check "finds the run already queued" grep -q '^already queued: video lost-p' "$dir/out"
check "and queues nothing" grep -q '^0 videos queued$' "$dir/out"
curl -s -o "$dir/answer" -X POST -H "Authorization: Bearer $WEBHOOK_SECRET" -H 'Content-Type: application/json' \
	--data '{"type":"INSERT","table":"videos","schema":"public","record":{"id":"lost-p","tenant_id":"tq","storage_key":"tq/lost-p.mp4"},"old_record":null}' \
	"$STACK_URL/webhooks/supabase/videos"
check "the late webhook answers with the same run" grep -q "\"flow_run_id\":\"$(runs | grep '"video_id":"lost-p"' |
	sed 's/.*"id":"\([^"]*\)".*/\1/' | head -1)\"" "$dir/answer"
check_eq "still one flow run for the video" "$(runs | grep -c '"video_id":"lost-p"')" 1
"$stack" fcgi-stop "$dir"
finish
