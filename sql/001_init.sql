-- 001_init: the tables of SPEC §5. Applied by `captionacc-runner migrate` inside the schema DB_SCHEMA
-- (the runner sets search_path), in one transaction, recorded in schema_migrations.

CREATE TABLE videos (
    id                          text PRIMARY KEY,
    tenant_id                   text NOT NULL,
    storage_key                 text NOT NULL,
    status                      text NOT NULL DEFAULT 'uploading'
                                CHECK (status IN ('uploading', 'processing', 'active', 'error')),
    error_message               text,
    frame_count                 integer,
    duration_seconds            double precision,
    frame_width                 integer,
    frame_height                integer,
    video_codec                 text,
    bitrate                     bigint,
    ocr_box_count               integer,
    failed_ocr_count            integer,
    processing_duration_seconds double precision,
    full_frames_key             text,
    raw_ocr_db_key              text,
    layout_db_key               text,
    crop_left                   double precision,
    crop_top                    double precision,
    crop_right                  double precision,
    crop_bottom                 double precision,
    layout_version              integer,
    cropped_frames_key          text,
    caption_frame_extents_key   text,
    captions_db_key             text,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX videos_tenant_idx ON videos (tenant_id);

CREATE TABLE user_profiles (
    id             text PRIMARY KEY,
    tenant_id      text NOT NULL,
    access_tier_id text NOT NULL DEFAULT 'demo',
    email          text,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_profiles_tenant_idx ON user_profiles (tenant_id);

-- One lock per (video, database): a server holder (the runner) or a client holder (the web app).
CREATE TABLE video_database_state (
    video_id        text NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    database_name   text NOT NULL,
    lock_holder     text,
    lock_type       text CHECK (lock_type IN ('server', 'client')),
    locked_at       timestamptz,
    lock_expires_at timestamptz,
    version         integer NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (video_id, database_name),
    CHECK ((lock_holder IS NULL) = (lock_type IS NULL))
);

CREATE TABLE jobs (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    flow             text NOT NULL,
    tenant_id        text NOT NULL,
    -- no foreign key: the webhook queues the job before the runner records the video in videos
    video_id         text,
    parameters       jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(parameters) = 'object'),
    metadata         jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
    priority         integer NOT NULL,
    base_priority    integer NOT NULL,
    age_anchor       timestamptz NOT NULL DEFAULT now(),
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'running', 'retry', 'completed', 'failed', 'cancelled')),
    attempt          integer NOT NULL DEFAULT 0,
    max_attempts     integer NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
    run_after        timestamptz NOT NULL DEFAULT now(),
    lease_owner      text,
    lease_expires_at timestamptz,
    lease_token      uuid,
    idempotency_key  text UNIQUE,
    error_message    text,
    result           jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_video_idx ON jobs (video_id);
CREATE INDEX jobs_status_idx ON jobs (status);

CREATE TABLE job_steps (
    job_id        uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    step_index    integer NOT NULL,
    name          text NOT NULL,
    status        text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
    result        jsonb,
    error_message text,
    attempt       integer NOT NULL DEFAULT 1,
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    PRIMARY KEY (job_id, step_index)
);
