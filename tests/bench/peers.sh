#!/bin/sh
# peers.sh: `make bench-peers`: this project beside graphile-worker and pg-boss on the same throwaway
# cluster (fsync on, synchronous_commit on), no-op jobs, one run, each system in a database of its own:
# drain at 1 and 4 workers and each system's best, enqueue at 1/4/32 clients, pick-up latency,
# transactions and WAL fsyncs per job (pg_stat_database, pg_stat_wal), peak RSS per worker; with the
# ceilings of the same run (pgbench running our exact statements) and the machine and date.
# The peers are installed from npm into BENCH_PEERS_DIR (default ~/.cache/captionacc-bench-peers), never
# into the project. Needs node (20+) and npm, wrk, and network access to the npm registry the first time.
# Not a test.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
export top_srcdir top_builddir
GW=graphile-worker@0.17.3
BOSS=pg-boss@10.4.2
N=${BENCH_JOBS:-4000}
SECS=${BENCH_SECONDS:-5}
# Our best drains with run --prefetch BENCH_PEER_PREFETCH (100: graphile-worker's best takes 100 jobs
# into its local queue at a time).
PREFETCH=${BENCH_PEER_PREFETCH:-100}
# A peer's drain stops after PEER_MAX_MS (pg-boss waits its polling interval, 0.5 s at least, after
# every fetch: batch 1 drains 2 jobs/s per worker); its figures are over the jobs it did.
export PEER_MAX_MS=${BENCH_PEER_MAX_MS:-20000}
PEERS_DIR=${BENCH_PEERS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/captionacc-bench-peers}
runner="$top_builddir/runner/captionacc-runner"
die() { echo "peers.sh: $*" >&2; exit 1; }
case "$(cd "$(dirname "$PEERS_DIR")" 2>/dev/null && pwd)/" in
"$(cd "$top_srcdir" && pwd)"/*|"$(cd "$top_builddir" && pwd)"/*) die "BENCH_PEERS_DIR must be outside the project";;
esac
command -v node >/dev/null || die "node not found (Node.js 20 or later)"
command -v npm >/dev/null || die "npm not found"
command -v wrk >/dev/null || die "wrk not found: install the Debian package wrk"
if [ ! -f "$PEERS_DIR/installed-$GW-$BOSS" ]; then
	mkdir -p "$PEERS_DIR"
	echo "== installing $GW and $BOSS into $PEERS_DIR"
	(cd "$PEERS_DIR" && { [ -f package.json ] || npm init -y >/dev/null; } &&
		npm install --no-audit --no-fund "$GW" "$BOSS" >npm.log 2>&1) ||
		{ tail -n 20 "$PEERS_DIR/npm.log" >&2; die "npm install failed (see $PEERS_DIR/npm.log)"; }
	touch "$PEERS_DIR/installed-$GW-$BOSS"
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/captionacc-peers.XXXXXX")
trap '"$top_srcdir/tests/harness/stack.sh" stop "$dir" || true' EXIT
trap 'exit 1' INT TERM
PG_FSYNC=on FCGI_CHILDREN=32 NGINX_KEEPALIVE=8 NGINX_RATE=1000000r/s NGINX_BURST=1000000 EXTRA_CONFIG="LOG_LEVEL = warn" \
	"$top_srcdir/tests/harness/stack.sh" start "$dir" >/dev/null
. "$dir/env"
. "$top_srcdir/tests/bench/lib.sh"
export PGOPTIONS="-c client_min_messages=warning"
q() { $PSQL -c "$1"; }
o=$(other_psql)
$o -c "CREATE DATABASE peer_gw" -c "CREATE DATABASE peer_boss" >/dev/null
db_of() { case $1 in us) echo captionacc;; gw) echo peer_gw;; boss) echo peer_boss;; esac; }
peer() { # SYSTEM ACTION ARGS...
	s=$1 a=$2; shift 2
	PEERS_DIR="$PEERS_DIR" PEER_URL="postgres://postgres@/$(db_of "$s")?host=$STACK_DIR/pgsock" \
		node "$top_srcdir/tests/bench/peers.mjs" "$a" "$s" "$@"
}
ms() { date +%s%3N; }
res() { echo "$1" >>"$dir/results"; } # "SYSTEM KEY VALUE"
get() { awk -v s="$1" -v k="$2" '$1 == s && $2 == k { v = $3 } END { print (v == "" ? "-" : v) }' "$dir/results"; }
: >"$dir/results"
peer gw setup >/dev/null
peer boss setup >/dev/null

fill() { # SYSTEM
	if [ "$1" = us ]; then
		q "TRUNCATE jobs CASCADE; INSERT INTO jobs (flow, tenant_id, parameters, priority, base_priority)
		   SELECT 'noop', 'bench', '{}', 50, 50 FROM generate_series(1, $N)"
		q "VACUUM ANALYZE jobs, job_steps"
	else
		peer "$1" fill "$N"
	fi
}
# drain SYSTEM WORKERS LABEL [best]: N jobs; records jobs/s, transactions and fsyncs per job, peak RSS
drain() {
	s=$1 w=$2 label=$3
	fill "$s"
	before=$(counters "$(db_of "$s")")
	t0=$(ms)
	: >"$dir/drain.out"
	pids=
	for i in $(seq 1 "$w"); do
		if [ "$s" = us ]; then
			/usr/bin/time -f "maxrss_kb=%M" -a -o "$dir/drain.out" "$runner" run --worker-id "b$i" \
				$([ "${4:-}" = best ] && echo --prefetch "$PREFETCH") >/dev/null 2>&1 &
		elif [ "${4:-}" = best ]; then
			peer "$s" drain 10 best >>"$dir/drain.out" 2>"$dir/drain.err" &
		else
			peer "$s" drain 1 >>"$dir/drain.out" 2>"$dir/drain.err" &
		fi
		pids="$pids $!"
	done
	for p in $pids; do wait "$p" || die "$s drain failed: $(cat "$dir/drain.err" 2>/dev/null)"; done
	t1=$(ms)
	after=$(counters "$(db_of "$s")")
	end=$(sed -n 's/.*last_ms=\([0-9]*\).*/\1/p' "$dir/drain.out" | sort -n | tail -n 1)
	[ -n "$end" ] || end=$t1
	handled=$(sed -n 's/.*handled=\([0-9]*\).*/\1/p' "$dir/drain.out" | awk '{ s += $1 } END { print s + 0 }')
	[ "$s" = us ] && handled=$(q "SELECT count(*) FROM jobs WHERE status = 'completed'")
	[ "$handled" -gt 0 ] || die "$s drain: no job done"
	[ "$s" != us ] || [ "$handled" -ge "$N" ] || die "$s drain: $handled of $N jobs done"
	res "$s drain_$label $(awk -v n="$handled" -v t=$((end - t0)) 'BEGIN { printf "%.0f", n / (t / 1000) }')"
	set -- $(per_job "$before" "$after" "$handled")
	res "$s cost_$label $1/$2"
	res "$s rss_$label $(sed -n 's/.*maxrss_kb=\([0-9]*\).*/\1/p' "$dir/drain.out" |
		awk '{ if ($1 > m) m = $1 } END { printf "%.0f", m / 1024 }')"
}
enqueue() { # SYSTEM CLIENTS
	if [ "$1" = us ]; then
		t=2; [ "$2" -ge 2 ] || t=1
		wrk -t"$t" -c"$2" -d2s -s "$top_srcdir/tests/bench/webhook.lua" "$STACK_URL" -- "warm$2" "$WEBHOOK_SECRET" >/dev/null
		wrk -t"$t" -c"$2" -d"${SECS}s" -s "$top_srcdir/tests/bench/webhook.lua" "$STACK_URL" -- "run$2" \
			"$WEBHOOK_SECRET" >"$dir/wrk.out"
		res "us enqueue_$2 $(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$dir/wrk.out")"
	else
		res "$1 enqueue_$2 $(peer "$1" enqueue "$2" "$SECS" | sed -n 's/jobs_per_s=//p')"
	fi
}
pickup() { # SYSTEM (after a checkpoint, so the drains' dirty pages are not flushed into its commits)
	q "CHECKPOINT"
	if [ "$1" = us ]; then
		q "TRUNCATE jobs CASCADE"
		"$runner" run --wait --max-seconds 60 --worker-id waiter >"$dir/waiter.out" 2>&1 & w=$!
		sleep 1
		pickup_jobs 200 b
		sleep 1
		kill -TERM "$w" 2>/dev/null || cat "$dir/waiter.out" >&2; wait "$w" || true
		res "us pickup $(pickup_figures | awk '{ printf "%.1f/%.1f", $1, $2 }')"
	else
		res "$1 pickup $(peer "$1" pickup 200 | sed -n 's/.*p50_ms=\([0-9]*\) p99_ms=\([0-9]*\).*/\1\/\2/p')"
	fi
}
ceiling_drain() { # CLIENTS: pgbench, the runner's claim + fused completion, right after our drain
	fill us
	before=$(counters captionacc)
	$PGBENCH -n -M prepared -c "$1" -j "$1" -t $((N / $1)) -h "$STACK_DIR/pgsock" -U postgres -f "$dir/claim.sql" \
		captionacc >"$dir/pgbench.out" 2>&1 || { cat "$dir/pgbench.out" >&2; exit 1; }
	res "ceiling drain_$1 $(awk '/^tps = / { printf "%.0f", $3 }' "$dir/pgbench.out")"
	set -- "$1" $(per_job "$before" "$(counters captionacc)" "$N")
	res "ceiling cost_$1 $2/$3"
}
ceiling_enqueue() { # CLIENTS: pgbench, captionacc-fcgi's insert without the trigger, right after our enqueue
	q "ALTER TABLE jobs DISABLE TRIGGER jobs_notify"
	$PGBENCH -n -M prepared -c "$1" -j 2 -T "$SECS" -h "$STACK_DIR/pgsock" -U postgres -f "$dir/insert.sql" \
		captionacc >"$dir/pgbench.out" 2>&1 || { cat "$dir/pgbench.out" >&2; exit 1; }
	q "ALTER TABLE jobs ENABLE TRIGGER jobs_notify"
	res "ceiling enqueue_$1 $(awk '/^tps = / { printf "%.0f", $3 }' "$dir/pgbench.out")"
}

