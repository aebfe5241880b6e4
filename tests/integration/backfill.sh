#!/bin/sh
# backfill.sh: runs tests/integration/test_backfill (reprocessing history month by month, every case of
# ../shared/seeds/backfill-scheduler-tests.md) against a fresh local stack (throwaway PostgreSQL,
# captionacc-fcgi under spawn-fcgi, real nginx) with two cron secrets (rotation) and pipeline version 4,
# plus the Modal test double for the runners the test starts; then `captionacc-runner backfill` from the
# command line: the same checks and answers as the endpoints. The stack is stopped whatever happens.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
EXTRA_CONFIG="CRON_SECRET = cron-now,cron-before
BACKFILL_PIPELINE_VERSION = 4
TIER_CACHE_SECONDS = 0
MODAL_KEY = wk-test
MODAL_SECRET = ws-test-secret
RETRY_BASE_MS = 50
RETRY_MAX_MS = 100" FCGI_CHILDREN=8 "$stack" start "$dir" >/dev/null
MODAL_DOUBLE_KEY=wk-test MODAL_DOUBLE_SECRET=ws-test-secret "$stack" modal-start "$dir"
. "$dir/env"
RUNNER=$runner
export RUNNER PGOPTIONS="-c client_min_messages=warning"
st=0
"$top_builddir/tests/integration/test_backfill" || st=$?
check_eq "test_backfill: every case passed" "$st" 0

# --- the command line: same parser, same operations ----------------------------------------------
q() { $PSQL -c "$1"; }
bf() { "$runner" backfill "$@" >"$dir/cli.out" 2>"$dir/cli.err"; }
q "TRUNCATE backfill_log, backfill_jobs, jobs, videos CASCADE"
st=0; bf schedule --batch-size 0 || st=$?
check_eq "cli: batch size 0 is refused (exit 2)" "$st" 2
check "cli: with the endpoint's sentence" grep -q 'batch_size must be a whole number from 1 to 50' "$dir/cli.err"
st=0; bf schedule --year-range 2021:2020 || st=$?
check_eq "cli: a reversed range is refused" "$st" 2
st=0; bf schedule --start-year 2020 || st=$?
check_eq "cli: a seed option is not a schedule option" "$st" 2
st=0; bf seed --start-year 20x0 || st=$?
check_eq "cli: a year that is not a number is refused" "$st" 2
st=0; bf stats --dry-run || st=$?
check_eq "cli: stats takes no options" "$st" 2
st=0; bf frobnicate || st=$?
check_eq "cli: unknown operation" "$st" 2
check "cli: seed 2010-2011" bf seed --start-year 2010 --end-year 2011
check "cli: seed answers 24 inserted" grep -q '"inserted":24' "$dir/cli.out"
q "INSERT INTO videos (id, tenant_id, storage_key, status, created_at)
   VALUES ('c1', 'tc', 'tc/c1.mp4', 'active', '2011-12-05'), ('c2', 'tc', 'tc/c2.mp4', 'active', '2011-11-05')"
check "cli: dry run" bf schedule --dry-run --batch-size 2
check "cli: dry run names the newest month with its video" grep -q '"videos_found":1' "$dir/cli.out"
check_eq "cli: dry run queues nothing" "$(q 'SELECT count(*) FROM jobs')" 0
check "cli: schedule 2011, 3 months" bf schedule --batch-size 3 --year-range 2011:2011
check_eq "cli: the two months with videos are processing, the third completed" \
	"$(q "SELECT string_agg(month || ':' || status, ',' ORDER BY month DESC) FROM backfill_log WHERE started_at IS NOT NULL")" \
	"12:processing,11:processing,10:completed"
check_eq "cli: their jobs carry version 4 in their keys" \
	"$(q "SELECT string_agg(idempotency_key, ',' ORDER BY idempotency_key) FROM jobs")" \
	"backfill:v4:2011-11:c2,backfill:v4:2011-12:c1"
check "cli: stats" bf stats
check "cli: stats counts" grep -q '"processing":2' "$dir/cli.out"
# --force-retry (README's way to retry failed months): a failed month is passed over, then taken.
q "UPDATE backfill_log SET status = 'failed', retry_count = 5 WHERE year = 2011 AND month = 9"
check "cli: dry run without --force-retry" bf schedule --dry-run --batch-size 1 --year-range 2011:2011
check "cli: passes the failed month over" grep -q '"month":8' "$dir/cli.out"
check "cli: schedule --force-retry" bf schedule --force-retry --batch-size 1 --year-range 2011:2011
check_eq "cli: the failed month is taken (no video: completed at once)" \
	"$(q "SELECT status || ' ' || retry_count FROM backfill_log WHERE year = 2011 AND month = 9")" "completed 5"

# cron/captionacc's commented examples work as written: the command (as a dry run) and the endpoint.
line=$(sed -n 's|^#.*/captionacc-runner \(backfill [^>]*\)>.*|\1|p' "$top_srcdir/cron/captionacc")
check "cron: a commented backfill line" test -n "$line"
# shellcheck disable=SC2086 # the line's words are the arguments
check "cron: its command is accepted" sh -c '"$@" --dry-run >"$0/cli.out" 2>&1' "$dir" "$runner" $line
check "cron: and schedules (a dry run here)" grep -q '"dry_run":true' "$dir/cli.out"
body=$(sed -n "s|^#.*-d '\([^']*\)' http://[^/]*\(/api/internal/schedule-backfill\) .*|\1 \2|p" "$top_srcdir/cron/captionacc")
check "cron: a commented endpoint line" test -n "$body"
check_eq "cron: its body, posted to its path, is accepted" "$(curl -s -o "$dir/cron.out" -w '%{http_code}' -X POST \
	-H 'X-Cron-Secret: cron-now' -H 'Content-Type: application/json' --data "${body% *}" "$STACK_URL${body##* }")" 200
check "the cron secret is never logged" sh -c "! grep -q 'cron-now\|cron-before' '$dir/captionacc.log' '$dir/runner.out'"
"$stack" fcgi-stop "$dir"
check "no sanitizer report from captionacc-fcgi" sh -c "! grep -E 'Sanitizer|runtime error' '$dir/spawn-fcgi.log' \
	'$dir/captionacc.log'"
finish
