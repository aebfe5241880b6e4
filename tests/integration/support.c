/* support.c: helpers shared by the C integration tests (see support.h). */
#include "tests/integration/support.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
support_env(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0') {
		fprintf(stderr, "%s is not set: run the test through its .sh script in tests/integration\n", name);
		exit(1);
	}
	return v;
}

void
support_stack(const char *what)
{
	char cmd[2048];

	if (snprintf(cmd, sizeof(cmd), "'%s' %s '%s'", support_env("STACK_SCRIPT"), what,
	    support_env("STACK_DIR")) >= (int)sizeof(cmd))
		fail_msg("stack.sh command too long");
	if (system(cmd) != 0)
		fail_msg("%s failed", cmd);
}

long
support_sql_long(PGconn *pg, const char *sql, int n, const char *const *params)
{
	PGresult *r = PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);
	long v = -1;

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(pg));
	if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		v = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return v;
}

void
support_sql_do(PGconn *pg, const char *sql, int n, const char *const *params)
{
	PGresult *r = PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(pg));
	PQclear(r);
}

char *
support_insert_body(const char *video, const char *tenant, const char *storage_key, const char *created_at)
{
	json_object *o = json_object_new_object(), *rec = json_object_new_object();
	char *out;

	json_object_object_add(rec, "id", json_object_new_string(video));
	json_object_object_add(rec, "tenant_id", json_object_new_string(tenant));
	json_object_object_add(rec, "storage_key", json_object_new_string(storage_key));
	if (created_at != NULL)
		json_object_object_add(rec, "created_at", json_object_new_string(created_at));
	json_object_object_add(o, "type", json_object_new_string("INSERT"));
	json_object_object_add(o, "table", json_object_new_string("videos"));
	json_object_object_add(o, "schema", json_object_new_string("public"));
	json_object_object_add(o, "record", rec);
	json_object_object_add(o, "old_record", NULL);
	out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	assert_non_null(out);
	return out;
}

long
support_post(const char *url, const char *auth, const char *body, struct http_call *c)
{
	memset(c, 0, sizeof(*c));
	c->method = "POST";
	c->url = url;
	c->auth = auth;
	c->body = body;
	c->body_len = strlen(body);
	return http_one(c);
}

json_object *
support_reply_json(const struct http_call *c)
{
	json_object *o = c->reply.body ? json_tokener_parse(c->reply.body) : NULL;
	char ct[128];

	if (o == NULL || !json_object_is_type(o, json_type_object))
		fail_msg("reply (status %ld) is not a JSON object: %s", c->reply.status,
		    c->reply.body ? c->reply.body : "(none)");
	if (http_header(&c->reply, "Content-Type", ct, sizeof(ct)) == NULL || strncmp(ct, "application/json", 16))
		fail_msg("reply Content-Type is not application/json");
	return o;
}

const char *
support_json_str(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		fail_msg("no string \"%s\" in %s", key, json_object_to_json_string(o));
	return json_object_get_string(v);
}

void
support_token(const char *sub, const char *extra, char *out, size_t len)
{
	char cmd[1024], tok[1800] = "";
	FILE *p;

	if (snprintf(cmd, sizeof(cmd), "'%s' --secret '%s' --sub '%s' %s", support_env("MINT_TOKEN"),
	    support_env("SUPABASE_JWT_SECRET"), sub, extra ? extra : "") >= (int)sizeof(cmd))
		fail_msg("mint-token command too long");
	assert_non_null(p = popen(cmd, "r"));
	assert_non_null(fgets(tok, sizeof(tok), p));
	assert_int_equal(pclose(p), 0);
	tok[strcspn(tok, "\n")] = '\0';
	if (snprintf(out, len, "Bearer %s", tok) >= (int)len)
		fail_msg("token too long");
}
