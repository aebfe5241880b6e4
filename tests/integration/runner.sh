#!/bin/sh
# runner.sh: captionacc-runner and captionacc-fcgi as a user meets them on the command line: --help lists
# the commands and settings; a missing required setting stops start-up with one line naming it (and no
# secret); migrate is idempotent (a second run applies nothing and changes nothing), safe when several run
# at once, and honours DB_SCHEMA; captionacc-fcgi refuses to run outside spawn-fcgi with a clear message;
# each command's usage mistakes and a database that is gone end with the right exit status (2 usage,
# 1 failure) and a line naming the problem.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
fcgi="$top_builddir/fcgi/captionacc-fcgi"

"$stack" start-db "$dir"
. "$dir/env"
unset WEBHOOK_SECRET

out=$("$runner" --help)
check "runner --help lists migrate" sh -c 'echo "$1" | grep -q "^  migrate "' _ "$out"
check "runner --help lists DATABASE_URL" sh -c 'echo "$1" | grep -q "DATABASE_URL"' _ "$out"

# Command-line mistakes and a lost database, command by command: the exit status (2 usage, 1 failure)
# and the one line that says what is wrong. expect_rc WANT PATTERN ARGS...: stderr (stdout for rc 0)
# must match the extended regular expression PATTERN; $expect_env (VAR=value ...) is added to its environment.
expect_rc() {
	want=$1 pattern=$2; shift 2
	set +e
	got=$(env ${expect_env:-} "$runner" "$@" 2>&1 >"$dir/expect.out"); rc=$?
	set -e
	[ "$want" = 0 ] && got=$(cat "$dir/expect.out")
	if [ "$rc" = "$want" ] && printf '%s\n' "$got" | grep -Eq -e "$pattern"; then
		ok "runner $* exits $want naming the problem"
	else
		not_ok "runner $* (got $rc: $(printf '%s' "$got" | head -c 300), want $want and /$pattern/)"
	fi
}
expect_rc 0 "^captionacc-runner [0-9]" --version
expect_rc 0 "^  show " help
expect_rc 2 "^usage: captionacc-runner" --no-such-option
expect_rc 2 "^usage: captionacc-runner"
expect_rc 2 'unknown command "frobnicate"' frobnicate
expect_rc 1 "no-such\.conf" --config "$dir/no-such.conf" status
expect_rc 2 "--priority must be a whole number 0-1000" enqueue --priority 1001 noop '{}'
expect_rc 2 "--priority must be a whole number 0-1000" enqueue --priority high noop '{}'
expect_rc 2 "--idempotency-key must be 1-" enqueue --idempotency-key '' noop '{}'
expect_rc 2 "^usage: captionacc-runner enqueue" enqueue --no-such-option noop '{}'
expect_rc 2 "^usage: captionacc-runner enqueue" enqueue noop
expect_rc 2 'unknown flow "extract_frames" \(video_initial_processing, ' enqueue extract_frames '{}'
expect_rc 2 "JSON must be an object: it is not" enqueue noop '[1]'
expect_rc 2 "JSON must be an object: " enqueue noop '{"tenant_id":'
expect_rc 2 "enqueue: noop: .*tenant_id" enqueue noop '{}'
expect_rc 2 "^usage: captionacc-runner show VIDEO_ID" show
expect_rc 2 "VIDEO_ID must be an id of 1-128" show '../etc'
expect_rc 1 "show: no video no-such-video" show no-such-video
expect_rc 2 "^usage: captionacc-runner retry JOB_ID" retry
expect_rc 2 "cancel: no job not-a-job-id" cancel not-a-job-id
gone="postgresql://captionacc@127.0.0.1:$("$top_builddir/tests/harness/freeport")/captionacc"
for cmd in status "show v1" "retry 00000000-0000-4000-8000-000000000001" \
	"cancel 00000000-0000-4000-8000-000000000001" jobs reconcile "enqueue noop"; do
	# shellcheck disable=SC2086 # the words of $cmd are the arguments
	set -- $cmd
	name=$1
	[ "$name" = enqueue ] && set -- "$@" '{"tenant_id":"t1","video_id":"v1"}'
	expect_env="DATABASE_URL=$gone DB_RETRY_MS=0"
	expect_rc 1 "^captionacc-runner: $name: .*(connect|database)" "$@"
done
expect_env=

