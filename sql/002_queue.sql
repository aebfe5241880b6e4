-- 002_queue: what the runner needs to claim fast and wake fast.
-- Claim order: highest priority (kept current by the runner's ageing pass), then oldest age anchor, then id.
-- The partial index holds only claimable rows, so a claim stays an index probe at a backlog of 1,000,000.
CREATE INDEX jobs_claim_idx ON jobs (priority DESC, age_anchor, id) WHERE status IN ('pending', 'retry');
-- Expired leases (a runner died) are found without scanning finished jobs.
CREATE INDEX jobs_lease_idx ON jobs (lease_expires_at) WHERE status = 'running';
DROP INDEX jobs_status_idx;
CREATE INDEX jobs_status_idx ON jobs (status) WHERE status NOT IN ('completed', 'failed', 'cancelled');

-- A waiting `captionacc-runner run --wait` is woken at once when work is queued.
CREATE FUNCTION captionacc_jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('captionacc_jobs', '');
    RETURN NULL;
END $$;
CREATE TRIGGER jobs_notify AFTER INSERT ON jobs FOR EACH STATEMENT EXECUTE FUNCTION captionacc_jobs_notify();

-- Housekeeping shared by all runners (ageing of priorities, gated to one pass in 10 s).
CREATE TABLE runner_maintenance (
    name    text PRIMARY KEY,
    last_at timestamptz NOT NULL
);
