/* auth.h: shared-secret checks for callers that are not users (Supabase webhook bearer, X-Cron-Secret). */
#ifndef CAPTIONACC_AUTH_H
#define CAPTIONACC_AUTH_H

#include <stdbool.h>

/* True when two secrets are equal; takes the same time whatever they hold or how long they are. */
bool auth_secret_equal(const char *given, const char *expected);
/* True when given equals one of the comma-separated secrets in list (empty items are ignored, so "a,,b"
 * is "a,b"). Every item is compared, to the end, in constant time: the time taken depends only on the
 * number and lengths of the items, not on whether or which one matched. */
bool auth_secret_listed(const char *given, const char *list);
/* True when header is "Bearer <secret>" (scheme case-insensitive) with exactly one of the expected
 * secrets (a comma-separated list while rotating: the current and the previous; auth_secret_listed).
 * A NULL, empty or malformed header, or an unset or empty expected list, is never accepted. */
bool auth_bearer_ok(const char *header, const char *expected);

#endif