# A missing required key: one clear line, exit 1, secrets not shown.
printf 'WEBHOOK_SECRET = s3cr3t-value\n' >"$dir/partial.conf"
set +e
err=$(CAPTIONACC_CONFIG="$dir/partial.conf" DATABASE_URL= "$runner" migrate 2>&1); rc=$?
set -e
check "missing DATABASE_URL exits 1" test "$rc" = 1
check "missing DATABASE_URL is named" sh -c 'echo "$1" | grep -q "missing required setting DATABASE_URL"' _ "$err"
set +e
err=$(CAPTIONACC_CONFIG="$dir/partial.conf" DATABASE_URL="$DATABASE_URL" WEBHOOK_SECRET= "$fcgi" --check-config 2>&1); rc=$?
set -e
check "fcgi without WEBHOOK_SECRET exits 1 naming it" sh -c 'test "$1" = 1 && echo "$2" | grep -q WEBHOOK_SECRET' _ "$rc" "$err"
set +e
err=$(CAPTIONACC_CONFIG="$dir/partial.conf" DATABASE_URL="$DATABASE_URL" "$fcgi" </dev/null 2>&1); rc=$?
set -e
check "fcgi outside spawn-fcgi says how to start it" sh -c 'test "$1" = 1 && echo "$2" | grep -q spawn-fcgi' _ "$rc" "$err"
check "no secret in start-up errors" sh -c '! echo "$1" | grep -q s3cr3t-value' _ "$err"

# A signing secret of the wrong form is found by --check-config, not by the first webhook.
set +e
err=$(WEBHOOK_SECRET=x WEBHOOK_SIGNING_SECRET=not-a-whsec "$fcgi" --check-config 2>&1); rc=$?
set -e
check "fcgi --check-config refuses a malformed WEBHOOK_SIGNING_SECRET, naming it" sh -c \
	'test "$1" = 1 && echo "$2" | grep -q "WEBHOOK_SIGNING_SECRET must be whsec_" && ! echo "$2" | grep -q not-a-whsec' _ "$rc" "$err"
check "fcgi --check-config accepts a good one" env WEBHOOK_SECRET=x \
	WEBHOOK_SIGNING_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw "$fcgi" --check-config

# Every setting, empty and with a wrong value, in the environment of both programs: exit 0 (accepted) or
# 1 with a short message, never a crash; the enumerated ones are refused with one line naming them.
crashes= unnamed=
cd "$dir" # a wrong value may name a file (LOG_FILE=x-wrong-value): it lands here
for name in $("$runner" --help | sed -n 's/^  \([A-Z][A-Z0-9_]*\) .*/\1/p'); do
	for value in "" "x-wrong-value"; do
		set +e
		err=$(env "$name=$value" "$fcgi" --check-config 2>&1 >/dev/null); rc=$?
		[ "$rc" -le 1 ] || crashes="$crashes fcgi:$name=$value:$rc"
		err=$(env "$name=$value" "$runner" status 2>&1 >/dev/null); rc2=$?
		set -e
		[ "$rc2" -le 1 ] || crashes="$crashes runner:$name=$value:$rc2"
		case $name in QUEUE_BACKEND | FUNCTIONS_BACKEND | LOG_LEVEL | S3_PROTOCOL | S3_URI_STYLE)
			[ "$rc2" = 1 ] && [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] && printf '%s' "$err" | grep -q "$name" ||
				unnamed="$unnamed $name=$value" ;;
		esac
	done
done
cd - >/dev/null
check_eq "no setting, empty or wrong, crashes either program" "$crashes" ""
check_eq "empty or unknown enumerated settings: one line naming them" "$unnamed" ""

# migrate again: nothing applied, nothing changed.
before=$($PSQL -c "SELECT string_agg(version || ':' || applied_at, ',') FROM schema_migrations")
out=$("$runner" migrate)
after=$($PSQL -c "SELECT string_agg(version || ':' || applied_at, ',') FROM schema_migrations")
check "second migrate applies nothing" sh -c 'echo "$1" | grep -q "(0 migrations applied now)"' _ "$out"
check "second migrate changes nothing" test "$before" = "$after"
check "jobs table exists" test "$($PSQL -c "SELECT to_regclass('public.jobs') IS NOT NULL")" = t

# Four migrates at once into a fresh schema: all succeed, each migration recorded once.
pids=
for i in 1 2 3 4; do
	DB_SCHEMA=captionacc_ci "$runner" migrate >"$dir/m$i.out" 2>&1 &
	pids="$pids $!"
done
allok=1
for p in $pids; do wait "$p" || allok=0; done
check "concurrent migrates all succeed" test "$allok" = 1
n=$($PSQL -c "SELECT count(*) FROM captionacc_ci.schema_migrations")
total=$(ls "$top_srcdir"/sql/[0-9]*.sql | wc -l)
check "each migration recorded once in DB_SCHEMA ($n of $total)" test "$n" = "$total"
check "tables created in DB_SCHEMA" test "$($PSQL -c "SELECT to_regclass('captionacc_ci.jobs') IS NOT NULL")" = t
applied=$(cat "$dir"/m*.out | grep -c '^applied ' || true)
check "concurrent migrates applied each migration once ($applied)" test "$applied" = "$total"

finish
