-- 003_prefect: with QUEUE_BACKEND=prefect, Prefect schedules the work and a runner keeps one jobs row per
-- flow run (id = the flow run's id, backend 'prefect') for step checkpoints, lease fencing and history.
-- Those rows are never claimed from the local queue.
ALTER TABLE jobs ADD COLUMN backend text NOT NULL DEFAULT 'local' CHECK (backend IN ('local', 'prefect'));
DROP INDEX jobs_claim_idx;
CREATE INDEX jobs_claim_idx ON jobs (priority DESC, age_anchor, id)
    WHERE status IN ('pending', 'retry') AND backend = 'local';
