#!/bin/sh
# pipeline.sh: the whole product on one machine, end to end: a video with three burned-in subtitles
# (libass, white outlined text over a moving test pattern: tests/harness/make-video.sh) is
# uploaded to s3rver, the Supabase webhook goes through nginx to captionacc-fcgi, and captionacc-runner with
# FUNCTIONS_BACKEND=local runs video_initial_processing, then crop_and_infer (caption band) and caption_ocr,
# which a signed-in user of the tenant asks for through the action endpoints (approve-layout, caption-ocr)
# with a Supabase access token, and follows through GET /videos/{id} and /videos/{id}/jobs. The recovered
# captions must match the drawn ones exactly (text, punctuation and case) with each start and end within
# one frame (0.04 s). crop_and_infer reads each caption once and caption_ocr reads nothing again. The video
# must be active and every object stored must be under the tenant's prefix.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"

jwt_secret=pipeline-jwt-secret-$$
EXTRA_CONFIG="FUNCTIONS_BACKEND = local
LOCAL_WORK_DIR = $dir
RETRY_BASE_MS = 100
SUPABASE_JWT_SECRET = $jwt_secret" "$stack" start "$dir" >/dev/null
"$stack" s3-start "$dir"
. "$dir/env"
tenant=tenant-e2e
video=video-e2e-1
key="$tenant/client/videos/$video/video.mp4"

"$top_srcdir/tests/harness/make-video.sh" "$dir/video.mp4" 9 \
	0.5 3 "Hello, world!" 3.5 6 "Captions are fun|on two lines." 6.5 8.5 "The end: 42"
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: video/mp4' --data-binary "@$dir/video.mp4" \
	"$S3_URL/captionacc/$key")
check_eq "video uploaded to s3rver" "$code" 200

body=$(printf '{"type":"INSERT","table":"videos","schema":"public","record":{"id":"%s","tenant_id":"%s","storage_key":"%s"},"old_record":null}' \
	"$video" "$tenant" "$key")
code=$(curl -s -o "$dir/answer" -w '%{http_code}' -X POST "$STACK_URL/webhooks/supabase/videos" \
	-H "Authorization: Bearer $WEBHOOK_SECRET" -H 'Content-Type: application/json' --data "$body")
check_eq "webhook accepted" "$code" 202

check "runner: video_initial_processing" "$runner" run --max-jobs 5
check_eq "video is active after initial processing" "$($PSQL -c "SELECT status FROM videos WHERE id = '$video'")" active
check_eq "metadata recorded (size, codec, duration)" \
	"$($PSQL -c "SELECT frame_width || 'x' || frame_height || ' ' || video_codec || ' ' || round(duration_seconds) FROM videos WHERE id = '$video'")" \
	"640x360 h264 9"
check "frames were extracted" test "$($PSQL -c "SELECT frame_count FROM videos WHERE id = '$video'")" -ge 1

# A user of the tenant, signed in (a Supabase access token), approves the caption band (bottom 30 %), then
# asks for OCR of every caption found.
$PSQL -c "INSERT INTO user_profiles (id, tenant_id, access_tier_id) VALUES ('user-e2e', '$tenant', 'active')" >/dev/null
token=$("$top_builddir/tests/harness/mint-token" --secret "$jwt_secret" --sub user-e2e)
act() { # ACTION BODY: POSTs the action as the user; prints the HTTP status, the answer in $dir/act.json
	curl -s -o "$dir/act.json" -w '%{http_code}' -X POST "$STACK_URL/videos/$video/actions/$1" \
		-H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data "$2"
}
check_eq "approve-layout refuses a bad crop region" "$(act approve-layout '{"type":"crop-and-infer-caption-frame-extents","crop_region":{"crop_left":0.5,"crop_top":0.7,"crop_right":0.2,"crop_bottom":1}}')" 400
check_eq "approve-layout: the user's action is accepted" \
	"$(act approve-layout '{"type":"crop-and-infer-caption-frame-extents","crop_region":{"crop_left":0,"crop_top":0.7,"crop_right":1,"crop_bottom":1}}')" 200