echo "== measuring: $N no-op jobs per drain, ${SECS} s per enqueue figure (a few minutes)"
"$top_builddir/tests/bench/ceiling-sql" drain >"$dir/claim.sql"
"$top_builddir/tests/bench/ceiling-sql" insert >"$dir/insert.sql"
for w in 1 4; do
	drain us "$w" "$w"; ceiling_drain "$w"
	drain gw "$w" "$w"; drain boss "$w" "$w"
done
drain us 1 best best; drain us 4 best4 best
drain gw 1 best best
drain boss 1 best best
for c in 1 4 32; do
	enqueue us "$c"; ceiling_enqueue "$c"
	enqueue gw "$c"; enqueue boss "$c"
done
for s in us gw boss; do pickup "$s"; done

echo
machine
echo "peers: $GW (concurrency 1 per worker; best: concurrency 10, local queue 100, batched completion),"
echo "       $BOSS (batch 1, polling 0.5 s, its minimum; best: batch 100); us: captionacc-runner processes"
echo "       (best: the faster of 1 and 4 runners, with and without run --prefetch $PREFETCH),"
echo "       enqueue = the webhook through nginx and captionacc-fcgi. Ceilings: pgbench running our exact"
echo "       statements (claim + fused completion; the webhook's insert without the NOTIFY trigger)."
us_best=0
for l in drain_1 drain_4 drain_best drain_best4; do [ "$(get us "$l")" -le "$us_best" ] || us_best=$(get us "$l"); done
printf '%-34s %12s %12s %12s %10s\n' "" "captionacc" "graphile" "pg-boss" "ceiling"
row() { printf '%-34s %12s %12s %12s %10s\n' "$1" "$(get us "$2")" "$(get gw "$2")" "$(get boss "$2")" "$3"; }
row "drain, 1 worker (jobs/s)" drain_1 "$(get ceiling drain_1)"
row "drain, 4 workers (jobs/s)" drain_4 "$(get ceiling drain_4)"
printf '%-34s %12s %12s %12s %10s\n' "drain, each system's best" "$us_best" "$(get gw drain_best)" \
	"$(get boss drain_best)" ""
