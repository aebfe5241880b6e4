-- 010_figures: the runners' and the web service's own figures for GET /metrics, kept as small as 009's:
-- step durations, GPU call durations and outcomes, lock refusals and waits, HTTP answers by route and code.
-- The runner carries its figures on writes it makes anyway (a step's row, a lock's acquisition: a CTE of
-- the same statement appends to metric_events, fenced by the lease like the write), so no job pays an
-- extra transaction. captionacc_metrics_fold() moves them into metric_stats: one row per series and
-- histogram bucket (not cumulative). captionacc-fcgi adds its answers' counts to metric_stats directly,
-- as deltas at most once a second per process (fcgi/answers.c).
CREATE TABLE metric_events (
    metric  text NOT NULL,              -- step, gpu, lock_wait, lock_refused
    l1      text NOT NULL DEFAULT '',   -- step, gpu: flow / function; lock_*: the database
    l2      text NOT NULL DEFAULT '',   -- step: step name; gpu: backend
    l3      text NOT NULL DEFAULT '',   -- step, gpu: outcome
    seconds double precision            -- NULL: counted only
);

CREATE TABLE metric_stats (
    metric      text NOT NULL,
    l1          text NOT NULL,
    l2          text NOT NULL,
    l3          text NOT NULL,
    -- 0: counted without a duration; k >= 1: durations in (bound k-1, bound k] of
    -- captionacc_metric_bounds(), the last (one past the bounds) above them all
    bucket      integer NOT NULL,
    n           bigint NOT NULL DEFAULT 0,
    seconds_sum double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (metric, l1, l2, l3, bucket)
);

-- The histograms' upper bounds in seconds: milliseconds (database steps) to an hour (GPU work).
CREATE FUNCTION captionacc_metric_bounds() RETURNS double precision[] LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800,
                 3600]::double precision[]
$$;

-- Jobs that found a lock held, from their first refusal until they get it (lock_acquire, shared/queue/lock.c):
-- only the jobs waiting now, so it stays small.
CREATE TABLE lock_waits (
    job_id        uuid PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    database_name text NOT NULL,
    since         timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION captionacc_metrics_fold_figures() RETURNS bigint LANGUAGE sql AS $$
    WITH e AS (DELETE FROM metric_events RETURNING *),
    g AS (SELECT metric, l1, l2, l3,
                 CASE WHEN seconds IS NULL THEN 0 ELSE
                     1 + (SELECT count(*) FROM unnest(captionacc_metric_bounds()) b WHERE b < seconds)::integer
                 END AS bucket,
                 count(*) AS n, COALESCE(sum(seconds), 0) AS s
          FROM e GROUP BY 1, 2, 3, 4, 5),
    u AS (INSERT INTO metric_stats AS m (metric, l1, l2, l3, bucket, n, seconds_sum)
          SELECT metric, l1, l2, l3, bucket, n, s FROM g ORDER BY 1, 2, 3, 4, 5
          ON CONFLICT (metric, l1, l2, l3, bucket) DO UPDATE SET n = m.n + EXCLUDED.n,
              seconds_sum = m.seconds_sum + EXCLUDED.seconds_sum
          RETURNING 1),
    -- a job that ended (cancelled, failed) while it waited for a lock waits no more
    gone AS (DELETE FROM lock_waits w USING jobs j WHERE j.id = w.job_id
             AND j.status IN ('completed', 'failed', 'cancelled'))
    SELECT COALESCE(sum(n), 0)::bigint FROM g
$$;

-- The fold runners and scrapes call: 009's job events, then these figures.
ALTER FUNCTION captionacc_metrics_fold() RENAME TO captionacc_metrics_fold_jobs;
CREATE FUNCTION captionacc_metrics_fold() RETURNS bigint LANGUAGE sql AS $$
    SELECT captionacc_metrics_fold_jobs() + captionacc_metrics_fold_figures()
$$;
