-- 005_actions: what the users' endpoints need of the jobs table.
-- An action repeated while its identical job still waits or runs returns that job: the job's dedupe key
-- (a digest of its flow, tenant, video and parameters) is unique among pending, retry and running jobs.
ALTER TABLE jobs ADD COLUMN dedupe_key text;
CREATE UNIQUE INDEX jobs_active_dedupe_idx ON jobs (dedupe_key)
    WHERE dedupe_key IS NOT NULL AND status IN ('pending', 'retry', 'running');
-- A video's jobs, newest first (GET /videos/{id}/jobs), within its tenant.
CREATE INDEX jobs_tenant_video_idx ON jobs (tenant_id, video_id, created_at DESC);
