#!/bin/sh
# demo.sh: the newcomer's first command. On a fresh Debian machine it installs what is missing, builds,
# starts a local stack (throwaway PostgreSQL, captionacc-fcgi under spawn-fcgi, nginx on a free port),
# posts a sample Supabase "video inserted" webhook, shows the 202 answer and the queued job, shows that a
# redelivery is harmless, and stops everything it started.
set -eu
cd "$(dirname "$0")"
top=$(pwd)

need=
for c in spawn-fcgi wrk pkg-config autoreconf; do command -v "$c" >/dev/null 2>&1 || need=1; done
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need=1
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need=1
pkg-config --exists json-c libpq cmocka libmicrohttpd 2>/dev/null || need=1
[ -f /usr/include/fcgiapp.h ] && [ -f /usr/include/libs3.h ] || need=1
if [ -n "$need" ]; then
	echo "== installing dependencies (Debian packages)"
	tests/harness/install-deps.sh
fi

echo "== building"
[ -x configure ] || ./autogen.sh >/dev/null
[ -f Makefile ] || ./configure >/dev/null
make -s -j2 all tests/harness/freeport >/dev/null

dir=$(mktemp -d "${TMPDIR:-/tmp}/captionacc-demo.XXXXXX")
trap 'echo "== stopping the stack"; top_srcdir=$top top_builddir=$top tests/harness/stack.sh stop "$dir"' EXIT
trap 'exit 1' INT TERM
echo "== starting PostgreSQL, captionacc-fcgi (spawn-fcgi) and nginx in $dir"
top_srcdir=$top top_builddir=$top tests/harness/stack.sh start "$dir"
. "$dir/env"

# A premium tenant: one of its users has access tier "active".
$PSQL -c "INSERT INTO user_profiles (id, tenant_id, access_tier_id) VALUES ('user-demo', 'acme', 'active')"
created=$(date -u -d '-3 hours' +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)
body=$(printf '{"type":"INSERT","table":"videos","schema":"public","record":{"id":"video-demo-1","tenant_id":"acme","storage_key":"acme/videos/video-demo-1.mp4","created_at":"%s"},"old_record":null}' "$created")

echo
echo "== POST $STACK_URL/webhooks/supabase/videos (a video of premium tenant acme, uploaded 3 hours ago)"
curl -sS -i -X POST "$STACK_URL/webhooks/supabase/videos" -H "Authorization: Bearer $WEBHOOK_SECRET" \
	-H 'Content-Type: application/json' --data "$body"
echo
echo
echo "== the queued job"
$PSQL -P pager=off -F ' | ' -c "SELECT id, flow, status, priority, parameters, metadata->'tags' AS tags FROM jobs"
echo
echo "== the same webhook delivered again: same flow_run_id, still one job"
curl -sS -X POST "$STACK_URL/webhooks/supabase/videos" -H "Authorization: Bearer $WEBHOOK_SECRET" \
	-H 'Content-Type: application/json' --data "$body"
echo
echo "jobs: $($PSQL -c 'SELECT count(*) FROM jobs')"
echo
echo "== a wrong secret"
curl -sS -X POST "$STACK_URL/webhooks/supabase/videos" -H "Authorization: Bearer nope" \
	-H 'Content-Type: application/json' --data "$body"
echo
echo
echo "== GET $STACK_URL/health"
curl -sS "$STACK_URL/health"
echo
