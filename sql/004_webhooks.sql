-- 004_webhooks: signed webhooks (WEBHOOK_SIGNING_SECRET): the first 200/202 answer to each webhook-id, so a
-- delivery repeated within the time window (a retry, or a captured request replayed) gets that answer
-- again and queues nothing. captionacc-fcgi deletes rows older than twice the window (at most once a
-- minute per process); a repeat after the window is refused by its timestamp before this table is read.
CREATE TABLE webhook_deliveries (
    webhook_id  text PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now(),
    status      int NOT NULL,
    answer      jsonb NOT NULL
);
CREATE INDEX webhook_deliveries_received_idx ON webhook_deliveries (received_at);
