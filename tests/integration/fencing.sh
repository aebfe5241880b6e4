#!/bin/sh
# fencing.sh: every path of a job ends clean (the fencing issue). Real runner processes, a real
# PostgreSQL and the Modal test double:
#   - the last allowed attempt dies with its runner: the reaper runs the flow's failure handling (video
#     error) and frees the layout lock, so the video's next crop job runs at once;
#   - a runner's sessions terminated again and again while it drains: no runner exits, no job waits for
#     its lease; runners started while every session is being terminated wait it out and exit 0; the
#     database stopped for 3 s mid-job is ridden out, stopped for good ends a runner after
#     DB_OUTAGE_SECONDS (exit 1);
#   - a runner frozen (SIGSTOP) at an exact point past its lease while a second runner takes its job
#     over and finishes: once resumed it changes no row, and no client gets the lock the new holder
#     still holds (frozen in the GPU call holding the lock; before mark_processing's write; before
#     record_metadata's write, via the CAPTIONACC_TEST_STOP_BEFORE hook, also resumed while the new
#     holder still runs the job, so only the lease token refuses it; inside the job's ending
#     transaction, holding the jobs row, whose session the server ends after a lease);
#   - a randomised run: 500 jobs, 4 runners, 25 SIGSTOPs of 1-2 leases: every video's status and
#     metadata match its job's outcome, no status goes back, no lock is left held.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
. "$top_srcdir/tests/harness/flow-jobs.sh"
flow_stack_start
export MODAL_EXTRACT_FRAMES_AND_OCR_URL="$MODAL_URL/extract/ok" MODAL_CROP_AND_INFER_URL="$MODAL_URL/crop/ok"
stopped() { test "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = T; }
lease_expired() { test "$(q "SELECT lease_expires_at < now() FROM jobs WHERE id = '$1'")" = t; }
# Every row a job can touch, as one digest: unchanged means a resumed runner wrote nothing.
snapshot() {
	q "SELECT md5(string_agg(t, '|' ORDER BY t)) FROM (
	     SELECT v::text t FROM videos v UNION ALL SELECT j::text FROM jobs j
	     UNION ALL SELECT s::text FROM job_steps s UNION ALL SELECT l::text FROM video_database_state l) x"
}
# A client (the web app) takes the layout lock the way SPEC §5 lets it: only when free or expired.
client_takes_lock() {
	q "UPDATE video_database_state SET lock_holder = 'user:editor', lock_type = 'client', locked_at = now(),
	   lock_expires_at = now() + interval '1 hour' WHERE video_id = '$1' AND database_name = 'layout'
	   AND (lock_holder IS NULL OR lock_expires_at < now()) RETURNING 1"
}
status_log_start
q "INSERT INTO videos (id, tenant_id, storage_key, status) VALUES ('v-crop', 'tn', 'tn/videos/v-crop.mp4', 'active');"

# --- the last allowed attempt dies with its runner
job=$(initial v-last 1)
MODAL_EXTRACT_FRAMES_AND_OCR_URL="$MODAL_URL/extract/slow?ms=30000" LEASE_SECONDS=2 \
	"$runner" run --worker-id dies >/dev/null 2>&1 & r=$!; pids="$pids $r"
wait_for 10 sh -c "test \"\$($PSQL -c \"SELECT status FROM videos WHERE id = 'v-last'\")\" = processing"
kill -KILL "$r"; wait "$r" 2>/dev/null || true
wait_for 10 lease_expired "$job"
LEASE_SECONDS=2 "$runner" run >/dev/null 2>&1
check_eq "last attempt killed: the reaper fails the job" "$(job_state "$job")" "failed 1"
check_eq "last attempt killed: the video ends in error" "$(video v-last status)" error
check "last attempt killed: the video says why" sh -c \
	"$PSQL -c \"SELECT error_message FROM videos WHERE id = 'v-last'\" | grep -q 'lease expired: runner dies stopped during attempt 1 (out of attempts)'"
check_eq "last attempt killed: the failure handling ran once (the video's statuses)" \
	"$(q "SELECT string_agg(status, ',' ORDER BY n) FROM status_log WHERE video_id = 'v-last'")" "processing,error"

job=$(crop v-crop 1)
MODAL_CROP_AND_INFER_URL="$MODAL_URL/crop/slow?ms=30000" LEASE_SECONDS=2 \
	"$runner" run --worker-id dies >/dev/null 2>&1 & r=$!; pids="$pids $r"
