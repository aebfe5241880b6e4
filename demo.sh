#!/bin/sh
# demo.sh: the newcomer's first command: the whole product on this machine, with no cloud account.
# On a fresh Debian machine it installs what is missing, builds, starts a local stack (throwaway
# PostgreSQL, s3rver as S3, captionacc-fcgi under spawn-fcgi, nginx on a free port), makes a short video
# with burned-in captions, uploads it, posts the Supabase "video inserted" webhook, runs captionacc-runner
# with the local GPU backend (ffmpeg + tesseract), then, as the web app would for a signed-in user (a
# Supabase access token it mints with the project's secret), approves the caption band (crop_and_infer)
# and asks for OCR of the captions found (caption_ocr) through the action endpoints, runs the runner
# again, and prints the video's status, metadata and the recovered captions with their time ranges, and
# whether they are exactly the subtitles burned in (libass: white outlined text over ffmpeg's moving
# testsrc2 pattern). It stops everything it started.
set -eu
cd "$(dirname "$0")"
top=$(pwd)

need=
for c in spawn-fcgi pkg-config autoreconf ffmpeg ffprobe s3rver curl; do command -v "$c" >/dev/null 2>&1 || need=1; done
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need=1
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need=1
pkg-config --exists json-c libpq cmocka libmicrohttpd sqlite3 tesseract lept 2>/dev/null || need=1
[ -f /usr/include/fcgiapp.h ] && [ -f /usr/include/libs3.h ] || need=1
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need=1
ffmpeg -hide_banner -filters 2>/dev/null | grep -q ' subtitles ' || need=1
if [ -n "$need" ]; then
	echo "== installing dependencies (Debian packages, and s3rver from npm)"
	tests/harness/install-deps.sh
fi

echo "== building"
[ -x configure ] || ./autogen.sh >/dev/null
[ -f Makefile ] || ./configure >/dev/null
make -s -j2 all tests/harness/freeport tests/harness/mint-token >/dev/null

dir=$(mktemp -d "${TMPDIR:-/tmp}/captionacc-demo.XXXXXX")
trap 'echo "== stopping the stack"; top_srcdir=$top top_builddir=$top tests/harness/stack.sh stop "$dir"' EXIT
trap 'exit 1' INT TERM
echo "== starting PostgreSQL, s3rver, captionacc-fcgi (spawn-fcgi) and nginx in $dir"
jwt_secret=demo-project-jwt-secret-$$
EXTRA_CONFIG="FUNCTIONS_BACKEND = local
LOCAL_WORK_DIR = $dir
SUPABASE_JWT_SECRET = $jwt_secret" top_srcdir=$top top_builddir=$top tests/harness/stack.sh start "$dir"
top_srcdir=$top top_builddir=$top tests/harness/stack.sh s3-start "$dir"
. "$dir/env"
runner="$top/runner/captionacc-runner"
# run_jobs: one runner pass, then its one-line-per-job log (the log goes to LOG_FILE).
run_jobs() {
	before=$(wc -l <"$dir/captionacc.log")
	"$runner" run
	tail -n "+$((before + 1))" "$dir/captionacc.log" | grep -E 'attempt [0-9]+/|OCR of' | sed 's/^[^ ]* [^ ]* [a-z]*: //'
}
tenant=acme
video=video-demo-1
key="$tenant/client/videos/$video/video.mp4"

# A premium tenant: one of its users has access tier "active".
$PSQL -c "INSERT INTO user_profiles (id, tenant_id, access_tier_id) VALUES ('user-demo', '$tenant', 'active')"

echo
echo "== a 10-second 720p video with three burned-in subtitles (libass, over a moving pattern), uploaded to S3 as $key"
VIDEO_SIZE=1280x720 tests/harness/make-video.sh "$dir/video.mp4" 10 0.5 3 "Welcome to CaptionAcc!" \
	3.5 6.5 "Subtitles are read back,|even on two lines." 7 9.5 "On this very machine: 100%"
curl -sS -f -o /dev/null -X PUT -H 'Content-Type: video/mp4' --data-binary "@$dir/video.mp4" "$S3_URL/captionacc/$key"
drawn="0.50 3.00 Welcome to CaptionAcc!
3.50 6.50 Subtitles are read back, even on two lines.
7.00 9.50 On this very machine: 100%"
echo "burned in (start s, end s, text):"
echo "$drawn" | sed 's/^/    /'

