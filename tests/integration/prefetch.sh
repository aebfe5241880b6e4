#!/bin/sh
# prefetch.sh: run --prefetch N under real runner processes and a real PostgreSQL: bad values refused;
# 900 jobs drained by four prefetching runners, each job completed exactly once and by one runner, their
# completions written in batches; a GPU flow's job never claimed with others; the held jobs' leases
# kept alive by the heartbeat; a job whose lease was lost while its completion waited in a batch writes
# nothing while the batch's others are written; SIGTERM hands the jobs not started back at once (pending,
# attempt given back, no lease) and another runner takes them at once; so does a --max-jobs limit.
# Without --prefetch, a short job's completion rides the next claim's transaction; that transaction
# killed, nothing is lost or doubled; nor under a storm of terminated sessions.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
"$stack" start-db "$dir"
. "$dir/env"
export PGOPTIONS="-c client_min_messages=warning"
q() { $PSQL -c "$1"; }
reset() { q "TRUNCATE jobs CASCADE; DELETE FROM runner_maintenance"; }
# add FLOW PARAMS AGE_MINUTES: queues a job directly (as captionacc-fcgi would)
add() {
	q "INSERT INTO jobs (flow, tenant_id, parameters, priority, base_priority, age_anchor)
	   VALUES ('$1', 't', '$2', 50, 50, now() - interval '$3 minutes') RETURNING id"
}

# --- bad values refused, with a clear error
for v in 0 abc 101 99999999999 -1 ''; do
	rc=0; "$runner" run --prefetch "$v" >"$dir/bad.out" 2>&1 || rc=$?
	check_eq "--prefetch '$v' refused" "$rc $(grep -c 'prefetch takes a number of jobs from 1 to 100' "$dir/bad.out")" "2 1"
done

# --- 900 jobs, four runners prefetching 10: each job completed exactly once, by one runner, in batches
reset
q "INSERT INTO jobs (flow, tenant_id, parameters, priority, base_priority)
   SELECT CASE WHEN i % 3 = 0 THEN 'diagnostic' ELSE 'noop' END, 't', '{}', 50, 50 FROM generate_series(1, 900) i"
rp=
for i in 1 2 3 4; do LOG_FILE="$dir/p$i.log" "$runner" run --prefetch 10 --worker-id "p$i" & rp="$rp $!"; done
pids="$pids $rp"
for p in $rp; do wait "$p"; done
check_eq "900 jobs, 4 prefetching runners: all completed on their first attempt" \
	"$(q "SELECT count(*) FROM jobs WHERE status = 'completed' AND attempt = 1 AND lease_token IS NULL")" 900
check_eq "every step row written once (600 noop + 300 x 3 diagnostic)" \
	"$(q "SELECT count(*) || '/' || count(DISTINCT (job_id, step_index)) FROM job_steps WHERE status = 'completed'
	      AND attempt = 1")" "1500/1500"
cat "$dir"/p?.log | sed -n 's/.*job \([0-9a-f-]*\) flow .*: completed in a batch of.*/\1/p' | sort >"$dir/done"
check_eq "each job's completion logged once, by one of the runners, in a batch" \
	"$(wc -l <"$dir/done" | tr -d ' ') $(uniq "$dir/done" | wc -l | tr -d ' ')" "900 900"
check "completions were written several at a time" grep -Eq "in a batch of ([2-9]|10)$" "$dir/p1.log"
check_eq "claims took several jobs at once (jobs sharing a claim's started_at)" \
	"$(q "SELECT count(*) > 0 FROM (SELECT started_at FROM jobs GROUP BY started_at HAVING count(*) > 1) s")" t
check_eq "a claim never took more than 10" \
	"$(q "SELECT max(n) <= 10 FROM (SELECT count(*) n FROM jobs GROUP BY started_at) s")" t

# --- a GPU flow's job is claimed alone: never with short flows' jobs before or after it
reset
n1=$(add noop '{}' 40); gpu=$(add video_initial_processing '{}' 30); n2=$(add noop '{}' 20); n3=$(add noop '{}' 10)
LOG_FILE="$dir/gpu.log" "$runner" run --prefetch 10 --worker-id g >/dev/null 2>&1 || true
check_eq "GPU job claimed alone, the short ones after it together" \
	"$(q "SELECT (SELECT started_at FROM jobs WHERE id = '$n1') <> (SELECT started_at FROM jobs WHERE id = '$gpu'),
	           (SELECT started_at FROM jobs WHERE id = '$gpu') <> (SELECT started_at FROM jobs WHERE id = '$n2'),
	           (SELECT started_at FROM jobs WHERE id = '$n2') = (SELECT started_at FROM jobs WHERE id = '$n3')")" \
	"t|t|t"