wait_for 10 sh -c "test \"\$($PSQL -c \"SELECT coalesce(lock_holder, '') FROM video_database_state WHERE video_id = 'v-crop'\")\" = 'job:$job'"
kill -KILL "$r"; wait "$r" 2>/dev/null || true
wait_for 10 lease_expired "$job"
next=$(crop v-crop)
LEASE_SECONDS=2 "$runner" run >/dev/null 2>&1
check_eq "last crop attempt killed: failed, the layout lock freed" "$(job_state "$job") $(lock_of v-crop)" "failed 1 free"
check_eq "last crop attempt killed: the next crop job ran at once" "$(job_state "$next")" "completed 1"

# --- sessions terminated again and again while three runners drain
q "INSERT INTO jobs (flow, tenant_id, video_id, parameters, priority, base_priority)
   SELECT 'video_initial_processing', 'tn', 'storm-' || i, jsonb_build_object('video_id', 'storm-' || i,
          'tenant_id', 'tn', 'storage_key', 'tn/videos/storm-' || i || '.mp4'), 50, 50 FROM generate_series(1, 100) i" >/dev/null
rp=
for i in 1 2 3; do
	MODAL_EXTRACT_FRAMES_AND_OCR_URL="$MODAL_URL/extract/slow?ms=100" LOG_FILE="$dir/storm$i.log" \
		"$runner" run --worker-id "storm$i" >/dev/null 2>&1 & rp="$rp $!"
