/* support.h: what the C integration tests share: their settings from the environment the .sh script
 * sets, the harness's stack commands, SQL shortcuts, and webhook requests and JSON replies. Every
 * function fails the running cmocka test (or, for support_env, exits) rather than return an error. */
#ifndef CAPTIONACC_TEST_SUPPORT_H
#define CAPTIONACC_TEST_SUPPORT_H

#include <json-c/json.h>
#include <libpq-fe.h>

#include "tests/integration/http.h"

/* The value of an environment variable the test's .sh script must set; exits with a message if unset. */
const char *support_env(const char *name);
/* Runs "stack.sh WHAT STACK_DIR" (STACK_SCRIPT and STACK_DIR from the environment). */
void support_stack(const char *what);
/* Runs SQL (constant text with $n parameters) and returns the first column of the first row as a long,
 * or -1 when there is no row. */
long support_sql_long(PGconn *pg, const char *sql, int n, const char *const *params);
/* Runs SQL that returns nothing the test needs. */
void support_sql_do(PGconn *pg, const char *sql, int n, const char *const *params);
/* A Supabase INSERT webhook body for a video (Supabase's shape); created_at NULL leaves the field out.
 * Caller frees. */
char *support_insert_body(const char *video, const char *tenant, const char *storage_key,
    const char *created_at);
/* POSTs body as JSON to url with the Authorization value auth (NULL: none); returns the status. The
 * reply stays in c. */
long support_post(const char *url, const char *auth, const char *body, struct http_call *c);
/* A reply's body as a JSON object sent as application/json; caller puts it. */
json_object *support_reply_json(const struct http_call *c);
/* "Bearer <token>" of user sub in out: a Supabase access token minted by MINT_TOKEN (tests/harness/mint-token)
 * with SUPABASE_JWT_SECRET, both from the environment; extra adds mint-token options (e.g. "--ttl -60"). */
void support_token(const char *sub, const char *extra, char *out, size_t len);
/* The string member key of o (borrowed from o). */
const char *support_json_str(json_object *o, const char *key);

#endif
