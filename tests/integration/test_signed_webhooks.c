/* test_signed_webhooks.c: the hardened webhook through real nginx, spawn-fcgi'd captionacc-fcgi and a
 * throwaway PostgreSQL (started by signed_webhooks.sh with WEBHOOK_SIGNING_SECRET, a 5 s window and two
 * bearer secrets): both rotated secrets are accepted and a third is not; a valid signature is 202, while
 * missing headers, a bad signature, another key, a tampered body and a timestamp outside the window are
 * 401 with nothing queued; a webhook-id repeated within the window gets the first answer again (even
 * after the job changed) and queues nothing, an error answer is not kept, old answers are deleted, and
 * after the window the same request is 401. sql/supabase/signed_webhook.sql runs in a second database
 * with pg_net stubbed (net.http_post records what it would send): what it sends verifies with
 * signature_verify and is accepted by the stack. No secret or signature reaches the log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shared/signature.h"
#include "tests/integration/support.h"

static const char *base_url, *conninfo, *stack_dir, *whsec, *srcdir;
static char current[128], previous[128], webhook_url[512];
static long tolerance;
static PGconn *pg;

/* A request as a sender signs it, kept whole so that it can be sent again byte for byte. */
struct delivery {
	char id[64];
	char timestamp[24];
	char signature[256];  /* the webhook-signature header */
	char *body;           /* owned */
};

/* Ways to spoil a delivery when sending it. */
enum {
	NO_ID = 1,
	NO_TIMESTAMP = 2,
	NO_SIGNATURE = 4
};

static long
count(const char *sql, const char *param)
{
	const char *p[1] = { param };

	return support_sql_long(pg, sql, param ? 1 : 0, p);
}

static long
jobs_of(const char *video)
{
	return count("SELECT count(*) FROM jobs WHERE video_id = $1", video);
}

static long
recorded(const char *id)
{
	return count("SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1", id);
}

static char *
insert_body(const char *video)
{
	char tenant[96], key[256];

	snprintf(tenant, sizeof(tenant), "tenant-%s", video);
	snprintf(key, sizeof(key), "%s/videos/%s.mp4", tenant, video);
	return support_insert_body(video, tenant, key, NULL);
}

/* Signs body (taken) under id, stamped now + skew seconds. */
static void
sign(struct delivery *d, const char *id, char *body, long skew)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->id, sizeof(d->id), "%s", id);
	snprintf(d->timestamp, sizeof(d->timestamp), "%lld", (long long)time(NULL) + skew);
	d->body = body;
	assert_int_equal(signature_sign(whsec, d->id, d->timestamp, body, strlen(body), d->signature,
	    sizeof(d->signature)), 0);
}

/* Sends d with "Authorization: Bearer <bearer>" (NULL: none), leaving out the headers in omit; returns
 * the status, the reply stays in c. */
static long
send_as(const struct delivery *d, const char *bearer, unsigned omit, struct http_call *c)
{
	char auth[256], h[3][320];
	const char *headers[4] = { NULL };
	int n = 0;

	snprintf(auth, sizeof(auth), "Bearer %s", bearer ? bearer : "");
	if (!(omit & NO_ID)) {
		snprintf(h[n], sizeof(h[n]), "webhook-id: %s", d->id);
		headers[n] = h[n];
		n++;
	}
	if (!(omit & NO_TIMESTAMP)) {
		snprintf(h[n], sizeof(h[n]), "webhook-timestamp: %s", d->timestamp);
		headers[n] = h[n];
		n++;
	}
	if (!(omit & NO_SIGNATURE)) {
		snprintf(h[n], sizeof(h[n]), "webhook-signature: %s", d->signature);
		headers[n] = h[n];
	}
	memset(c, 0, sizeof(*c));
	c->method = "POST";
	c->url = webhook_url;
	c->auth = bearer ? auth : NULL;
	c->headers = headers;
	c->body = d->body;
	c->body_len = strlen(d->body);
	return http_one(c);
}

static long
send_one(const struct delivery *d, unsigned omit, struct http_call *c)
{
	return send_as(d, current, omit, c);
}

