#!/bin/sh
# security.sh: every refusal of captionacc-fcgi, through real nginx, as one table. Each row is a request
# that must be refused with its exact status; after the table nothing was written (jobs, videos, backfill
# requests, webhook deliveries), no answer echoed a secret, every FastCGI process is still the one that
# started (no crash) and no sanitizer reported (ASan builds). Covered: missing, malformed, wrong and
# rotated-out secrets and tokens on every protected route; oversize bodies; slow clients (they hold no
# FastCGI process); path traversal and encoded traversal in every id and key; SQL-looking, NUL-bearing
# and non-UTF-8 input in every field; deeply nested JSON, duplicate keys, huge numbers. A positive
# control at the end proves the valid body the rows are built from is accepted.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
JWT=jwt-secret-$$-security
WEBHOOK_SECRET="webhook-now-$$,webhook-before-$$"
export WEBHOOK_SECRET
EXTRA_CONFIG="SUPABASE_JWT_SECRET = $JWT
CRON_SECRET = cron-now-$$,cron-before-$$
MAX_BODY_BYTES = 65536" FCGI_CHILDREN=3 NGINX_RATE=1000r/s NGINX_BURST=1000 NGINX_ACTIONS_RATE=1000r/s \
	NGINX_ACTIONS_BURST=1000 "$stack" start "$dir" >/dev/null
. "$dir/env"
url=$STACK_URL
mint="$top_builddir/tests/harness/mint-token"
q() { $PSQL -c "$1"; }
q "INSERT INTO user_profiles (id, tenant_id, access_tier_id) VALUES ('user-a', 'tenant-a', 'active');
   INSERT INTO videos (id, tenant_id, storage_key, status, layout_version)
   VALUES ('vid-a1', 'tenant-a', 'tenant-a/v/a1.mp4', 'active', 2)"
fcgi_pids=$(cat "$dir/fcgi.pid")
user=$("$mint" --secret "$JWT" --sub user-a)
expired=$("$mint" --secret "$JWT" --sub user-a --ttl -3600)
forged=$("$mint" --secret "not-the-project-secret" --sub user-a)
wrong_aud=$("$mint" --secret "$JWT" --sub user-a --aud someone-else)
alg_none="eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.$(echo "$user" | cut -d. -f2)."
state() {
	q "SELECT (SELECT count(*) FROM jobs) || ' ' || (SELECT count(*) FROM videos) || ' ' ||
	   (SELECT md5(string_agg(v::text, '|' ORDER BY id)) FROM videos v) || ' ' ||
	   (SELECT count(*) FROM backfill_jobs) || ' ' || (SELECT count(*) FROM backfill_log) || ' ' ||
	   (SELECT count(*) FROM webhook_deliveries) || ' ' || (SELECT count(*) FROM user_profiles)"
}
before=$(state)

# body VIDEO TENANT KEY [EXTRA]: a webhook insert for the videos table
body() {
	printf '{"type":"INSERT","table":"videos","schema":"public","record":{"id":"%s","tenant_id":"%s","storage_key":"%s","status":"uploading"%s},"old_record":null}' \
		"$1" "$2" "$3" "${4:-}"
}
# row WANT NAME METHOD PATH BODY-FILE|- [curl arguments...]: one request of the table
n=0
row() {
	want=$1 name=$2 method=$3 path=$4 data=$5
	shift 5
	n=$((n + 1))
	if [ "$data" = - ]; then
		got=$(curl -s -o "$dir/answer.$n" -w '%{http_code}' -X "$method" "$@" "$url$path" || echo 000)
	else
		got=$(curl -s -o "$dir/answer.$n" -w '%{http_code}' -X "$method" -H 'Content-Type: application/json' \
			"$@" --data-binary "@$data" "$url$path" || echo 000)
	fi
	check_eq "$name: $want" "$got" "$want"
}
# wh WANT NAME BODY-TEXT: the webhook with the current secret
wh() {
	printf '%s' "$3" >"$dir/body"
	row "$1" "webhook, $2" POST /webhooks/supabase/videos "$dir/body" -H "Authorization: Bearer webhook-now-$$"
}
ok_body=$(body vid-new tenant-a tenant-a/videos/vid-new.mp4)
printf '%s' "$ok_body" >"$dir/ok"

