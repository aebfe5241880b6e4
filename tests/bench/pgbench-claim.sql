-- pgbench-claim.sql: the ceiling for the drain benchmark: claim one job exactly as the runner does
-- (FOR UPDATE SKIP LOCKED, lease token), then complete it, each in its own transaction.
UPDATE jobs j SET status = 'running', attempt = j.attempt + 1, lease_owner = 'pgbench',
  lease_token = gen_random_uuid(), lease_expires_at = now() + make_interval(secs => 300),
  started_at = COALESCE(j.started_at, now()), updated_at = now()
 FROM (SELECT id FROM jobs WHERE status IN ('pending', 'retry') AND run_after <= now()
       ORDER BY priority DESC, age_anchor, id LIMIT 1 FOR UPDATE SKIP LOCKED) c
 WHERE j.id = c.id
 RETURNING j.id AS job_id, j.lease_token AS token \gset
UPDATE jobs SET status = 'completed', result = '{}'::jsonb, error_message = NULL, finished_at = now(),
  updated_at = now(), lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
 WHERE id = :job_id AND lease_token = :token AND status = 'running';
