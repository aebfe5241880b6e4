-- pgbench-insert.sql: the ceiling for the webhook benchmark: one job row of the same shape as the
-- webhook's, inserted and committed per transaction (prepared, synchronous_commit=on). The JSON is built
-- with jsonb_build_* because pgbench would read ":name" inside literals as its own variables.
INSERT INTO jobs (flow, tenant_id, video_id, parameters, metadata, priority, base_priority, age_anchor,
                  idempotency_key, max_attempts)
VALUES ('video_initial_processing', 'pgbench-tenant', NULL,
        jsonb_build_object('video_id', 'v', 'tenant_id', 'pgbench-tenant',
                           'storage_key', 'pgbench-tenant/videos/v.mp4'),
        jsonb_build_object('tags', jsonb_build_array('tenant' || ':' || 'pgbench-tenant', 'tier' || ':' || 'free',
                                                     'priority' || ':' || '70', 'age-boosting' || ':' || 'enabled'),
                           'tier', 'free', 'triggered_by', 'supabase_webhook'),
        70, 50, now(), 'pgbench' || ':' || gen_random_uuid(), 5);
