-- 007_backfill: reprocessing history month by month (SPEC §9). One backfill_log row per (year, month); the
-- scheduler hands a month over by queuing one video_initial_processing job (or Prefect flow run) per video
-- created that month, remembered in backfill_jobs, and the month is completed when the last of them ends.
-- (Numbered 007 on purpose: 006 belongs to another branch; `migrate` applies whatever is not recorded.)
CREATE TABLE backfill_log (
    year             integer NOT NULL CHECK (year BETWEEN 1970 AND 9999),
    month            integer NOT NULL CHECK (month BETWEEN 1 AND 12),
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'retry')),
    retry_count      integer NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
    -- the batch size it was seeded with, then that of the scheduling call that took it
    batch_size       integer NOT NULL DEFAULT 20 CHECK (batch_size BETWEEN 1 AND 50),
    -- the pipeline version this month is reprocessed to (part of its jobs' idempotency keys)
    pipeline_version integer NOT NULL DEFAULT 1 CHECK (pipeline_version >= 1),
    videos_found     integer NOT NULL DEFAULT 0,
    videos_queued    integer NOT NULL DEFAULT 0,
    videos_completed integer NOT NULL DEFAULT 0,
    videos_failed    integer NOT NULL DEFAULT 0,
    success_rate     numeric(5, 2) NOT NULL DEFAULT 0,  -- completed / found * 100, 0 when nothing was found
    started_at       timestamptz,
    completed_at     timestamptz,
    last_retry_at    timestamptz,
    error_message    text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (year, month)
);
-- Candidates newest first; the most recently active rows (stats).
CREATE INDEX backfill_log_candidates_idx ON backfill_log (year DESC, month DESC)
    WHERE status IN ('pending', 'retry', 'failed');
CREATE INDEX backfill_log_recent_idx ON backfill_log (updated_at DESC);

-- The jobs (local job ids or Prefect flow run ids: a Prefect run's jobs row has the run's id) a month was
-- handed over as. A run not yet taken by a runner has no jobs row: it counts as still open.
CREATE TABLE backfill_jobs (
    job_id   uuid PRIMARY KEY,
    year     integer NOT NULL,
    month    integer NOT NULL,
    video_id text NOT NULL,
    FOREIGN KEY (year, month) REFERENCES backfill_log (year, month) ON DELETE CASCADE
);
CREATE INDEX backfill_jobs_month_idx ON backfill_jobs (year, month);

-- A month's videos are found by created_at.
CREATE INDEX videos_created_idx ON videos (created_at);