/* Sends d and expects 401 {"detail":"Unauthorized"}. */
static void
expect_unauthorized(const struct delivery *d, const char *bearer, unsigned omit, const char *what)
{
	struct http_call c;
	json_object *o;

	if (send_as(d, bearer, omit, &c) != 401)
		fail_msg("%s: answered %ld: %s", what, c.reply.status, c.reply.body ? c.reply.body : "");
	o = support_reply_json(&c);
	assert_string_equal(support_json_str(o, "detail"), "Unauthorized");
	json_object_put(o);
	http_reply_free(&c.reply);
}

/* Sends d and expects 202; returns the answer (caller puts). */
static json_object *
expect_accepted(const struct delivery *d, const char *bearer)
{
	struct http_call c;
	json_object *o;

	if (send_as(d, bearer, 0, &c) != 202)
		fail_msg("%s: answered %ld: %s", d->id, c.reply.status, c.reply.body ? c.reply.body : "");
	o = support_reply_json(&c);
	http_reply_free(&c.reply);
	return o;
}

/* ---- old answers are deleted (runs first: each process deletes on its first recorded answer) ---- */

static void
test_old_answers_deleted(void **state)
{
	struct delivery d;

	support_sql_do(pg, "INSERT INTO webhook_deliveries (webhook_id, received_at, status, answer) VALUES"
	    " ('old-delivery', now() - interval '1 day', 202, '{}'), ('recent-delivery', now(), 202, '{}')", 0, NULL);
	sign(&d, "msg-prune", insert_body("video-prune"), 0);
	json_object_put(expect_accepted(&d, current));
	assert_int_equal(recorded("old-delivery"), 0);
	assert_int_equal(recorded("recent-delivery"), 1);
	assert_int_equal(recorded("msg-prune"), 1);
	free(d.body);
}

/* ---- rotation: WEBHOOK_SECRET = current,previous ---- */

static void
test_rotation(void **state)
{
	struct delivery a, b, c;
	char both[300];

	sign(&a, "msg-rot-current", insert_body("video-rot-current"), 0);
	sign(&b, "msg-rot-previous", insert_body("video-rot-previous"), 0);
	sign(&c, "msg-rot-third", insert_body("video-rot-third"), 0);
	json_object_put(expect_accepted(&a, current));
	json_object_put(expect_accepted(&b, previous));
	expect_unauthorized(&c, "third-secret", 0, "a third secret");
	snprintf(both, sizeof(both), "%s,%s", current, previous);
	expect_unauthorized(&c, both, 0, "the whole list as one secret");
	expect_unauthorized(&c, NULL, 0, "no Authorization");
	assert_int_equal(jobs_of("video-rot-current"), 1);
	assert_int_equal(jobs_of("video-rot-previous"), 1);
	assert_int_equal(jobs_of("video-rot-third"), 0);
	free(a.body);
	free(b.body);
	free(c.body);
}

/* ---- signatures ---- */

static void
test_missing_headers(void **state)
{
	static const unsigned omits[] = { NO_ID, NO_TIMESTAMP, NO_SIGNATURE, NO_ID | NO_TIMESTAMP | NO_SIGNATURE };
	struct delivery d;

	sign(&d, "msg-missing", insert_body("video-missing"), 0);
	for (size_t i = 0; i < sizeof(omits) / sizeof(omits[0]); i++)
		expect_unauthorized(&d, current, omits[i], "a header left out");
	assert_int_equal(jobs_of("video-missing"), 0);
	assert_int_equal(recorded("msg-missing"), 0);
	free(d.body);
}

