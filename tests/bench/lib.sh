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
