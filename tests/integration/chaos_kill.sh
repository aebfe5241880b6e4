#!/bin/sh
# chaos_kill.sh: runners SIGKILLed at random moments while they drain the local queue. CHAOS_JOBS jobs
# (two thirds video_initial_processing: mark_processing, the GPU call, record_metadata; one third
# crop_and_infer: the layout lock, the GPU call, record_layout, the lock released) are drained by 4
# runners against the Modal double while CHAOS_KILLS times a runner, picked at random whatever it is doing
# (claiming, mid-step, in the GPU call, checkpointing, completing), is SIGKILLed and replaced. Then: every
# job completed exactly once, each step's database effect happened once (a video goes processing ->
# active once; a layout is recorded once), each step row completed once, the GPU called once per job
# plus at most once per kill (a kill between Modal's answer and the checkpoint is the only way to call it
# again), no lock held, nothing left running. `make check` runs 60 jobs and 20 kills; `make chaos` 300 and
# 100. Each GPU call takes 1 s (the double holds it), so the drain outlasts the kills even on a quiet
# machine (at 0.5 s, 60 jobs once drained after 17 of the 20).
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
. "$top_srcdir/tests/harness/flow-jobs.sh"
JOBS=${CHAOS_JOBS:-60}
KILLS=${CHAOS_KILLS:-20}
flow_stack_start
export MODAL_EXTRACT_FRAMES_AND_OCR_URL="$MODAL_URL/extract/slow?ms=1000" \
	MODAL_CROP_AND_INFER_URL="$MODAL_URL/crop/slow?ms=1000" LEASE_SECONDS=2
status_log_start
q "CREATE TABLE layout_log (n bigserial, video_id text, version int);
   CREATE FUNCTION log_layout() RETURNS trigger LANGUAGE plpgsql AS
   \$\$ BEGIN INSERT INTO layout_log (video_id, version) VALUES (NEW.id, NEW.layout_version); RETURN NULL; END \$\$;
   CREATE TRIGGER videos_layout AFTER UPDATE OF layout_version ON videos FOR EACH ROW
   EXECUTE FUNCTION log_layout();"