static void
test_bad_signatures(void **state)
{
	static const char *other_key = "whsec_c2Vjb25kLWtleS1ieXRlcy1mb3ItdGhlLXRlc3RzLTMyYg==";
	struct delivery d, t;
	char good[256];

	sign(&d, "msg-bad", insert_body("video-bad"), 0);
	snprintf(good, sizeof(good), "%s", d.signature);
	snprintf(d.signature, sizeof(d.signature), "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	expect_unauthorized(&d, current, 0, "a made-up signature");
	snprintf(d.signature, sizeof(d.signature), "v2,%s", good + 3);
	expect_unauthorized(&d, current, 0, "the right signature as another version");
	snprintf(d.signature, sizeof(d.signature), "%s", "garbage");
	expect_unauthorized(&d, current, 0, "a malformed signature header");
	assert_int_equal(signature_sign(other_key, d.id, d.timestamp, d.body, strlen(d.body), d.signature,
	    sizeof(d.signature)), 0);
	expect_unauthorized(&d, current, 0, "signed with another key");
	snprintf(d.signature, sizeof(d.signature), "%s", good);
	snprintf(d.id, sizeof(d.id), "msg-bad-other-id");
	expect_unauthorized(&d, current, 0, "another webhook-id");
	/* the body of another video under this one's signature */
	sign(&t, "msg-bad", insert_body("video-bad"), 0);
	free(t.body);
	t.body = insert_body("video-tampered");
	expect_unauthorized(&t, current, 0, "a tampered body");
	assert_int_equal(jobs_of("video-bad"), 0);
	assert_int_equal(jobs_of("video-tampered"), 0);
	assert_int_equal(recorded("msg-bad"), 0);
	free(d.body);
	free(t.body);
}

static void
test_outside_window(void **state)
{
	struct delivery old, future, edge;

	sign(&old, "msg-old", insert_body("video-old"), -tolerance - 30);
	sign(&future, "msg-future", insert_body("video-future"), tolerance + 30);
	expect_unauthorized(&old, current, 0, "a timestamp before the window");
	expect_unauthorized(&future, current, 0, "a timestamp after the window");
	assert_int_equal(jobs_of("video-old"), 0);
	assert_int_equal(jobs_of("video-future"), 0);
	/* inside it, a little in the future (clocks differ) */
	sign(&edge, "msg-edge", insert_body("video-edge"), 2);
	json_object_put(expect_accepted(&edge, current));
	free(old.body);
	free(future.body);
	free(edge.body);
}

/* ---- a repeated webhook-id ---- */

static void
test_replay_gets_first_answer(void **state)
{
	struct delivery d;
	json_object *first, *again;
	const char *p[1];

	sign(&d, "msg-replay", insert_body("video-replay"), 0);
	first = expect_accepted(&d, current);
	assert_int_equal(recorded("msg-replay"), 1);
	assert_int_equal(count("SELECT status FROM webhook_deliveries WHERE webhook_id = $1", "msg-replay"), 202);
	/* The job changes (the runner's ageing raises its priority): a delivery processed again would now
	 * answer with the new priority; the repeat gets the first answer. */
	p[0] = support_json_str(first, "flow_run_id");
	support_sql_do(pg, "UPDATE jobs SET priority = priority + 7 WHERE id = $1", 1, p);
	for (int i = 0; i < 3; i++) {
		again = expect_accepted(&d, current);
		if (!json_object_equal(first, again))
			fail_msg("repeat %d answered %s, the first answer was %s", i, json_object_to_json_string(again),
			    json_object_to_json_string(first));
		json_object_put(again);
	}
	/* even with another bearer secret of the list: the same delivery */
	again = expect_accepted(&d, previous);
	assert_true(json_object_equal(first, again));
	json_object_put(again);
	assert_int_equal(jobs_of("video-replay"), 1);
	assert_int_equal(recorded("msg-replay"), 1);
	json_object_put(first);
	free(d.body);
}

/* An error answer is not kept: the same webhook-id can succeed afterwards. */
static void
test_error_answer_not_kept(void **state)
{
	struct delivery bad, good;
	struct http_call c;

	sign(&bad, "msg-retry", strdup("{\"type\":\"INSERT\",\"table\":\"videos\",\"record\":{}}"), 0);
	assert_non_null(bad.body);
	assert_int_equal(send_one(&bad, 0, &c), 400);
	http_reply_free(&c.reply);
	assert_int_equal(recorded("msg-retry"), 0);
	sign(&good, "msg-retry", insert_body("video-retry"), 0);
	json_object_put(expect_accepted(&good, current));
	assert_int_equal(jobs_of("video-retry"), 1);
	assert_int_equal(count("SELECT status FROM webhook_deliveries WHERE webhook_id = $1", "msg-retry"), 202);
	free(bad.body);
	free(good.body);
}

/* UPDATE and DELETE are answered 200 "ignored", and that answer is kept too. */
static void
test_ignored_answer_kept(void **state)
{
	struct delivery d;
	struct http_call c;

	sign(&d, "msg-update", strdup("{\"type\":\"UPDATE\",\"table\":\"videos\",\"record\":{\"id\":\"v\"}}"), 0);
	assert_non_null(d.body);
	assert_int_equal(send_one(&d, 0, &c), 200);
	http_reply_free(&c.reply);
	assert_int_equal(count("SELECT status FROM webhook_deliveries WHERE webhook_id = $1", "msg-update"), 200);
	assert_int_equal(send_one(&d, 0, &c), 200);
	assert_non_null(strstr(c.reply.body, "ignored"));
	http_reply_free(&c.reply);
	free(d.body);
}

/* ---- sql/supabase/signed_webhook.sql, with pg_net stubbed ---- */

static void
exec_script(PGconn *c, const char *sql, const char *what)
{
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", what, PQerrorMessage(c));
	PQclear(r);
}

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n = 0;

	if (f == NULL)
		fail_msg("cannot open %s", path);
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)n + 1)) == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		fail_msg("cannot read %s", path);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* A Supabase project's database, as far as the trigger sees it: pgcrypto in schema extensions, pg_net's
 * net.http_post (here recording what pg_net would send: the body as convert_to(body::text, 'UTF8'),
 * refusing another Content-Type as pg_net does), a videos table and a role of the web app. */
