#!/bin/sh
# reconcile.sh: lost webhooks (`captionacc-runner reconcile`) with the local queue, against a stack
# (PostgreSQL, captionacc-fcgi, nginx): a video still uploading past the age with no job is queued once,
# exactly as the webhook would have (its idempotency key, its tier and age's priority, its tags); a
# second run and a late webhook change nothing; a younger video, a video with a job and a processed video
# are left alone; --dry-run changes nothing; bad options are refused.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
EXTRA_CONFIG="TIER_CACHE_SECONDS = 0" FCGI_CHILDREN=2 "$stack" start "$dir" >/dev/null
. "$dir/env"
export PGOPTIONS="-c client_min_messages=warning"
q() { $PSQL -c "$1"; }
rec() { "$runner" reconcile "$@" >"$dir/out" 2>"$dir/err"; }
webhook() { # VIDEO TENANT CREATED_AT: prints the status, the answer in $dir/answer
	curl -s -o "$dir/answer" -w '%{http_code}' -X POST -H "Authorization: Bearer $WEBHOOK_SECRET" \
		-H 'Content-Type: application/json' --data "{\"type\":\"INSERT\",\"table\":\"videos\",\"schema\":\"public\",
		\"record\":{\"id\":\"$1\",\"tenant_id\":\"$2\",\"storage_key\":\"$2/$1.mp4\",\"created_at\":\"$3\"},\"old_record\":null}" \
		"$STACK_URL/webhooks/supabase/videos"
}
# lost: its webhook never came (150 min ago: the age boost gives free tier 52); young: 2 minutes old;
# delivered: its webhook came (a job exists); done: processed long ago.
q "INSERT INTO videos (id, tenant_id, storage_key, status, created_at) VALUES
   ('lost', 'tr', 'tr/lost.mp4', 'uploading', now() - interval '150 minutes'),
   ('young', 'tr', 'tr/young.mp4', 'uploading', now() - interval '2 minutes'),
   ('delivered', 'tr', 'tr/delivered.mp4', 'uploading', now() - interval '30 minutes'),
   ('done', 'tr', 'tr/done.mp4', 'active', now() - interval '3 days')"
lost_at=$(q "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM videos WHERE id = 'lost'")
check_eq "the delivered video's webhook: 202" "$(webhook delivered tr "$(q "SELECT to_char(created_at AT TIME ZONE 'UTC',
	'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM videos WHERE id = 'delivered'")")" 202

st=0; rec --older-than x || st=$?
check_eq "a bad --older-than is refused (exit 2)" "$st" 2
check "with a sentence" grep -q 'older-than must be a whole number' "$dir/err"
st=0; rec extra || st=$?
check_eq "an extra argument is refused (exit 2)" "$st" 2

check "dry run" rec --dry-run
check "dry run names the lost video" grep -q '^would queue video lost (tenant tr' "$dir/out"
check_eq "dry run names nothing else" "$(grep -c '^would queue' "$dir/out")" 1
check_eq "dry run queues nothing" "$(q "SELECT count(*) FROM jobs")" 1

check "reconcile" rec
check "it prints what it queued" grep -q '^queued video lost (tenant tr, uploaded 150 min ago): job ' "$dir/out"
check "and the count" grep -q '^1 video queued$' "$dir/out"
check_eq "one job for the lost video, as the webhook's: key, flow, priority (free, 150 min: 52), trigger" \
	"$(q "SELECT idempotency_key || ' ' || flow || ' ' || priority || ' ' || (metadata->>'triggered_by')
	      FROM jobs WHERE video_id = 'lost'")" "video_initial_processing:lost video_initial_processing 52 reconcile"
check_eq "with the webhook's parameters" "$(q "SELECT parameters::text FROM jobs WHERE video_id = 'lost'")" \
	'{"video_id": "lost", "tenant_id": "tr", "storage_key": "tr/lost.mp4"}'
check_eq "and tags" "$(q "SELECT metadata->'tags' FROM jobs WHERE video_id = 'lost'")" \
	'["tenant:tr", "tier:free", "priority:52", "age-boosting:enabled"]'
check_eq "the younger, the delivered and the processed videos are left alone" \
	"$(q "SELECT string_agg(video_id || ':' || count, ',' ORDER BY video_id) FROM
	      (SELECT video_id, count(*) FROM jobs GROUP BY video_id) c")" "delivered:1,lost:1"
check "it logs what it queued" grep -q 'reconcile video_initial_processing for tenant tr, video lost: queued job' \
	"$dir/captionacc.log"
job=$(q "SELECT id FROM jobs WHERE video_id = 'lost'")

check "a second run" rec
check "queues nothing" grep -q '^0 videos queued$' "$dir/out"
check_eq "a second run: still one job for the video" "$(q "SELECT count(*) FROM jobs")" 2

check_eq "the late webhook: 202" "$(webhook lost tr "$lost_at")" 202
check "answers with the reconciled job" grep -q "\"flow_run_id\":\"$job\",\"priority\":52" "$dir/answer"
check_eq "the late webhook: still one job for the video" "$(q "SELECT count(*) FROM jobs WHERE video_id = 'lost'")" 1

check "older than 1 minute" rec --older-than 1
check_eq "takes the young video in its turn" "$(q "SELECT count(*) FROM jobs WHERE video_id = 'young'")" 1
"$stack" fcgi-stop "$dir"
finish
