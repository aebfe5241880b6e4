-- 006_fencing: a lock records the claim that took it (the job's lease token), beside the job it names.
-- Taking, renewing and releasing a job's lock is fenced by that job's lease (shared/queue/lock.c), so a
-- runner that lost its job can no longer touch the lock of the runner that took the job over.
ALTER TABLE video_database_state ADD COLUMN lock_token uuid;
