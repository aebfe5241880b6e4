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
check "the access-token secret is never logged" sh -c "! grep -q '$SUPABASE_JWT_SECRET' '$dir/captionacc.log'"
"$stack" fcgi-stop "$dir"
check "no sanitizer report from captionacc-fcgi" sh -c "! grep -E 'Sanitizer|runtime error' '$dir/spawn-fcgi.log' \
	'$dir/captionacc.log'"
finish