# --- secrets and tokens on every protected route
row 401 "webhook, no Authorization" POST /webhooks/supabase/videos "$dir/ok"
row 401 "webhook, empty bearer" POST /webhooks/supabase/videos "$dir/ok" -H "Authorization: Bearer "
row 401 "webhook, Basic scheme" POST /webhooks/supabase/videos "$dir/ok" -H "Authorization: Basic d2ViaG9vay1ub3c="
row 401 "webhook, wrong secret" POST /webhooks/supabase/videos "$dir/ok" -H "Authorization: Bearer wrong-$$"
row 401 "webhook, rotated-out secret" POST /webhooks/supabase/videos "$dir/ok" -H "Authorization: Bearer webhook-old-$$"
row 401 "webhook, both secrets as one" POST /webhooks/supabase/videos "$dir/ok" \
	-H "Authorization: Bearer webhook-now-$$,webhook-before-$$"
row 401 "webhook, secret with a prefix" POST /webhooks/supabase/videos "$dir/ok" -H "Authorization: Bearer xwebhook-now-$$"
row 401 "webhook, secret cut short" POST /webhooks/supabase/videos "$dir/ok" -H "Authorization: Bearer webhook-now-"
for p in /videos/vid-a1 /videos/vid-a1/jobs /jobs/00000000-0000-0000-0000-000000000000; do
	row 401 "GET $p, no token" GET "$p" -
	row 401 "GET $p, malformed token" GET "$p" - -H "Authorization: Bearer not.a.token"
	row 401 "GET $p, expired token" GET "$p" - -H "Authorization: Bearer $expired"
	row 401 "GET $p, token of another secret" GET "$p" - -H "Authorization: Bearer $forged"
	row 401 "GET $p, alg none" GET "$p" - -H "Authorization: Bearer $alg_none"
	row 401 "GET $p, another audience" GET "$p" - -H "Authorization: Bearer $wrong_aud"
done
printf '{"caption_ids":[1]}' >"$dir/ocr"
for a in approve-layout caption-ocr; do
	row 401 "POST $a, no token" POST "/videos/vid-a1/actions/$a" "$dir/ocr"
	row 401 "POST $a, forged token" POST "/videos/vid-a1/actions/$a" "$dir/ocr" -H "Authorization: Bearer $forged"
done
printf '{}' >"$dir/empty"
for p in /api/internal/seed-backfill-queue /api/internal/schedule-backfill; do
	row 401 "POST $p, no secret" POST "$p" "$dir/empty"
	row 401 "POST $p, wrong secret" POST "$p" "$dir/empty" -H "X-Cron-Secret: cron-wrong-$$"
	row 401 "POST $p, rotated-out secret" POST "$p" "$dir/empty" -H "X-Cron-Secret: cron-old-$$"
	row 401 "POST $p, webhook secret" POST "$p" "$dir/empty" -H "X-Cron-Secret: webhook-now-$$"
done
for p in /api/internal/backfill-stats /metrics /status; do
	row 401 "GET $p, no secret" GET "$p" -
	row 401 "GET $p, wrong secret" GET "$p" - -H "X-Cron-Secret: cron-wrong-$$"
	row 401 "GET $p, bearer instead" GET "$p" - -H "Authorization: Bearer cron-now-$$"
done

# --- traversal, SQL-looking, NUL-bearing and non-UTF-8 input in every field of the webhook
for bad in '../etc' '..%2f..%2fetc' '%2e%2e' 'a/b' "x'; DROP TABLE jobs;--" 'a\u0000b' ' vid' 'vid ' \
	"$(printf 'v\303\050')" "$(printf 'v\377')" 'vid\n2' "$(head -c 300 /dev/zero | tr '\0' a)"; do
	wh 400 "video id [$bad]" "$(body "$bad" tenant-a tenant-a/videos/x.mp4)"
	wh 400 "tenant id [$bad]" "$(body vid-x "$bad" "$bad/videos/x.mp4")"
