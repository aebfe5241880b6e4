# flow-jobs.sh: sourced by the integration tests that run flows against a throwaway PostgreSQL and the
# Modal double (after check.sh): starting that stack, queueing jobs as the webhook and the actions do,
# reading their state, and a status history of every video.

# flow_stack_start: PostgreSQL (short retries, a minute's lock wait) and the Modal double; the runner's
# log in $dir/runner.log unless a runner's environment says otherwise.
flow_stack_start() {
	EXTRA_CONFIG="RETRY_BASE_MS = 50
RETRY_MAX_MS = 200
LOCK_WAIT_SECONDS = 60
MODAL_KEY = wk-test
MODAL_SECRET = ws-test-secret
MODAL_POLL_INTERVAL_MS = 50" "$stack" start-db "$dir"
	MODAL_DOUBLE_KEY=wk-test MODAL_DOUBLE_SECRET=ws-test-secret "$stack" modal-start "$dir"
	. "$dir/env"
	export LOG_FILE="$dir/runner.log" PGOPTIONS="-c client_min_messages=warning"
}
q() { $PSQL -c "$1"; }
# initial VIDEO [MAX_ATTEMPTS]: queues video_initial_processing as the webhook does; prints the job id
initial() {
	q "INSERT INTO jobs (flow, tenant_id, video_id, parameters, priority, base_priority, max_attempts)
	   VALUES ('video_initial_processing', 'tn', '$1',
	           jsonb_build_object('video_id', '$1', 'tenant_id', 'tn', 'storage_key', 'tn/videos/$1.mp4'),
	           50, 50, ${2:-5}) RETURNING id"
}
# crop VIDEO [MAX_ATTEMPTS]: queues crop_and_infer as the action does; prints the job id
crop() {
	q "INSERT INTO jobs (flow, tenant_id, video_id, parameters, priority, base_priority, max_attempts)
	   VALUES ('crop_and_infer', 'tn', '$1', jsonb_build_object('video_id', '$1', 'tenant_id', 'tn',
	   'crop_region', '{\"crop_left\": 0.1, \"crop_top\": 0.8, \"crop_right\": 0.9, \"crop_bottom\": 0.95}'::jsonb),
	   70, 70, ${2:-5}) RETURNING id"
}
job_state() { q "SELECT status || ' ' || attempt FROM jobs WHERE id = '$1'"; }
video() { q "SELECT $2 FROM videos WHERE id = '$1'"; }
# lock_of VIDEO: who holds the video's layout lock, or "free"
lock_of() { q "SELECT coalesce(lock_holder, 'free') FROM video_database_state WHERE video_id = '$1' AND database_name = 'layout'"; }
# status_log: every status a video takes, in order, kept by a trigger of the test's own
status_log_start() {
	q "CREATE TABLE status_log (n bigserial, video_id text, status text);
	   CREATE FUNCTION log_status() RETURNS trigger LANGUAGE plpgsql AS
	   \$\$ BEGIN INSERT INTO status_log (video_id, status) VALUES (NEW.id, NEW.status); RETURN NULL; END \$\$;
	   CREATE TRIGGER videos_status AFTER INSERT OR UPDATE OF status ON videos FOR EACH ROW
	   EXECUTE FUNCTION log_status();"
}
