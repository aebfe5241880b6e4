-- signed_webhook.sql: for the Supabase project's database (not captionacc's): a trigger that sends each
-- INSERT into public.videos to captionacc-fcgi as Supabase's database webhooks do (pg_net, after commit,
-- body {"type","table","schema","record","old_record"}), with the bearer secret and a Standard Webhooks
-- signature (webhook-id, webhook-timestamp, webhook-signature), for WEBHOOK_SIGNING_SECRET.
--
-- Needs the extensions pg_net (schema net) and pgcrypto (schema extensions), both on by default in
-- Supabase projects. Run this file as postgres (SQL editor, or psql -f); running it again is harmless.
-- Then store the settings (once; again to change them):
--
--     INSERT INTO captionacc_private.webhook_settings (url, bearer_secret, signing_secret)
--     VALUES ('https://<host>/webhooks/supabase/videos', '<WEBHOOK_SECRET>', '<WEBHOOK_SIGNING_SECRET>')
--     ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, bearer_secret = EXCLUDED.bearer_secret,
--         signing_secret = EXCLUDED.signing_secret;
--
-- The secrets live in a table of their own schema, which no other role may use (not GUCs, which every
-- role can read with current_setting()); the trigger function runs as its owner to read it. While
-- rotating WEBHOOK_SECRET, store the new secret here once captionacc has both. Without a settings row the
-- trigger sends nothing and warns; it never makes an INSERT into videos fail. UPDATE and DELETE are
-- handled too (Supabase's shapes), for a trigger created for them; captionacc answers those "ignored".

CREATE SCHEMA IF NOT EXISTS captionacc_private;
REVOKE ALL ON SCHEMA captionacc_private FROM PUBLIC;

CREATE TABLE IF NOT EXISTS captionacc_private.webhook_settings (
    id                   boolean PRIMARY KEY DEFAULT true CHECK (id),  -- one row
    url                  text NOT NULL CHECK (url ~ '^https?://'),
    bearer_secret        text NOT NULL CHECK (bearer_secret <> '' AND bearer_secret !~ '[,[:space:]]'),
    signing_secret       text NOT NULL CHECK (signing_secret ~ '^whsec_[A-Za-z0-9+/]+={0,2}$'),
    timeout_milliseconds integer NOT NULL DEFAULT 2000 CHECK (timeout_milliseconds > 0)
);
REVOKE ALL ON captionacc_private.webhook_settings FROM PUBLIC;

-- The signature: base64 of HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>"), the key being
-- the bytes after whsec_ and the body exactly the bytes pg_net sends (the jsonb's text, in UTF-8).
CREATE OR REPLACE FUNCTION captionacc_private.signed_webhook() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    s         captionacc_private.webhook_settings;
    payload   jsonb;
    msg_id    text := gen_random_uuid()::text;
    -- the clock now, not the transaction's start: the window counts from here
    stamp     text := floor(extract(epoch FROM clock_timestamp()))::bigint::text;
    signature text;
BEGIN
    SELECT * INTO s FROM captionacc_private.webhook_settings WHERE id;
    IF NOT FOUND THEN
        RAISE WARNING 'captionacc_private.webhook_settings is empty: no webhook sent for %.%',
            TG_TABLE_SCHEMA, TG_TABLE_NAME;
        RETURN NULL;
    END IF;
    -- as supabase_functions.http_request builds it (OLD is NULL on INSERT, NEW on DELETE)
    payload := jsonb_build_object('old_record', OLD, 'record', NEW, 'type', TG_OP, 'table', TG_TABLE_NAME,
        'schema', TG_TABLE_SCHEMA);
    signature := encode(extensions.hmac(
        convert_to(msg_id || '.' || stamp || '.' || payload::text, 'UTF8'),
        decode(substr(s.signing_secret, 7), 'base64'), 'sha256'), 'base64');
    PERFORM net.http_post(
        url := s.url,
        body := payload,
        params := '{}'::jsonb,
        headers := jsonb_build_object(
            'Content-Type', 'application/json',
            'Authorization', 'Bearer ' || s.bearer_secret,
            'webhook-id', msg_id,
            'webhook-timestamp', stamp,
            'webhook-signature', 'v1,' || signature),
        timeout_milliseconds := s.timeout_milliseconds);
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION captionacc_private.signed_webhook() FROM PUBLIC;

DROP TRIGGER IF EXISTS captionacc_signed_webhook ON public.videos;
CREATE TRIGGER captionacc_signed_webhook AFTER INSERT ON public.videos
    FOR EACH ROW EXECUTE FUNCTION captionacc_private.signed_webhook();
