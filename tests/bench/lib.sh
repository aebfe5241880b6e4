# lib.sh: sourced by the benchmarks after stack.sh's env: the machine and date every figure is printed
# with, and what a piece of work cost the database, read from PostgreSQL's own counters.
machine() {
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
	echo "machine: $(uname -n), ${cpu:-unknown CPU}, $(nproc) cores (shared), $(uname -sr); $($PSQL -c "SHOW server_version" | cut -d' ' -f1) fsync on, synchronous_commit on; date: $(date -u '+%Y-%m-%d %H:%M UTC')"
}
# Counters are read through the database "postgres", so reading does not count in the measured one.
other_psql() { echo "$PSQL" | sed 's/-d captionacc/-d postgres/'; }
# counters DB: "transactions wal_fsyncs" (xact_commit + xact_rollback of DB; the cluster's WAL syncs)
# once nobody is connected to DB and the transaction counter has stopped moving (a session's counts
# reach the statistics as it exits).
counters() {
	o=$(other_psql)
	t=300
	while [ "$($o -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$1'")" != 0 ]; do
		t=$((t - 1)); [ "$t" -gt 0 ] || break
		sleep 0.1
	done
	q1="SELECT (SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '$1') || ' ' || wal_sync FROM pg_stat_wal"
	a=$($o -c "$q1"); sleep 0.3; b=$($o -c "$q1")
	while [ "${a% *}" != "${b% *}" ]; do a=$b; sleep 0.3; b=$($o -c "$q1"); done
	echo "$b"
}
# per_job BEFORE AFTER N: "transactions/job wal_fsyncs/job"
per_job() {
	echo "$1 $2" | awk -v n="$3" '{ printf "%.2f %.2f", ($3 - $1) / n, ($4 - $2) / n }'
}
# pickup_jobs N TENANT: inserts N no-op jobs 20 ms apart from one kept connection (pgbench, prepared), as
# captionacc-fcgi does (a new psql per job would time a fresh backend's first insert: catalogs loaded, the
# trigger compiled; pickup_figures reads the result).
pickup_jobs() {
	printf "%s\n" "INSERT INTO jobs (flow, tenant_id, parameters, priority, base_priority) VALUES ('noop', '$2', '{}', 50, 50);" \
		'\sleep 20 ms' >"$dir/pickup.sql"
	$PGBENCH -n -M prepared -c 1 -t "$1" -h "$STACK_DIR/pgsock" -U postgres -f "$dir/pickup.sql" captionacc \
		>"$dir/pickup.out" 2>&1 || { cat "$dir/pickup.out" >&2; exit 1; }
}
# pickup_figures: "p50 p99 n" of inserted -> claimed (ms) over the completed jobs.
pickup_figures() {
	$PSQL -c "SELECT round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - created_at)) * 1000)::numeric, 2)
		|| ' ' || round((percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - created_at)) * 1000)::numeric, 2)
		|| ' ' || count(*) FROM jobs WHERE status = 'completed'"
}
