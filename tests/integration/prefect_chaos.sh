#!/bin/sh
# prefect_chaos.sh: QUEUE_BACKEND=prefect under fire. CHAOS_RUNS video_initial_processing flow runs (made
# with `enqueue`) run against the Prefect double and the Modal double (extract_frames_and_ocr spawned and
# polled) by three runners at a time, while CHAOS_KILLS times a runner that holds a run is SIGKILLed and a
# new one started. Then every run must end COMPLETED exactly once in Prefect, its jobs row completed, its
# video active with the GPU result recorded once (one processing -> active), and the GPU calls spawned at
# most once per run plus once per kill (a kill between Modal's answer and the checkpoint is the only way to
# spawn twice). `make check` runs a short version; `make chaos` a longer one (CHAOS_RUNS, CHAOS_KILLS).
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
RUNS=${CHAOS_RUNS:-24}
KILLS=${CHAOS_KILLS:-6}
. "$top_srcdir/tests/harness/prefect-double.sh"
prefect_double_start chaos-key
EXTRA_CONFIG="$PREFECT_CONFIG
PREFECT_POLL_INTERVAL_MS = 50
LEASE_SECONDS = 2
MAX_ATTEMPTS = 100
RETRY_BASE_MS = 50
RETRY_MAX_MS = 200
MODAL_POLL_INTERVAL_MS = 50" "$stack" start-db "$dir" >/dev/null
"$stack" modal-start "$dir"
. "$dir/env"
MODAL_EXTRACT_FRAMES_AND_OCR_URL="$MODAL_URL/extract/spawn?ms=1500"
MODAL_EXTRACT_FRAMES_AND_OCR_POLL_URL="$MODAL_URL/extract/poll"
export MODAL_EXTRACT_FRAMES_AND_OCR_URL MODAL_EXTRACT_FRAMES_AND_OCR_POLL_URL PGOPTIONS="-c client_min_messages=warning"
q() { $PSQL -c "$1"; }
runs_json() { curl -s "$P/_runs" | sed 's/},{"id"/}\n{"id"/g'; }

# Video status history, kept by a trigger of the test's own.
q "CREATE TABLE status_log (n bigserial, video_id text, status text);
   CREATE FUNCTION log_status() RETURNS trigger LANGUAGE plpgsql AS
   \$\$ BEGIN INSERT INTO status_log (video_id, status) VALUES (NEW.id, NEW.status); RETURN NULL; END \$\$;
   CREATE TRIGGER videos_status AFTER INSERT OR UPDATE OF status ON videos FOR EACH ROW EXECUTE FUNCTION log_status();"

for i in $(seq 1 "$RUNS"); do
	"$runner" enqueue video_initial_processing \
		"{\"video_id\":\"chaos-$i\",\"tenant_id\":\"tc\",\"storage_key\":\"tc/videos/chaos-$i.mp4\"}" >>"$dir/enqueued" 2>&1
done
check_eq "$RUNS flow runs made" "$(grep -c '^queued video_initial_processing Prefect flow run' "$dir/enqueued")" "$RUNS"

# start_runner N: a runner that waits for work, worker id chaos-N; its PID in runner-N.pid
start_runner() {
	LOG_FILE="$dir/runner-$1.log" "$runner" run --wait --max-seconds 120 --worker-id "chaos-$1" \
		>/dev/null 2>&1 &
	echo $! >"$dir/runner-$1.pid"
	pids="$pids $!"
}
completed_runs() { runs_json | grep -c '"state_type":"COMPLETED"' || true; }

n=3
for i in 1 2 3; do start_runner "$i"; done
killed=0 tries=0
while [ "$killed" -lt "$KILLS" ] && [ "$tries" -lt 600 ] && [ "$(completed_runs)" -lt "$RUNS" ]; do
	tries=$((tries + 1))
	sleep 0.1
	# a runner that holds a run right now, picked at random
	owner=$(q "SELECT lease_owner FROM jobs WHERE backend = 'prefect' AND status = 'running'
	           AND lease_expires_at > now() ORDER BY random() LIMIT 1")
	[ -n "$owner" ] || continue
	pid=$(cat "$dir/runner-${owner#chaos-}.pid")
	kill -KILL "$pid" 2>/dev/null || continue
	killed=$((killed + 1))
	n=$((n + 1))
	start_runner "$n"
	sleep "0.$(shuf -i 3-9 -n 1)"
done
check_eq "$KILLS runners killed while they held a run" "$killed" "$KILLS"
check "every run completed (within 90 s)" wait_for 90 sh -c "test \"\$(curl -s '$P/_runs' | grep -o '\"state_type\":\"COMPLETED\"' |
	wc -l)\" -ge $RUNS"
for i in $(seq 1 "$n"); do kill -TERM "$(cat "$dir/runner-$i.pid")" 2>/dev/null || true; done

bad=
for id in $(sed -n 's/^queued video_initial_processing Prefect flow run \([^ ]*\) .*/\1/p' "$dir/enqueued"); do
	h=$(runs_json | grep "\"id\":\"$id\"" | head -n 1 | sed 's/.*"history":\[\([^]]*\)\].*/\1/; s/"//g')
	case $h in *COMPLETED*COMPLETED* | *PENDING | *RUNNING) bad="$bad $id:$h" ;; *,COMPLETED) ;; *) bad="$bad $id:$h" ;; esac
done
check_eq "every run ended COMPLETED, exactly once" "$bad" ""
check "some runs were handed back after their runner died" sh -c "curl -s '$P/_runs' | grep -q 'RUNNING\",\"SCHEDULED'"
check_eq "every jobs row completed" "$(q "SELECT count(*) FROM jobs WHERE backend = 'prefect' AND status = 'completed'")" \
	"$RUNS"
check_eq "every video active with its metadata" \
	"$(q "SELECT count(*) FROM videos WHERE id LIKE 'chaos-%' AND status = 'active' AND frame_count IS NOT NULL")" "$RUNS"
check_eq "each GPU result recorded once (one processing -> active per video)" \
	"$(q "SELECT count(*) FROM (SELECT video_id FROM status_log GROUP BY video_id
	     HAVING string_agg(status, ',' ORDER BY n) = 'processing,active') v")" "$RUNS"
spawns=$(curl -s "$MODAL_URL/_stats" | sed -n 's/.*"spawns":\([0-9]*\).*/\1/p')
check "GPU calls spawned once per run, plus at most one per kill ($spawns for $RUNS runs, $KILLS kills)" \
	test "$spawns" -ge "$RUNS" -a "$spawns" -le $((RUNS + KILLS))
check "the killed runs' GPU calls were resumed, not spawned again" sh -c "cat '$dir'/runner-*.log | grep -q 'resuming GPU call'"
finish