done
for key in 'tenant-a/../tenant-b/x.mp4' 'tenant-a/./x.mp4' 'tenant-a/videos/../../etc/passwd' '/etc/passwd' \
	'tenant-b/videos/x.mp4' 'tenant-a' 'tenant-a/' 'tenant-a//x.mp4' 'tenant-a/%2e%2e/x.mp4' 'tenant-a/x\u0000.mp4' \
	"tenant-a/x'; DELETE FROM videos;--.mp4" "$(printf 'tenant-a/x\377.mp4')" 'tenant-a/x.mp4/' \
	"tenant-a/$(head -c 1100 /dev/zero | tr '\0' a).mp4"; do
	wh 400 "storage key [$key]" "$(body vid-x tenant-a "$key")"
done
# --- the document itself
wh 400 "not JSON" 'type=INSERT'
wh 400 "empty body" ''
wh 400 "a JSON string" '"INSERT"'
wh 400 "a JSON number" '1'
wh 400 "trailing text" "$ok_body x"
wh 400 "duplicate key" '{"type":"INSERT","table":"videos","record":{"id":"vid-d","id":"vid-e","tenant_id":"tenant-a","storage_key":"tenant-a/v/d.mp4"}}'
wh 400 "duplicate type" '{"type":"DELETE","type":"INSERT","table":"videos","record":{"id":"vid-d","tenant_id":"tenant-a","storage_key":"tenant-a/v/d.mp4"}}'
wh 400 "deeply nested" "$(body vid-n tenant-a tenant-a/v/n.mp4 ",\"x\":$(head -c 2000 /dev/zero | tr '\0' '[')$(head -c 2000 /dev/zero | tr '\0' ']')")"
wh 400 "huge number as created_at" "$(body vid-h tenant-a tenant-a/v/h.mp4 ',"created_at":1e999')"
wh 400 "huge number as id" '{"type":"INSERT","table":"videos","record":{"id":123456789012345678901234567890,"tenant_id":"tenant-a","storage_key":"tenant-a/v/h.mp4"}}'
wh 400 "created_at not a time" "$(body vid-t tenant-a tenant-a/v/t.mp4 ',"created_at":"2026-13-45T99:99:99Z"')"
wh 400 "record not an object" '{"type":"INSERT","table":"videos","record":["vid-r"]}'
wh 400 "invalid UTF-8 outside strings" "$(printf '{"type":"INSERT",\377}')"
wh 400 "NaN" "$(body vid-q tenant-a tenant-a/v/q.mp4 ',"x":NaN')"
printf '{' >"$dir/huge"; head -c 3000000 /dev/zero | tr '\0' ' ' >>"$dir/huge"
row 413 "webhook, 3 MB body (nginx)" POST /webhooks/supabase/videos "$dir/huge" -H "Authorization: Bearer webhook-now-$$"
head -c 100000 "$dir/huge" >"$dir/big"
row 413 "webhook, 100 kB body (MAX_BODY_BYTES)" POST /webhooks/supabase/videos "$dir/big" -H "Authorization: Bearer webhook-now-$$"
row 415 "webhook, text/plain" POST /webhooks/supabase/videos - -H "Authorization: Bearer webhook-now-$$" \
	-H 'Content-Type: text/plain' --data-binary "@$dir/ok"