created=$(date -u -d '-3 hours' +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)
body=$(printf '{"type":"INSERT","table":"videos","schema":"public","record":{"id":"%s","tenant_id":"%s","storage_key":"%s","created_at":"%s"},"old_record":null}' \
	"$video" "$tenant" "$key" "$created")
echo
echo "== POST $STACK_URL/webhooks/supabase/videos (premium tenant $tenant, video uploaded 3 hours ago)"
curl -sS -i -X POST "$STACK_URL/webhooks/supabase/videos" -H "Authorization: Bearer $WEBHOOK_SECRET" \
	-H 'Content-Type: application/json' --data "$body"
echo
echo "== the same webhook delivered again: same flow_run_id, still one job"
curl -sS -X POST "$STACK_URL/webhooks/supabase/videos" -H "Authorization: Bearer $WEBHOOK_SECRET" \
	-H 'Content-Type: application/json' --data "$body"
echo
echo "jobs: $($PSQL -c 'SELECT count(*) FROM jobs')"

echo
echo "== captionacc-runner run (video_initial_processing on the local backend: ffprobe, ffmpeg, tesseract)"
run_jobs
token=$(tests/harness/mint-token --secret "$jwt_secret" --sub user-demo)
echo
echo "== POST $STACK_URL/videos/$video/actions/approve-layout (user-demo signed in; the caption band: bottom 30 %)"
curl -sS -X POST "$STACK_URL/videos/$video/actions/approve-layout" -H "Authorization: Bearer $token" \
	-H 'Content-Type: application/json' \
	--data '{"type":"crop-and-infer-caption-frame-extents","crop_region":{"crop_left":0,"crop_top":0.7,"crop_right":1,"crop_bottom":1}}'
echo
run_jobs
n=$($PSQL -c "SELECT max((s.result->>'caption_count')::int) FROM job_steps s JOIN jobs j ON j.id = s.job_id WHERE j.flow = 'crop_and_infer'")
echo
echo "== POST $STACK_URL/videos/$video/actions/caption-ocr (the ${n:-0} captions crop_and_infer found)"
if [ "${n:-0}" -gt 0 ]; then
	curl -sS -X POST "$STACK_URL/videos/$video/actions/caption-ocr" -H "Authorization: Bearer $token" \
		-H 'Content-Type: application/json' --data "{\"caption_ids\":[$(seq -s, 1 "$n")]}"
	echo
	run_jobs
fi
echo
echo "== GET $STACK_URL/videos/$video/jobs (as the user sees them)"
curl -sS -H "Authorization: Bearer $token" "$STACK_URL/videos/$video/jobs"
echo
echo
echo "== the jobs"
$PSQL -P pager=off -F ' | ' -c "SELECT flow, status, attempt, priority FROM jobs ORDER BY created_at"
echo
echo "== captionacc-runner show $video"
"$runner" show "$video" | tee "$dir/show.txt"
# The recovered captions ("  ID   START s -   END s  TEXT") against the burned-in ones: the same text, and
# each start and end within one frame (0.04 s at 25 fps).
got=$(awk '/^captions:/ { on = 1; next } on && $3 == "s" { t = ""; for (i = 7; i <= NF; i++) t = t (i > 7 ? " " : "") $i
	printf "%.2f %.2f %s\n", $2, $5, t }' "$dir/show.txt")
if printf '%s\n' "$got" | awk -v want="$drawn" 'BEGIN { n = split(want, w, "\n") }
	{ split(w[NR], f, " "); t = w[NR]; sub(/^[^ ]+ [^ ]+ /, "", t); g = $0; sub(/^[^ ]+ [^ ]+ /, "", g)
	  d1 = $1 - f[1]; d2 = $2 - f[2]; if (g != t || d1 * d1 > 0.0017 || d2 * d2 > 0.0017) bad = 1 }
	END { exit bad || NR != n }'; then
	echo "== recovered exactly: the same text, each start and end within one frame"
else
	echo "== NOT recovered exactly"
	exit 1
fi
echo
echo "== what S3 holds for tenant $tenant"
curl -sS "$S3_URL/captionacc?prefix=$tenant/" | grep -o '<Key>[^<]*</Key>' | sed 's/<[^>]*>//g' |
	sed -E 's#/frame_[0-9]+\.jpg$#/frame_*.jpg#' | sort | uniq -c
echo
echo "== GET $STACK_URL/health"
curl -sS "$STACK_URL/health"
echo