static const char supabase_stubs[] =
	"CREATE SCHEMA extensions;"
	"CREATE EXTENSION pgcrypto WITH SCHEMA extensions;"
	"CREATE SCHEMA net;"
	"CREATE TABLE net.sent (id bigserial PRIMARY KEY, url text NOT NULL, body bytea NOT NULL, params jsonb,"
	"    headers jsonb NOT NULL CHECK (headers->>'Content-Type' = 'application/json'), timeout_milliseconds int);"
	"CREATE FUNCTION net.http_post(url text, body jsonb DEFAULT '{}'::jsonb, params jsonb DEFAULT '{}'::jsonb,"
	"    headers jsonb DEFAULT '{\"Content-Type\": \"application/json\"}'::jsonb,"
	"    timeout_milliseconds int DEFAULT 1000) RETURNS bigint LANGUAGE sql AS $$"
	"  INSERT INTO net.sent (url, body, params, headers, timeout_milliseconds)"
	"  VALUES ($1, convert_to($2::text, 'UTF8'), $3, $4, $5) RETURNING id $$;"
	"CREATE TABLE public.videos (id text PRIMARY KEY, tenant_id text NOT NULL, storage_key text NOT NULL,"
	"    status text NOT NULL DEFAULT 'uploading', created_at timestamptz NOT NULL DEFAULT now());"
	"CREATE ROLE webapp_sim NOLOGIN;"
	"GRANT SELECT, INSERT, UPDATE, DELETE ON public.videos TO webapp_sim;";

/* The n-th request net.http_post recorded, checked and sent on to the stack; returns its status. The
 * payload must have the type and, for the record and old_record, objects or null as asked. */
