-- 008_wakeups: an enqueue notifies (NOTIFY captionacc_jobs) only while a runner waits for work. Every NOTIFY
-- takes PostgreSQL's notification lock until its transaction has committed, fsync included, so notifying on
-- every insert serialised all enqueues' commits; most enqueues happen while runners are busy or absent.
-- A runner about to wait says so here (shared/queue/queue.c, queue_wait_register) and then takes the
-- lock below exclusively for a moment, which waits for every enqueue that did not see its row to commit;
-- its next claim sees those jobs, and every later enqueue sees the row and notifies. A claim that finds
-- a job deletes the runner's row. Rows of runners whose session is gone are pruned by the runners.
CREATE UNLOGGED TABLE queue_waiters (
    worker text PRIMARY KEY,
    pid    integer NOT NULL,   -- the waiting runner's backend (pg_backend_pid)
    since  timestamptz NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION captionacc_jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Held until this transaction ends; shared with other enqueues, exclusive for a registering runner.
    -- 1128351057 is 'CAEQ'; shared/queue/queue.c names the same constant (QUEUE_ENQUEUE_LOCK).
    PERFORM pg_advisory_xact_lock_shared(1128351057);
    IF EXISTS (SELECT 1 FROM queue_waiters) THEN
        PERFORM pg_notify('captionacc_jobs', '');
    END IF;
    RETURN NULL;
END $$;
