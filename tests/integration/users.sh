#!/bin/sh
# users.sh: runs tests/integration/test_users (the signed-in users' endpoints) against a fresh local stack
# (throwaway PostgreSQL, captionacc-fcgi under spawn-fcgi, real nginx) configured with an HS256 project
# secret; tokens come from tests/harness/mint-token. The stack is stopped whatever happens.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
SUPABASE_JWT_SECRET=jwt-secret-$$-for-tests
MINT_TOKEN="$top_builddir/tests/harness/mint-token"
export SUPABASE_JWT_SECRET MINT_TOKEN
EXTRA_CONFIG="SUPABASE_JWT_SECRET = $SUPABASE_JWT_SECRET
TIER_CACHE_SECONDS = 0" FCGI_CHILDREN=4 NGINX_ACTIONS_RATE=1000r/s NGINX_ACTIONS_BURST=1000 "$stack" start "$dir" \
	>/dev/null
. "$dir/env"
st=0
"$top_builddir/tests/integration/test_users" || st=$?
check_eq "test_users: every case passed" "$st" 0

# nginx's own limit on the actions (zone captionacc_actions): a burst beyond it is 429 in JSON.
NGINX_ACTIONS_RATE=1r/s NGINX_ACTIONS_BURST=2 "$stack" nginx-restart "$dir"
url="http://127.0.0.1:$(cat "$dir/nginx/port")"
token=$("$MINT_TOKEN" --secret "$SUPABASE_JWT_SECRET" --sub user-a)
for i in 1 2 3 4 5 6 7 8; do
	curl -s -o "$dir/limit.$i" -w '%{http_code}\n' -X POST "$url/videos/vid-a1/actions/caption-ocr" \
		-H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data '{"caption_ids":[1]}'
done >"$dir/limit.codes"
check "actions beyond nginx's limit: 429" grep -q '^429$' "$dir/limit.codes"
check "actions within the burst: answered by captionacc-fcgi" test "$(grep -c '^200$' "$dir/limit.codes")" -ge 1
check "the 429 is JSON" sh -c "grep -l Too '$dir'/limit.* | head -n 1 | xargs grep -q '\"detail\":\"Too many requests\"'"
check "the access-token secret is never logged" sh -c "! grep -q '$SUPABASE_JWT_SECRET' '$dir/captionacc.log'"
"$stack" fcgi-stop "$dir"
check "no sanitizer report from captionacc-fcgi" sh -c "! grep -E 'Sanitizer|runtime error' '$dir/spawn-fcgi.log' \
	'$dir/captionacc.log'"
finish