check "the GPU job's end was not batched" sh -c "! grep '$gpu' '$dir/gpu.log' | grep -q 'in a batch'"
check_eq "the short jobs completed" \
	"$(q "SELECT count(*) FROM jobs WHERE flow = 'noop' AND status = 'completed'")" 3

# --- held jobs' leases are extended by the heartbeat while they wait their turn
reset
for i in 1 2 3; do add diagnostic '{"sleep_ms": 700}' $((10 - i)) >/dev/null; done
LEASE_SECONDS=2 LOG_FILE="$dir/hb.log" "$runner" run --prefetch 10 --worker-id hb & h=$!; pids="$pids $h"
sleep 3.2
check_eq "after 3.2 s (lease 2 s), no held job's lease has expired (job 1 done, in the batch; 2 running; 3 waiting)" \
	"$(q "SELECT count(*) FILTER (WHERE lease_expires_at < now()) || '/' || count(*) FROM jobs WHERE status = 'running'")" \
	"0/3"
wait $h
check_eq "the 3 jobs completed on their first attempt" \
	"$(q "SELECT count(*) FROM jobs WHERE status = 'completed' AND attempt = 1")" 3

# --- a job whose lease is lost while its completion waits in the batch writes nothing; the others are written
reset
# (job 3 long: its first step is seen done seconds before the batch is written, even on a loaded box)
j1=$(add diagnostic '{"sleep_ms": 400}' 30); j2=$(add diagnostic '{"sleep_ms": 400}' 20)
j3=$(add diagnostic '{"sleep_ms": 2500}' 10)
LOG_FILE="$dir/fence.log" "$runner" run --prefetch 10 --worker-id f & f=$!; pids="$pids $f"
wait_for 15 sh -c "test \"\$($PSQL -c \"SELECT count(*) FROM job_steps WHERE job_id = '$j3' AND status = 'completed'\")\" = 1"
check_eq "job 1 finished, its completion not written yet (in the batch)" \
	"$(q "SELECT status || ' ' || (SELECT count(*) FROM job_steps WHERE job_id = '$j1') FROM jobs WHERE id = '$j1'")" \
	"running 2"
q "UPDATE jobs SET lease_token = gen_random_uuid(), lease_owner = 'usurper' WHERE id = '$j1'" >/dev/null
wait $f
check_eq "fenced: the lost job is untouched, its last step not written" \
	"$(q "SELECT status || ' ' || lease_owner || ' ' || (SELECT count(*) FROM job_steps WHERE job_id = '$j1')
	      FROM jobs WHERE id = '$j1'")" "running usurper 2"
check_eq "the batch's other jobs completed" \
	"$(q "SELECT count(*) FROM jobs WHERE id IN ('$j2', '$j3') AND status = 'completed'")" 2
check "the runner logged the lost one as abandoned" grep -q "job $j1 .*abandoned (lease lost) in a batch of 3" "$dir/fence.log"

# --- a limit reached (--max-jobs): the jobs claimed beyond it are handed back at once
reset
for i in 1 2 3 4 5; do add noop '{}' $((10 - i)) >/dev/null; done
LEASE_SECONDS=60 LOG_FILE="$dir/limit.log" "$runner" run --prefetch 10 --max-jobs 2 --worker-id limited >/dev/null 2>&1
check_eq "--max-jobs 2 --prefetch 10: 2 completed, 3 back to pending with their attempt given back" \
	"$(q "SELECT string_agg(status || attempt || (lease_token IS NULL), ',' ORDER BY age_anchor) FROM jobs")" \
	"completed1true,completed1true,pending0true,pending0true,pending0true"

# --- SIGTERM: the jobs not started are handed back at once; another runner takes them at once
reset
for i in 1 2 3 4 5; do add diagnostic '{"sleep_ms": 3000}' $((10 - i)) >/dev/null; done
LEASE_SECONDS=60 LOG_FILE="$dir/term.log" "$runner" run --prefetch 10 --worker-id stopping & s=$!; pids="$pids $s"
wait_for 10 sh -c "test \"\$($PSQL -c \"SELECT count(*) FROM jobs WHERE status = 'running'\")\" = 5"
kill -TERM "$s"
rc=0; wait "$s" || rc=$?
check_eq "SIGTERM: runner exits 0" "$rc" 0
check_eq "SIGTERM: all 5 handed back, attempts given back, no lease" \
	"$(q "SELECT count(*) FROM jobs WHERE status = 'pending' AND attempt = 0 AND lease_token IS NULL
	      AND lease_owner IS NULL AND run_after <= now()")" 5