big_header=$(head -c 20000 /dev/zero | tr '\0' a)
row 400 "webhook, 20 kB header (nginx)" POST /webhooks/supabase/videos "$dir/ok" -H "X-Big: $big_header"
# --- ids in the path of the users' routes, with a valid token: a path whose id cannot name anything is no
# resource (404, as an unknown id or another tenant's: no oracle); nginx itself refuses (400) a path that
# climbs above the root once decoded, and a NUL
for c in '400 ..%2f..%2fetc%2fpasswd' '400 a%00b' '404 %2e%2e' "404 x'%3b--" '404 v%ff' '404 a%2fb' \
	"404 $(head -c 300 /dev/zero | tr '\0' a)"; do
	want=${c%% *} id=${c#* }
	row "$want" "GET /videos/[$id]" GET "/videos/$id" - -H "Authorization: Bearer $user"
	row "$want" "GET /videos/[$id]/jobs" GET "/videos/$id/jobs" - -H "Authorization: Bearer $user"
	row "$want" "POST caption-ocr on [$id]" POST "/videos/$id/actions/caption-ocr" "$dir/ocr" \
		-H "Authorization: Bearer $user"
done
for id in 'not-a-uuid' '00000000-0000-0000-0000-00000000000g' "x'%3b--"; do
	row 404 "GET /jobs/[$id]" GET "/jobs/$id" - -H "Authorization: Bearer $user"
done
for b in '{"caption_ids":["1; DROP TABLE jobs"]}' '{"caption_ids":[1e999]}' '{"caption_ids":[1,1]}' \
	'{"caption_ids":[0]}' '{"caption_ids":[99999999999]}' '{"caption_ids":[1],"caption_ids":[2]}' '{"caption_ids":'; do
	printf '%s' "$b" >"$dir/b"
	row 400 "caption-ocr body [$b]" POST /videos/vid-a1/actions/caption-ocr "$dir/b" -H "Authorization: Bearer $user"
done

# --- slow clients: more of them than FastCGI processes, each trickling its body; nginx holds them, so
# the service still answers at once
slow=
for i in 1 2 3 4 5 6; do
	curl -s -o /dev/null --limit-rate 20 -X POST -H "Authorization: Bearer webhook-now-$$" \
		-H 'Content-Type: application/json' --data-binary "@$dir/ok" "$url/webhooks/supabase/videos" &
	slow="$slow $!"
done
sleep 1
t0=$(date +%s%N)
row 200 "GET /health while 6 slow clients send their bodies" GET /health -
t1=$(date +%s%N)
check "the health answer came within 1 s of asking" test $(((t1 - t0) / 1000000)) -lt 1000
for p in $slow; do kill "$p" 2>/dev/null || true; done
for p in $slow; do wait "$p" 2>/dev/null || true; done

# --- after all of it
check_eq "nothing was written by any refused request" "$(state)" "$before"
check "no answer echoed a secret" sh -c "! grep -l -e 'webhook-now-$$' -e 'webhook-before-$$' -e 'cron-now-$$' \
	-e '$JWT' '$dir'/answer.*"
check "no secret in the log" sh -c "! grep -e 'webhook-now-$$' -e 'cron-now-$$' -e '$JWT' '$dir/captionacc.log'"
alive=0
for p in $fcgi_pids; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
check_eq "every FastCGI process that started is still running (none crashed)" "$alive" 3
# the positive control: the valid body the rows were built from is accepted, with the previous secret too
row 202 "webhook, the valid body, current secret" POST /webhooks/supabase/videos "$dir/ok" \
	-H "Authorization: Bearer webhook-now-$$"
printf '%s' "$(body vid-prev tenant-a tenant-a/videos/vid-prev.mp4)" >"$dir/prev"
row 202 "webhook, the valid body, previous secret" POST /webhooks/supabase/videos "$dir/prev" \
	-H "Authorization: Bearer webhook-before-$$"
check_eq "the control wrote its two jobs" "$(q "SELECT count(*) FROM jobs")" 2
"$stack" fcgi-stop "$dir"
check "no sanitizer report from captionacc-fcgi" sh -c "! grep -E 'Sanitizer|runtime error' '$dir/spawn-fcgi.log' \
	'$dir/captionacc.log'"
echo "# $n requests in the table"
finish
