#!/bin/sh
# status_page.sh: GET /status against a stack (PostgreSQL, captionacc-fcgi, nginx) and a seeded database,
# loaded in headless Chromium (Debian `chromium`): the DOM shows the queue by flow and status, waiting
# work per tenant, the last hour's ended jobs as an SVG chart, the oldest waiting job, the last failures
# (their error as text: markup in it is escaped), running jobs with their runner and lease, backfill
# progress; the page needs nothing but itself (loaded from a file, no script); screenshots at a phone's
# and a desktop's width; 401 without X-Cron-Secret.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
command -v chromium >/dev/null || { echo "chromium missing: bash tests/harness/install-deps.sh" >&2; exit 1; }
EXTRA_CONFIG="CRON_SECRET = cron-s" FCGI_CHILDREN=1 "$stack" start "$dir" >/dev/null
. "$dir/env"
export PGOPTIONS="-c client_min_messages=warning"
q() { $PSQL -c "$1"; }
job() { # FLOW TENANT VIDEO STATUS [EXTRA COLUMNS] [EXTRA VALUES]
	q "INSERT INTO jobs (flow, tenant_id, video_id, parameters, priority, base_priority, status${5:-})
	   VALUES ('$1', '$2', '$3', jsonb_build_object('tenant_id', '$2', 'video_id', '$3'), 50, 50, '$4'${6:-}) RETURNING id"
}
for i in 1 2 3; do job video_initial_processing ta "a$i" pending >/dev/null; done
old=$(job video_initial_processing tb b1 retry)
q "UPDATE jobs SET created_at = now() - interval '2 hours' WHERE id = '$old'" >/dev/null
run=$(job crop_and_infer ta a9 running ", lease_owner, lease_expires_at, lease_token, started_at, attempt" \
	", 'runner-x:42', now() + interval '60 seconds', gen_random_uuid(), now(), 1")
for i in 1 2 3 4 5; do job video_initial_processing tc "c$i" completed ", started_at, finished_at" \
	", now() - interval '20 minutes', now() - interval '${i}0 minutes' + interval '5 minutes'" >/dev/null; done
job video_initial_processing tc c0 completed ", started_at, finished_at" ", now() - interval '3 hours', now() - interval '2 hours'" >/dev/null
bad=$(job video_initial_processing tc c6 failed ", error_message, finished_at" \
	", 'extract_frames_and_ocr: <script>alert(1)</script> & boom', now() - interval '1 minute'")
q "INSERT INTO backfill_log (year, month, status, videos_found, videos_completed, videos_failed, started_at)
   VALUES (2021, 6, 'processing', 10, 4, 1, now()), (2021, 5, 'completed', 8, 8, 0, now()), (2021, 4, 'pending', 0, 0, 0, NULL)" >/dev/null

check_eq "no X-Cron-Secret: 401" "$(curl -s -o /dev/null -w '%{http_code}' "$STACK_URL/status")" 401
check_eq "with it: 200" "$(curl -s -D "$dir/headers" -o "$dir/status.html" -w '%{http_code}' -H 'X-Cron-Secret: cron-s' \
	"$STACK_URL/status")" 200
check "an HTML page" grep -qi '^Content-Type: text/html; charset=utf-8' "$dir/headers"
check "no script and nothing fetched from elsewhere" sh -c "! grep -Eqi '<script|src=|href=|@import|url\\(' '$dir/status.html'"

chrome() { chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$dir/chrome" "$@" 2>>"$dir/chromium.log"; }
chrome --dump-dom "file://$dir/status.html" >"$dir/dom.html"
check "Chromium loads it (offline, from a file)" grep -q '<h1>CaptionAcc status</h1>' "$dir/dom.html"
# One line per table row, cells separated by |, for the checks.
rows() { tr -d '\n' <"$dir/dom.html" | sed 's|<section|\n<section|g' | grep "^<section id=\"$1\">" |
	sed -e 's|</section>.*||' -e 's|</tr>|\n|g' |
	sed -e 's|</td><td>|\||g' -e 's|<[^>]*>||g' | grep -v '^$'; }
check_eq "queue: every flow and status with its jobs" "$(rows depth | grep '|' | tr '\n' ' ')" \
	"crop_and_infer|running|1 video_initial_processing|completed|6 video_initial_processing|failed|1 video_initial_processing|pending|3 video_initial_processing|retry|1 "
check_eq "waiting work per tenant, most first" "$(rows tenants | grep '|' | tr '\n' ' ')" "ta|3 tb|1 "
check "the oldest waiting job: the retry job, 2 hours" grep -q "<code>$old</code> video_initial_processing (video b1), waiting <strong id=\"oldest-age\">72[0-9][0-9]</strong>" "$dir/dom.html"
check_eq "the last hour's ended jobs: 5 completed and 1 failed (not the one 2 hours ago)" \
	"$(sed -n 's|.*<span id="throughput-total">\([0-9]*\)</span>.*|\1|p' "$dir/dom.html")" 6
check_eq "as 24 SVG bars" "$(grep -o '<rect ' "$dir/dom.html" | wc -l)" 24
check_eq "the last failures: one, with its video and error" "$(rows failures | grep '|' | cut -d'|' -f1-3,5)" \
	"$bad|video_initial_processing|c6|extract_frames_and_ocr: &lt;script&gt;alert(1)&lt;/script&gt; &amp; boom"
check "its markup escaped, not run" grep -qF 'extract_frames_and_ocr: &lt;script&gt;alert(1)&lt;/script&gt; &amp; boom' "$dir/dom.html"
check_eq "no script element in the DOM" "$(grep -c '<script' "$dir/dom.html")" 0
check "the running job with its runner, lease and attempt" sh -c \
	"grep -o '<section id=\"running\">.*' '$dir/dom.html' | grep -q '<td>$run</td><td>crop_and_infer</td><td>a9</td><td>runner-x:42</td><td>[56][0-9]</td><td>1/5</td>'"
check "backfill: the month in progress with its counts" grep -q '<td>2021-06</td><td>processing</td><td>10</td><td>4</td><td>1</td>' "$dir/dom.html"
check "backfill: a pending month is not listed" sh -c "! grep -q '<td>2021-04</td>' '$dir/dom.html'"

chrome --screenshot="$dir/phone.png" --window-size=390,844 "file://$dir/status.html" >/dev/null
chrome --screenshot="$dir/desktop.png" --window-size=1440,900 "file://$dir/status.html" >/dev/null
png_size() { od -An -tx1 -j16 -N8 "$1" 2>/dev/null | tr -d ' \n'; }  # width and height, 4 bytes each
check_eq "a phone-sized screenshot (390 x 844)" "$(png_size "$dir/phone.png")" 000001860000034c
check_eq "a desktop-sized screenshot (1440 x 900)" "$(png_size "$dir/desktop.png")" 000005a000000384
check "the page says it fits a phone's width" grep -q '<meta name="viewport" content="width=device-width, initial-scale=1">' "$dir/dom.html"
"$stack" fcgi-stop "$dir"
check "no sanitizer report from captionacc-fcgi" sh -c "! grep -E 'Sanitizer|runtime error' '$dir/spawn-fcgi.log' '$dir/captionacc.log'"
finish