static long
forward_sent(PGconn *sb, int n, const char *type, bool has_record, bool has_old)
{
	char nth[16], why[256], hdr[3][320];
	const char *p[1] = { nth }, *headers[4];
	PGresult *r;
	json_object *o, *v;
	struct http_call c;
	long status;

	snprintf(nth, sizeof(nth), "%d", n);
	r = PQexecParams(sb, "SELECT url, convert_from(body, 'UTF8'), headers->>'webhook-id', headers->>"
	    "'webhook-timestamp', headers->>'webhook-signature', headers->>'Authorization', timeout_milliseconds"
	    " FROM net.sent ORDER BY id OFFSET $1::int - 1 LIMIT 1", 1, NULL, p, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_int_equal(PQntuples(r), 1);
	assert_string_equal(PQgetvalue(r, 0, 0), webhook_url);
	assert_int_equal(signature_verify(whsec, PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3), PQgetvalue(r, 0, 1),
	    strlen(PQgetvalue(r, 0, 1)), PQgetvalue(r, 0, 4), time(NULL), tolerance, why, sizeof(why)), SIGNATURE_OK);
	assert_int_equal(strlen(PQgetvalue(r, 0, 2)), 36); /* a uuid */
	assert_true(strncmp(PQgetvalue(r, 0, 5), "Bearer ", 7) == 0);
	assert_string_equal(PQgetvalue(r, 0, 5) + 7, current);
	assert_string_equal(PQgetvalue(r, 0, 6), "2000");
	o = json_tokener_parse(PQgetvalue(r, 0, 1));
	assert_non_null(o);
	assert_string_equal(support_json_str(o, "type"), type);
	assert_string_equal(support_json_str(o, "table"), "videos");
	assert_string_equal(support_json_str(o, "schema"), "public");
	assert_true(json_object_object_get_ex(o, "record", &v));
	assert_int_equal(json_object_is_type(v, json_type_object), has_record);
	assert_true(json_object_object_get_ex(o, "old_record", &v));
	assert_int_equal(json_object_is_type(v, json_type_object), has_old);
	json_object_put(o);

	snprintf(hdr[0], sizeof(hdr[0]), "webhook-id: %s", PQgetvalue(r, 0, 2));
	snprintf(hdr[1], sizeof(hdr[1]), "webhook-timestamp: %s", PQgetvalue(r, 0, 3));
	snprintf(hdr[2], sizeof(hdr[2]), "webhook-signature: %s", PQgetvalue(r, 0, 4));
	headers[0] = hdr[0];
	headers[1] = hdr[1];
	headers[2] = hdr[2];
	headers[3] = NULL;
	memset(&c, 0, sizeof(c));
	c.method = "POST";
	c.url = webhook_url;
	c.auth = PQgetvalue(r, 0, 5);
	c.headers = headers;
	c.body = PQgetvalue(r, 0, 1);
	c.body_len = strlen(c.body);
	status = http_one(&c);
	http_reply_free(&c.reply);
	PQclear(r);
	return status;
}

/* What the Supabase database said (NOTICE, WARNING), for the test to look at. */
static char notices[4096];

static void
keep_notice(void *arg, const char *message)
{
	size_t n = strlen(notices);

	snprintf(notices + n, sizeof(notices) - n, "%s", message);
}

static PGconn *
supabase_database(void)
{
	char info[1024];
	PGconn *sb;

	support_sql_do(pg, "CREATE DATABASE supabase_sim", 0, NULL);
	snprintf(info, sizeof(info), "%s dbname=supabase_sim", conninfo);
	sb = PQconnectdb(info);
	if (PQstatus(sb) != CONNECTION_OK)
		fail_msg("cannot connect to supabase_sim: %s", PQerrorMessage(sb));
	PQsetNoticeProcessor(sb, keep_notice, NULL);
	exec_script(sb, supabase_stubs, "the Supabase stubs");
	return sb;
}

