-- 009_metrics: what GET /metrics reads, kept so a scrape costs the same at 10 jobs or 1,000,000.
-- Every change of a job's status appends one row to job_events (an insert: no row lock shared by
-- concurrent runners, so no contention and no deadlock). captionacc_metrics_fold() moves them into
-- job_stats, one row per (flow, status): jobs now in that status, how often jobs entered it (a counter
-- that never goes back), and for the end statuses the durations (started or created -> finished) as
-- histogram buckets. The runners fold every 10 s and each scrape folds first, so job_events stays small.
CREATE TABLE job_events (
    flow    text NOT NULL,
    status  text NOT NULL,
    delta   integer NOT NULL,           -- +1 entered, -1 left
    seconds double precision            -- with +1 into completed/failed/cancelled: the job's duration
);

CREATE TABLE job_stats (
    flow        text NOT NULL,
    status      text NOT NULL,
    current     bigint NOT NULL DEFAULT 0,
    entered     bigint NOT NULL DEFAULT 0,
    seconds_sum double precision NOT NULL DEFAULT 0,
    -- durations of the jobs that ended in this status, per bucket (not cumulative): <= 1, 10, 60, 300,
    -- 1800, 3600 s; above that only in entered
    b1 bigint NOT NULL DEFAULT 0, b10 bigint NOT NULL DEFAULT 0, b60 bigint NOT NULL DEFAULT 0,
    b300 bigint NOT NULL DEFAULT 0, b1800 bigint NOT NULL DEFAULT 0, b3600 bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (flow, status)
);

CREATE FUNCTION captionacc_job_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status = NEW.status AND OLD.flow = NEW.flow THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO job_events (flow, status, delta) VALUES (OLD.flow, OLD.status, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO job_events (flow, status, delta, seconds) VALUES (NEW.flow, NEW.status, 1,
            CASE WHEN NEW.status IN ('completed', 'failed', 'cancelled') THEN
                greatest(0, extract(epoch FROM COALESCE(NEW.finished_at, now())
                                               - COALESCE(NEW.started_at, NEW.created_at))) END);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER jobs_events AFTER INSERT OR DELETE OR UPDATE OF status, flow ON jobs
    FOR EACH ROW EXECUTE FUNCTION captionacc_job_event();

-- TRUNCATE fires no row trigger: no job is in any status any more (the counters keep their totals).
CREATE FUNCTION captionacc_jobs_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM job_events;
    UPDATE job_stats SET current = 0;
    RETURN NULL;
END $$;
CREATE TRIGGER jobs_truncated AFTER TRUNCATE ON jobs FOR EACH STATEMENT EXECUTE FUNCTION captionacc_jobs_truncated();

-- Folds the events appended so far into job_stats (concurrent folds each take disjoint events; rows are
-- updated in key order, so two folds never deadlock). Returns how many events it folded.
CREATE FUNCTION captionacc_metrics_fold() RETURNS bigint LANGUAGE sql AS $$
    WITH e AS (DELETE FROM job_events RETURNING *),
    g AS (SELECT flow, status, sum(delta) AS d, count(*) FILTER (WHERE delta > 0) AS n,
                 COALESCE(sum(seconds), 0) AS s,
                 count(*) FILTER (WHERE seconds <= 1) AS b1,
                 count(*) FILTER (WHERE seconds > 1 AND seconds <= 10) AS b10,
                 count(*) FILTER (WHERE seconds > 10 AND seconds <= 60) AS b60,
                 count(*) FILTER (WHERE seconds > 60 AND seconds <= 300) AS b300,
                 count(*) FILTER (WHERE seconds > 300 AND seconds <= 1800) AS b1800,
                 count(*) FILTER (WHERE seconds > 1800 AND seconds <= 3600) AS b3600,
                 count(*) AS events
          FROM e GROUP BY flow, status),
    u AS (INSERT INTO job_stats AS j (flow, status, current, entered, seconds_sum, b1, b10, b60, b300, b1800, b3600)
          SELECT flow, status, d, n, s, b1, b10, b60, b300, b1800, b3600 FROM g ORDER BY flow, status
          ON CONFLICT (flow, status) DO UPDATE SET current = j.current + EXCLUDED.current,
              entered = j.entered + EXCLUDED.entered, seconds_sum = j.seconds_sum + EXCLUDED.seconds_sum,
              b1 = j.b1 + EXCLUDED.b1, b10 = j.b10 + EXCLUDED.b10, b60 = j.b60 + EXCLUDED.b60,
              b300 = j.b300 + EXCLUDED.b300, b1800 = j.b1800 + EXCLUDED.b1800, b3600 = j.b3600 + EXCLUDED.b3600
          RETURNING 1)
    SELECT COALESCE(sum(events), 0)::bigint FROM g
$$;

-- The jobs already there: their current statuses, and the end statuses' durations.
INSERT INTO job_events (flow, status, delta, seconds)
    SELECT flow, status, 1, CASE WHEN status IN ('completed', 'failed', 'cancelled') THEN
        greatest(0, extract(epoch FROM COALESCE(finished_at, updated_at) - COALESCE(started_at, created_at))) END
    FROM jobs;
SELECT captionacc_metrics_fold();

-- The oldest waiting job, without reading the whole backlog.
CREATE INDEX jobs_waiting_created_idx ON jobs (created_at) WHERE status IN ('pending', 'retry');

-- The status page: the last hour's ended jobs and the last failures, without reading finished history.
CREATE INDEX jobs_finished_idx ON jobs (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX jobs_failed_idx ON jobs (finished_at DESC) WHERE status = 'failed';