# --- killed between a step's write and its row: the write goes with the session (one transaction)
stopped() { test "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = T; }
job=$(initial kx-1 5)
CAPTIONACC_TEST_STOP_BEFORE=queue_step_save "$runner" run --max-jobs 1 >/dev/null 2>&1 & a=$!; pids="$pids $a"
check "a runner stopped between mark_processing's write and its row" wait_for 10 stopped "$a"
kill -KILL "$a"; wait "$a" 2>/dev/null || true
wait_for 10 sh -c "test \"\$($PSQL -c \"SELECT lease_expires_at < now() FROM jobs WHERE id = '$job'\")\" = t"
"$runner" run --max-jobs 1 >/dev/null 2>&1 || true
check_eq "killed between a step's write and its row: completed, the video processing -> active once" \
	"$(job_state "$job") $(q "SELECT string_agg(status, ',' ORDER BY n) FROM status_log WHERE video_id = 'kx-1'")" \
	"completed 2 processing,active"

crops=$((JOBS / 3)) initials=$((JOBS - JOBS / 3))
q "INSERT INTO videos (id, tenant_id, storage_key, status)
   SELECT 'kc-' || i, 'tn', 'tn/videos/kc-' || i || '.mp4', 'active' FROM generate_series(1, $crops) i;
   INSERT INTO jobs (flow, tenant_id, video_id, parameters, priority, base_priority, max_attempts)
   SELECT 'video_initial_processing', 'tn', 'ki-' || i, jsonb_build_object('video_id', 'ki-' || i, 'tenant_id', 'tn',
          'storage_key', 'tn/videos/ki-' || i || '.mp4'), 50, 50, 1000 FROM generate_series(1, $initials) i;
   INSERT INTO jobs (flow, tenant_id, video_id, parameters, priority, base_priority, max_attempts)
   SELECT 'crop_and_infer', 'tn', 'kc-' || i, jsonb_build_object('video_id', 'kc-' || i, 'tenant_id', 'tn',
          'crop_region', '{\"crop_left\": 0.1, \"crop_top\": 0.8, \"crop_right\": 0.9, \"crop_bottom\": 0.95}'::jsonb),
          50, 50, 1000 FROM generate_series(1, $crops) i" >/dev/null

# start_runner SLOT: a runner that waits for work, its PID in runner-SLOT.pid
start_runner() {
	LOG_FILE="$dir/runner-$1.log" "$runner" run --wait --max-seconds 600 --worker-id "k$1" >/dev/null 2>&1 &
	echo $! >"$dir/runner-$1.pid"
	pids="$pids $!"
}
left() { q "SELECT count(*) FROM jobs WHERE status <> 'completed'"; }
JOBS_ALL=$((JOBS + 1))
for s in 1 2 3 4; do start_runner "$s"; done
killed=0 holding=0
while [ "$killed" -lt "$KILLS" ] && [ "$(left)" -gt 0 ]; do
	sleep "0.$(shuf -i 10-40 -n 1)"
	s=$(shuf -i 1-4 -n 1)
	if [ -n "$(q "SELECT 1 FROM jobs WHERE lease_owner = 'k$s' AND status = 'running' LIMIT 1")" ]; then
		holding=$((holding + 1))
	fi
	kill -KILL "$(cat "$dir/runner-$s.pid")" 2>/dev/null || continue
	killed=$((killed + 1))
	start_runner "$s"
done
echo "# $killed runners SIGKILLed ($holding of them held a job at the moment asked); $(left) jobs left then"
check_eq "$KILLS runners killed while jobs were left" "$killed" "$KILLS"
check "every job completed (within 120 s)" wait_for 120 sh -c "test \"\$($PSQL -c \"SELECT count(*) FROM jobs
	WHERE status = 'completed'\")\" = $JOBS_ALL"
for s in 1 2 3 4; do kill -TERM "$(cat "$dir/runner-$s.pid")" 2>/dev/null || true; done
for s in 1 2 3 4; do wait "$(cat "$dir/runner-$s.pid")" 2>/dev/null || true; done

check_eq "nothing left running, pending or failed" \
	"$(q "SELECT count(*) FROM jobs WHERE status <> 'completed' OR lease_token IS NOT NULL")" 0
check "some kills hit a runner holding a job" test "$holding" -gt 0
check "some jobs ran more than once (taken over after a kill)" test "$(q "SELECT count(*) FROM jobs WHERE attempt > 1")" -gt 0
check_eq "each initial video went processing -> active exactly once" \
	"$(q "SELECT count(*) FROM (SELECT video_id FROM status_log WHERE video_id LIKE 'ki-%' GROUP BY video_id
	     HAVING string_agg(status, ',' ORDER BY n) = 'processing,active') v")" "$initials"
q "SELECT '# ' || video_id || ': ' || string_agg(status, ',' ORDER BY n) FROM status_log WHERE video_id LIKE 'ki-%'
   GROUP BY video_id HAVING string_agg(status, ',' ORDER BY n) <> 'processing,active'"
check_eq "every initial video active with its metadata" \
	"$(q "SELECT count(*) FROM videos WHERE id LIKE 'ki-%' AND status = 'active' AND frame_count = 100")" "$initials"
check_eq "each layout recorded exactly once" \
	"$(q "SELECT count(*) FROM (SELECT video_id FROM layout_log GROUP BY video_id HAVING count(*) = 1) v")" "$crops"
check_eq "no crop video's status changed (its one row is its insert)" \
	"$(q "SELECT count(*) FROM status_log WHERE video_id LIKE 'kc-%'")" "$crops"
check_eq "every step row completed, once per step (3 per initial job, 2 per crop job)" \
	"$(q "SELECT count(*) FILTER (WHERE s.status = 'completed') || ' ' || count(*) FROM job_steps s JOIN jobs j
	     ON j.id = s.job_id WHERE j.video_id NOT LIKE 'kx-%'")" \
	"$((initials * 3 + crops * 2)) $((initials * 3 + crops * 2))"
check_eq "no lock left held" "$(q "SELECT count(*) FROM video_database_state WHERE lock_holder IS NOT NULL")" 0
stats=$(curl -s "$MODAL_URL/_stats")
calls=$(printf '%s' "$stats" | sed -n 's/.*"calls":\([0-9]*\).*/\1/p')
once=$(printf '%s' "$stats" | sed 's/.*"videos":{\([^}]*\)}.*/\1/' | tr ',' '\n' | grep -c ':1$' || true)
echo "# GPU calls: $calls for $JOBS jobs and $killed kills; $once jobs called it exactly once"
check "the GPU called once per job plus at most once per kill" test "$calls" -ge "$JOBS_ALL" -a "$calls" -le $((JOBS_ALL + killed))
check "every job's video had its GPU call" test "$(printf '%s' "$stats" | sed 's/.*"videos":{\([^}]*\)}.*/\1/' |
	tr ',' '\n' | grep -c ':[0-9]*$')" -eq "$JOBS_ALL"
check "no runner crashed on its own (no sanitizer report, no core)" sh -c "! grep -l -E 'Sanitizer|runtime error' \
	'$dir'/runner-*.log"
finish