check "SIGTERM: the 4 not started handed back in one go" grep -q "handed back 4 prefetched jobs not started" "$dir/term.log"
q "UPDATE jobs SET parameters = '{}'" >/dev/null
LOG_FILE="$dir/next.log" "$runner" run --prefetch 10 --worker-id next >/dev/null 2>&1
check_eq "another runner took them at once (lease 60 s): all 5 completed on attempt 1" \
	"$(q "SELECT count(*) FROM jobs WHERE status = 'completed' AND attempt = 1")" 5

# --- without --prefetch, a short flow's completion rides the next claim (one transaction for both). That
# transaction's session killed before the completion's write: both roll back, the completion is written
# on its own, the next job claimed again: each completed once, on its first attempt, no lease left
reset
stopped() { test "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = T; }
j1=$(add noop '{}' 2); j2=$(add noop '{}' 1)
CAPTIONACC_TEST_STOP_BEFORE=queue_complete_step LOG_FILE="$dir/ride.log" "$runner" run --worker-id rider & r=$!
pids="$pids $r"
check "the runner stopped inside its next claim's transaction, before job 1's completion" wait_for 10 stopped "$r"
check_eq "job 1 done but not written (running), job 2 waiting" \
	"$(q "SELECT string_agg(status || attempt, ',' ORDER BY age_anchor) FROM jobs")" "running1,pending0"
check_eq "the runner's session is in its transaction; killed" \
	"$(q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE state = 'idle in transaction'")" 1
kill -CONT "$r"
rc=0; wait "$r" || rc=$?
check_eq "the runner carried on and exited 0" "$rc" 0
check_eq "both completed once, on attempt 1, their step written once, no lease left" \
	"$(q "SELECT string_agg(j.status || j.attempt || (j.lease_token IS NULL) || (SELECT count(*) FROM job_steps s
	      WHERE s.job_id = j.id AND s.status = 'completed'), ',' ORDER BY age_anchor) FROM jobs j")" \
	"completed1true1,completed1true1"
check "the failed claim was logged, then both jobs' completions" sh -c "grep -q 'cannot claim a job' '$dir/ride.log' &&
	grep -q 'job $j1 .*completed in a batch of 1' '$dir/ride.log' && grep -q 'job $j2 .*completed in a batch of 1' '$dir/ride.log'"

# --- a storm: every runner session terminated every 0.1 s while three runners (one prefetching) drain
# 600 short jobs (a third with three 20 ms steps) whose completions ride their next claims: every job completed, each step written once,
# no lease left, no runner gives up
reset
q "INSERT INTO jobs (flow, tenant_id, parameters, priority, base_priority)
   SELECT CASE WHEN i % 3 = 0 THEN 'diagnostic' ELSE 'noop' END, 't',
          CASE WHEN i % 3 = 0 THEN '{\"sleep_ms\": 20}' ELSE '{}' END::jsonb, 50, 50 FROM generate_series(1, 600) i"
rp=
for i in 1 2 3; do
	LOG_FILE="$dir/storm$i.log" "$runner" run --worker-id "storm$i" $([ "$i" = 1 ] && echo --prefetch 10) \
		>/dev/null 2>&1 & rp="$rp $!"
done
pids="$pids $rp"
( n=0
	while :; do
		n=$((n + $(q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		              WHERE application_name LIKE 'captionacc-runner%'")))
		echo "$n" >"$dir/terminated"
		sleep 0.1
	done ) & killer=$!; pids="$pids $killer"
rcs=
for p in $rp; do rc=0; wait "$p" || rc=$?; rcs="$rcs$rc"; done
kill "$killer" 2>/dev/null || true; wait "$killer" 2>/dev/null || true
echo "# sessions terminated during the drain: $(cat "$dir/terminated" 2>/dev/null || echo 0)"
check "storm: sessions were terminated (over 5)" test "$(cat "$dir/terminated" 2>/dev/null || echo 0)" -gt 5
check_eq "storm: every runner exits 0" "$rcs" 000
check_eq "storm: every job completed, no lease left" \
	"$(q "SELECT count(*) FILTER (WHERE status = 'completed' AND lease_token IS NULL) FROM jobs")" 600
check_eq "storm: each step written once, completed (400 noop + 200 x 3 diagnostic)" \
	"$(q "SELECT count(*) || ' ' || count(DISTINCT (job_id, step_index)) FROM job_steps WHERE status = 'completed'")" \
	"1000 1000"
echo "# storm: jobs completed on a later attempt: $(q "SELECT count(*) FROM jobs WHERE attempt > 1");" \
	"claims (with the completions riding them) that failed and were made again: $(cat "$dir"/storm?.log |
	grep -c 'cannot claim a job' || true)"

finish