check "approve-layout answers the job's id" grep -q '"success":true,"jobId":"' "$dir/act.json"
check "runner: crop_and_infer" "$runner" run --max-jobs 5
check_eq "layout version 1 recorded" "$($PSQL -c "SELECT layout_version FROM videos WHERE id = '$video'")" 1
n=$($PSQL -c "SELECT DISTINCT (s.result->>'caption_count')::int FROM job_steps s JOIN jobs j ON j.id = s.job_id WHERE j.flow = 'crop_and_infer' AND s.result ? 'caption_count'")
check_eq "crop_and_infer found three captions" "$n" 3
ids=$(seq -s, 1 "$(echo "${n:-1}" | head -n 1)")
check_eq "caption-ocr: the user's action is accepted" "$(act caption-ocr "{\"caption_ids\":[$ids]}")" 200
check "runner: caption_ocr" "$runner" run --max-jobs 5
check_eq "every job completed" "$($PSQL -c "SELECT string_agg(DISTINCT status, ',') FROM jobs")" completed
check_eq "video still active" "$($PSQL -c "SELECT status FROM videos WHERE id = '$video'")" active
check "GET /videos/{id}: the user sees the video active with layout version 1" sh -c "curl -s \
	-H 'Authorization: Bearer $token' '$STACK_URL/videos/$video' | grep '\"status\":\"active\"' | grep -q '\"layout_version\":1'"
check_eq "GET /videos/{id}/jobs: the user sees the three jobs completed" "$(curl -s -H "Authorization: Bearer $token" \
	"$STACK_URL/videos/$video/jobs" | grep -o '"status":"completed"' | wc -l)" 3

"$runner" show "$video" >"$dir/show.txt"
cat "$dir/show.txt"
# Each caption line: "  ID   START s -   END s  TEXT"
awk '
function abs(x) { return x < 0 ? -x : x }
BEGIN { want[1] = "Hello, world!"; ws[1] = 0.5; we[1] = 3; want[2] = "Captions are fun on two lines."; ws[2] = 3.5
	we[2] = 6; want[3] = "The end: 42"; ws[3] = 6.5; we[3] = 8.5; n = 0; bad = 0 }
/^captions:/ { on = 1; next }
on && $3 == "s" {
	n++; text = ""
	for (i = 7; i <= NF; i++) text = text (i > 7 ? " " : "") $i
	if (text != want[n]) { print "caption " n ": read \"" text "\", drawn \"" want[n] "\""; bad = 1 }
	if (abs($2 - ws[n]) > 0.04 || abs($5 - we[n]) > 0.04) { print "caption " n ": " $2 "-" $5 " s, drawn " ws[n] "-" we[n] " s"; bad = 1 }
}
END { if (n != 3) { print "captions shown: " n ", drawn: 3"; bad = 1 } exit bad }
' "$dir/show.txt" >"$dir/compare.txt" && ok "recovered captions are the drawn ones (text exactly, times within a frame)" ||
	{ cat "$dir/compare.txt"; not_ok "recovered captions are the drawn ones (text exactly, times within a frame)"; }

# What S3 holds: listed through the S3 API, every key under the tenant's prefix.
curl -s "$S3_URL/captionacc?prefix=" >"$dir/listing.xml"
keys=$(grep -o '<Key>[^<]*</Key>' "$dir/listing.xml" | sed 's/<[^>]*>//g')
for k in "$tenant/server/videos/$video/raw-ocr.db.gz" "$tenant/server/videos/$video/layout.db.gz" \
	"$tenant/server/videos/$video/caption_frame_extents_v1.db" "$tenant/server/videos/$video/captions.db" \
	"$tenant/client/videos/$video/full_frames/frame_000000.jpg" "$tenant/client/videos/$video/cropped_frames_v1/frame_000000.jpg"; do
	if printf '%s\n' "$keys" | grep -qx "$k"; then ok "S3 has $k"; else not_ok "S3 has $k"; fi
done
outside=$(printf '%s\n' "$keys" | grep -v "^$tenant/" || true)
check_eq "every S3 object is under the tenant's prefix" "$outside" ""
check_eq "scratch directories removed" "$(find "$dir" -mindepth 1 -maxdepth 1 -name 'captionacc-*')" ""