static void
test_supabase_trigger(void **state)
{
	char path[1024], *sql;
	const char *p[3] = { webhook_url, current, whsec };
	PGconn *sb = supabase_database();
	PGresult *r;

	snprintf(path, sizeof(path), "%s/sql/supabase/signed_webhook.sql", srcdir);
	sql = read_file(path);
	exec_script(sb, sql, path);
	exec_script(sb, sql, "the file a second time");
	/* without settings: the INSERT succeeds with a warning, and nothing is sent */
	notices[0] = '\0';
	exec_script(sb, "INSERT INTO public.videos (id, tenant_id, storage_key) VALUES ('video-nosettings', "
	    "'tenant-sql', 'tenant-sql/videos/video-nosettings.mp4')", "an INSERT without settings");
	assert_int_equal(support_sql_long(sb, "SELECT count(*) FROM net.sent", 0, NULL), 0);
	assert_non_null(strstr(notices, "WARNING:  captionacc_private.webhook_settings is empty"));
	support_sql_do(sb, "INSERT INTO captionacc_private.webhook_settings (url, bearer_secret, signing_secret)"
	    " VALUES ($1, $2, $3)", 3, p);

	/* the web app's role inserts; the trigger reads the settings it cannot read itself */
	exec_script(sb, "SET ROLE webapp_sim; INSERT INTO public.videos (id, tenant_id, storage_key) VALUES "
	    "('video-sql', 'tenant-sql', 'tenant-sql/videos/video-sql.mp4'); RESET ROLE", "the web app's INSERT");
	r = PQexec(sb, "SET ROLE webapp_sim; SELECT * FROM captionacc_private.webhook_settings");
	assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
	PQclear(r);
	exec_script(sb, "RESET ROLE", "RESET ROLE");
	assert_int_equal(support_sql_long(sb, "SELECT count(*) FROM net.sent", 0, NULL), 1);
	assert_int_equal(forward_sent(sb, 1, "INSERT", true, false), 202);
	assert_int_equal(jobs_of("video-sql"), 1);

	/* UPDATE and DELETE in Supabase's shapes, for a trigger created for them */
	exec_script(sb, "CREATE TRIGGER captionacc_signed_webhook_changes AFTER UPDATE OR DELETE ON public.videos"
	    " FOR EACH ROW EXECUTE FUNCTION captionacc_private.signed_webhook();"
	    "UPDATE public.videos SET status = 'processing' WHERE id = 'video-sql';"
	    "DELETE FROM public.videos WHERE id = 'video-sql'", "UPDATE and DELETE");
	assert_int_equal(forward_sent(sb, 2, "UPDATE", true, true), 200);
	assert_int_equal(forward_sent(sb, 3, "DELETE", false, true), 200);
	assert_int_equal(jobs_of("video-sql"), 1);
	PQfinish(sb);
	free(sql);
}

/* ---- after the window (runs last: it waits for the window to pass) ---- */

static void
test_replay_after_window(void **state)
{
	struct delivery d;
	struct timespec pause = { tolerance + 2, 0 };

	sign(&d, "msg-late", insert_body("video-late"), 0);
	json_object_put(expect_accepted(&d, current));
	nanosleep(&pause, NULL);
	expect_unauthorized(&d, current, 0, "the same request after the window");
	assert_int_equal(jobs_of("video-late"), 1);
	free(d.body);
}

static void
test_no_secret_in_log(void **state)
{
	char path[1024], line[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/captionacc.log", stack_dir);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, current) != NULL || strstr(line, previous) != NULL ||
		    strstr(line, whsec + strlen("whsec_")) != NULL || strstr(line, "v1,") != NULL)
			fail_msg("a secret or a signature appears in the log: %s", line);
	fclose(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_old_answers_deleted),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_missing_headers),
		cmocka_unit_test(test_bad_signatures),
		cmocka_unit_test(test_outside_window),
		cmocka_unit_test(test_replay_gets_first_answer),
		cmocka_unit_test(test_error_answer_not_kept),
		cmocka_unit_test(test_ignored_answer_kept),
		cmocka_unit_test(test_supabase_trigger),
		cmocka_unit_test(test_replay_after_window),
		cmocka_unit_test(test_no_secret_in_log),
	};
	const char *secrets, *comma;
	int rc;

	base_url = support_env("STACK_URL");
	conninfo = support_env("DATABASE_URL");
	stack_dir = support_env("STACK_DIR");
	whsec = support_env("WEBHOOK_SIGNING_SECRET");
	srcdir = support_env("top_srcdir");
	tolerance = strtol(support_env("WEBHOOK_TOLERANCE_SECONDS"), NULL, 10);
	secrets = support_env("WEBHOOK_SECRET");
	if ((comma = strchr(secrets, ',')) == NULL || (size_t)(comma - secrets) >= sizeof(current)) {
		fprintf(stderr, "test_signed_webhooks: WEBHOOK_SECRET must be current,previous\n");
		return 1;
	}
	snprintf(current, sizeof(current), "%.*s", (int)(comma - secrets), secrets);
	snprintf(previous, sizeof(previous), "%s", comma + 1);
	snprintf(webhook_url, sizeof(webhook_url), "%s/webhooks/supabase/videos", base_url);
	curl_global_init(CURL_GLOBAL_ALL);
	pg = PQconnectdb(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "test_signed_webhooks: cannot connect: %s\n", PQerrorMessage(pg));
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	PQfinish(pg);
	curl_global_cleanup();
	return rc;
}