row "transactions/fsyncs per job, 1 w." cost_1 "$(get ceiling cost_1)"
row "transactions/fsyncs per job, 4 w." cost_4 "$(get ceiling cost_4)"
row "  (at each system's best)" cost_best ""
row "enqueue, 1 client (jobs/s)" enqueue_1 "$(get ceiling enqueue_1)"
row "enqueue, 4 clients (jobs/s)" enqueue_4 "$(get ceiling enqueue_4)"
row "enqueue, 32 clients (jobs/s)" enqueue_32 "$(get ceiling enqueue_32)"
row "pick-up p50/p99 (ms)" pickup ""
row "peak RSS per worker (MiB), 1 w." rss_1 ""
echo
awk -v u1="$(get us drain_1)" -v u4="$(get us drain_4)" -v g1="$(get gw drain_1)" -v g4="$(get gw drain_4)" \
	-v c1="$(get ceiling drain_1)" -v c4="$(get ceiling drain_4)" -v e="$(get us enqueue_32)" \
	-v ce="$(get ceiling enqueue_32)" 'BEGIN {
	printf "ratios: drain/ceiling %.2f (1 w.), %.2f (4 w.) (target >= 0.80); drain/graphile-worker %.2f (1 w., target >= 1.2), %.2f (4 w., target >= 1.5);\n", u1 / c1, u4 / c4, u1 / g1, u4 / g4
	printf "        webhook ingest / insert ceiling at 32 clients %.2f (target >= 0.60)\n", e / ce
}'
awk -v p1="$(get us drain_best)" -v p4="$(get us drain_best4)" -v gb="$(get gw drain_best)" -v n="$PREFETCH" 'BEGIN {
	printf "        run --prefetch %d: %d jobs/s (1 runner), %d (4 runners) = %.2f / %.2f x graphile-worker'"'"'s best (target >= 0.5)\n", n, p1, p4, p1 / gb, p4 / gb
}'