# crop_and_infer reads one clean image per caption (its log line), caption_ocr reads nothing again: the
# captions it stores carry crop_and_infer's readings. The same crop read again (layout version 2) gives the
# very same extents.
check_eq "crop_and_infer: one OCR per caption" \
	"$(grep -o 'OCR of [0-9]* caption images ([0-9]* captions kept)' "$dir/captionacc.log" | head -n 1)" \
	"OCR of 3 caption images (3 captions kept)"
extents() {
	curl -s -o "$dir/extents_v$1.db" "$S3_URL/captionacc/$tenant/server/videos/$video/caption_frame_extents_v$1.db" &&
		sqlite3 "$dir/extents_v$1.db" "SELECT start_frame, end_frame, start_time, end_time, text_guess FROM caption_frame_extents ORDER BY id"
}
curl -s -o "$dir/captions.db" "$S3_URL/captionacc/$tenant/server/videos/$video/captions.db"
check_eq "caption_ocr kept crop_and_infer's readings" \
	"$(sqlite3 "$dir/captions.db" "SELECT group_concat(text, '|') FROM (SELECT text FROM captions ORDER BY id)")" \
	"$(extents 1 | awk -F'|' '{ print $5 }' | paste -sd'|')"
"$runner" enqueue crop_and_infer \
	"{\"video_id\":\"$video\",\"tenant_id\":\"$tenant\",\"crop_region\":{\"crop_left\":0,\"crop_top\":0.7,\"crop_right\":1,\"crop_bottom\":1}}" >/dev/null
"$runner" run --max-jobs 5
e1=$(extents 1) e2=$(extents 2)
check "extents found" test -n "$e1"
check_eq "reading the same crop again gives the same extents" "$e1" "$e2"

# The runner caps tesseract's OpenMP threads at LOCAL_OCR_THREADS (default 1) by starting itself again
# with OMP_THREAD_LIMIT; an OMP_THREAD_LIMIT already in the environment is kept.
# omp_limit ENV...: OMP_THREAD_LIMIT as a waiting runner started with env ENV... sees it
omp_limit() {
	env "$@" "$runner" run --wait --max-seconds 5 >/dev/null 2>&1 &
	p=$!
	wait_for 5 sh -c "tr '\\0' '\\n' </proc/$p/environ | grep -q '^OMP_THREAD_LIMIT='" || true
	tr '\0' '\n' </proc/$p/environ 2>/dev/null | sed -n 's/^OMP_THREAD_LIMIT=//p'
	kill -TERM "$p" 2>/dev/null || true
	wait "$p" || true
}
check_eq "the runner limits tesseract's threads to LOCAL_OCR_THREADS" "$(omp_limit -u OMP_THREAD_LIMIT)" 1
check_eq "the runner keeps an OMP_THREAD_LIMIT the environment has" "$(omp_limit OMP_THREAD_LIMIT=2)" 2
check_eq "and LOCAL_OCR_THREADS is the value it sets" \
	"$(omp_limit -u OMP_THREAD_LIMIT LOCAL_OCR_THREADS=3)" 3

# A video that is not a video fails for good, with the reason on the row.
printf 'not a video' >"$dir/junk.mp4"
curl -s -o /dev/null -X PUT --data-binary "@$dir/junk.mp4" "$S3_URL/captionacc/$tenant/client/videos/junk/video.mp4"
"$runner" enqueue video_initial_processing "{\"video_id\":\"junk\",\"tenant_id\":\"$tenant\",\"storage_key\":\"$tenant/client/videos/junk/video.mp4\"}" >/dev/null
"$runner" run --max-jobs 5 || true
check_eq "an unreadable video ends in error" "$($PSQL -c "SELECT status FROM videos WHERE id = 'junk'")" error
check "its error message says why" sh -c "$PSQL -c \"SELECT error_message FROM videos WHERE id = 'junk'\" | grep -q 'not a readable video'"
check_eq "and it failed at once (one attempt)" "$($PSQL -c "SELECT attempt FROM jobs WHERE video_id = 'junk'")" 1
finish