done
pids="$pids $rp"
( # every 0.2 s, every captionacc-runner session (main and heartbeat), until the runners are done
	n=0 i=0
	while [ "$i" -lt 1500 ]; do
		i=$((i + 1))
		n=$((n + $(q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name LIKE 'captionacc-runner%'")))
		echo "$n" > "$dir/terminated"
		sleep 0.2
	done
) & killer=$!; pids="$pids $killer"
rcs=
for p in $rp; do rc=0; wait "$p" || rc=$?; rcs="$rcs$rc"; done
kill "$killer" 2>/dev/null || true; wait "$killer" 2>/dev/null || true
case $rcs in 000) ;; *) grep -h -i 'error\|fatal\|cannot' "$dir"/storm?.log | sed 's/^/# /' | tail -20 ;; esac
terminated=$(cat "$dir/terminated" 2>/dev/null || echo 0)
echo "# sessions terminated during the drain: $terminated"
check "sessions terminated: the storm happened (over 20 sessions)" test "$terminated" -gt 20
check_eq "sessions terminated: no runner exits early (exit status of each)" "$rcs" 000
check_eq "sessions terminated: every job completed, none waiting for its lease" \
	"$(q "SELECT count(*) FILTER (WHERE status = 'completed') || ' ' ||
	     count(*) FILTER (WHERE error_message LIKE 'lease expired%') FROM jobs WHERE video_id LIKE 'storm-%'")" "100 0"
check_eq "sessions terminated: every video active" \
	"$(q "SELECT count(*) FROM videos WHERE id LIKE 'storm-%' AND status = 'active' AND frame_count = 100")" 100

# --- sessions terminated while runners connect: cron starts one into a restart, it waits it out
( while :; do q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                 WHERE application_name LIKE 'captionacc-runner%'" >/dev/null 2>&1 || true; done ) & killer=$!
pids="$pids $killer"
rcs=
for i in $(seq 1 40); do rc=0; "$runner" run >/dev/null 2>>"$dir/starts.log" || rc=$?; rcs="$rcs$rc"; done
kill "$killer" 2>/dev/null || true; wait "$killer" 2>/dev/null || true
check_eq "sessions terminated at start: every one of 40 runners exits 0" "$rcs" \
	0000000000000000000000000000000000000000

# --- the database away: a runner mid-job rides out 3 s of it; one waiting for work stops once it has
# stayed away DB_OUTAGE_SECONDS (exit 1), not before
job=$(initial v-outage)
MODAL_EXTRACT_FRAMES_AND_OCR_URL="$MODAL_URL/extract/slow?ms=2000" DB_OUTAGE_SECONDS=30 LOG_FILE="$dir/outage.log" \
	"$runner" run --max-jobs 1 --worker-id outage >/dev/null 2>&1 & a=$!; pids="$pids $a"
wait_for 10 sh -c "test \"\$($PSQL -c \"SELECT status FROM videos WHERE id = 'v-outage'\")\" = processing"
"$stack" pg-stop "$dir" >/dev/null
sleep 3
"$stack" pg-start "$dir" >/dev/null
rc=0; wait "$a" || rc=$?
check_eq "database away 3 s mid-job: the runner carries on, the job completes on its first attempt" \
	"$rc $(job_state "$job") $(video v-outage status)" "0 completed 1 active"
DB_OUTAGE_SECONDS=2 "$runner" run --wait --max-seconds 60 --worker-id outage2 >/dev/null 2>&1 & a=$!; pids="$pids $a"
sleep 1
"$stack" pg-stop "$dir" >/dev/null
t0=$(date +%s)
rc=0; wait "$a" || rc=$?
t=$(($(date +%s) - t0))
"$stack" pg-start "$dir" >/dev/null
check_eq "database away for good: the waiting runner stops (exit 1)" "$rc" 1
check "database away for good: not before DB_OUTAGE_SECONDS (2 s; took $t s)" test "$t" -ge 2
# A claim the database refuses (it answers at once: not an outage) is tried again after a growing pause,
# not in a tight loop, and the runner stops once it has failed for DB_OUTAGE_SECONDS.
q "CREATE FUNCTION refuse_claims() RETURNS trigger LANGUAGE plpgsql AS
   \$\$ BEGIN RAISE EXCEPTION 'claims refused by the test'; END \$\$;
   CREATE TRIGGER refuse_claims BEFORE UPDATE ON jobs FOR EACH ROW EXECUTE FUNCTION refuse_claims();"
refused=$(initial v-refused)
t0=$(date +%s)
rc=0; DB_OUTAGE_SECONDS=3 LOG_FILE="$dir/refused.log" "$runner" run --wait --max-seconds 60 --worker-id refused \
	>/dev/null 2>&1 || rc=$?
t=$(($(date +%s) - t0))
q "DROP TRIGGER refuse_claims ON jobs; DROP FUNCTION refuse_claims(); DELETE FROM jobs WHERE id = '$refused'"
tries=$(grep -c "cannot claim a job" "$dir/refused.log" || true)
check_eq "claims refused: the runner stops (exit 1) saying why" \
	"$rc $(grep -c 'looking for work kept failing for 3 s' "$dir/refused.log")" "1 1"
check "claims refused: after DB_OUTAGE_SECONDS (3 s; took $t s), $tries tries, not a tight loop" \
	test "$t" -ge 3 -a "$t" -le 15 -a "$tries" -ge 3 -a "$tries" -le 12

# --- frozen in the GPU call while holding the layout lock
job=$(crop v-crop)
MODAL_CROP_AND_INFER_URL="$MODAL_URL/crop/slow?ms=3000" LEASE_SECONDS=2 LOG_FILE="$dir/frozen.log" \
	"$runner" run --max-jobs 1 --worker-id frozen >/dev/null 2>&1 & a=$!; pids="$pids $a"
wait_for 10 sh -c "test \"\$($PSQL -c \"SELECT coalesce(lock_holder, '') FROM video_database_state WHERE video_id = 'v-crop'\")\" = 'job:$job'"
kill -STOP "$a"
wait_for 10 lease_expired "$job"
MODAL_CROP_AND_INFER_URL="$MODAL_URL/crop/slow?ms=8000" LEASE_SECONDS=2 LOG_FILE="$dir/second.log" \
	"$runner" run --max-jobs 1 --worker-id second >/dev/null 2>&1 & b=$!; pids="$pids $b"
wait_for 10 sh -c "test \"\$($PSQL -c \"SELECT count(*) FROM jobs j JOIN video_database_state l ON l.video_id = j.video_id
	WHERE j.id = '$job' AND j.lease_owner = 'second' AND l.lock_token = j.lease_token\")\" = 1"
kill -CONT "$a"
rc=0; wait "$a" || rc=$?
check_eq "frozen in the GPU call: resumed, it gives up (exit 0)" "$rc" 0
check "frozen in the GPU call: it says the lease was lost" grep -q "the lease was lost" "$dir/frozen.log"
check_eq "frozen in the GPU call: the lock is still the new holder's" \
	"$(q "SELECT l.lock_holder || ' ' || (l.lock_token = j.lease_token) FROM video_database_state l JOIN jobs j ON j.id = '$job'
	     WHERE l.video_id = 'v-crop' AND l.database_name = 'layout'")" "job:$job true"
check_eq "frozen in the GPU call: no client gets the lock while the new holder's call runs" "$(client_takes_lock v-crop)" ""
rc=0; wait "$b" || rc=$?
check_eq "frozen in the GPU call: the new holder completes it once, then frees the lock" \
	"$rc $(job_state "$job") $(lock_of v-crop)" "0 completed 2 free"

# --- frozen just before a write of the video row (the test hook), resumed after the job completed
frozen_before() { # STATEMENT VIDEO: freeze a runner before STATEMENT, let another finish the job
	job=$(initial "$2")
	CAPTIONACC_TEST_STOP_BEFORE=$1 LEASE_SECONDS=2 LOG_FILE="$dir/frozen-$1.log" \
		"$runner" run --max-jobs 1 --worker-id "frozen-$1" >/dev/null 2>&1 & a=$!; pids="$pids $a"
	wait_for 10 stopped "$a"
	wait_for 10 lease_expired "$job"
	LEASE_SECONDS=2 "$runner" run --max-jobs 1 >/dev/null 2>&1
}
frozen_before videos_processing v-frozen1
check_eq "frozen before mark_processing: another runner completed the job" "$(job_state "$job") $(video v-frozen1 status)" \
	"completed 2 active"
before=$(snapshot)
kill -CONT "$a"; rc=0; wait "$a" || rc=$?
check_eq "frozen before mark_processing: resumed, it changes no row" "$rc $(snapshot)" "0 $before"
check_eq "frozen before mark_processing: the video never goes back to processing" \
	"$(q "SELECT string_agg(status, ',' ORDER BY n) FROM status_log WHERE video_id = 'v-frozen1'")" "processing,active"

frozen_before videos_record_processing v-frozen2
check_eq "frozen before record_metadata: another runner completed the job" "$(job_state "$job") $(video v-frozen2 status)" \
	"completed 2 active"
q "UPDATE videos SET frame_count = 999 WHERE id = 'v-frozen2'" >/dev/null # changed since, by someone else
before=$(snapshot)
kill -CONT "$a"; rc=0; wait "$a" || rc=$?
check_eq "frozen before record_metadata: resumed, it changes no row" "$rc $(snapshot)" "0 $before"
check_eq "frozen before record_metadata: the later metadata stays" "$(video v-frozen2 frame_count)" 999

# --- frozen before record_metadata's write, resumed while the job's new holder still runs it (frozen in
# turn at the same point, its lease valid): the job is still running, so only the lease token refuses
job=$(initial v-frozen4)
CAPTIONACC_TEST_STOP_BEFORE=videos_record_processing LEASE_SECONDS=2 LOG_FILE="$dir/frozen4.log" \
	"$runner" run --max-jobs 1 --worker-id frozen4 >/dev/null 2>&1 & a=$!; pids="$pids $a"
wait_for 10 stopped "$a"
wait_for 10 lease_expired "$job"
CAPTIONACC_TEST_STOP_BEFORE=videos_record_processing LOG_FILE="$dir/holder4.log" \
	"$runner" run --max-jobs 1 --worker-id holder4 >/dev/null 2>&1 & b=$!; pids="$pids $b"
check "new holder still running: it holds the job, stopped before the same write" wait_for 15 sh -c \
	"test \"\$(awk '{print \$3}' /proc/$b/stat)\" = T && test \"\$($PSQL -c \"SELECT lease_owner FROM jobs WHERE id = '$job'\")\" = holder4"
before=$(snapshot)
kill -CONT "$a"; rc=0; wait "$a" || rc=$?
check_eq "new holder still running: the resumed runner changes no row" "$rc $(snapshot)" "0 $before"
kill -CONT "$b"; rc=0; wait "$b" || rc=$?
check_eq "new holder still running: the new holder completes the job once" \
	"$rc $(job_state "$job") $(video v-frozen4 "status || ' ' || frame_count")" "0 completed 2 active 100"

# --- frozen inside the job's ending transaction (the video written, the completion not yet): its
# session holds the jobs row FOR UPDATE; the server ends that session once it idles a lease in the
# transaction, so a second runner takes the job over instead of waiting for the frozen one
job=$(initial v-frozen3)
CAPTIONACC_TEST_STOP_BEFORE=queue_complete_step LEASE_SECONDS=2 LOG_FILE="$dir/frozen-tx.log" \
	"$runner" run --max-jobs 1 --worker-id frozen-tx >/dev/null 2>&1 & a=$!; pids="$pids $a"
wait_for 10 stopped "$a"
wait_for 10 lease_expired "$job"
check "frozen in its transaction: the server ends the frozen session" wait_for 10 sh -c \
	"test \"\$($PSQL -c \"SELECT count(*) FROM pg_stat_activity WHERE application_name = 'captionacc-runner' AND state LIKE 'idle in transaction%'\")\" = 0"
LEASE_SECONDS=2 "$runner" run --max-jobs 1 >/dev/null 2>&1
check_eq "frozen in its transaction: another runner took the job over and completed it" \
	"$(job_state "$job") $(video v-frozen3 status)" "completed 2 active"
before=$(snapshot)
kill -CONT "$a"; rc=0; wait "$a" || rc=$?
check_eq "frozen in its transaction: resumed, it changes no row" "$rc $(snapshot)" "0 $before"
check "frozen in its transaction: it says the lease was lost" grep -q "abandoned (lease lost)" "$dir/frozen-tx.log"

# --- randomised: 500 jobs, 4 runners, 25 SIGSTOPs of 1 to 2 leases
q "TRUNCATE jobs CASCADE; TRUNCATE status_log; DELETE FROM video_database_state" >/dev/null
q "INSERT INTO videos (id, tenant_id, storage_key, status)
   SELECT 'rc-' || i, 'tn', 'tn/videos/rc-' || i || '.mp4', 'active' FROM generate_series(1, 20) i;
   INSERT INTO jobs (flow, tenant_id, video_id, parameters, priority, base_priority)
   SELECT 'video_initial_processing', 'tn', 'r-' || i, jsonb_build_object('video_id', 'r-' || i, 'tenant_id', 'tn',
          'storage_key', 'tn/videos/r-' || i || '.mp4'), 50, 50 FROM generate_series(1, 440) i;
   INSERT INTO jobs (flow, tenant_id, video_id, parameters, priority, base_priority)
   SELECT 'crop_and_infer', 'tn', 'rc-' || (i % 20 + 1), jsonb_build_object('video_id', 'rc-' || (i % 20 + 1),
          'tenant_id', 'tn', 'crop_region', '{\"crop_left\": 0.1, \"crop_top\": 0.8, \"crop_right\": 0.9,
          \"crop_bottom\": 0.95}'::jsonb), 50, 50 FROM generate_series(1, 60) i" >/dev/null
rp=
for i in 1 2 3 4; do
	MODAL_EXTRACT_FRAMES_AND_OCR_URL="$MODAL_URL/extract/slow?ms=80" MODAL_CROP_AND_INFER_URL="$MODAL_URL/crop/slow?ms=80" \
	LEASE_SECONDS=2 LOCK_WAIT_SECONDS=1 LOG_FILE="$dir/random$i.log" \
		"$runner" run --wait --max-seconds 240 --worker-id "random$i" >/dev/null 2>&1 & rp="$rp $!"
done
pids="$pids $rp"
set -- $rp
stops=0
while [ "$stops" -lt 25 ]; do
	i=$(shuf -i 1-4 -n 1); eval "p=\${$i}"
	if ! stopped "$p"; then
		kill -STOP "$p"; stops=$((stops + 1))
		( sleep "$(shuf -i 20-40 -n 1 | sed 's/.$/.&/')"; kill -CONT "$p" ) &
	fi
	sleep 0.4
done
wait_for 200 sh -c "test \"\$($PSQL -c \"SELECT count(*) FROM jobs WHERE status <> 'completed'\")\" = 0" || true
for p in $rp; do kill -CONT "$p" 2>/dev/null; kill -TERM "$p" 2>/dev/null || true; done
rcs=
for p in $rp; do rc=0; wait "$p" || rc=$?; rcs="$rcs$rc"; done
echo "# randomised: $stops SIGSTOPs; $(q "SELECT count(*) FROM jobs WHERE attempt > 1") jobs taken over"
check_eq "randomised: the runners exit cleanly" "$rcs" 0000
check_eq "randomised: all 500 jobs completed" "$(q "SELECT count(*) FROM jobs WHERE status = 'completed'")" 500
check "randomised: some jobs were taken over from frozen runners" test "$(q "SELECT count(*) FROM jobs WHERE attempt > 1")" -gt 0
check_eq "randomised: every processed video active with its metadata" \
	"$(q "SELECT count(*) FROM videos WHERE id LIKE 'r-%' AND status = 'active' AND frame_count = 100 AND error_message IS NULL")" 440
check_eq "randomised: no video's status went back after it became active" \
	"$(q "SELECT count(*) FROM status_log a JOIN status_log b ON a.video_id = b.video_id AND b.n > a.n
	     WHERE a.status = 'active' AND b.status <> 'active'")" 0
check_eq "randomised: every crop's layout recorded, no lock left held" \
	"$(q "SELECT count(*) FROM videos WHERE id LIKE 'rc-%' AND layout_version IS NOT NULL") $(q "SELECT count(*) FROM video_database_state WHERE lock_holder IS NOT NULL")" \
	"20 0"

finish
